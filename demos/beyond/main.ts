// Beyond the kernel: the network, its linearisation f₀ + J₀δ and its quadratic (second-order
// Taylor) model f₀ + J₀δ + ½δᵀH₀δ trained side by side by full-batch GD on the same data, seed and
// learning rate (one src/dynamics Experiment with train.linearized and train.quadratic), in function
// space and in loss, with the sharpness η·λ_max(Θ_η)/(n·k) live against GD's stability edge 2
// (Lewkowycz et al. 2020, arXiv:2003.02218; Cohen et al. 2021, arXiv:2103.00065). Every number is the
// library's: the records' losses, gaps, `sharpness` and `catapult`, predict() for the function
// view, takeSideLines() for a side model's divergence (shown as a notice; the network goes on).
import { ACTIVATIONS, PARAMETERIZATIONS, parseSpec, type ExperimentSpecInput } from '../../src/index';
import { makeTarget } from '../../src/data';
import { specData } from '../../src/spec/resolve';
import { csvFile, figurePng, jsonFile, specFile } from '../ui/export';
import { maxWidthFor } from '../ui/limits';
import { DemoPage, el, formatWidth } from '../ui/page';
import { COLORS, LinePlot } from '../ui/plot';
import { createExperiment, divergenceText, predictChunked, PREDICT_ROWS, recordOf, type DivergenceRecord, type Experiment, type RunRecord } from '../ui/training';
import { boolField, commonFields, enumField, intField, numberField } from '../ui/url-state';

/**
 * point: the uv model's set-up (one input x = 1, label 1, inputDim 1: f(x) = c·x for a linear network);
 * circle: sin 2γ on n points of the unit circle (inputDim 2), tested on 64 points.
 */
const TASKS = ['point', 'circle'] as const;
const PRESET_NAMES = ['catapult', 'lazy', 'custom'] as const;
const MAX_WIDTH = 1 << 20;

/**
 * The presets. catapult: the uv model of examples/catapult.json (identity activation, NTK
 * parameterization, no bias, m = 256, one point): λ₀ = 1.905 at seed 0, so lr 1.575 gives ηλ₀ = 3.00,
 * between 2 and 4: the loss spikes and falls while the sharpness drops below 2, and the linearised
 * model, which keeps λ₀, grows by |1 − ηλ₀| = 2 per step until float32 overflows (its displacement
 * ‖δ‖² first, near step 64). lazy: tanh, NTK parameterization with biases (σ_b = 1: without them the odd
 * network cannot fit the even target sin 2γ), m = 512, 8 circle points, lr 1: ηλ₀ = 1.63 < 2 (`widenet run`,
 * 2026-12-01: 3.26 at lr 2, where all three diverge), and the three models stay together.
 */
const PRESETS = {
  catapult: { task: 'point', act: 'identity', param: 'ntk', width: 256, lr: 1.575, bias: false, n: 8, steps: 150, spf: 5 },
  lazy: { task: 'circle', act: 'tanh', param: 'ntk', width: 512, lr: 1, bias: true, n: 8, steps: 30, spf: 5 },
} as const;

const fields = {
  preset: enumField(PRESET_NAMES, 'catapult'),
  task: enumField(TASKS, PRESETS.catapult.task),
  param: enumField(PARAMETERIZATIONS, PRESETS.catapult.param),
  act: enumField(ACTIVATIONS, PRESETS.catapult.act),
  width: intField(1, MAX_WIDTH, PRESETS.catapult.width),
  lr: numberField(0, 1000, PRESETS.catapult.lr, { exclusiveMin: true }),
  bias: boolField(PRESETS.catapult.bias),
  n: intField(1, 64, PRESETS.catapult.n),
  steps: intField(1, 100_000, PRESETS.catapult.steps),
  spf: intField(1, 100, PRESETS.catapult.spf),
  ...commonFields(),
};

