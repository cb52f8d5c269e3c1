// Weight decay and the lstsq solve on the GPU against float64: GD on the linearised model with
// decay follows the ridge closed form; lstsq equals the explicit-Jacobian pseudo-inverse (ridge)
// solution Δ = C·Jᵀ(J·C·Jᵀ + nkλI)⁺(y − z₀), C = diag(η_p/η); bad input is refused by field path.
import { Matrix, inverse, pseudoInverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { solveLeastSquares } from '../../src/dynamics/lstsq';
import { Trainer, type TrainerConfig } from '../../src/dynamics/trainer';
import type { MlpConfig } from '../../src/nets/mlp';
import { SpecError, parseSpec, type ExperimentSpecInput } from '../../src/spec';
import { useRuntime } from '../helpers/gpu';
import { records, runSpec } from '../helpers/experiment';
import { flatten, jacobian, readLayers, type RefLayer } from '../helpers/net-f64';

const ctx = useRuntime();

const X = [[0.3, -1.2, 0.5], [1.1, 0.4, -0.7], [-0.6, 0.9, 1.3], [0.2, 0.1, -0.4], [0.9, -0.3, 0.2], [-1.0, -0.5, 0.6]];

/** Float64 lstsq with explicit Jacobians of member layers: Δ (flat, the reference's parameter order). */
function referenceSolve(layers: RefLayer[], y: number[][], o: { alpha: number; centred: boolean; scales: { weight: number[]; bias: number[] }; weightDecay: number }) {
  const k = y[0].length;
  const jac = X.map((x) => jacobian(layers, 'tanh', x));
  const J = new Matrix(jac.flatMap((j) => j.rows.map((row) => Array.from(row, (v) => o.alpha * v)))); // (n·k) × P, row i·k + a
  const c = layers.flatMap((l, i) => [...Array(l.w.length).fill(o.scales.weight[i]), ...(l.b ? Array(l.b.length).fill(o.scales.bias[i]) : [])]);
  const CJt = J.transpose().clone();
  for (let p = 0; p < CJt.rows; p++) for (let r = 0; r < CJt.columns; r++) CJt.set(p, r, CJt.get(p, r) * c[p]);
  const theta = J.mmul(CJt); // Θ_η
  const N = X.length * k;
  const residual = new Matrix(jac.flatMap((j, i) => Array.from({ length: k }, (_, a) => [y[i][a] - (o.centred ? 0 : o.alpha * j.f[a])])));
  const solve = o.weightDecay > 0 ? inverse(theta.add(Matrix.eye(N).mul(N * o.weightDecay))) : pseudoInverse(theta);
  return CJt.mmul(solve.mmul(residual)).to1DArray();
}

describe('lstsq against a float64 pseudo-inverse', () => {
  const cases: { name: string; net: Partial<MlpConfig>; train: Partial<TrainerConfig>; k: number }[] = [
    { name: 'random features, 4 features < 6 points (rank-deficient Θ: the pseudo-inverse)', net: { hidden: [4] }, train: { frozen: [0] }, k: 1 },
    { name: 'random features, 16 features > 6 points, readout bias, k = 2, α = 3', net: { hidden: [16], biasStd: 0.5, alpha: 3 }, train: { frozen: [0] }, k: 2 },
    { name: 'random features with ridge λ = 0.05, mean-field', net: { hidden: [16], parameterization: 'meanfield' }, train: { frozen: [0], weightDecay: 0.05 }, k: 1 },
    { name: 'linearised deep network (every layer trainable), µP, centred', net: { hidden: [5, 4], parameterization: 'mup', biasStd: 0.3, centered: true }, train: { linearized: true }, k: 2 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { rt } = ctx;
      const k = c.k;
      const y = X.map((x, i) => Array.from({ length: k }, (_, a) => Math.sin(2 * x[0] + i + a)));
      const netConfig: MlpConfig = { inputDim: 3, hidden: [8], outputDim: k, activation: 'tanh', parameterization: 'ntk', weightStd: 1.2, biasStd: 0, ensemble: 2, seed: 5, ...c.net };
      const config: TrainerConfig = { optimizer: 'lstsq', lr: 0.7, momentum: 0, batchSize: null, loss: 'mse', frozen: [], linearized: false, ...c.train };
      const trainer = new Trainer(rt, netConfig, { x: X, y }, config);
      await trainer.start();
      await solveLeastSquares(trainer);
      expect(trainer.stepIndex).toBe(1);
      for (let e = 0; e < 2; e++) {
        const before = await readLayers(trainer.initial, e);
        const expected = referenceSolve(before, y, { alpha: netConfig.alpha ?? 1, centred: !!netConfig.centered, scales: trainer.kernelScales, weightDecay: config.weightDecay ?? 0 });
        const after = flatten(await readLayers(trainer.net, e));
        const delta = after.map((v, p) => v - flatten(before)[p]);
        const scale = Math.max(...expected.map(Math.abs));
        expect(scale).toBeGreaterThan(1e-3);
        // float32 kernel and VJP, float64 solve: the solution to 1e-3 of its size (the κ of these Θ is ≤ 1e3)
        delta.forEach((d, p) => expect(Math.abs(d - expected[p]), `member ${e} parameter ${p}`).toBeLessThan(1e-3 * scale));
        if (trainer.delta) {
          const lin = flatten(await Promise.all(trainer.delta.map(async (t, l) => ({ ...before[l], w: Float64Array.from(await t.weight.read()).subarray(e * before[l].w.length, (e + 1) * before[l].w.length), b: t.bias ? Float64Array.from(await t.bias.read()).subarray(e * before[l].fanOut, (e + 1) * before[l].fanOut) : null }))));
          lin.forEach((d, p) => expect(Math.abs(d - expected[p])).toBeLessThan(1e-3 * scale));
        }
      }
      expect(await trainer.divergence()).toBeNull();
      trainer.dispose();
    });
  }
});

