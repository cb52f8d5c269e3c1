// Regimes side by side: the same task, data and seed trained in two panels, NTK
// parameterization against mean-field by default (any two of the library's parameterizations),
// with one output scale α for both (Chizat, Oyallon & Bach: large α is lazy, small α is rich).
// Each panel is one src/dynamics Experiment: its records give the live curves (train and test
// loss, relative NTK change, weight change, gap to the linearised model); predict() and
// kernelRegression() give the learned function against the closed-form kernel-regression
// prediction; for two-layer networks the neurons are drawn from the GPU weight buffers.
import { ACTIVATIONS, parseSpec, type ExperimentSpecInput } from '../../src/index';
import { makeTarget } from '../../src/data';
import { specData } from '../../src/spec/resolve';
import { csvFile, figurePng, jsonFile, specFile } from '../ui/export';
import { Heatmap } from '../ui/heatmap';
import { maxWidthFor } from '../ui/limits';
import { DemoPage, el, formatWidth } from '../ui/page';
import { ParticleView } from '../ui/particles';
import { LinePlot } from '../ui/plot';
import { createExperiment, divergenceText, kernelRegressionChunked, predictChunked, PREDICT_ROWS, recordOf, type DivergenceRecord, type Experiment, type RunRecord } from '../ui/training';
import { inputWarnings } from '../../src/spec/warnings';
import { ALPHA_RANGE } from '../../src/spec/schema';
import { boolField, commonFields, enumField, intField, numberField } from '../ui/url-state';
import { PAGE_PARAMETERIZATIONS, PAGE_MAX_BLOCKS, hiddenAndResidual, residualFields, residualLabel, type PageParameterization as Parameterization } from '../ui/residual';

const TASKS = ['circle', 'xor', 'spirals', 'circles'] as const;
const MAX_WIDTH = 1 << 24;
const fields = {
  pa: enumField(PAGE_PARAMETERIZATIONS, 'ntk'),
  pb: enumField(PAGE_PARAMETERIZATIONS, 'meanfield'),
  alpha: numberField(ALPHA_RANGE[0], 1e4, 1), // the spec's lower bound on α (float32 rates η/α²)
  centered: boolField(true),
  width: intField(1, MAX_WIDTH, 4096),
  depth: intField(1, 4, 1),
  // residual blocks B (0: the plain MLP of `depth` hidden layers) and the branch multiplier β
  ...residualFields(),
  task: enumField(TASKS, 'circle'),
  n: intField(2, 256, 32),
  act: enumField(ACTIVATIONS, 'relu'),
  lr: numberField(0, 1000, 1, { exclusiveMin: true }),
  ens: intField(1, 64, 1),
  steps: intField(1, 1_000_000, 2000),
  spf: intField(1, 1000, 5),
  ...commonFields(),
};

const page = new DemoPage('regimes', fields, {
  title: 'Regimes side by side',
  intro:
    'The same task and seed, trained by full-batch gradient descent in two parameterizations. In the kernel (lazy) regime the ' +
    'NTK and the weights barely move and the network follows its linearisation and kernel regression; in the mean-field ' +
    '(rich) regime the neurons travel and the kernel changes. α scales the output (model α·(f − f₀) when centred): large α is lazy, small α is rich.',
});

const CIRCLE_POINTS = 96;
const HEAT_GRID = 24;
const HEAT_RADIUS = 1.5;
/** the function view is refreshed every this many ticks (and on pause / step) */
const FUNCTION_EVERY = 4;

// ------------------------------------------------------------------ specs

function spec(parameterization: Parameterization): ExperimentSpecInput {
  const s = page.state;
  const data: ExperimentSpecInput['data'] =
    s.task === 'circle'
      ? { train: { kind: 'circle', n: s.n }, test: { kind: 'circle', n: 64 }, target: { kind: 'sin', frequency: 2 } }
      : { train: { kind: s.task, n: s.n }, test: { kind: s.task, n: 128 } };
  return {
    seed: s.seed,
    model: { inputDim: 2, ...hiddenAndResidual(s.width, s.depth, s.blocks, s.beta), outputDim: 1, activation: s.act, parameterization, alpha: s.alpha, centered: s.centered, ensemble: s.ens },
    data,
    train: { optimizer: 'gd', lr: s.lr, steps: s.steps, recordEvery: s.spf, linearized: true },
    observe: { probe: 'train' },
  };
}

