// Coordinate check (Yang et al. 2022, Tensor Programs V, arXiv:2203.03466): for each width, a
// network of a given parameterization trains a few steps; per layer, the size of its
// activations mean|x_l| and their change since initialisation mean|x_l(t) − x_l(0)| (the
// `coordinates` of src/dynamics' records, on the train inputs) are plotted against width, one
// plot per step. Under µP every curve is flat in width; under the standard parameterization
// the change of the output and of the hidden activations grows with width (it blows up).
// Depth mode (issue 14; Tensor Programs VI, Yang, Yu, Zhu & Hayou, arXiv:2310.02244): at one fixed
// width, residual nets of B blocks (h_b = h_{b−1} + β·Dense_b(φ(h_{b−1}))); per B the size and change
// of φ(h_0) (the input layer), φ(h_B) (the last block) and the output f, against B. Under depth-µP
// (β = 1/√B) they are flat in B; with β = 1 the stream's variance grows geometrically in B.
import { ACTIVATIONS, type ExperimentSpecInput } from '../../src/index';
import { csvFile, figurePng, jsonFile, specFile } from '../ui/export';
import { maxWidthFor } from '../ui/limits';
import { DemoPage, el } from '../ui/page';
import { COLORS, LinePlot } from '../ui/plot';
import { ExperimentQueue, divergenceText, type DivergenceRecord, type RunRecord } from '../ui/training';
import { commonFields, enumField, intField, intListField, numberField } from '../ui/url-state';
import { PAGE_MAX_BLOCKS, PAGE_PARAMETERIZATIONS, hiddenAndResidual, residualFields } from '../ui/residual';

const MAX_WIDTH = 1 << 20;
const MODES = ['width', 'depth'] as const;
const fields = {
  widths: intListField(1, MAX_WIDTH, 12, [128, 256, 512, 1024, 2048]),
  param: enumField(PAGE_PARAMETERIZATIONS, 'mup'),
  /** width: one network per width (the µP check); depth: one residual net per B in `blocklist`, at width `width` */
  mode: enumField(MODES, 'width'),
  depth: intField(1, 6, 3),
  act: enumField(ACTIVATIONS, 'relu'),
  steps: intField(1, 10, 4),
  lr: numberField(0, 1000, 0.5, { exclusiveMin: true }),
  n: intField(2, 256, 16),
  ens: intField(1, 64, 4),
  // width mode: B residual blocks at every width (0: the plain MLP of `depth` hidden layers); both modes: β
  ...residualFields(),
  blocklist: intListField(1, PAGE_MAX_BLOCKS, 8, [1, 2, 4, 8]),
  width: intField(1, MAX_WIDTH, 128),
  ...commonFields(),
};

const page = new DemoPage('coord', fields, {
  title: 'Coordinate check',
  intro:
    'The µP diagnostic of Tensor Programs V: per layer, the mean absolute activation |x_l| (dashed) and its change since ' +
    'initialisation |x_l(t) − x_l(0)| (solid) against width, one plot per training step (layer L+1 is the output f). Under µP the ' +
    'curves are flat in width; under the standard parameterization the changes grow with width.',
});

const plotsRoot = el('div', { className: 'plots' });
page.main.append(plotsRoot, el('p', { className: 'note', id: 'diverged' }));
let plots: LinePlot[] = [];
/** records per width, indexed by step */
let records = new Map<number, RunRecord[]>();
let diverged: { width: number; record: DivergenceRecord }[] = [];
let queue: ExperimentQueue<number> | null = null;
const layers = () => (page.state.blocks > 0 ? page.state.blocks + 2 : page.state.depth + 1);

const depthMode = () => page.state.mode === 'depth';
/** The x values of the plots: widths (width mode) or block counts B (depth mode), ascending. */
const xs = () => [...(depthMode() ? page.state.blocklist : page.state.widths)].sort((a, b) => a - b);
const xName = (x: number) => (depthMode() ? `B = ${x}` : `width ${x}`);