const base = (train: Record<string, unknown>, model: Record<string, unknown> = {}): ExperimentSpecInput => ({
  seed: 3,
  model: { inputDim: 2, hidden: [48], parameterization: 'ntk', ensemble: 2, ...model },
  data: { train: { kind: 'circle', n: 8 }, test: { kind: 'circle', n: 12 }, target: { kind: 'sin', frequency: 2 } },
  train: { lr: 1, ...train },
  observe: { spectrum: 2 },
});

describe('ridge and ridgeless closed forms against GD on the linearised model', () => {
  it('GD with weight decay follows the ridge closed form at every record, and differs from the ridgeless one', async () => {
    const { rt } = ctx;
    const run = async (weightDecay: number) => records(await runSpec(rt, base({ linearized: true, steps: 12, recordEvery: 6, weightDecay })));
    const ridge = await run(0.2);
    const plain = await run(0);
    for (const r of ridge) {
      const cf = r.kernelRegression!.empirical;
      expect(r.kernelRegression!.mode).toBe('gd');
      expect(Math.abs(r.linearTrainLoss! - cf.trainLoss)).toBeLessThan(1e-4 * cf.trainLoss + 1e-7);
      expect(Math.abs(r.linearTestLoss! - cf.testLoss!)).toBeLessThan(1e-4 * cf.testLoss! + 1e-7);
    }
    // the decay holds the loss up: at step 12 the ridge train loss is clearly above the ridgeless one
    expect(ridge.at(-1)!.linearTrainLoss!).toBeGreaterThan(1.5 * plain.at(-1)!.linearTrainLoss!);
  });

  it('lstsq gives the t → ∞ limit: the linearised model equals the ridge and ridgeless closed forms there', async () => {
    const { rt } = ctx;
    for (const weightDecay of [0, 0.05]) {
      const lines = records(await runSpec(rt, base({ optimizer: 'lstsq', linearized: true, weightDecay })));
      expect(lines.map((r) => r.step)).toEqual([1]);
      const r = lines[0];
      expect(r.kernelRegression!.mode).toBe('limit');
      const cf = r.kernelRegression!.empirical;
      expect(Math.abs(r.linearTestLoss! - cf.testLoss!)).toBeLessThan(1e-3 * cf.testLoss!);
      if (weightDecay === 0) expect(r.linearTrainLoss!).toBeLessThan(1e-6); // 48·3 parameters > 8 points: interpolation
      else expect(Math.abs(r.linearTrainLoss! - cf.trainLoss)).toBeLessThan(1e-3 * cf.trainLoss);
    }
  });

  it('random features: lstsq equals long GD with decay (the limit GD converges to)', async () => {
    const { rt } = ctx;
    const model = { frozen: [0] };
    const solved = records(await runSpec(rt, base({ optimizer: 'lstsq', weightDecay: 0.1 }, model)))[0];
    const trained = records(await runSpec(rt, base({ steps: 200, recordEvery: 200, weightDecay: 0.1, lr: 4 }, model))).at(-1)!;
    expect(Math.abs(solved.trainLoss - trained.trainLoss)).toBeLessThan(1e-3 * solved.trainLoss);
    expect(Math.abs(solved.testLoss! - trained.testLoss!)).toBeLessThan(1e-3 * solved.testLoss!);
  });
});

describe('bad input', () => {
  const issues = (input: ExperimentSpecInput) => {
    try {
      parseSpec(input);
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      return (e as Error).message;
    }
    throw new Error('expected a SpecError');
  };
  it('refuses lstsq on a model not linear in its trainable parameters, with other losses, momentum or mini-batches', () => {
    expect(issues(base({ optimizer: 'lstsq' }))).toMatch(/train\.optimizer: expected a model linear in its trainable parameters.*received trainable non-readout layer \[0\]/);
    expect(issues(base({ optimizer: 'lstsq' }, { hidden: [8, 8], frozen: [0] }))).toMatch(/model\.frozen listing every layer but the readout, \[0, 1\].*received trainable non-readout layer \[1\]/);
    expect(issues({ ...base({ optimizer: 'lstsq', loss: 'cross_entropy' }, { frozen: [0] }), data: { train: { kind: 'xor', n: 8 } } })).toMatch(/train\.loss: expected "mse" with optimizer "lstsq"/);
    expect(issues(base({ optimizer: 'lstsq', momentum: 0.9, linearized: true }))).toMatch(/train\.momentum: expected 0 with optimizer "lstsq"/);
    expect(issues(base({ optimizer: 'lstsq', linearized: true, quadratic: true }))).toMatch(/train\.quadratic: expected false with optimizer "lstsq"/);
    expect(issues(base({ optimizer: 'lstsq', compare: true }))).toMatch(/train\.compare: expected false with optimizer "lstsq"/);
    expect(issues(base({ optimizer: 'lstsq', batchSize: 4 }, { frozen: [0] }))).toMatch(/train\.batchSize: expected null with optimizer "lstsq"/);
    // accepted: random features, and the linearised model of any network
    expect(() => parseSpec(base({ optimizer: 'lstsq' }, { frozen: [0] }))).not.toThrow();
    expect(() => parseSpec(base({ optimizer: 'lstsq', linearized: true }, { hidden: [8, 8] }))).not.toThrow();
  });
  it('refuses a negative or non-numeric weight decay', () => {
    expect(issues(base({ weightDecay: -0.1 }))).toMatch(/train\.weightDecay: expected a weight decay λ: a finite number ≥ 0; received -0\.1/);
    expect(issues(base({ weightDecay: 'big' }))).toMatch(/train\.weightDecay: expected a weight decay λ/);
  });
});