/** Where the learned function is drawn: angles of the circle (1-D task) or a square grid (2-D tasks). */
function functionPoints(): { x: number[][]; gamma: number[] | null } {
  if (page.state.task === 'circle') {
    const gamma = Array.from({ length: CIRCLE_POINTS }, (_, i) => -Math.PI + (2 * Math.PI * i) / (CIRCLE_POINTS - 1));
    return { x: gamma.map((g) => [Math.cos(g), Math.sin(g)]), gamma };
  }
  return { x: Heatmap.grid(HEAT_GRID, HEAT_RADIUS), gamma: null };
}

// ------------------------------------------------------------------ panels

interface Panel {
  parameterization: Parameterization;
  root: HTMLElement;
  note: HTMLElement;
  exp: Experiment | null;
  records: RunRecord[];
  diverged: DivergenceRecord | null;
  loss: LinePlot;
  drift: LinePlot;
  fn: LinePlot | Heatmap;
  particles: ParticleView | null;
  functionPoints: number;
}

const panelsRoot = el('div', { className: 'panels', id: 'panels' });
page.main.append(panelsRoot);
let panels: Panel[] = [];
let ticks = 0;

function buildPanel(parameterization: Parameterization, index: number): Panel {
  const tag = index === 0 ? 'a' : 'b';
  const root = el('section', { className: 'panel', id: `panel-${tag}` });
  const note = el('p', { className: 'note', id: `note-${tag}` });
  const resLabel = residualLabel(page.state.blocks, page.state.beta);
  root.append(el('h2', { textContent: `${parameterization} · m = ${formatWidth(page.state.width)}${resLabel ? ` · ${resLabel}` : ''} · α = ${page.state.alpha}` }), note);
  panelsRoot.append(root);
  const plots = el('div', { className: 'plots' });
  root.append(plots);
  const loss = new LinePlot(plots, {
    id: `loss-${tag}`, title: 'Loss', xLabel: 'step', logY: true,
    series: [{ label: 'train' }, { label: 'test' }, { label: 'kernel regression Θ₀ train', dash: [4, 4] }, { label: 'kernel regression Θ₀ test', dash: [4, 4] }],
  });
  const drift = new LinePlot(plots, {
    id: `drift-${tag}`, title: 'Drift from initialisation', xLabel: 'step', logY: true,
    series: [{ label: '‖Θ−Θ₀‖/‖Θ₀‖' }, { label: 'ΔW first' }, { label: 'ΔW readout' }, { label: 'linear gap' }],
  });
  const fn = page.state.task === 'circle'
    ? new LinePlot(plots, {
        id: `function-${tag}`, title: 'Learned function over the circle angle', xLabel: 'γ',
        series: [
          { label: 'target', color: '#999', spanGaps: true },
          { label: 'network', spanGaps: true },
          { label: 'linearised', dash: [2, 3], spanGaps: true },
          { label: 'kernel regression Θ₀', dash: [6, 3], spanGaps: true },
          { label: 'kernel regression Θ∞', dash: [1, 3], spanGaps: true },
          { label: 'train points', points: true, color: '#111' },
        ],
      })
    : (() => {
        const box = el('div', {}, [el('div', { className: 'plot-title', textContent: 'Learned function (colour), kernel-regression zero level (dots), train points' })]);
        plots.append(box);
        return new Heatmap(box, { id: `heatmap-${tag}`, size: 300 });
      })();
  let particles: ParticleView | null = null;
  if (page.state.depth === 1 && page.state.blocks === 0) {
    const box = el('div', {}, [el('div', { className: 'plot-title', textContent: 'Neurons w_j (colour: sign of a_j, size: |a_j|), from the GPU buffer' })]);
    plots.append(box);
    particles = new ParticleView(page.rt!, box, { id: `particles-${tag}`, size: 300 });
  }
  return { parameterization, root, note, exp: null, records: [], diverged: null, loss, drift, fn, particles, functionPoints: 0 };
}

function destroyPanels(): void {
  for (const p of panels) {
    p.exp?.dispose();
    p.particles?.destroy();
    p.root.remove();
  }
  panels = [];
}

function drawCurves(p: Panel): void {
  const steps = p.records.map((r) => r.step);
  const kr = (pick: (k: NonNullable<RunRecord['kernelRegression']>) => number | null) => p.records.map((r) => (r.kernelRegression ? pick(r.kernelRegression) : null));
  p.loss.setData(steps, [p.records.map((r) => r.trainLoss), p.records.map((r) => r.testLoss), kr((k) => k.empirical.trainLoss), kr((k) => k.empirical.testLoss)]);
  p.drift.setData(steps, [p.records.map((r) => r.ntkChange), p.records.map((r) => r.weightChange[0]), p.records.map((r) => r.weightChange[r.weightChange.length - 1]), p.records.map((r) => r.linearGap)]);
}