const page = new DemoPage('beyond', fields, {
  title: 'Beyond the kernel',
  intro:
    'The network, its linearisation f₀ + J₀·δ and its quadratic model f₀ + J₀·δ + ½·δᵀH₀·δ (δ = θ − θ₀, H₀ the Hessian of the output) ' +
    'trained side by side by gradient descent with the same learning rate η. The sharpness η·λ_max(Θ_η)/(n·k) is plotted against 2, ' +
    "GD's stability edge for the linearised model. Below 2 (lazy) the three agree; between 2 and 4 the network catapults: its loss " +
    'spikes, its kernel shrinks until the sharpness is below 2, and it converges, while the linearised model, whose kernel is frozen, diverges (Lewkowycz et al. 2020).',
});

const FUNCTION_POINTS = 81;
/** the function view is refreshed every this many ticks (and on pause, step and at the end) */
const FUNCTION_EVERY = 2;
const LINE_RANGE = 2;
/** side-model values beyond this factor times the network's range are left out of the function view */
const CLIP_FACTOR = 10;

// ------------------------------------------------------------------ specs

function spec(): ExperimentSpecInput {
  const s = page.state;
  const data: ExperimentSpecInput['data'] =
    s.task === 'point'
      ? { train: { kind: 'points', x: [[1]], y: [[1]] } }
      : { train: { kind: 'circle', n: s.n }, test: { kind: 'circle', n: 64 }, target: { kind: 'sin', frequency: 2 } };
  return {
    seed: s.seed,
    model: { inputDim: s.task === 'point' ? 1 : 2, hidden: [s.width], outputDim: 1, activation: s.act, parameterization: s.param, weightStd: 1, biasStd: s.bias ? 1 : 0 },
    data,
    train: { optimizer: 'gd', lr: s.lr, steps: s.steps, recordEvery: 1, linearized: true, quadratic: true },
    observe: { probe: 'train', spectrum: 1 },
  };
}

/** Where the function is drawn: x ∈ [−2, 2] for the point task, the circle angle γ for the circle task. */
function functionPoints(): { x: number[][]; axis: number[] } {
  if (page.state.task === 'point') {
    const axis = Array.from({ length: FUNCTION_POINTS }, (_, i) => -LINE_RANGE + (2 * LINE_RANGE * i) / (FUNCTION_POINTS - 1));
    return { x: axis.map((v) => [v]), axis };
  }
  const axis = Array.from({ length: FUNCTION_POINTS }, (_, i) => -Math.PI + (2 * Math.PI * i) / (FUNCTION_POINTS - 1));
  return { x: axis.map((g) => [Math.cos(g), Math.sin(g)]), axis };
}

// ------------------------------------------------------------------ the view

const notices = el('div', { id: 'side-notices', className: 'banner', role: 'status' });
const catapultBox = el('p', { id: 'catapult', className: 'note' });
const note = el('p', { className: 'note', id: 'note' });
const clipNote = el('p', { className: 'note', id: 'clip-note' });
const plotsRoot = el('div', { className: 'plots', id: 'plots' });
page.main.append(notices, catapultBox, note, plotsRoot, clipNote);

const MODELS = [{ label: 'network', color: COLORS[0] }, { label: 'linearised', dash: [6, 3], color: COLORS[1] }, { label: 'quadratic', dash: [2, 3], color: COLORS[2] }];
let fn: LinePlot;
let loss: LinePlot;
let sharp: LinePlot;
let gaps: LinePlot;

