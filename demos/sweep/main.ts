// Width sweep: the drift observables against width on log-log axes, for chosen
// parameterizations, with fitted slopes. Each width is one src/dynamics Experiment holding an
// ensemble of E networks trained as one batch; the values plotted are the ensemble means of the
// last record (DESIGN.md §5), the slopes logLogSlope's least-squares fits, as in `widenet run`'s
// sweep summary. In the kernel regime the NTK change and the linearisation gap fall like a
// power of the width (≈ m^(−1/2) for the NTK change in NTK parameterization); under mean-field
// they stay put.
import { ACTIVATIONS, PARAMETERIZATIONS, type ExperimentSpecInput, type Parameterization } from '../../src/index';
import { csvFile, figurePng, jsonFile, specFile } from '../ui/export';
import { maxWidthFor } from '../ui/limits';
import { DemoPage, el } from '../ui/page';
import { COLORS, LinePlot } from '../ui/plot';
import { ExperimentQueue, divergenceText, logLogSlope, type DivergenceRecord, type RunRecord } from '../ui/training';
import { inputWarnings } from '../../src/spec/warnings';
import { ALPHA_RANGE } from '../../src/spec/schema';
import { commonFields, enumField, enumListField, intField, intListField, numberField } from '../ui/url-state';

const MAX_WIDTH = 1 << 22;
const fields = {
  widths: intListField(1, MAX_WIDTH, 12, [64, 256, 1024, 4096]),
  params: enumListField(PARAMETERIZATIONS, 4, ['ntk', 'meanfield']),
  depth: intField(1, 4, 1),
  act: enumField(ACTIVATIONS, 'relu'),
  alpha: numberField(ALPHA_RANGE[0], 1e4, 1), // the spec's lower bound on α (float32 rates η/α²)
  n: intField(2, 256, 16),
  ens: intField(1, 64, 8),
  steps: intField(1, 100_000, 100),
  lr: numberField(0, 1000, 1, { exclusiveMin: true }),
  spf: intField(1, 1000, 10),
  ...commonFields(),
};

const page = new DemoPage('sweep', fields, {
  title: 'Width sweep',
  intro:
    'Drift from initialisation after training, against width, on log-log axes: relative NTK change ‖Θ_t − Θ₀‖/‖Θ₀‖, relative weight ' +
    'change of the first and last layers, and the RMS gap between the network and its linearisation. Each width trains an ensemble ' +
    'as one batch; points are ensemble means; the slopes are least-squares fits of log value against log width.',
});

const OBSERVABLES: { key: string; title: string; pick: (r: RunRecord) => number | null }[] = [
  { key: 'ntkChange', title: 'NTK change ‖Θ−Θ₀‖/‖Θ₀‖', pick: (r) => r.ntkChange },
  { key: 'linearGap', title: 'gap to the linearised model', pick: (r) => r.linearGap },
  { key: 'weightChangeFirst', title: 'weight change, first layer', pick: (r) => r.weightChange[0] ?? null },
  { key: 'weightChangeReadout', title: 'weight change, readout', pick: (r) => r.weightChange[r.weightChange.length - 1] ?? null },
  { key: 'trainLoss', title: 'train loss', pick: (r) => r.trainLoss },
];

const plotsRoot = el('div', { className: 'plots' });
const slopesTable = el('table', { id: 'slopes' });
page.main.append(plotsRoot, el('h2', { textContent: 'Fitted log-log slopes' }), slopesTable, el('p', { className: 'note', id: 'diverged' }));

let plots: LinePlot[] = [];
/** last record per (parameterization, width) */
let finals = new Map<Parameterization, Map<number, RunRecord>>();
let diverged: { parameterization: Parameterization; width: number; record: DivergenceRecord }[] = [];
let queue: ExperimentQueue<{ parameterization: Parameterization; width: number }> | null = null;

function spec(parameterization: Parameterization, width: number): ExperimentSpecInput {
  const s = page.state;
  return {
    seed: s.seed,
    model: { inputDim: 2, hidden: Array.from({ length: s.depth }, () => width), activation: s.act, parameterization, alpha: s.alpha, centered: true, ensemble: s.ens },
    data: { train: { kind: 'circle', n: s.n }, test: { kind: 'circle', n: 64 }, target: { kind: 'sin', frequency: 2 } },
    train: { optimizer: 'gd', lr: s.lr, steps: s.steps, recordEvery: s.steps, linearized: true },
    observe: { probe: 'train' },
  };
}

/** The spec `widenet run` takes for one parameterization: the whole sweep in model.hidden. */
function sweepSpec(parameterization: Parameterization): ExperimentSpecInput {
  const one = spec(parameterization, page.state.widths[0]);
  return { ...one, model: { ...one.model, hidden: page.state.widths.map((w) => Array.from({ length: page.state.depth }, () => w)) } };
}