/** One run: in width mode at width `x`, in depth mode a residual net of `x` blocks at the fixed width. */
function spec(x: number): ExperimentSpecInput {
  const s = page.state;
  const hidden = depthMode() ? hiddenAndResidual(s.width, 1, x, s.beta) : hiddenAndResidual(x, s.depth, s.blocks, s.beta);
  return {
    seed: s.seed,
    model: { inputDim: 2, ...hidden, activation: s.act, parameterization: s.param, ensemble: s.ens },
    data: { train: { kind: 'circle', n: s.n }, target: { kind: 'sin', frequency: 2 } },
    train: { optimizer: 'gd', lr: s.lr, steps: s.steps, recordEvery: 1 },
    // depth mode plots coordinates only: no NTK spectrum (the deepest nets' eigenvalues would cost most of the time)
    observe: depthMode() ? { probe: 'train', spectrum: 0 } : { probe: 'train' },
  };
}

/**
 * The coordinates plotted: width mode every layer (hidden layers then f; a residual net's
 * φ(h_0)..φ(h_B), f); depth mode φ(h_0), φ(h_B) and f, whose indices depend on B.
 */
const tracked = (x: number): number[] => (depthMode() ? [0, x, x + 1] : Array.from({ length: layers() }, (_, l) => l));
const trackedNames = (): string[] =>
  depthMode() ? ['φ(h₀)', 'φ(h_B)', 'output f'] : Array.from({ length: layers() }, (_, l) => (l === layers() - 1 ? 'output f' : page.state.blocks > 0 ? `φ(h${l})` : `x${l + 1}`));

function draw(): void {
  const x = xs();
  const n = trackedNames().length;
  const coordinate = (r: RunRecord | null | undefined, xi: number, j: number) => r?.coordinates[tracked(xi)[j]] ?? null;
  plots.forEach((plot, i) => {
    const t = i + 1;
    const at = (w: number) => records.get(w)?.find((r) => r.step === t) ?? null;
    const change = Array.from({ length: n }, (_, j) => x.map((w) => coordinate(at(w), w, j)?.mean_abs_dh ?? null));
    const size = Array.from({ length: n }, (_, j) => x.map((w) => coordinate(at(w), w, j)?.mean_abs_h ?? null));
    plot.setData(x, [...change, ...size]);
  });
  document.getElementById('diverged')!.textContent = diverged.map((d) => divergenceText(d.record, xName(d.width))).join(' ');
  page.handle.steps = queue?.stepsDone ?? 0;
  page.handle.data = {
    widthsDone: [...records.entries()].filter(([, r]) => r.length > page.state.steps).map(([w]) => w),
    counts: plots.map((p) => p.counts()),
    remaining: queue?.remaining ?? 0,
    diverged: diverged.length,
    /** mean|Δx| of the output at the last step, per width (the blow-up test) */
    outputChange: Object.fromEntries([...records.entries()].map(([w, r]) => [w, r.at(-1)?.coordinates.at(-1)?.mean_abs_dh ?? null])),
    mode: page.state.mode,
    /** per x (width or B): the tracked coordinates' size at initialisation and their size and change at the last step */
    tracked: Object.fromEntries([...records.entries()].map(([w, r]) => [w, trackedNames().map((name, j) => ({
      name, size0: coordinate(r[0], w, j)?.mean_abs_h ?? null, size: coordinate(r.at(-1), w, j)?.mean_abs_h ?? null, change: coordinate(r.at(-1), w, j)?.mean_abs_dh ?? null,
    }))])),
  };
  page.refreshStatus();
}

const loop = page.queueLoop(() => queue, draw);

