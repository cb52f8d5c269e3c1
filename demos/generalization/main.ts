// Generalization and implicit regularisation (issue 13), from the records' `generalization`,
// `implicitBias` and `modes` blocks (src/dynamics/norms-and-modes.ts) and the lstsq solve
// (src/dynamics/lstsq.ts). Four panels, all runs one after another in one ExperimentQueue:
//  (1) train and test loss of a two-layer network on the circle against step, with the
//      Rademacher bounds of the ℓ1 (E, Ma & Wu 2019) and ℓ2 path-norm balls and Arora et al.'s
//      (2019) NTK bound √(2·yᵀ(H∞)⁻¹y/n), live;
//  (2) the displacement Σ_p (η/η_p)·‖θ_p − θ_p(0)‖² of the network and of its linearisation against
//      the minimum-norm interpolant's r₀ᵀΘ_η⁻¹r₀, and the RMS function distance to that interpolant,
//      against width (Gunasekar et al. 2018: GD on the linearised model stops at the minimum-norm solution);
//  (3) the train residual projected on the top eigenvectors of Θ_η(θ₀) (or Θ∞) against step beside
//      its closed form v_iᵀr₀·(1 − ηλ_i/(nk))^step (spectral bias; Fourier modes on the uniform circle);
//  (4) double descent of random-feature regression (Belkin et al. 2019; Mei & Montanari 2019): the
//      test loss of the ridgeless minimum-norm solve and of a ridge against width through m = n,
//      the peak (testLossPeak, as in `widenet run`'s sweep summary) marked.
import { ACTIVATIONS, PARAMETERIZATIONS, type ExperimentSpecInput } from '../../src/index';
import { testLossPeak } from '../../src/dynamics/records';
import { csvFile, figurePng, jsonFile, specFile } from '../ui/export';
import { maxWidthFor } from '../ui/limits';
import { DemoPage, el } from '../ui/page';
import { COLORS, LinePlot } from '../ui/plot';
import { ExperimentQueue, divergenceText, logLogSlope, type DivergenceRecord, type RunRecord } from '../ui/training';
import { inputWarnings } from '../../src/spec/warnings';
import { boolField, commonFields, enumField, intField, intListField, numberField } from '../ui/url-state';

const MAX_WIDTH = 1 << 22;
const TEST_POINTS = 64;
const fields = {
  // panels 1 and 3: one two-layer network on n uniform circle points, target sin 2θ
  param: enumField(PARAMETERIZATIONS, 'ntk'),
  act: enumField(ACTIVATIONS, 'relu'),
  width: intField(1, MAX_WIDTH, 512),
  // bias-free ReLU kernels on ≥ 6 uniform circle points are singular (odd frequencies ≥ 3 vanish): 5 keeps every bound defined
  n: intField(2, 64, 5),
  bias: numberField(0, 10, 0),
  centered: boolField(false),
  lr: numberField(0, 1000, 4, { exclusiveMin: true }),
  steps: intField(1, 100_000, 200),
  every: intField(1, 10_000, 10),
  ens: intField(1, 64, 2),
  modes: intField(0, 16, 5),
  kernel: enumField(['empirical', 'analytic'] as const, 'empirical'),
  // panel 2: the same task at several widths
  widths: intListField(1, MAX_WIDTH, 8, [64, 256, 1024]),
  // panel 4: random features on the sphere (examples/double-descent.json, smaller)
  ddn: intField(2, 128, 8),
  ddd: intField(1, 64, 4),
  ddwidths: intListField(1, MAX_WIDTH, 24, [2, 4, 6, 8, 10, 12, 16, 32]),
  ridge: numberField(0, 100, 0.02, { exclusiveMin: true }),
  ddens: intField(1, 64, 8),
  spf: intField(1, 1000, 10),
  ...commonFields(),
};

const page = new DemoPage('generalization', fields, {
  title: 'Generalization',
  intro:
    'Norms, bounds and the implicit bias of gradient descent. (1) Train and test loss of a two-layer network against step with ' +
    'the a-priori bounds of the current width: the Rademacher complexity of the ℓ1 (E, Ma & Wu) and ℓ2 path-norm balls and the NTK ' +
    'bound √(2·yᵀ(H∞)⁻¹y/n) of Arora et al. (2019). (2) The distance travelled Σ_p (η/η_p)‖θ_p − θ_p(0)‖² of the network and of its ' +
    'linearisation against the minimum-norm interpolant r₀ᵀΘ⁻¹r₀, and the function distance to that interpolant, against width. ' +
    '(3) Spectral bias: the train residual on each eigenvector of the kernel against its closed-form decay. (4) Double descent of ' +
    'random-feature regression through the interpolation threshold m = n, ridgeless and with a ridge.',
});