function slopes(): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  for (const p of page.state.params) {
    const done = finals.get(p) ?? new Map();
    const widths = [...done.keys()].sort((a, b) => a - b);
    out[p] = {};
    for (const o of OBSERVABLES) {
      const values = widths.map((w) => o.pick(done.get(w)!));
      out[p][o.key] = widths.length >= 2 && values.every((v) => v !== null && v > 0) ? logLogSlope(widths, values as number[]) : null;
    }
  }
  return out;
}

function draw(): void {
  const widths = [...page.state.widths].sort((a, b) => a - b);
  OBSERVABLES.forEach((o, i) => plots[i].setData(widths, page.state.params.map((p) => widths.map((w) => { const r = finals.get(p)?.get(w); return r ? o.pick(r) : null; }))));
  const s = slopes();
  slopesTable.replaceChildren(
    el('tr', {}, [el('th', { textContent: 'parameterization' }), ...OBSERVABLES.map((o) => el('th', { textContent: o.title }))]),
    ...page.state.params.map((p) => el('tr', {}, [el('td', { textContent: p }), ...OBSERVABLES.map((o) => el('td', { textContent: s[p][o.key] === null ? '—' : s[p][o.key]!.toFixed(3) }))])),
  );
  document.getElementById('diverged')!.textContent = diverged.map((d) => divergenceText(d.record, `${d.parameterization} at width ${d.width}`)).join(' ');
  page.handle.steps = queue?.stepsDone ?? 0;
  page.handle.data = {
    widthsDone: Object.fromEntries(page.state.params.map((p) => [p, [...(finals.get(p)?.keys() ?? [])]])),
    counts: plots.map((pl) => pl.counts()),
    slopes: s,
    remaining: queue?.remaining ?? 0,
    diverged: diverged.length,
  };
  page.refreshStatus();
}

const loop = page.queueLoop(() => queue, draw);

async function reset(): Promise<void> {
  await loop.stop();
  queue?.dispose();
  page.clearError();
  page.clampWidths('widths', maxWidthFor(page.rt!, { ensemble: page.state.ens, rows: page.state.n + 64, depth: page.state.depth, cap: MAX_WIDTH }));
  plots.forEach((p) => p.destroy());
  plots = OBSERVABLES.map((o) => new LinePlot(plotsRoot, {
    id: `plot-${o.key}`, title: o.title, xLabel: 'width m', logX: true, logY: true, width: 380, height: 220,
    series: page.state.params.map((p, i) => ({ label: p, color: COLORS[i], spanGaps: true, markers: true })),
  }));
  finals = new Map(page.state.params.map((p) => [p, new Map()]));
  diverged = [];
  const widths = [...page.state.widths].sort((a, b) => a - b);
  queue = new ExperimentQueue(
    page.rt!,
    page.state.params.flatMap((parameterization) => widths.map((width) => ({ tag: { parameterization, width }, spec: spec(parameterization, width), steps: page.state.steps, recordAt: [page.state.steps] }))),
    page.state.spf,
    (tag, record) => finals.get(tag.parameterization)!.set(tag.width, record),
    (tag, record) => {
      diverged.push({ ...tag, record });
      page.stopped(divergenceText(record, `${tag.parameterization} at width ${tag.width}`));
    },
    (tag) => `${tag.parameterization} at width ${tag.width}`,
  );
  page.setWarnings(page.state.params.flatMap((p) => inputWarnings(spec(p, widths[0]))));
  page.handle.ready = true;
  draw();
  if (page.state.run) loop.play();
}
const restart = page.serial(reset);

page.addTransport(loop, async () => restart());
page.addExport('data', 'CSV', async () =>
  csvFile('width-sweep.csv', page.state.params.flatMap((p) => [...(finals.get(p) ?? new Map<number, RunRecord>()).entries()].sort((a, b) => a[0] - b[0]).map(([width, r]) => ({ parameterization: p, width, ...Object.fromEntries(OBSERVABLES.map((o) => [o.key, o.pick(r)])) })))));
page.addExport('data', 'JSON', async () => jsonFile('width-sweep.json', { state: page.state, slopes: slopes(), finals: Object.fromEntries([...finals].map(([p, m]) => [p, Object.fromEntries(m)])), diverged }));
page.addExport('figure', 'PNG', async () => figurePng('width-sweep.png', plots.map((p, i) => ({ title: OBSERVABLES[i].title, canvas: p.canvas })), 3));
page.addExport('spec', 'Spec', async () => specFile(`width-sweep-${page.state.params[0]}.spec.json`, sweepSpec(page.state.params[0])));

page.slider('depth', 'hidden layers', { min: 1, max: 4, step: 1, integer: true }, restart);
page.select('act', 'activation', ACTIVATIONS, restart);
page.slider('alpha', 'α', { min: 0.01, max: 100, step: 0.01, log: true }, restart);
page.slider('steps', 'steps', { min: 1, max: 10000, step: 0.01, log: true, integer: true }, restart);
page.slider('ens', 'ensemble', { min: 1, max: 64, step: 1, integer: true }, restart);
page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, restart);
page.text('widths', 'widths', restart);
page.text('params', 'parameterizations', restart);

page.serial(async () => {
  if (!(await page.acquire())) return;
  await reset();
})();
