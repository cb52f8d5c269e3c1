// NTK explorer: Jacot, Gabriel & Hongler (2018, arXiv:1806.07572), Figure 1. The NTK of a deep
// ReLU network in NTK parameterization on the unit circle, Θ(x0, x(γ)) with x0 = (1, 0) and
// x(γ) = (cos γ, sin γ), at two widths, as ensemble bands (mean ± one standard deviation over
// the members) at initialisation and after training, with the infinite-width kernel.
// The kernels are the library's: crossKernels (src/ntk/empirical.ts) for the empirical NTK of
// each member, analyticKernels (src/theory) for the limit; training is src/dynamics'.
// The default set-up is the paper's: every layer f = σ_w·W·x/√fan_in + β·b with W, b ~ N(0, 1),
// σ_w = 1, β = 0.1, L = 4 layers (3 hidden) of widths 500 and 10 000, ReLU. The He-scaled
// variant σ_w = √2 (which keeps the activations' scale through ReLU layers) is a preset.
import { Mlp, Tensor, crossKernels, ACTIVATIONS, analyticSpecKernels, parseSpec, type ExperimentSpecInput } from '../../src/index';
import { deriveSeed } from '../../src/data/rng';
import { csvFile, figurePng, jsonFile, specFile } from '../ui/export';
import { maxWidthFor } from '../ui/limits';
import { DemoPage, el, formatWidth } from '../ui/page';
import { LinePlot } from '../ui/plot';
import { commonFields, enumField, intField, numberField } from '../ui/url-state';
import { meanStd, trainForKernel } from '../ui/training';

const MAX_WIDTH = 1 << 16;
/** The training set of examples/jacot-2018.json: four points of the circle and their labels. */
const TRAIN_X = [[1, 0], [-0.5, Math.sqrt(3) / 2], [-0.5, -Math.sqrt(3) / 2], [0, 1]];
const TRAIN_Y = [[-0.4], [-0.2], [0.2], [0.4]];
const fields = {
  w1: intField(1, MAX_WIDTH, 500),
  w2: intField(1, MAX_WIDTH, 10000),
  layers: intField(2, 8, 4),
  act: enumField(ACTIVATIONS, 'relu'),
  ens: intField(1, 64, 10),
  points: intField(8, 256, 65),
  wstd: numberField(0, 10, 1, { exclusiveMin: true }),
  bias: numberField(0, 10, 0.1),
  steps: intField(0, 100_000, 200),
  lr: numberField(0, 100, 1, { exclusiveMin: true }),
  ...commonFields(),
};

/** The weight and bias scales the page offers by name; any other pair from the URL is "custom". */
const PRESETS = {
  jacot: { label: 'Jacot et al. 2018: σ_w = 1, β = 0.1', wstd: 1, bias: 0.1 },
  he: { label: 'He-scaled: σ_w = √2, β = 0.1 (not the paper’s)', wstd: Math.SQRT2, bias: 0.1 },
} as const;
type PresetName = keyof typeof PRESETS;
const presetOf = (wstd: number, bias: number): PresetName | 'custom' =>
  (Object.keys(PRESETS) as PresetName[]).find((k) => Math.abs(PRESETS[k].wstd - wstd) < 1e-12 && PRESETS[k].bias === bias) ?? 'custom';

const page = new DemoPage('ntk', fields, {
  title: 'NTK explorer',
  intro:
    'Jacot et al. (2018), Figure 1: the neural tangent kernel Θ(x0, x(γ)) of a ReLU network with L dense layers in NTK ' +
    'parameterization (each layer σ_w·W·x/√fan_in + β·b, W and b standard normal; the paper’s σ_w = 1, β = 0.1 by default, the ' +
    'He-scaled σ_w = √2 as a preset) on the unit circle, x0 = (1, 0), x(γ) = (cos γ, sin γ), at two widths. Bands: ensemble mean ± one ' +
    'standard deviation. Black: the infinite-width NTK. As the width grows the kernel concentrates at its limit and stops moving in training.',
});
page.stepUnit = 'members';

// ------------------------------------------------------------------ layout

const panels = el('div', { className: 'plots' });
const setupNote = el('p', { className: 'note', id: 'setup-note' });
page.main.append(setupNote, panels, el('p', { className: 'note', id: 'train-note' }));