type Tag = { panel: 'live'; width: number } | { panel: 'bias'; width: number } | { panel: 'dd'; width: number; ridge: boolean };
const tagName = (t: Tag) => (t.panel === 'live' ? `live run at width ${t.width}` : t.panel === 'bias' ? `implicit-bias run at width ${t.width}` : `double descent (${t.ridge ? 'ridge' : 'ridgeless'}) at width ${t.width}`);

// ------------------------------------------------------------------ specs

function circleSpec(width: number): ExperimentSpecInput {
  const s = page.state;
  return {
    seed: s.seed,
    model: { inputDim: 2, hidden: [width], activation: s.act, parameterization: s.param, biasStd: s.bias, centered: s.centered, ensemble: s.ens },
    data: { train: { kind: 'circle', n: s.n }, test: { kind: 'circle', n: TEST_POINTS }, target: { kind: 'sin', frequency: 2 } },
    train: { optimizer: 'gd', lr: s.lr, steps: s.steps, recordEvery: s.every, linearized: true },
    observe: { probe: 'train', spectrum: s.modes },
  };
}

function ddSpec(width: number | number[], ridge: boolean): ExperimentSpecInput {
  const s = page.state;
  return {
    seed: s.seed,
    model: { inputDim: s.ddd, hidden: Array.isArray(width) ? width.map((w) => [w]) : [width], activation: 'relu', parameterization: 'ntk', ensemble: s.ddens, frozen: [0] },
    data: { train: { kind: 'sphere', n: s.ddn }, test: { kind: 'sphere', n: 48 }, target: { kind: 'teacher', hidden: [8], activation: 'tanh' } },
    train: { optimizer: 'lstsq', weightDecay: ridge ? s.ridge : 0 },
    observe: { spectrum: 0 },
  };
}

const recordSteps = () => {
  const { steps, every } = page.state;
  const at = [0];
  for (let t = every; t < steps; t += every) at.push(t);
  at.push(steps);
  return at;
};

// ------------------------------------------------------------------ the panels

const panel = (id: string, title: string, note: string) => {
  const plots = el('div', { className: 'plots' });
  const noteEl = el('p', { className: 'note', id: `${id}-note` });
  const root = el('section', { className: 'panel', id }, [el('h2', { textContent: title }), el('p', { className: 'note', textContent: note }), plots, noteEl]);
  return { root, plots, noteEl };
};
const p1 = panel('panel-bounds', '1 · Train and test loss with the bounds', 'Rademacher bounds: |α|·2·‖θ‖_P·X/√n (ℓ2) and |α|·2·‖θ‖_P1·X∞·√(2 ln 2d̃ / n) (ℓ1), of the ball of the trained network’s own path norm, so they grow with it; the NTK bound depends on the data and labels only (two-layer ReLU, one output). A bound that does not apply (not ReLU, a singular kernel) is absent.');
const p2 = panel('panel-minnorm', '2 · Implicit bias: the minimum-norm solution against width', 'GD on the linearised model moves θ in the span of the per-layer-weighted gradients and, where it interpolates, stops at the interpolant of least Σ_p (η/η_p)‖θ_p − θ_p(0)‖², whose value is r₀ᵀΘ_η⁻¹r₀. Under NTK parameterization the network approaches it as width grows; under mean-field it does not.');
const p3 = panel('panel-modes', '3 · Spectral bias: mode-by-mode decay', 'The train residual r = y − z projected on the eigenvectors v_i of the kernel (solid: the network; dashed: the closed form v_iᵀr₀·(1 − ηλ_i/(nk))^step). On points spread uniformly over the circle a rotation-invariant kernel is circulant, so these are the Fourier modes cos jθ, sin jθ (in pairs of equal eigenvalue; exactly so for Θ∞, nearly so for a wide network’s Θ₀). Large eigenvalues decay first.');
const p4 = panel('panel-dd', '4 · Double descent of random features', 'Two-layer ReLU random features (first layer frozen, NTK parameterization) on the sphere, the readout solved in one step by lstsq: the minimum-norm least-squares solution (ridgeless) and ridge regression. The ridgeless test loss peaks at the interpolation threshold m = n, where the feature Gram matrix is square and nearly singular; a ridge removes the peak.');
const modesTable = el('table', { id: 'modes-table' });
p3.root.append(modesTable);
const panels = el('div', { className: 'panels' }, [p1.root, p2.root, p3.root, p4.root]);
page.main.append(panels, el('p', { className: 'note', id: 'diverged' }));

