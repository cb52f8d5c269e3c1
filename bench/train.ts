// Training benchmark (`npm run bench:train`): GD steps per second of a two-layer ReLU network
// (n = 1024 points, d = 32, NTK parameterization, MSE) against the width m, from 2^10 up to the
// largest m whose activations [n, m] fit one storage binding of the adapter (or the time budget).
//
// Scheduler overhead: `wallMs` is the steady-state time per step (many steps, then one sync);
// `gpuMs` is the GPU time of one step from timestamp queries (one compute pass around it), or
// wall time around onSubmittedWorkDone where the adapter has no timestamps; `recordMs` is the
// JavaScript time spent recording a step. overhead = max(0, wallMs − gpuMs)/wallMs is the share
// of step time when the GPU is not working: the scheduler's cost.
//
// Side models (issue 12): `withLinearizedMs` and `withQuadraticMs` are the wall times of one step of a
// trainer that also trains the linearised (train.linearized) or the quadratic model (train.quadratic)
// beside the network, measured the same way; `quadraticCost` = (withQuadraticMs − wallMs)/wallMs is the
// quadratic model's own step in network steps (target ≲ 3: forward ḣ, ḧ and the VJP of (h, ḣ)).
//
// The first step (the warm-up) is checked before any step is timed (bench/check.ts): the weight
// updates it applied, Δw = w₁ − w₀, against −η·g with g the float64 gradient of the same weights
// (gdStepGradRef, src/check/reference.ts), tolerance(n, largest |η·g|) plus the float32 rounding
// of the stored weights (u·|w|).
//
// Residual case (issue 14): GD steps of residual nets with B = 4 and 16 blocks on a stream of width
// 2^12 (tanh: no ReLU step for float32 rounding to cross in the check; ntk, no bias, β = 1/√B),
// n = 32 (--quick) or 256, d = 32; the warm-up step checked against mlpGradRef (the float64 gradient
// through the skips), tolerance(n·m, largest |η·g|) plus u·|w|: a gradient through B blocks sums over
// the n examples and the m neurons of each block.
import { BACKEND_PADDING, type Runtime } from '../src/gpu/runtime';
import { Trainer } from '../src/dynamics/trainer';
import { EPS32, tolerance } from '../src/check/tolerance';
import { gdStepGradRef, mlpGradRef } from '../src/check/reference';
import { combine, compare, type Checked } from './check';
import { presetOf, type BenchPreset } from './kernels';

export interface TrainBenchResult {
  m: number;
  /** residual blocks B (residual cases only) */
  blocks?: number;
  n: number;
  d: number;
  stepsPerSecond: number | null;
  wallMs: number | null;
  gpuMs: number | null;
  recordMs: number | null;
  overhead: number | null;
  timing: 'timestamp' | 'wall' | null;
  skipped?: string;
  /** the float64 check of the first step, made before timing */
  checked?: string;
  /** the step was wrong (the worst weight): not timed */
  mismatch?: string;
  /** wall ms per step with the linearised model trained beside the network */
  withLinearizedMs?: number | null;
  /** wall ms per step with the quadratic model trained beside the network */
  withQuadraticMs?: number | null;
  /** the quadratic model's own step in network steps */
  quadraticCost?: number | null;
}

/** Wall ms per step of a trainer (warm-up step, then `steps` steps back to back and one sync). */
async function stepWallMs(rt: Runtime, trainer: Trainer, steps: number): Promise<number> {
  await trainer.start();
  trainer.step(1);
  await rt.sync();
  const t0 = performance.now();
  trainer.step(steps);
  await rt.sync();
  return (performance.now() - t0) / steps;
}

/**
 * The steady state of a started trainer: `steps` steps submitted back to back and one sync (wall ms
 * per step, and the CPU ms per step spent recording them), then one step timed on the GPU; the
 * overhead is the share of wall time the GPU did not account for.
 */
async function steadyState(rt: Runtime, trainer: Trainer) {
  const steps = rt.ctx.adapter.software ? 2 : 20;
  let recordMs = 0;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const r0 = performance.now();
    trainer.step(1);
    recordMs += performance.now() - r0;
  }
  await rt.sync();
  const wallMs = (performance.now() - t0) / steps;
  const gpu = await rt.time(() => trainer.step(1, false));
  return { steps, wallMs, gpu, recordMs: recordMs / steps, overhead: Math.max(0, wallMs - gpu.ms) / wallMs };
}