/** Says which set-up the plots show: the paper's, the He-scaled variant, or the URL's own scales. */
function describeSetup(): void {
  const { wstd, bias, layers, w1, w2 } = page.state;
  const preset = presetOf(wstd, bias);
  const scales = `σ_w = ${preset === 'he' ? '√2' : wstd}, β = ${bias}`;
  const which =
    preset === 'jacot' ? `Jacot et al.'s set-up (${scales})` : preset === 'he' ? `the He-scaled variant (${scales}), not the paper's σ_w = 1` : `a custom set-up (${scales}; the paper's is σ_w = 1, β = 0.1)`;
  const paperShape = layers === 4 && w1 === 500 && w2 === 10000 ? ", with the paper's L = 4 and widths 500 and 10 000" : ` (the paper's: L = 4, widths 500 and 10 000)`;
  setupNote.textContent = `Shown: ${which}, L = ${layers} layers of widths ${formatWidth(w1)} and ${formatWidth(w2)}${paperShape}.`;
}
const seriesFor = (tag: string) => [
  { label: `m=${formatWidth(page.state.w1)} ${tag} mean`, color: '#1f5fbf' },
  { label: '+σ', color: 'rgba(31,95,191,0.35)', width: 0.5 },
  { label: '−σ', color: 'rgba(31,95,191,0.35)', width: 0.5 },
  { label: `m=${formatWidth(page.state.w2)} ${tag} mean`, color: '#c0392b' },
  { label: '+σ', color: 'rgba(192,57,43,0.35)', width: 0.5 },
  { label: '−σ', color: 'rgba(192,57,43,0.35)', width: 0.5 },
  { label: 'm = ∞', color: '#111', width: 2 },
];
let plots: { init: LinePlot; trained: LinePlot } | null = null;
function buildPlots(): void {
  plots?.init.destroy();
  plots?.trained.destroy();
  const common = { xLabel: 'γ', yLabel: 'Θ(x0, x(γ))', bands: [[2, 3, 'rgba(31,95,191,0.15)'], [5, 6, 'rgba(192,57,43,0.15)']] as [number, number, string][] };
  plots = {
    init: new LinePlot(panels, { id: 'plot-init', title: 'At initialisation', series: seriesFor('init'), ...common }),
    trained: new LinePlot(panels, { id: 'plot-trained', title: `After ${page.state.steps} steps of gradient descent`, series: seriesFor('trained'), ...common }),
  };
}

// ------------------------------------------------------------------ the work

type Phase = 'init' | 'trained';
interface WidthRun {
  width: number;
  /** Θ(x0, x(γ)) of each member: [member][γ] */
  curves: Record<Phase, number[][]>;
}

const gammas = () => Array.from({ length: page.state.points }, (_, i) => -Math.PI + (2 * Math.PI * i) / (page.state.points - 1));
let grid: number[] = [];
let runs: WidthRun[] = [];
let infinite: number[] = [];
/** the work left: one item per (phase, width, member chunk) */
let queue: { phase: Phase; run: WidthRun; chunk: number; size: number }[] = [];

const hidden = (m: number) => Array.from({ length: page.state.layers - 1 }, () => m);

/** Bytes one member needs (weights, and forward/backward activations of the stacked inputs), for the chunk size. */
function memberBytes(m: number): number {
  const L = page.state.layers - 1;
  const n = page.state.points + 1;
  return 4 * (2 * m + (L - 1) * m * m + m + 6 * n * m * L);
}

/** Members per chunk: as many as fit a quarter of the largest buffer (at least 1). */
function chunkSize(m: number): number {
  const rt = page.rt!;
  const budget = Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize, 1 << 30) / 4;
  return Math.max(1, Math.min(page.state.ens, Math.floor(budget / memberBytes(m))));
}