let plots: Record<'loss' | 'gap' | 'norms' | 'distance' | 'modes' | 'dd', LinePlot> | null = null;
let live: RunRecord[] = [];
let bias = new Map<number, RunRecord>();
let dd = { ridgeless: new Map<number, RunRecord>(), ridge: new Map<number, RunRecord>() };
let diverged: { run: string; record: DivergenceRecord }[] = [];
let queue: ExperimentQueue<Tag> | null = null;

const modeList = (r: RunRecord) => (page.state.kernel === 'analytic' ? r.modes?.analytic : r.modes?.empirical) ?? null;
const relativeGap = (r: RunRecord) => (r.implicitBias?.minNorm ? Math.abs(r.implicitBias.network - r.implicitBias.minNorm) / r.implicitBias.minNorm : null);

function makePlots(): NonNullable<typeof plots> {
  const modeCount = page.state.modes;
  return {
    loss: new LinePlot(p1.plots, {
      id: 'plot-loss', title: `width ${page.state.width}: losses and bounds`, xLabel: 'step', logY: true, width: 460, height: 240,
      series: [
        { label: 'train loss', color: COLORS[0] },
        { label: 'test loss', color: COLORS[1] },
        { label: 'ℓ1 path-norm Rademacher', color: COLORS[2], dash: [6, 3] },
        { label: 'ℓ2 path-norm Rademacher', color: COLORS[3], dash: [6, 3] },
        { label: 'NTK bound (Arora et al.)', color: COLORS[4], dash: [10, 4] },
      ],
    }),
    gap: new LinePlot(p1.plots, {
      id: 'plot-gap', title: 'measured gap: test − train loss', xLabel: 'step', width: 300, height: 240,
      series: [{ label: 'gap', color: COLORS[6] }],
    }),
    norms: new LinePlot(p2.plots, {
      id: 'plot-norms', title: 'Σ_p (η/η_p)‖θ_p − θ_p(0)‖² after training', xLabel: 'width m', logX: true, logY: true, width: 380, height: 220,
      series: [
        { label: 'network', color: COLORS[0], markers: true, spanGaps: true },
        { label: 'linearised', color: COLORS[2], markers: true, spanGaps: true },
        { label: 'min-norm r₀ᵀΘ⁻¹r₀', color: COLORS[1], dash: [6, 3], markers: true, spanGaps: true },
      ],
    }),
    distance: new LinePlot(p2.plots, {
      id: 'plot-distance', title: 'distance to the minimum-norm solution', xLabel: 'width m', logX: true, logY: true, width: 380, height: 220,
      series: [
        { label: '|network − minNorm| / minNorm', color: COLORS[0], markers: true, spanGaps: true },
        { label: 'function distance (RMS, test)', color: COLORS[3], markers: true, spanGaps: true },
      ],
    }),
    modes: new LinePlot(p3.plots, {
      id: 'plot-modes', title: `residual per mode (${page.state.kernel === 'analytic' ? 'Θ∞' : 'Θ_η(θ₀)'})`, xLabel: 'step', width: 460, height: 260,
      series: Array.from({ length: modeCount }, (_, i) => [
        { label: `mode ${i + 1}`, color: COLORS[i % COLORS.length] },
        { label: `mode ${i + 1} closed form`, color: COLORS[i % COLORS.length], dash: [5, 4], width: 1 },
      ]).flat(),
    }),
    dd: new LinePlot(p4.plots, {
      id: 'plot-dd', title: `test loss against width (n = ${page.state.ddn})`, xLabel: 'width m', logX: true, logY: true, width: 460, height: 240,
      series: [
        { label: 'ridgeless test', color: COLORS[1], markers: true, spanGaps: true },
        { label: `ridge λ = ${page.state.ridge} test`, color: COLORS[0], markers: true, spanGaps: true },
        { label: 'ridgeless train', color: COLORS[1], dash: [3, 3], spanGaps: true },
        { label: 'peak', color: '#000', points: true },
      ],
    }),
  };
}