async function reset(): Promise<void> {
  await loop.stop();
  queue?.dispose();
  page.clearError();
  const limits = { ensemble: page.state.ens, rows: page.state.n + 64, depth: page.state.depth, cap: MAX_WIDTH };
  if (depthMode()) page.clampWidths('width', maxWidthFor(page.rt!, { ...limits, blocks: Math.max(...page.state.blocklist) }));
  else page.clampWidths('widths', maxWidthFor(page.rt!, { ...limits, blocks: page.state.blocks }));
  plots.forEach((p) => p.destroy());
  const names = trackedNames();
  plots = Array.from({ length: page.state.steps }, (_, i) => new LinePlot(plotsRoot, {
    id: `plot-step-${i + 1}`, title: depthMode() ? `step ${i + 1} · width ${page.state.width}` : `step ${i + 1}`,
    xLabel: depthMode() ? 'residual blocks B' : 'width m', logX: true, logY: true, width: 360, height: 220,
    series: [
      ...names.map((name, l) => ({ label: `|Δ${name}|`, color: COLORS[l % COLORS.length], spanGaps: true, markers: true })),
      ...names.map((name, l) => ({ label: `|${name}|`, color: COLORS[l % COLORS.length], dash: [4, 4], width: 1, spanGaps: true })),
    ],
  }));
  records = new Map();
  diverged = [];
  queue = new ExperimentQueue(
    page.rt!,
    xs().map((x) => ({ tag: x, spec: spec(x), steps: page.state.steps, recordAt: Array.from({ length: page.state.steps + 1 }, (_, t) => t) })),
    1,
    (x, record) => records.set(x, [...(records.get(x) ?? []), record]),
    (x, record) => {
      diverged.push({ width: x, record });
      page.stopped(divergenceText(record, xName(x)));
    },
    xName,
  );
  page.handle.ready = true;
  draw();
  if (page.state.run) loop.play();
}
const restart = page.serial(reset);

page.addTransport(loop, async () => restart());
page.addExport('data', 'CSV', async () =>
  csvFile('coordinate-check.csv', [...records.entries()].flatMap(([x, rs]) => rs.flatMap((r) => r.coordinates.map((c, l) => ({
    ...(depthMode() ? { blocks: x, width: page.state.width } : { width: x }), step: r.step, layer: l + 1, mean_abs_h: c.mean_abs_h, mean_abs_dh: c.mean_abs_dh,
  }))))));
page.addExport('data', 'JSON', async () => jsonFile('coordinate-check.json', { state: page.state, records: Object.fromEntries(records), diverged }));
page.addExport('figure', 'PNG', async () => figurePng('coordinate-check.png', plots.map((p, i) => ({ title: `step ${i + 1}`, canvas: p.canvas })), 3));
page.addExport('spec', 'Spec', async () => {
  if (depthMode()) {
    // the depth check as one spec: a grid over the block counts (like examples/depth-coordinate-check.json)
    const one = spec(xs()[0]);
    return specFile(`depth-coordinate-check-${page.state.param}.spec.json`, { ...one, sweep: { grid: { 'model.residual.blocks': xs() } } });
  }
  const one = spec(page.state.widths[0]);
  const perWidth = (w: number) => hiddenAndResidual(w, page.state.depth, page.state.blocks, page.state.beta).hidden as number[];
  return specFile(`coordinate-check-${page.state.param}.spec.json`, { ...one, model: { ...one.model, hidden: page.state.widths.map(perWidth) } });
});

page.select('mode', 'check against', MODES, restart);
page.select('param', 'parameterization', PAGE_PARAMETERIZATIONS, restart);
page.text('widths', 'widths (width mode)', restart);
page.slider('depth', 'hidden layers', { min: 1, max: 6, step: 1, integer: true }, restart);
page.slider('blocks', 'residual blocks B (width mode; 0: plain)', { min: 0, max: PAGE_MAX_BLOCKS, step: 1, integer: true }, restart);
page.text('blocklist', 'blocks B (depth mode)', restart);
page.slider('width', 'width (depth mode)', { min: 16, max: MAX_WIDTH, step: 0.01, log: true, integer: true }, restart);
page.text('beta', 'branch multiplier β', restart);
page.select('act', 'activation', ACTIVATIONS, restart);
page.slider('lr', 'learning rate', { min: 0.001, max: 10, step: 0.01, log: true }, restart);
page.slider('steps', 'steps', { min: 1, max: 10, step: 1, integer: true }, restart);
page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, restart);

page.serial(async () => {
  if (!(await page.acquire())) return;
  await reset();
})();