function buildPlots(): void {
  for (const p of [fn, loss, sharp, gaps]) p?.destroy();
  const point = page.state.task === 'point';
  fn = new LinePlot(plotsRoot, {
    id: 'function', title: point ? 'Learned function f(x) (train point at x = 1)' : 'Learned function over the circle angle γ', xLabel: point ? 'x' : 'γ',
    series: [{ label: 'target', color: '#999', spanGaps: true }, ...MODELS.map((m) => ({ ...m, spanGaps: true })), { label: 'train points', points: true, color: '#111' }],
  });
  // log₁₀ of the loss on a linear axis: the linearised model's runs to 1e38 before it overflows, beyond what a
  // log axis labels (plot.ts keeps log axes to [1e-15, 1e15])
  loss = new LinePlot(plotsRoot, { id: 'loss', title: 'Train loss (MSE), log₁₀', xLabel: 'step', yLabel: 'log₁₀ loss', series: MODELS });
  sharp = new LinePlot(plotsRoot, {
    id: 'sharpness', title: "Sharpness η·λ_max(Θ_η)/(n·k) of the network against GD's edge 2", xLabel: 'step',
    series: [{ label: 'η·λ_max/(n·k)' }, { label: 'edge 2', color: '#999', dash: [4, 4] }],
  });
  gaps = new LinePlot(plotsRoot, {
    id: 'gaps', title: 'RMS gap to the network on the train set, log₁₀', xLabel: 'step', yLabel: 'log₁₀ gap',
    series: [{ label: 'linearGap', dash: [6, 3], color: COLORS[1] }, { label: 'quadraticGap', dash: [2, 3], color: COLORS[2] }],
  });
}

let exp: Experiment | null = null;
let records: RunRecord[] = [];
let diverged: DivergenceRecord | null = null;
/** the side models' divergence lines (takeSideLines), in the order they came */
let sideLines: DivergenceRecord[] = [];
let functionCount = 0;
/** the side models left out of the function view's last drawing (far off scale) */
let clipped: string[] = [];
let ticks = 0;

function drawCurves(): void {
  const steps = records.map((r) => r.step);
  const log10 = (v: number | null | undefined) => (v == null || !(v > 0) ? null : Math.log10(v));
  loss.setData(steps, [records.map((r) => log10(r.trainLoss)), records.map((r) => log10(r.linearTrainLoss)), records.map((r) => log10(r.quadraticTrainLoss))]);
  sharp.setData(steps, [records.map((r) => r.sharpness ?? null), records.map(() => 2)]);
  gaps.setData(steps, [records.map((r) => log10(r.linearGap)), records.map((r) => log10(r.quadraticGap))]);
}

async function drawFunction(): Promise<void> {
  if (!exp || diverged) return;
  const { x, axis } = functionPoints();
  const parsed = parseSpec(spec(), 'page state');
  const out = await predictChunked(exp, x, PREDICT_ROWS);
  const train = specData(parsed).train;
  const target = parsed.data.target ? makeTarget(parsed.data.target, parsed.model.inputDim, 1, parsed.seed) : null;
  const trainAxis = train.x.map((p) => (page.state.task === 'point' ? p[0] : Math.atan2(p[1], p[0])));
  // one x axis: the curve's points and the training points, sorted
  const xs = [...axis.map((a, i) => ({ a, i, t: -1 })), ...trainAxis.map((a, t) => ({ a, i: -1, t }))].sort((u, v) => u.a - v.a);
  const curve = (values: number[][] | null) => xs.map((q) => (q.i >= 0 && values ? values[q.i][0] : null));
  // a side model far off the network's scale (the linearised model before it overflows, 2× per step
  // in the catapult) would flatten every other curve: its values beyond CLIP_FACTOR times the
  // network's and the labels' range are left out here (its loss curve still shows them), and the note says so
  const scale = CLIP_FACTOR * Math.max(1, ...out.network.map((r) => Math.abs(r[0])).filter(Number.isFinite), ...train.y!.map((r) => Math.abs(r[0])));
  clipped = [];
  const clip = (name: string, values: number[][] | null) => {
    if (values?.some((r) => !(Math.abs(r[0]) <= scale))) clipped.push(name);
    return values?.map((r) => [Math.abs(r[0]) <= scale ? r[0] : NaN]) ?? null;
  };
  const linearized = clip('linearised', out.linearized);
  const quadratic = clip('quadratic', out.quadratic);
  clipNote.textContent = clipped.length ? `Function view: the ${clipped.join(' and ')} model's values beyond ±${scale.toPrecision(3)} (${CLIP_FACTOR}× the network's range) are left out; its loss curve shows how far off it is.` : '';
  fn.setData(xs.map((q) => q.a), [
    xs.map((q) => (q.i >= 0 && target ? target(x[q.i])[0] : null)),
    curve(out.network), curve(linearized), curve(quadratic),
    xs.map((q) => (q.t >= 0 ? train.y![q.t][0] : null)),
  ]);
  functionCount = out.network.filter((r) => Number.isFinite(r[0])).length;
}