async function drawFunction(p: Panel): Promise<void> {
  if (!p.exp) return;
  const { x, gamma } = functionPoints();
  const parsed = parseSpec(spec(p.parameterization), 'page state');
  const { network, linearized } = await predictChunked(p.exp, x, PREDICT_ROWS);
  const regression = await kernelRegressionChunked(p.exp, x, PREDICT_ROWS);
  const train = specData(parsed).train;
  if (gamma && p.fn instanceof LinePlot) {
    const target = makeTarget(parsed.data.target!, 2, 1, parsed.seed);
    const trainGamma = train.x.map(([a, b]) => Math.atan2(b, a));
    // one x axis: the curve's angles and the training points' angles, sorted
    const xs = [...gamma.map((g, i) => ({ g, i, train: -1 })), ...trainGamma.map((g, j) => ({ g, i: -1, train: j }))].sort((u, v) => u.g - v.g);
    const curve = (values: number[][] | null) => xs.map((p) => (p.i >= 0 && values ? values[p.i][0] : null));
    p.fn.setData(xs.map((q) => q.g), [
      xs.map((q) => (q.i >= 0 ? target(x[q.i])[0] : null)),
      curve(network), curve(linearized), curve(regression.empirical), curve(regression.analytic),
      xs.map((q) => (q.train >= 0 ? train.y![q.train][0] : null)),
    ]);
  } else if (p.fn instanceof Heatmap) {
    p.fn.draw(network.map((r) => r[0]), HEAT_GRID, HEAT_RADIUS, { overlay: regression.empirical.map((r) => r[0]), points: train.x.map(([a, b], i) => [a, b, train.y![i][0]]) });
  }
  p.functionPoints = network.filter((r) => Number.isFinite(r[0])).length;
}

async function drawParticles(p: Panel): Promise<void> {
  if (!p.particles || !p.exp) return;
  await p.particles.draw({ w1: p.exp.net.layers[0].weight, w2: p.exp.net.layers[1].weight });
}

function publish(): void {
  page.handle.steps = panels.length ? Math.min(...panels.map((p) => p.exp?.stepIndex ?? 0)) : 0;
  page.handle.data = {
    panels: panels.map((p) => ({
      parameterization: p.parameterization,
      step: p.exp?.stepIndex ?? 0,
      records: p.records.length,
      lossCounts: p.loss.counts(),
      driftCounts: p.drift.counts(),
      functionPoints: p.functionPoints,
      functionCounts: p.fn instanceof LinePlot ? p.fn.counts() : null,
      heatmapCells: p.fn instanceof Heatmap ? p.fn.cells : null,
      particles: p.particles ? { instances: p.particles.lastInstances, frames: p.particles.frames, lit: p.particles.lit } : null,
      diverged: p.diverged,
      last: p.records.at(-1) ?? null,
    })),
  };
  page.refreshStatus();
}

async function recordPanel(p: Panel): Promise<void> {
  if (!p.exp) return;
  const { record, diverged } = await recordOf(p.exp);
  if (record) p.records.push(record);
  if (diverged) {
    p.diverged = diverged;
    p.note.textContent = divergenceText(diverged, 'Training');
    page.stopped(divergenceText(diverged, `${p.parameterization} panel`));
  }
  drawCurves(p);
}

/**
 * Runs one panel's piece of work; an error stops the page with the panel named (status line and
 * error banner), says so in the panel's note, and leaves the panel's curves as they were drawn.
 */
async function inPanel(p: Panel, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    p.note.textContent = `Stopped while ${what} at step ${p.exp?.stepIndex ?? 0}: ${message}`;
    throw new Error(`${p.parameterization} panel, ${what} at step ${p.exp?.stepIndex ?? 0}: ${message}`, { cause: e });
  }
}

/** One piece of work: `spf` steps of each panel, a record each, and now and then the function view. */
async function tick(): Promise<number> {
  const active = panels.filter((p) => p.exp && !p.diverged && p.exp.stepIndex < page.state.steps);
  if (active.length === 0) return 0;
  let done = 0;
  try {
    for (const p of active) {
      const steps = Math.min(page.state.spf, page.state.steps - p.exp!.stepIndex);
      await inPanel(p, 'training', () => p.exp!.train(steps));
      done = Math.max(done, steps);
      await inPanel(p, 'recording', () => recordPanel(p));
      await inPanel(p, 'drawing the neurons', () => drawParticles(p));
    }
    ticks++;
    const finished = active.some((p) => p.exp!.stepIndex >= page.state.steps);
    if (ticks % FUNCTION_EVERY === 0 || !loop.running || finished) for (const p of active) if (!p.diverged) await inPanel(p, 'drawing the function', () => drawFunction(p));
  } finally {
    // what was done before an error is published, so the handle and the plots agree
    publish();
  }
  return done;
}