/** The update one GD step applied (w₀ → w₁, per layer) against −η·g in float64. */
export function checkStep(x: number[][], y: number[][], m: number, lr: number, w0: Float32Array[], w1: Float32Array[]): Checked {
  const [n, d] = [x.length, x[0].length];
  const { g1, g2, slack1 } = gdStepGradRef(x.flat(), y.flat(), n, d, m, w0[0], w0[1]);
  const part = (old: Float32Array, now: Float32Array, g: Float64Array, slack?: Float64Array) => {
    const applied = Float64Array.from(now, (v, i) => v - old[i]);
    // where h is within rounding of the ReLU's step, either side is right: the expected value
    // moves toward the applied one by at most η·slack (a per-element tolerance of η·slack)
    const expected = Float64Array.from(g, (v, i) => -lr * v + (slack ? Math.max(-lr * slack[i], Math.min(lr * slack[i], applied[i] + lr * v)) : 0));
    let scale = 0;
    let wmax = 0;
    for (let i = 0; i < g.length; i++) { scale = Math.max(scale, Math.abs(expected[i])); wmax = Math.max(wmax, Math.abs(old[i])); }
    const tol = tolerance(n, scale);
    return compare(applied, expected, { atol: tol.atol + 4 * EPS32 * wmax, rtol: tol.rtol }, 'full');
  };
  return combine({ W1: part(w0[0], w1[0], g1, slack1), w2: part(w0[1], w1[1], g2) });
}

/** The updates one GD step applied to a residual net (every layer) against −η·g in float64 (mlpGradRef). */
export function checkResidualStep(x: number[][], y: number[][], blocks: number, lr: number, w0: Float32Array[], w1: Float32Array[], activation: string): Checked {
  const [n, d] = [x.length, x[0].length];
  const m = w0[0].length / d;
  const grads = mlpGradRef(x.flat(), y.flat(), n, d, w0, activation, 1 / Math.sqrt(blocks));
  const parts: Record<string, Checked> = {};
  grads.forEach((g, l) => {
    const applied = Float64Array.from(w1[l], (v, i) => v - w0[l][i]);
    const expected = g.map((v) => -lr * v);
    let scale = 0;
    let wmax = 0;
    for (let i = 0; i < g.length; i++) { scale = Math.max(scale, Math.abs(expected[i])); wmax = Math.max(wmax, Math.abs(w0[l][i])); }
    const tol = tolerance(n * m, scale);
    parts[l === 0 ? 'W_in' : l === grads.length - 1 ? 'W_out' : `W_${l}`] = compare(applied, expected, { atol: tol.atol + 4 * EPS32 * wmax, rtol: tol.rtol }, 'full');
  });
  return combine(parts);
}

/** GD steps of residual nets (B = 4 and 16, m = 2^12): the same timing as the plain widths, one row per B. */
async function benchResidualTrain(rt: Runtime, preset: BenchPreset, log: (l: string) => void): Promise<TrainBenchResult[]> {
  // m = 2^12 (issue 14); the tiny preset (the GPU kit's --quick run on a CPU adapter) takes 2^8
  const n = preset === 'tiny' ? 16 : preset === 'quick' ? 32 : 256;
  const d = 32;
  const m = preset === 'tiny' ? 1 << 8 : 1 << 12;
  const activation = 'tanh';
  const x = Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, q) => Math.sin(1 + i * 0.37 + q * 1.3)));
  const y = x.map((row) => [Math.cos(row[0] + row[1])]);
  const results: TrainBenchResult[] = [];
  for (const blocks of [4, 16]) {
    const base = { m, blocks, n, d, stepsPerSecond: null, wallMs: null, gpuMs: null, recordMs: null, overhead: null, timing: null };
    const trainer = new Trainer(rt, { inputDim: d, hidden: [m], outputDim: 1, activation, parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 0, residual: { blocks, branchMultiplier: 1 / Math.sqrt(blocks) } }, { x, y }, {
      optimizer: 'gd', lr: 0.5, momentum: 0, batchSize: null, loss: 'mse', frozen: [], linearized: false,
    });
    await trainer.start();
    const weights = () => Promise.all(trainer.net.layers.map((l) => l.weight.read()));
    const w0 = await weights();
    trainer.step(1); // warm-up, and the step that is checked
    const check = checkResidualStep(x, y, blocks, 0.5, w0, await weights(), activation);
    if (check.mismatch) {
      results.push({ ...base, ...check });
      log(`residual B=${blocks} m=${m}: MISMATCH (${check.mismatch}), not timed`);
    } else {
      const { wallMs, gpu, recordMs, overhead } = await steadyState(rt, trainer);
      results.push({ ...base, stepsPerSecond: 1000 / wallMs, wallMs, gpuMs: gpu.ms, recordMs, overhead, timing: gpu.source, checked: check.checked });
      log(`residual B=${blocks} m=${m} n=${n}: ${(1000 / wallMs).toFixed(3)} steps/s, wall ${wallMs.toFixed(1)} ms, GPU ${gpu.ms.toFixed(1)} ms (${gpu.source}), recording ${recordMs.toFixed(2)} ms, overhead ${(100 * overhead).toFixed(1)}% [checked: ${check.checked}]`);
    }
    trainer.dispose();
    rt.trimPool();
  }
  return results;
}