const sorted = (m: Map<number, RunRecord>) => [...m.entries()].sort((a, b) => a[0] - b[0]);
const peakOf = (m: Map<number, RunRecord>) => testLossPeak(sorted(m).map(([width, record]) => ({ width, record })));
/** The grid width nearest the interpolation threshold m = n (the smaller one on a tie). */
const nearestN = () => [...page.state.ddwidths].sort((a, b) => Math.abs(a - page.state.ddn) - Math.abs(b - page.state.ddn) || a - b)[0];

function biasSlopes(): { relativeGap: number | null; functionDistance: number | null } {
  const rows = sorted(bias);
  const slope = (pick: (r: RunRecord) => number | null | undefined) => {
    const v = rows.map(([, r]) => pick(r) ?? null);
    return rows.length >= 2 && v.every((x) => x !== null && x > 0) ? logLogSlope(rows.map(([w]) => w), v as number[]) : null;
  };
  return { relativeGap: slope(relativeGap), functionDistance: slope((r) => r.implicitBias?.functionDistance) };
}

function draw(): void {
  if (!plots) return;
  const steps = live.map((r) => r.step);
  const g = (r: RunRecord) => r.generalization;
  plots.loss.setData(steps, [
    live.map((r) => r.trainLoss),
    live.map((r) => r.testLoss),
    live.map((r) => g(r)?.pathNorm?.l1.rademacher ?? null),
    live.map((r) => g(r)?.pathNorm?.l2.rademacher ?? null),
    live.map((r) => g(r)?.ntkBound ?? null),
  ]);
  plots.gap.setData(steps, [live.map((r) => g(r)?.gap ?? null)]);
  const last = live[live.length - 1];
  p1.noteEl.textContent = last
    ? `step ${last.step}: train ${fmt(last.trainLoss)}, test ${fmt(last.testLoss)}, gap ${fmt(g(last)?.gap)}; ‖θ‖_P1 ${fmt(g(last)?.pathNorm?.l1.norm)}, ‖θ‖_P2 ${fmt(g(last)?.pathNorm?.l2.norm)}; yᵀΘ₀⁻¹y ${fmt(g(last)?.rkhsNorm?.empirical)}, yᵀΘ∞⁻¹y ${fmt(g(last)?.rkhsNorm?.analytic)}; NTK bound ${fmt(g(last)?.ntkBound)}.`
    : '';

  const widths = [...page.state.widths].sort((a, b) => a - b);
  const at = (pick: (r: RunRecord) => number | null | undefined) => widths.map((w) => { const r = bias.get(w); return r ? (pick(r) ?? null) : null; });
  plots.norms.setData(widths, [at((r) => r.implicitBias?.network), at((r) => r.implicitBias?.linearized), at((r) => r.implicitBias?.minNorm)]);
  plots.distance.setData(widths, [at(relativeGap), at((r) => r.implicitBias?.functionDistance)]);
  const slopes = biasSlopes();
  p2.noteEl.textContent = bias.size > 0 ? `${page.state.param}, ${page.state.steps} steps of GD at lr ${page.state.lr}. Log-log slopes against width: relative gap ${fmt(slopes.relativeGap, 3)}, function distance ${fmt(slopes.functionDistance, 3)}.` : '';

  const count = page.state.modes;
  const modeRows = live.map(modeList);
  plots.modes.setData(steps, Array.from({ length: count }, (_, i) => [modeRows.map((m) => m?.[i]?.residual ?? null), modeRows.map((m) => m?.[i]?.predicted ?? null)]).flat());
  const first = modeRows.find((m) => m) ?? null;
  const lastModes = modeRows[modeRows.length - 1] ?? null;
  modesTable.replaceChildren(
    el('tr', {}, ['mode', 'eigenvalue λ_i', 'v_iᵀr₀', 'network now', 'linearised now', 'closed form now'].map((h) => el('th', { textContent: h }))),
    ...(lastModes ?? []).map((m, i) => el('tr', {}, [String(i + 1), fmt(m.eigenvalue), fmt(m.initial), fmt(m.residual), fmt(m.linearized), fmt(m.predicted)].map((t) => el('td', { textContent: t })))),
  );
  p3.noteEl.textContent = live.length > 0 && !first
    ? page.state.kernel === 'analytic' ? 'No Θ∞ modes: the infinite-width kernel is known for the ntk parameterization only (choose it, or the empirical kernel).' : 'No modes in the records (observe.spectrum is 0, or the train set is too large).'
    : '';

  const ddWidths = [...page.state.ddwidths].sort((a, b) => a - b);
  const ddAt = (m: Map<number, RunRecord>, pick: (r: RunRecord) => number | null) => ddWidths.map((w) => { const r = m.get(w); return r ? pick(r) : null; });
  const peak = peakOf(dd.ridgeless);
  const ridgePeak = peakOf(dd.ridge);
  const complete = dd.ridgeless.size === ddWidths.length;
  plots.dd.setData(ddWidths, [
    ddAt(dd.ridgeless, (r) => r.testLoss),
    ddAt(dd.ridge, (r) => r.testLoss),
    ddAt(dd.ridgeless, (r) => r.trainLoss),
    ddWidths.map((w) => (complete && w === peak.peakWidth ? peak.peakTestLoss : null)),
  ]);
  p4.noteEl.textContent = complete
    ? `n = ${page.state.ddn}, d = ${page.state.ddd}, ensemble ${page.state.ddens}. Ridgeless peak at m = ${peak.peakWidth} (test loss ${fmt(peak.peakTestLoss)}; the grid width nearest m = n is ${nearestN()}).` +
      (dd.ridge.size === ddWidths.length ? ` With ridge λ = ${page.state.ridge} (ρ = nkλ = ${fmt(page.state.ddn * page.state.ridge)}): the largest test loss is ${fmt(ridgePeak.peakTestLoss)} at m = ${ridgePeak.peakWidth}.` : '')
    : '';

  document.getElementById('diverged')!.textContent = diverged.map((d) => divergenceText(d.record, d.run)).join(' ');
  page.handle.steps = queue?.stepsDone ?? 0;
  page.handle.data = {
    live: { records: live.length, lastStep: last?.step ?? null },
    widthsDone: sorted(bias).map(([w]) => w),
    ddDone: { ridgeless: sorted(dd.ridgeless).map(([w]) => w), ridge: sorted(dd.ridge).map(([w]) => w) },
    counts: Object.fromEntries(Object.entries(plots).map(([k, p]) => [k, p.counts()])),
    modes: { source: page.state.kernel, count: first?.length ?? 0 },
    bias: { slopes, final: Object.fromEntries(sorted(bias).map(([w, r]) => [w, r.implicitBias ?? null])) },
    dd: {
      n: page.state.ddn,
      nearestN: nearestN(),
      peakWidth: complete ? peak.peakWidth : null,
      peakTestLoss: complete ? peak.peakTestLoss : null,
      ridgePeakTestLoss: dd.ridge.size === ddWidths.length ? ridgePeak.peakTestLoss : null,
      ridgeless: sorted(dd.ridgeless).map(([w, r]) => [w, r.testLoss]),
      ridge: sorted(dd.ridge).map(([w, r]) => [w, r.testLoss]),
    },
    remaining: queue?.remaining ?? 0,
    diverged: diverged.length,
  };
  page.refreshStatus();
}