function showNotices(): void {
  notices.textContent = sideLines.map((d) => `⚠ ${divergenceText(d, d.model === 'linearized' ? 'The linearised model' : 'The quadratic model')} The network goes on without it.`).join('\n');
  notices.classList.toggle('shown', sideLines.length > 0);
  const c = records.at(-1)?.catapult;
  catapultBox.textContent = c
    ? `Catapult: the train loss rose ×${c.rise.toPrecision(3)} to ${c.peakLoss.toPrecision(3)} at step ${c.peakStep}, fell below its start at step ${c.fallStep}; sharpness ${c.initialSharpness.toPrecision(3)} at step 0 → ${c.sharpness.toPrecision(3)} < 2.`
    : '';
}

function publish(): void {
  page.handle.steps = exp?.stepIndex ?? 0;
  const last = records.at(-1) ?? null;
  page.handle.data = {
    step: exp?.stepIndex ?? 0,
    records: records.length,
    functionPoints: functionCount,
    functionCounts: fn?.counts() ?? null,
    clipped,
    lossCounts: loss?.counts() ?? null,
    /** records holding each model's train loss (the plot leaves out losses of exactly 0) */
    modelRecords: {
      network: records.length,
      linearized: records.filter((r) => r.linearTrainLoss !== undefined).length,
      quadratic: records.filter((r) => r.quadraticTrainLoss !== undefined).length,
    },
    sharpnessCounts: sharp?.counts() ?? null,
    gapCounts: gaps?.counts() ?? null,
    first: records[0] ?? null,
    initialSharpness: records[0]?.sharpness ?? null,
    sharpness: last?.sharpness ?? null,
    catapult: last?.catapult ?? null,
    sideDivergences: sideLines,
    notices: notices.textContent,
    diverged,
    last,
  };
  page.refreshStatus();
}

async function record(): Promise<void> {
  if (!exp) return;
  const r = await recordOf(exp);
  // a side model's divergence is its own line; the network's record follows
  sideLines.push(...exp.takeSideLines().map((l) => l.diverged));
  if (r.record) records.push(r.record);
  if (r.diverged) {
    diverged = r.diverged;
    note.textContent = divergenceText(r.diverged, 'The network');
    page.stopped(divergenceText(r.diverged, 'network'));
  }
  drawCurves();
  showNotices();
}

/** One piece of work: up to `spf` steps, each followed by a record (the catapult is read off every step), and now and then the function. */
async function tick(): Promise<number> {
  if (!exp || diverged || exp.stepIndex >= page.state.steps) return 0;
  let done = 0;
  try {
    const steps = Math.min(page.state.spf, page.state.steps - exp.stepIndex);
    for (let i = 0; i < steps && !diverged; i++) {
      await exp.train(1);
      done++;
      await record();
    }
    ticks++;
    const finished = exp.stepIndex >= page.state.steps;
    if (ticks % FUNCTION_EVERY === 0 || !loop.running || finished) await drawFunction();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(`step ${exp.stepIndex}: ${message}`, { cause: e });
  } finally {
    publish();
  }
  return done;
}

// ------------------------------------------------------------------ controls and start

const loop = page.frameLoop(tick);