export async function benchTrain(rt: Runtime, options: { quick?: boolean; preset?: BenchPreset; budgetMs?: number; log?: (l: string) => void } = {}): Promise<TrainBenchResult[]> {
  const log = options.log ?? (() => {});
  const preset = presetOf(options);
  // n and the widest m (2^top) per preset; "gpu": n = 1024 up to m = 2^22 (issue 16)
  const n = { tiny: 64, quick: 256, full: 1024, gpu: 1024 }[preset];
  const d = 32;
  // largest predicted time of one step (software adapters take ~1 min per step at m = 2^16)
  const budget = options.budgetMs ?? (rt.ctx.adapter.software ? 90_000 : 2_000);
  // the runtime keeps BACKEND_PADDING bytes of each limit free (a buffer of exactly the limit fails on some backends)
  const maxM = Math.floor((rt.limits.maxStorageBufferBindingSize - BACKEND_PADDING) / (4 * n));
  const results: TrainBenchResult[] = [];
  // the same data at every width
  const x = Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, q) => Math.sin(1 + i * 0.37 + q * 1.3)));
  const y = x.map((row) => [Math.cos(row[0] + row[1])]);
  let lastMsPerNeuron: number | null = null;
  const top = { tiny: 11, quick: 14, full: 24, gpu: 22 }[preset];
  for (let p = 10; p <= top; p++) {
    const m = 2 ** p;
    const base = { m, n, d, stepsPerSecond: null, wallMs: null, gpuMs: null, recordMs: null, overhead: null, timing: null };
    if (m > maxM) {
      results.push({ ...base, skipped: `activations [${n}, ${m}] exceed maxStorageBufferBindingSize (${rt.limits.maxStorageBufferBindingSize} bytes)` });
      log(`m=${m}: cut (storage binding limit)`);
      break;
    }
    // a step costs about O(n·d·m): predict the next width's step from the last one's
    if (lastMsPerNeuron !== null && lastMsPerNeuron * m > budget) {
      results.push({ ...base, skipped: `predicted ${((lastMsPerNeuron * m) / 1000).toFixed(0)} s per step, over the ${budget / 1000} s budget` });
      log(`m=${m}: skipped (time budget)`);
      break;
    }
    const netConfig = { inputDim: d, hidden: [m], outputDim: 1, activation: 'relu', parameterization: 'ntk' as const, weightStd: 1, biasStd: 0, seed: 0 };
    const trainConfig = { optimizer: 'gd' as const, lr: 0.5, momentum: 0, batchSize: null, loss: 'mse' as const, frozen: [], linearized: false };
    const trainer = new Trainer(rt, netConfig, { x, y }, trainConfig);
    await trainer.start();
    const weights = () => Promise.all(trainer.net.layers.map((l) => l.weight.read()));
    const w0 = await weights();
    trainer.step(1); // warm-up: pipelines, buffer pool; and the step that is checked
    // the float64 gradient costs about 3·n·m·d multiply-adds in JavaScript: past 2^32 (m = 2^17 at
    // n = 1024, d = 32; a GPU's widths) the step is not checked, and the result says so
    const check: Checked = n * m * d <= 2 ** 32 ? checkStep(x, y, m, 0.5, w0, await weights()) : { checked: `not checked at this width (the float64 gradient costs ${((3 * n * m * d) / 1e9).toFixed(0)}·10⁹ multiply-adds on the CPU); the same kernels are checked at the smaller widths` };
    if (check.mismatch) {
      results.push({ ...base, ...check });
      log(`m=${m}: MISMATCH (${check.mismatch}), not timed`);
      trainer.dispose();
      rt.trimPool();
      continue;
    }
    const { steps, wallMs, gpu, recordMs, overhead } = await steadyState(rt, trainer);
    lastMsPerNeuron = wallMs / m;
    if (await trainer.divergence()) log(`m=${m}: note: the benchmark run diverged (timings still valid)`);
    trainer.dispose();
    rt.trimPool();
    // the same step with each side model beside the network (the network's own step is timed above)
    const side = async (model: 'linearized' | 'quadratic') => {
      const t = new Trainer(rt, netConfig, { x, y }, { ...trainConfig, linearized: model === 'linearized', quadratic: model === 'quadratic' });
      try {
        return await stepWallMs(rt, t, steps);
      } finally {
        t.dispose();
        rt.trimPool();
      }
    };
    const withLinearizedMs = await side('linearized');
    const withQuadraticMs = await side('quadratic');
    const quadraticCost = (withQuadraticMs - wallMs) / wallMs;
    results.push({ m, n, d, stepsPerSecond: 1000 / wallMs, wallMs, gpuMs: gpu.ms, recordMs, overhead, timing: gpu.source, checked: check.checked, withLinearizedMs, withQuadraticMs, quadraticCost });
    log(`m=${m}: ${(1000 / wallMs).toFixed(2)} steps/s, wall ${wallMs.toFixed(1)} ms, GPU ${gpu.ms.toFixed(1)} ms (${gpu.source}), recording ${recordMs.toFixed(2)} ms, overhead ${(100 * overhead).toFixed(1)}%; with the linearised model ${withLinearizedMs.toFixed(1)} ms, with the quadratic model ${withQuadraticMs.toFixed(1)} ms (its own step = ${quadraticCost.toFixed(2)} network steps) [checked: ${check.checked}]`);
  }
  results.push(...(await benchResidualTrain(rt, preset, log)));
  return results;
}