function plan(): void {
  grid = gammas();
  const x = grid.map((g) => [Math.cos(g), Math.sin(g)]);
  // the infinite-width kernel of the page's spec, in the model's units (spec/resolve.ts)
  infinite = analyticSpecKernels(parseSpec(spec(), 'page state'), hidden(page.state.w1), 'model', [[1, 0]], x)!.ntk[0];
  runs = [page.state.w1, page.state.w2].map((width) => ({ width, curves: { init: [], trained: [] } }));
  queue = [];
  for (const phase of ['init', 'trained'] as Phase[]) {
    if (phase === 'trained' && page.state.steps === 0) continue;
    for (const run of runs) {
      const size = chunkSize(run.width);
      for (let done = 0, chunk = 0; done < page.state.ens; done += size, chunk++) queue.push({ phase, run, chunk, size: Math.min(size, page.state.ens - done) });
    }
  }
  page.handle.steps = 0;
  draw();
}

function spec(): ExperimentSpecInput {
  const { w1, w2, act, ens, wstd, bias, steps, lr, seed } = page.state;
  return {
    seed,
    model: { inputDim: 2, hidden: [hidden(w1), hidden(w2)], activation: act, parameterization: 'ntk', weightStd: wstd, biasStd: bias, ensemble: ens },
    data: {
      train: { kind: 'points', x: TRAIN_X, y: TRAIN_Y },
      test: { kind: 'points', x: [[1, 0], ...grid.map((g) => [Math.cos(g), Math.sin(g)])] },
    },
    train: { optimizer: 'gd', lr, steps, recordEvery: Math.max(1, steps) },
    observe: { probe: 'test' },
  };
}

