// Sharpness and the catapult on the two-layer linear "uv" model of Lewkowycz et al. 2020
// (arXiv:2003.02218): one hidden layer of width m, identity activation, k = 1, one training point
// x = 1 with label y, NTK parameterization: f = (1/√m)·Σ_j v_j u_j. GD on L = (f − y)²/2 gives
// the exact scalar recursion (docs/dynamics-and-records.md) for r = f − y and λ = (‖u‖² + ‖v‖²)/m:
//   f' = f − ηλ·r + (η²/m)·r²·f,    λ' = λ + (η·r/m)·(η·r·λ − 4f).
// f is quadratic in θ, so the quadratic model is exact and follows it too. Phases at ηλ₀: lazy
// below 2, catapult between 2 and 4, divergence above 4.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { Experiment, type DivergenceRecord, type RunLine, type RunRecord } from '../../src/dynamics/experiment';
import { detectCatapult, largestEigenvalue, sharpness } from '../../src/dynamics/sharpness';
import { lossHessianRef } from '../../src/kernels/loss';
import { parseSpec, type ExperimentSpecInput } from '../../src/spec';
import { records, runSpec } from '../helpers/experiment';
import { testData, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const m = 64;
const y = 0;
const uv = (lr: number, steps: number, extra: Partial<ExperimentSpecInput['train']> = {}): ExperimentSpecInput => ({
  seed: 2,
  model: { inputDim: 1, hidden: [m], outputDim: 1, activation: 'identity', parameterization: 'ntk', weightStd: 1, biasStd: 0 },
  data: { train: { kind: 'points', x: [[1]], y: [[y]] } },
  train: { lr, steps, recordEvery: 1, linearized: true, quadratic: true, ...extra },
  observe: { spectrum: 1 },
});

/** The exact (f, λ) recursion in float64 from the GPU's f₀ and λ₀. */
function recursion(f0: number, lambda0: number, lr: number, steps: number): { f: number; lambda: number }[] {
  const out = [{ f: f0, lambda: lambda0 }];
  for (let t = 0; t < steps; t++) {
    const { f, lambda } = out[t];
    const r = f - y;
    out.push({ f: f - lr * lambda * r + ((lr * lr) / m) * r * r * f, lambda: lambda + ((lr * r) / m) * (lr * r * lambda - 4 * f) });
  }
  return out;
}

async function lambda0(): Promise<number> {
  const exp = await Experiment.create(ctx.rt, parseSpec(uv(1, 0)));
  try {
    const r = (await exp.record()) as RunRecord;
    return r.sharpness!; // η = 1, n = k = 1: the sharpness is λ₀ itself
  } finally {
    exp.dispose();
  }
}

/** Steps the uv model one step at a time: network and quadratic outputs, sharpness and loss of every step. */
async function trajectory(lr: number, steps: number) {
  const exp = await Experiment.create(ctx.rt, parseSpec(uv(lr, steps)));
  const seen: { f: number; fQuad: number; sharpness: number; record: RunRecord }[] = [];
  try {
    for (let t = 0; t <= steps; t++) {
      const record = (await exp.record()) as RunRecord;
      expect('diverged' in record, `step ${t}`).toBe(false);
      const p = await exp.predict([[1]]);
      seen.push({ f: p.network[0][0], fQuad: p.quadratic![0][0], sharpness: record.sharpness!, record });
      if (t < steps) exp.trainer.step(1);
    }
    // keep going without records: the linearised model (|1 − ηλ₀| > 1 in the catapult phase) overflows
    await exp.train(200);
    const after = await exp.record();
    return { seen, after, side: exp.takeSideLines() };
  } finally {
    exp.dispose();
  }
}

describe('the uv model', () => {
  let l0 = NaN;
  beforeAll(async () => {
    l0 = await lambda0();
  });
  const steps = 16;

  /** The trajectory at ηλ₀ = c against the exact recursion, step by step. */
  async function checked(c: number) {
    expect(l0).toBeGreaterThan(1); // (‖u‖² + ‖v‖²)/m ≈ 2
    expect(l0).toBeLessThan(3);
    const lr = c / l0;
    const run = await trajectory(lr, steps);
    const { seen } = run;
    const exact = recursion(seen[0].f, seen[0].sharpness / lr, lr, steps);
    // float32 rounding (~1e-7 relative per step) is amplified while |f| grows (by ≤ |1 − ηλ| ≈ 2 per step for
    // ~6 steps in the catapult), hence 1e-4 relative to the largest |f| and 1e-4 on ηλ
    const fScale = Math.max(...exact.map((e) => Math.abs(e.f)));
    seen.forEach((s, t) => {
      expect(Math.abs(s.f - exact[t].f), `ηλ₀ ${c}, step ${t}: network f`).toBeLessThan(1e-4 * fScale);
      expect(Math.abs(s.fQuad - exact[t].f), `ηλ₀ ${c}, step ${t}: quadratic f`).toBeLessThan(1e-4 * fScale);
      expect(Math.abs(s.sharpness - lr * exact[t].lambda), `ηλ₀ ${c}, step ${t}: sharpness ηλ`).toBeLessThan(1e-4 * c);
      expect(s.record.quadraticGap!).toBeLessThan(1e-4 * fScale);
    });
    return { ...run, losses: seen.map((s) => s.record.trainLoss), last: seen.at(-1)!.record };
  }

  it('ηλ₀ = 1.5 (lazy): network and quadratic model follow the exact recursion; the loss falls, the sharpness stays, no catapult', async () => {
    const { losses, last, side, after } = await checked(1.5);
    losses.slice(1).forEach((l, t) => losses[t] > 1e-12 * losses[0] && expect(l, `loss at step ${t + 1}`).toBeLessThan(losses[t])); // down to float32's floor
    expect(Math.abs(last.sharpness! - 1.5)).toBeLessThan(0.05 * 1.5);
    expect(last.catapult).toBeNull();
    expect(side).toEqual([]);
    expect('diverged' in after).toBe(false);
  });

  it('ηλ₀ = 3 (catapult): the recursion again; the loss rises over 2× then falls below its start, sharpness ends < 2; the linearised model diverges alone', async () => {
    const { losses, last, side, after } = await checked(3);
    expect(Math.max(...losses)).toBeGreaterThan(2 * losses[0]);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    expect(last.sharpness!).toBeLessThan(2);
    expect(last.catapult).not.toBeNull();
    expect(last.catapult!.rise).toBeGreaterThan(2);
    expect(last.catapult!.sharpness).toBe(last.sharpness);
    // the linearised model diverged (its own line); the network trained on
    expect(side.map((l) => l.diverged.model)).toEqual(['linearized']);
    expect('diverged' in after).toBe(false);
    expect((after as RunRecord).linearGap).toBeNull();
    expect((after as RunRecord).trainLoss).toBeLessThan(losses[0]);
  });

  it('ηλ₀ = 4.5 (divergence): the network blows up and its divergence line ends the width', async () => {
    const lines: RunLine[] = await runSpec(ctx.rt, uv(4.5 / l0, 60, { recordEvery: 5 }));
    const diverged = lines.filter((l): l is { diverged: DivergenceRecord } => 'diverged' in l).map((l) => l.diverged);
    expect(diverged.at(-1)!.model).toBe('network');
    expect(lines.at(-1)).toHaveProperty('diverged');
    expect(records(lines).at(-1)!.trainLoss).toBeGreaterThan(100 * records(lines)[0].trainLoss);
  });
});

/**
 * Heavy ball (momentum μ, widenet's form: v ← μ·v + g, θ ← θ − η·v) on the uv model in float64 from
 * the GPU's initial u (first layer, mult 1 at d = 1) and v (readout, mult 1/√m): f and ηλ per step.
 */
function heavyBall(u0: ArrayLike<number>, v0: ArrayLike<number>, lr: number, momentum: number, steps: number): { f: number; sharpness: number }[] {
  let [u, v] = [Float64Array.from(u0), Float64Array.from(v0)];
  const [du, dv] = [new Float64Array(m), new Float64Array(m)];
  const out: { f: number; sharpness: number }[] = [];
  for (let t = 0; ; t++) {
    let f = 0;
    let norms = 0;
    for (let j = 0; j < m; j++) {
      f += (u[j] * v[j]) / Math.sqrt(m);
      norms += u[j] * u[j] + v[j] * v[j];
    }
    out.push({ f, sharpness: (lr * norms) / m });
    if (t === steps) return out;
    const r = f - y;
    for (let j = 0; j < m; j++) {
      du[j] = momentum * du[j] + (r * v[j]) / Math.sqrt(m);
      dv[j] = momentum * dv[j] + (r * u[j]) / Math.sqrt(m);
    }
    u = u.map((x, j) => x - lr * du[j]);
    v = v.map((x, j) => x - lr * dv[j]);
  }
}

describe('the uv model with heavy-ball momentum (stability edge 2(1 + μ))', () => {
  /** The GPU trajectory at ηλ₀ = c and momentum μ against heavy ball in float64, step by step. */
  let l0 = NaN;
  beforeAll(async () => {
    l0 = await lambda0();
  });

  async function checked(c: number, momentum: number, steps: number) {
    const lr = c / l0;
    // (the quadratic model is exact here too, and checked without momentum above: left out for time)
    const exp = await Experiment.create(ctx.rt, parseSpec(uv(lr, steps, { momentum, quadratic: false })));
    try {
      const [first, readout] = exp.net.layers;
      const exact = heavyBall(await first.weight.read(), await readout.weight.read(), lr, momentum, steps);
      const fScale = Math.max(...exact.map((e) => Math.abs(e.f)));
      const seen: RunRecord[] = [];
      for (let t = 0; t <= steps; t++) {
        const record = (await exp.record()) as RunRecord;
        const f = (await exp.predict([[1]])).network[0][0];
        // float32 rounding amplified while |f| grows, as without momentum; on ηλ 1e-3 (the velocity carries
        // each step's rounding on, μ = 0.9 for ~10 steps); another momentum form (Nesterov's, or
        // θ ← θ − η·(μ·v + g) with v the old gradient) differs from step 2 on by O(μ·η·|g|), far above either
        expect(Math.abs(f - exact[t].f), `ηλ₀ ${c}, μ ${momentum}, step ${t}: f`).toBeLessThan(1e-4 * fScale);
        expect(Math.abs(record.sharpness! - exact[t].sharpness), `ηλ₀ ${c}, μ ${momentum}, step ${t}: sharpness`).toBeLessThan(1e-3 * c);
        seen.push(record);
        if (t < steps) exp.trainer.step(1);
      }
      // keep going without records: the linearised model overflows where heavy ball's linear recursion
      // z² − (1 + μ − ηλ₀)·z + μ has a root outside the unit circle (ηλ₀ > 2(1 + μ))
      await exp.train(200);
      const after = await exp.record();
      return { seen, losses: seen.map((r) => r.trainLoss), last: seen.at(-1)!, side: exp.takeSideLines(), after };
    } finally {
      exp.dispose();
    }
  }

  it('μ = 0.5, ηλ₀ = 3.6 > 3: heavy ball exactly; the loss rises over 2× and falls, the sharpness ends below 3: a catapult at edge 3; the linearised model diverges alone', async () => {
    const { losses, last, side, after } = await checked(3.6, 0.5, 16);
    expect(Math.max(...losses)).toBeGreaterThan(2 * losses[0]);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    expect(last.sharpness!).toBeLessThan(3);
    expect(last.catapult).toMatchObject({ edge: 3, initialSharpness: expect.closeTo(3.6, 3), sharpness: last.sharpness });
    expect(last.catapult!.rise).toBeGreaterThan(2);
    expect(side.map((l) => l.diverged.model)).toEqual(['linearized']);
    expect('diverged' in after).toBe(false);
    expect((after as RunRecord).trainLoss).toBeLessThan(losses[0]);
  });

  // (at this seed ηλ₀ = 3.5 already diverges with μ = 0.9: the momentum's transient sharpens the uv model past the edge)
  it('μ = 0.9, ηλ₀ = 3 < 3.8: the loss also rises over 2× and falls (heavy ball\'s first step is GD\'s, r₁ = (1 − ηλ₀)·r₀), but below the edge that is no catapult', async () => {
    const { seen, losses, last, side, after } = await checked(3, 0.9, 16);
    expect(Math.max(...losses)).toBeGreaterThan(2 * losses[0]);
    expect(Math.min(...losses.slice(2))).toBeLessThan(losses[0]);
    expect(last.catapult).toBeNull();
    // plain GD's rule (edge 2) would have called the same records a catapult
    expect(detectCatapult(seen.map((r) => ({ step: r.step, loss: r.trainLoss, sharpness: r.sharpness! })))).toMatchObject({ edge: 2 });
    expect(side).toEqual([]); // the linearised model converges: 3 is inside heavy ball's edge
    expect((after as RunRecord).linearGap).not.toBeNull();
  });
});

describe('sharpness', () => {
  it('η·λ_max(Θ·M)/n with the loss Hessian M (MSE, logistic, softmax) against a dense eigendecomposition of Θ·M', () => {
    for (const [loss, k] of [['mse', 3], ['logistic', 1], ['softmax', 3]] as const) {
      const n = 4;
      const N = n * k;
      const G = testData(N * N, 5 + k);
      const K = new Float64Array(N * N); // Θ = G·Gᵀ, positive semi-definite
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) for (let q = 0; q < N; q++) K[i * N + j] += G[i * N + q] * G[j * N + q];
      const z = Float64Array.from(testData(N, 9), (v) => 2 * v);
      const M = new Matrix(N, N);
      for (let i = 0; i < n; i++) {
        const H = lossHessianRef(loss, z.subarray(i * k, (i + 1) * k), k);
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) M.set(i * k + a, i * k + b, H[a * k + b]);
      }
      const KM = new Matrix(Array.from({ length: N }, (_, i) => Array.from(K.subarray(i * N, (i + 1) * N)))).mmul(M);
      const top = Math.max(...new EigenvalueDecomposition(KM).realEigenvalues);
      const lr = 0.7;
      expect(sharpness(K, z, { loss, n, k, lr }), loss).toBeCloseTo((lr * top) / n, 8);
      if (loss === 'mse') expect(sharpness(K, z, { loss, n, k, lr })).toBeCloseTo((lr * largestEigenvalue(K, N)) / (n * k), 10);
    }
  });
  it('the catapult detector: a rise above 2× and a fall below the start with sharpness < 2, and nothing less', () => {
    const h = (loss: number[], sharp: number[]) => loss.map((l, step) => ({ step, loss: l, sharpness: sharp[step] }));
    expect(detectCatapult(h([1, 3, 5, 0.5], [3, 2.5, 1.5, 1.2]))).toEqual({ peakLoss: 5, peakStep: 2, rise: 5, fallStep: 3, initialSharpness: 3, sharpness: 1.2, edge: 2 });
    expect(detectCatapult(h([1, 3, 5, 0.5], [1.9, 2.5, 1.5, 1.2]))).toBeNull(); // started below the edge
    expect(detectCatapult(h([1, 1.9, 0.5, 0.1], [3, 2.5, 1.5, 1.2]))).toBeNull(); // rose less than 2×
    expect(detectCatapult(h([1, 3, 5, 1.5], [3, 2.5, 1.5, 1.2]))).toBeNull(); // has not fallen below its start
    expect(detectCatapult(h([1, 3, 5, 0.5], [3, 2.5, 2.2, 2.1]))).toBeNull(); // sharpness still above 2
  });
});