function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(digits - 1) : v.toPrecision(digits);
}

// ------------------------------------------------------------------ the loop

const loop = page.queueLoop(() => queue, draw);

async function reset(): Promise<void> {
  await loop.stop();
  queue?.dispose();
  page.clearError();
  const limit = (rows: number, ensemble: number) => maxWidthFor(page.rt!, { ensemble, rows, depth: 1, cap: MAX_WIDTH });
  page.clampWidths('width', limit(page.state.n + TEST_POINTS, page.state.ens));
  page.clampWidths('widths', limit(page.state.n + TEST_POINTS, page.state.ens));
  page.clampWidths('ddwidths', limit(page.state.ddn + 48, page.state.ddens));
  if (plots) Object.values(plots).forEach((p) => p.destroy());
  plots = makePlots();
  live = [];
  bias = new Map();
  dd = { ridgeless: new Map(), ridge: new Map() };
  diverged = [];
  const s = page.state;
  const ddWidths = [...s.ddwidths].sort((a, b) => a - b);
  const runs = [
    { tag: { panel: 'live', width: s.width } as Tag, spec: circleSpec(s.width), steps: s.steps, recordAt: recordSteps() },
    ...ddWidths.flatMap((width) => [false, true].map((ridge) => ({ tag: { panel: 'dd', width, ridge } as Tag, spec: ddSpec(width, ridge), steps: 1, recordAt: [] }))),
    ...[...s.widths].sort((a, b) => a - b).map((width) => ({ tag: { panel: 'bias', width } as Tag, spec: circleSpec(width), steps: s.steps, recordAt: [s.steps] })),
  ];
  queue = new ExperimentQueue<Tag>(
    page.rt!,
    runs,
    s.spf,
    (tag, record) => {
      if (tag.panel === 'live') live.push(record);
      else if (tag.panel === 'bias') bias.set(tag.width, record);
      else (tag.ridge ? dd.ridge : dd.ridgeless).set(tag.width, record);
    },
    (tag, record) => {
      diverged.push({ run: tagName(tag), record });
      page.stopped(divergenceText(record, tagName(tag)));
    },
    tagName,
  );
  page.setWarnings(inputWarnings(circleSpec(s.width)));
  page.handle.ready = true;
  draw();
  if (s.run) loop.play();
}
const restart = page.serial(reset);

