// Coordinate check (Yang et al. 2022, Tensor Programs V, arXiv:2203.03466): for each width, a
// network of a given parameterization trains a few steps; per layer, the size of its
// activations mean|x_l| and their change since initialisation mean|x_l(t) − x_l(0)| (the
// `coordinates` of src/dynamics' records, on the train inputs) are plotted against width, one
// plot per step. Under µP every curve is flat in width; under the standard parameterization
// the change of the output and of the hidden activations grows with width (it blows up).
import { ACTIVATIONS, PARAMETERIZATIONS, type ExperimentSpecInput } from '../../src/index';
import { csvFile, figurePng, jsonFile, specFile } from '../ui/export';
import { maxWidthFor } from '../ui/limits';
import { DemoPage, el } from '../ui/page';
import { COLORS, LinePlot } from '../ui/plot';
import { ExperimentQueue, divergenceText, type DivergenceRecord, type RunRecord } from '../ui/training';
import { commonFields, enumField, intField, intListField, numberField } from '../ui/url-state';

const MAX_WIDTH = 1 << 20;
const fields = {
  widths: intListField(1, MAX_WIDTH, 12, [128, 256, 512, 1024, 2048]),
  param: enumField(PARAMETERIZATIONS, 'mup'),
  depth: intField(1, 6, 3),
  act: enumField(ACTIVATIONS, 'relu'),
  steps: intField(1, 10, 4),
  lr: numberField(0, 1000, 0.5, { exclusiveMin: true }),
  n: intField(2, 256, 16),
  ens: intField(1, 64, 4),
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
const layers = () => page.state.depth + 1;

function spec(width: number): ExperimentSpecInput {
  const s = page.state;
  return {
    seed: s.seed,
    model: { inputDim: 2, hidden: Array.from({ length: s.depth }, () => width), activation: s.act, parameterization: s.param, ensemble: s.ens },
    data: { train: { kind: 'circle', n: s.n }, target: { kind: 'sin', frequency: 2 } },
    train: { optimizer: 'gd', lr: s.lr, steps: s.steps, recordEvery: 1 },
    observe: { probe: 'train' },
  };
}

function draw(): void {
  const widths = [...page.state.widths].sort((a, b) => a - b);
  plots.forEach((plot, i) => {
    const t = i + 1;
    const at = (w: number) => records.get(w)?.find((r) => r.step === t) ?? null;
    const change = Array.from({ length: layers() }, (_, l) => widths.map((w) => at(w)?.coordinates[l]?.mean_abs_dh ?? null));
    const size = Array.from({ length: layers() }, (_, l) => widths.map((w) => at(w)?.coordinates[l]?.mean_abs_h ?? null));
    plot.setData(widths, [...change, ...size]);
  });
  document.getElementById('diverged')!.textContent = diverged.map((d) => divergenceText(d.record, `width ${d.width}`)).join(' ');
  page.handle.steps = queue?.stepsDone ?? 0;
  page.handle.data = {
    widthsDone: [...records.entries()].filter(([, r]) => r.length > page.state.steps).map(([w]) => w),
    counts: plots.map((p) => p.counts()),
    remaining: queue?.remaining ?? 0,
    diverged: diverged.length,
    /** mean|Δx| of the output at the last step, per width (the blow-up test) */
    outputChange: Object.fromEntries([...records.entries()].map(([w, r]) => [w, r.at(-1)?.coordinates.at(-1)?.mean_abs_dh ?? null])),
  };
  page.refreshStatus();
}

const loop = page.frameLoop(async () => {
  try {
    return (await queue?.tick()) ?? 0;
  } finally {
    // also after an error: the plots show every run finished before it
    draw();
  }
});

async function reset(): Promise<void> {
  await loop.stop();
  queue?.dispose();
  page.clearError();
  page.clampWidths('widths', maxWidthFor(page.rt!, { ensemble: page.state.ens, rows: page.state.n + 64, depth: page.state.depth, cap: MAX_WIDTH }));
  plots.forEach((p) => p.destroy());
  const layerName = (l: number) => (l === layers() - 1 ? 'output f' : `x${l + 1}`);
  plots = Array.from({ length: page.state.steps }, (_, i) => new LinePlot(plotsRoot, {
    id: `plot-step-${i + 1}`, title: `step ${i + 1}`, xLabel: 'width m', logX: true, logY: true, width: 360, height: 220,
    series: [
      ...Array.from({ length: layers() }, (_, l) => ({ label: `|Δ${layerName(l)}|`, color: COLORS[l % COLORS.length], spanGaps: true, markers: true })),
      ...Array.from({ length: layers() }, (_, l) => ({ label: `|${layerName(l)}|`, color: COLORS[l % COLORS.length], dash: [4, 4], width: 1, spanGaps: true })),
    ],
  }));
  records = new Map();
  diverged = [];
  const widths = [...page.state.widths].sort((a, b) => a - b);
  queue = new ExperimentQueue(
    page.rt!,
    widths.map((width) => ({ tag: width, spec: spec(width), steps: page.state.steps, recordAt: Array.from({ length: page.state.steps + 1 }, (_, t) => t) })),
    1,
    (width, record) => records.set(width, [...(records.get(width) ?? []), record]),
    (width, record) => {
      diverged.push({ width, record });
      page.stopped(divergenceText(record, `width ${width}`));
    },
    (width) => `width ${width}`,
  );
  page.handle.ready = true;
  draw();
  if (page.state.run) loop.play();
}
const restart = page.serial(reset);

page.addTransport(loop, async () => restart());
page.addExport('data', 'CSV', async () =>
  csvFile('coordinate-check.csv', [...records.entries()].flatMap(([width, rs]) => rs.flatMap((r) => r.coordinates.map((c, l) => ({ width, step: r.step, layer: l + 1, mean_abs_h: c.mean_abs_h, mean_abs_dh: c.mean_abs_dh }))))));
page.addExport('data', 'JSON', async () => jsonFile('coordinate-check.json', { state: page.state, records: Object.fromEntries(records), diverged }));
page.addExport('figure', 'PNG', async () => figurePng('coordinate-check.png', plots.map((p, i) => ({ title: `step ${i + 1}`, canvas: p.canvas })), 3));
page.addExport('spec', 'Spec', async () => {
  const one = spec(page.state.widths[0]);
  return specFile(`coordinate-check-${page.state.param}.spec.json`, { ...one, model: { ...one.model, hidden: page.state.widths.map((w) => Array.from({ length: page.state.depth }, () => w)) } });
});

page.select('param', 'parameterization', PARAMETERIZATIONS, restart);
page.text('widths', 'widths', restart);
page.slider('depth', 'hidden layers', { min: 1, max: 6, step: 1, integer: true }, restart);
page.select('act', 'activation', ACTIVATIONS, restart);
page.slider('lr', 'learning rate', { min: 0.001, max: 10, step: 0.01, log: true }, restart);
page.slider('steps', 'steps', { min: 1, max: 10, step: 1, integer: true }, restart);
page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, restart);

page.serial(async () => {
  if (!(await page.acquire())) return;
  await reset();
})();