export function trainTable(results: TrainBenchResult[]): string {
  const rows = results.map((r) =>
    r.skipped
      ? `| ${r.m} | — | — | — | — | — | — | — | — | ${r.skipped} |`
      : r.mismatch
        ? `| ${r.m} | — | — | — | — | — | — | — | ${r.checked} | mismatch: ${r.mismatch} |`
        : `| ${r.m} | ${r.stepsPerSecond!.toFixed(2)} | ${r.wallMs!.toFixed(1)} | ${r.gpuMs!.toFixed(1)} (${r.timing}) | ${r.recordMs!.toFixed(2)} | ${(100 * r.overhead!).toFixed(1)}% | ${r.withLinearizedMs?.toFixed(1) ?? '—'} | ${r.withQuadraticMs?.toFixed(1) ?? '—'} (${r.quadraticCost?.toFixed(2) ?? '—'}×) | ${r.checked} | |`,
  );
  // a residual row names its blocks and n in the m column
  rows.forEach((row, i) => {
    const r = results[i];
    if (r.blocks) rows[i] = row.replace(`| ${r.m} |`, `| ${r.m}, residual B = ${r.blocks}, n = ${r.n} |`);
  });
  return ['| m | steps/s | wall ms/step | GPU ms/step | record ms/step | overhead | + linearised ms/step | + quadratic ms/step (its own cost in network steps) | checked | note |', '|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The widths whose float64 check failed, one line each (the command exits 1 on any). */
export const trainMismatches = (results: TrainBenchResult[]): string[] => results.filter((r) => r.mismatch).map((r) => `m=${r.m}${r.blocks ? ` B=${r.blocks}` : ''}: ${r.mismatch}`);