// ------------------------------------------------------------------ controls and exports

page.addTransport(loop, async () => restart());
const csvRows = () => [
  ...live.map((r) => ({ panel: 'live', width: page.state.width, step: r.step, trainLoss: r.trainLoss, testLoss: r.testLoss, gap: r.generalization?.gap, l1Rademacher: r.generalization?.pathNorm?.l1.rademacher, l2Rademacher: r.generalization?.pathNorm?.l2.rademacher, ntkBound: r.generalization?.ntkBound, ...Object.fromEntries((modeList(r) ?? []).flatMap((m, i) => [[`mode${i + 1}Residual`, m.residual], [`mode${i + 1}Predicted`, m.predicted]])) })),
  ...sorted(bias).map(([width, r]) => ({ panel: 'implicitBias', width, step: r.step, trainLoss: r.trainLoss, testLoss: r.testLoss, network: r.implicitBias?.network, linearized: r.implicitBias?.linearized, minNorm: r.implicitBias?.minNorm, functionDistance: r.implicitBias?.functionDistance })),
  ...(['ridgeless', 'ridge'] as const).flatMap((k) => sorted(dd[k]).map(([width, r]) => ({ panel: `doubleDescent-${k}`, width, step: r.step, trainLoss: r.trainLoss, testLoss: r.testLoss }))),
];
page.addExport('data', 'CSV', async () => csvFile('generalization.csv', csvRows()));
page.addExport('data', 'JSON', async () =>
  jsonFile('generalization.json', { state: page.state, live, implicitBias: Object.fromEntries(sorted(bias)), doubleDescent: { ridgeless: Object.fromEntries(sorted(dd.ridgeless)), ridge: Object.fromEntries(sorted(dd.ridge)), peak: peakOf(dd.ridgeless), ridgePeak: peakOf(dd.ridge) }, diverged }));
page.addExport('figure', 'PNG', async () => figurePng('generalization.png', plots ? Object.values(plots).map((p) => ({ title: p.opts.title, canvas: p.canvas })) : [], 2));
page.addExport('spec', 'Spec', async () => specFile('generalization.spec.json', circleSpec(page.state.width)));
page.addExport('spec', 'Spec (widths)', async () => {
  const one = circleSpec(page.state.widths[0]);
  return specFile('generalization-widths.spec.json', { ...one, model: { ...one.model, hidden: [...page.state.widths].sort((a, b) => a - b).map((w) => [w]) } });
});
page.addExport('spec', 'Spec (double descent)', async () => specFile('double-descent.spec.json', ddSpec([...page.state.ddwidths].sort((a, b) => a - b), false)));

page.select('param', 'parameterization', PARAMETERIZATIONS, restart);
page.select('act', 'activation', ACTIVATIONS, restart);
page.slider('width', 'width', { min: 8, max: 1 << 16, step: 0.01, log: true, integer: true }, restart);
page.slider('n', 'train points', { min: 2, max: 64, step: 1, integer: true }, restart);
page.slider('lr', 'lr', { min: 0.01, max: 100, step: 0.01, log: true }, restart);
page.slider('steps', 'steps', { min: 1, max: 10000, step: 0.01, log: true, integer: true }, restart);
page.slider('ens', 'ensemble', { min: 1, max: 64, step: 1, integer: true }, restart);
page.checkbox('centered', 'centred', restart);
page.select('kernel', 'modes of', ['empirical', 'analytic'], restart);
page.text('widths', 'widths (panel 2)', restart);
page.text('ddwidths', 'widths (panel 4)', restart);
page.slider('ridge', 'ridge λ', { min: 0.0001, max: 10, step: 0.01, log: true }, restart);
page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, restart);

page.serial(async () => {
  if (!(await page.acquire())) return;
  await reset();
})();