/** One chunk of members: their kernels at initialisation, or after training. */
async function tick(): Promise<number> {
  const item = queue.shift();
  if (!item) return 0;
  const rt = page.rt!;
  const { phase, run, chunk, size } = item;
  const seed = chunk === 0 ? page.state.seed : deriveSeed(page.state.seed, 1000 + chunk);
  const x0 = Tensor.from(rt, new Float32Array([1, 0]), [1, 2], 'x0');
  const xs = Tensor.from(rt, Float32Array.from(grid.flatMap((g) => [Math.cos(g), Math.sin(g)])), [grid.length, 2], 'x(γ)');
  let net: Mlp | null = null;
  let dispose = () => {};
  try {
    const { act, wstd, bias } = page.state;
    if (phase === 'init') {
      net = new Mlp(rt, { inputDim: 2, hidden: hidden(run.width), outputDim: 1, activation: act, parameterization: 'ntk', weightStd: wstd, biasStd: bias, ensemble: size, seed });
      dispose = () => net!.dispose();
    } else {
      const trained = await trainForKernel(rt, { ...spec(), seed, model: { ...spec().model, hidden: hidden(run.width), ensemble: size } }, page.state.steps);
      net = trained.net;
      dispose = trained.dispose;
    }
    const { ntk } = await crossKernels(rt, net, x0, xs); // [E, 1, 1, 1, G]
    // a non-finite kernel would be a silent gap in the plot: say so instead
    const bad = ntk.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`the empirical NTK is not finite (${ntk[bad]} at γ = ${grid[bad % grid.length].toFixed(3)}, member ${Math.floor(bad / grid.length)}); the weights overflowed`);
    for (let e = 0; e < size; e++) run.curves[phase].push(Array.from(ntk.subarray(e * grid.length, (e + 1) * grid.length)));
  } catch (e) {
    // the chunk is dropped (the plots keep the members done); the error names what failed
    const what = phase === 'init' ? 'the kernel at initialisation' : `training (${page.state.steps} steps) and the kernel after it`;
    throw new Error(`width ${run.width}, ${what}, members chunk ${chunk}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    dispose();
    x0.dispose();
    xs.dispose();
  }
  page.handle.steps += size;
  draw();
  return size;
}

/** Mean and mean ± std over members, per γ (null before any member). */
function band(curves: number[][]): [number[], number[], number[]] | null {
  if (curves.length === 0) return null;
  const stats = grid.map((_, j) => meanStd(curves.map((c) => c[j])));
  return [stats.map((s) => s.mean), stats.map((s) => s.mean + s.std), stats.map((s) => s.mean - s.std)];
}

function draw(): void {
  if (!plots) return;
  for (const phase of ['init', 'trained'] as Phase[]) {
    const ys: (number | null)[][] = [];
    for (const run of runs) {
      const b = band(run.curves[phase]);
      ys.push(...(b ?? [[], [], []]).map((s) => (s.length ? s : grid.map(() => null))));
    }
    ys.push(infinite);
    plots[phase].setData(grid, ys);
  }
  page.handle.data = {
    /** which set-up the plots show: 'jacot' (the paper's), 'he' or 'custom' */
    setup: presetOf(page.state.wstd, page.state.bias),
    gammaPoints: grid.length,
    infinitePoints: infinite.filter(Number.isFinite).length,
    members: Object.fromEntries(runs.map((r) => [r.width, { init: r.curves.init.length, trained: r.curves.trained.length }])),
    initCounts: plots.init.counts(),
    trainedCounts: plots.trained.counts(),
    remaining: queue.length,
    /** ensemble mean at initialisation of the first width (reproducibility checks) */
    initMean: band(runs[0]?.curves.init ?? [])?.[0] ?? [],
  };
  page.refreshStatus();
}

// ------------------------------------------------------------------ controls and start

const loop = page.frameLoop(tick);

async function reset(): Promise<void> {
  await loop.stop();
  // members run in chunks (down to one), so one member's tensors must fit
  const limit = maxWidthFor(page.rt!, { ensemble: 1, rows: page.state.points + 1, depth: page.state.layers - 1, cap: MAX_WIDTH });
  page.clampWidths('w1', limit);
  page.clampWidths('w2', limit);
  page.clearError();
  buildPlots();
  plan();
  describeSetup();
  if (page.state.run) loop.play();
}

page.addTransport(loop, async () => restart());
page.addExport('data', 'CSV', async () => {
  const rows = grid.map((g, j) => {
    const row: Record<string, number | null> = { gamma: g, infinite: infinite[j] };
    for (const run of runs) for (const phase of ['init', 'trained'] as Phase[]) {
      const b = band(run.curves[phase]);
      row[`m${run.width}_${phase}_mean`] = b ? b[0][j] : null;
      row[`m${run.width}_${phase}_std`] = b ? b[1][j] - b[0][j] : null;
    }
    return row;
  });
  return csvFile('ntk-explorer.csv', rows);
});
page.addExport('data', 'JSON', async () => jsonFile('ntk-explorer.json', { state: page.state, gamma: grid, infinite, runs }));
page.addExport('figure', 'PNG', async () => figurePng('ntk-explorer.png', plots ? [{ title: 'At initialisation', canvas: plots.init.canvas }, { title: 'After training', canvas: plots.trained.canvas }] : []));
page.addExport('spec', 'Spec', async () => specFile('ntk-explorer.spec.json', spec()));

const widthOpts = { min: 1, max: MAX_WIDTH, step: 0.01, log: true, integer: true, format: formatWidth };
const restart = page.serial(reset);
{
  // the set-up preset: sets σ_w and β together (the URL keeps the numbers: wstd, bias)
  const names = [...(Object.keys(PRESETS) as PresetName[]), 'custom'] as const;
  const input = el('select', { id: 'ctl-setup' }, names.map((k) => el('option', { value: k, textContent: k === 'custom' ? 'custom (wstd, bias from the URL)' : PRESETS[k].label, disabled: k === 'custom' })));
  input.value = presetOf(page.state.wstd, page.state.bias);
  input.onchange = () => {
    const preset = PRESETS[input.value as PresetName];
    if (!preset) return;
    page.setState({ wstd: preset.wstd, bias: preset.bias });
    restart();
  };
  page.controls.append(el('label', {}, ['set-up', input]));
}
page.slider('w1', 'width 1', widthOpts, restart);
page.slider('w2', 'width 2', widthOpts, restart);
page.slider('layers', 'layers L', { min: 2, max: 8, step: 1, integer: true }, restart);
page.select('act', 'activation', ACTIVATIONS, restart);
page.slider('ens', 'ensemble', { min: 1, max: 64, step: 1, integer: true }, restart);
page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, restart);

page.serial(async () => {
  const rt = await page.acquire();
  if (!rt) return;
  document.getElementById('train-note')!.textContent = `After training: ${page.state.steps} steps of full-batch gradient descent (lr ${page.state.lr}) on the four circle points of examples/jacot-2018.json, each member trained from its own initialisation.`;
  await reset();
  page.handle.ready = true;
})();