// ------------------------------------------------------------------ controls and start

const loop = page.frameLoop(tick);


async function reset(): Promise<void> {
  await loop.stop();
  destroyPanels();
  publish();
  page.clearError();
  const limit = maxWidthFor(page.rt!, { ensemble: page.state.ens, rows: page.state.n + Math.max(PREDICT_ROWS, 128), depth: page.state.depth, blocks: page.state.blocks, cap: MAX_WIDTH });
  const slider = document.getElementById('ctl-width') as HTMLInputElement | null;
  if (slider) slider.max = String(Math.log10(limit));
  page.clampWidths('width', limit);
  ticks = 0;
  // set up: device acquired, state checked (building a very wide network can take long on a software adapter)
  page.handle.ready = true;
  page.status('building the networks…');
  panels = [page.state.pa, page.state.pb].map((p, i) => buildPanel(p, i));
  page.setWarnings(panels.flatMap((p) => inputWarnings(spec(p.parameterization))));
  try {
    for (const p of panels) {
      await inPanel(p, 'building the network', async () => {
        p.exp = await createExperiment(page.rt!, spec(p.parameterization));
      });
      await inPanel(p, 'recording', () => recordPanel(p));
      if (!p.diverged) await inPanel(p, 'drawing the function', () => drawFunction(p));
      await inPanel(p, 'drawing the neurons', () => drawParticles(p));
    }
  } finally {
    page.status('');
    for (const p of panels) if (!p.exp && !p.note.textContent) p.note.textContent = 'Not started: the set-up stopped at an error (see above).';
    publish();
  }
  if (page.state.run) loop.play();
}
const restart = page.serial(reset);

page.addTransport(loop, async () => restart());
page.addExport('data', 'CSV', async () =>
  csvFile('regimes.csv', panels.flatMap((p) => p.records.map((r) => ({ parameterization: p.parameterization, step: r.step, time: r.time, trainLoss: r.trainLoss, testLoss: r.testLoss, ntkChange: r.ntkChange, linearGap: r.linearGap, weightChange: r.weightChange.join(' '), alignment: r.alignment })))));
page.addExport('data', 'JSON', async () => jsonFile('regimes.json', { state: page.state, panels: panels.map((p) => ({ parameterization: p.parameterization, records: p.records, diverged: p.diverged })) }));
page.addExport('figure', 'PNG', async () =>
  figurePng('regimes.png', panels.flatMap((p) => [
    { title: `${p.parameterization}: loss`, canvas: p.loss.canvas },
    { title: `${p.parameterization}: drift`, canvas: p.drift.canvas },
    { title: `${p.parameterization}: learned function`, canvas: p.fn.canvas },
    ...(p.particles ? [{ title: `${p.parameterization}: neurons`, canvas: p.particles.canvas }] : []),
  ]), 4));
page.addExport('spec', 'Spec A', async () => specFile(`regimes-${page.state.pa}.spec.json`, spec(page.state.pa)));
page.addExport('spec', 'Spec B', async () => specFile(`regimes-${page.state.pb}.spec.json`, spec(page.state.pb)));

page.select('pa', 'left', PAGE_PARAMETERIZATIONS, restart);
page.select('pb', 'right', PAGE_PARAMETERIZATIONS, restart);
page.slider('alpha', 'α (rich ← → lazy)', { min: 0.01, max: 100, step: 0.01, log: true, format: (v) => v.toPrecision(3) }, restart);
page.checkbox('centered', 'centred: α·(f − f₀)', restart);
page.slider('width', 'width', { min: 16, max: MAX_WIDTH, step: 0.01, log: true, integer: true, format: formatWidth }, restart);
page.slider('depth', 'hidden layers', { min: 1, max: 4, step: 1, integer: true }, restart);
page.slider('blocks', 'residual blocks B (0: plain)', { min: 0, max: PAGE_MAX_BLOCKS, step: 1, integer: true }, restart);
page.text('beta', 'branch multiplier β', restart);
page.select('task', 'task', TASKS, restart);
page.select('act', 'activation', ACTIVATIONS, restart);
page.slider('lr', 'learning rate', { min: 0.01, max: 10, step: 0.01, log: true }, restart);
page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, restart);

page.serial(async () => {
  const rt = await page.acquire();
  if (!rt) return;
  await reset();
  page.handle.ready = true;
})();