async function reset(): Promise<void> {
  await loop.stop();
  exp?.dispose();
  exp = null;
  records = [];
  sideLines = [];
  diverged = null;
  functionCount = 0;
  clipped = [];
  ticks = 0;
  note.textContent = '';
  clipNote.textContent = '';
  page.clearError();
  const limit = maxWidthFor(page.rt!, { ensemble: 1, rows: Math.max(page.state.n, FUNCTION_POINTS) + PREDICT_ROWS, depth: 1, cap: MAX_WIDTH });
  const slider = document.getElementById('ctl-width') as HTMLInputElement | null;
  if (slider) slider.max = String(Math.log10(limit));
  page.clampWidths('width', limit);
  buildPlots();
  showNotices();
  publish();
  page.handle.ready = true;
  page.status('building the network and its two Taylor models…');
  try {
    exp = await createExperiment(page.rt!, spec());
    await record();
    await drawFunction();
    const s0 = records[0]?.sharpness;
    note.textContent = `${page.state.param} · ${page.state.act} · m = ${formatWidth(page.state.width)} · η = ${page.state.lr}` + (s0 != null ? ` · sharpness at step 0: η·λ₀/(n·k) = ${s0.toPrecision(4)} (${s0 < 2 ? 'below 2: lazy' : s0 < 4 ? 'between 2 and 4: catapult expected for the network, divergence for the linearised model' : 'above 4: divergence expected'})` : '');
  } finally {
    page.status('');
    publish();
  }
  if (page.state.run) loop.play();
}
const restart = page.serial(reset);

/** the controls that move in log10 units */
const LOG_SLIDERS: string[] = ['width', 'lr', 'steps'];

/** A control other than the preset: the set-up is now the reader's own. */
const custom = () => {
  if (page.state.preset !== 'custom') {
    page.setState({ preset: 'custom' });
    page.syncControl('preset');
  }
  restart();
};

/** Choosing a preset writes its fields into the state (and the URL), then restarts. */
function applyPreset(): void {
  const name = page.state.preset;
  if (name === 'custom') return;
  page.setState({ ...PRESETS[name] });
  for (const key of Object.keys(PRESETS[name]) as (keyof typeof fields & string)[]) if (key !== 'bias') page.syncControl(key, LOG_SLIDERS.includes(key));
  const box = document.getElementById('ctl-bias') as HTMLInputElement | null;
  if (box) box.checked = page.state.bias;
  restart();
}

page.addTransport(loop, async () => restart());
page.addExport('data', 'CSV', async () =>
  csvFile('beyond-the-kernel.csv', records.map((r) => ({
    step: r.step, time: r.time, trainLoss: r.trainLoss, linearTrainLoss: r.linearTrainLoss ?? null, quadraticTrainLoss: r.quadraticTrainLoss ?? null,
    testLoss: r.testLoss, linearTestLoss: r.linearTestLoss ?? null, quadraticTestLoss: r.quadraticTestLoss ?? null,
    linearGap: r.linearGap, quadraticGap: r.quadraticGap ?? null, sharpness: r.sharpness ?? null, ntkChange: r.ntkChange,
  }))));
page.addExport('data', 'JSON', async () => jsonFile('beyond-the-kernel.json', { state: page.state, records, sideDivergences: sideLines, diverged, catapult: records.at(-1)?.catapult ?? null }));
page.addExport('figure', 'PNG', async () =>
  figurePng('beyond-the-kernel.png', [
    { title: 'learned function', canvas: fn.canvas },
    { title: 'train loss', canvas: loss.canvas },
    { title: 'sharpness η·λ_max/(n·k) against 2', canvas: sharp.canvas },
    { title: 'gaps to the network', canvas: gaps.canvas },
  ]));
page.addExport('spec', 'Spec', async () => specFile(`beyond-the-kernel-${page.state.preset}.spec.json`, spec()));

page.select('preset', 'preset', PRESET_NAMES, applyPreset);
page.select('task', 'task', TASKS, custom);
page.select('param', 'parameterization', PARAMETERIZATIONS, custom);
page.select('act', 'activation', ACTIVATIONS, custom);
page.slider('width', 'width', { min: 1, max: MAX_WIDTH, step: 0.01, log: true, integer: true, format: formatWidth }, custom);
page.slider('lr', 'learning rate η', { min: 0.01, max: 100, step: 0.001, log: true }, custom);
page.checkbox('bias', 'biases (σ_b = 1)', custom);
page.slider('n', 'circle points', { min: 1, max: 64, step: 1, integer: true }, custom);
page.slider('steps', 'steps', { min: 1, max: 2000, step: 0.01, log: true, integer: true }, custom);
page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, custom);

page.serial(async () => {
  const rt = await page.acquire();
  if (!rt) return;
  await reset();
  page.handle.ready = true;
})();
