// The science, tested statistically with fixed seeds and ensembles: networks in NTK
// parameterization become their linearisation as width grows (the NTK and the linear gap fall
// like width^−1/2); mean-field and µP networks keep moving their kernel at every width; the lazy
// scale α shrinks the weight change like 1/α; the linearised model is exactly kernel regression
// with Θ₀; µP keeps activation updates width-independent where standard parameterization lets
// them grow. Tolerances: slopes are fitted over widths 256…4096 with E = 4 members; the theory
// gives −1/2 (lazy) and 0 (rich), and the bounds (≤ −0.35, ≥ −0.15) leave room for any seed.
import { describe, expect, it } from 'vitest';
import { Experiment, type RunLine, type RunRecord, type SweepSummary } from '../../src/dynamics/experiment';
import { logLogSlope } from '../../src/dynamics/observables';
import { parseSpec, type ExperimentSpecInput } from '../../src/spec';
import { records, runSpec } from '../helpers/experiment';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

const run = (spec: ExperimentSpecInput) => runSpec(ctx.rt, spec);
const summaryOf = (lines: RunLine[]) => (lines.at(-1) as { summary: SweepSummary }).summary;

/** A sweep over widths 256, 1024, 4096 of a two-layer ReLU network on 8 circle points, 20 GD steps. */
const sweep = (parameterization: string, lr: number, linearized: boolean): ExperimentSpecInput => ({
  seed: 3,
  model: { inputDim: 2, hidden: [[256], [1024], [4096]], parameterization: parameterization as 'ntk', ensemble: 4 },
  data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin', frequency: 2 } },
  train: { lr, steps: 20, recordEvery: 20, linearized },
  observe: { spectrum: 0 },
});

describe('kernel regime: NTK parameterization', () => {
  it('linearGap and the relative NTK change fall with width, slopes ≤ −0.35', async () => {
    const lines = await run(sweep('ntk', 1, true));
    const { slopes, widths } = summaryOf(lines);
    expect(widths).toEqual([256, 1024, 4096]);
    expect(slopes.ntkChange!).toBeLessThanOrEqual(-0.35);
    expect(slopes.linearGap!).toBeLessThanOrEqual(-0.35);
    // and the networks did train: the loss fell at every width
    const byWidth = [256, 1024, 4096].map((w) => records(lines).filter((r) => r.width[0] === w));
    for (const rs of byWidth) expect(rs.at(-1)!.trainLoss).toBeLessThan(0.5 * rs[0].trainLoss);
  });
});

describe('feature-learning regime', () => {
  for (const [parameterization, lr] of [['meanfield', 1], ['mup', 0.5]] as const) {
    it(`${parameterization}: the relative NTK change does not fall with width (slope ≥ −0.15)`, async () => {
      const lines = await run(sweep(parameterization, lr, false));
      const { slopes } = summaryOf(lines);
      expect(slopes.ntkChange!).toBeGreaterThanOrEqual(-0.15);
      // the kernel really moves (a flat zero would also have slope ≥ −0.15)
      for (const r of records(lines).filter((r) => r.step === 20)) expect(r.ntkChange).toBeGreaterThan(0.05);
    });
  }
});

describe('lazy training (Chizat, Oyallon & Bach)', () => {
  it('the relative weight change falls like 1/α', async () => {
    const alphas = [1, 4, 16];
    const changes: number[][] = [];
    for (const alpha of alphas) {
      const lines = await run({ ...sweep('ntk', 1, false), model: { inputDim: 2, hidden: [1024], parameterization: 'ntk', ensemble: 4, alpha, centered: true } });
      changes.push(records(lines).at(-1)!.weightChange);
    }
    for (let l = 0; l < 2; l++) {
      const slope = logLogSlope(alphas, changes.map((c) => c[l]))!;
      expect(slope, `layer ${l}`).toBeGreaterThan(-1.1);
      expect(slope, `layer ${l}`).toBeLessThan(-0.9);
    }
  });
});

describe('the linearised model is kernel regression with Θ₀', () => {
  it('GD on f_lin equals the closed-form discrete-GD prediction (per-layer rates, bias, k = 2)', async () => {
    const spec = parseSpec({
      seed: 5,
      model: { inputDim: 3, hidden: [48], outputDim: 2, activation: 'tanh', parameterization: 'mup', biasStd: 0.3, ensemble: 2 },
      data: { train: { kind: 'sphere', n: 10 }, test: { kind: 'sphere', n: 7 }, target: { kind: 'teacher', hidden: [3] } },
      train: { lr: 0.3, steps: 30, linearized: true },
    });
    const experiment = await Experiment.create(ctx.rt, spec);
    const probe = [[1, 0, 0], [0.6, 0.8, 0], [0, -0.6, 0.8]];
    for (const steps of [0, 10, 30]) {
      if (steps) await experiment.train(steps - experiment.stepIndex);
      const record = (await experiment.record()) as RunRecord;
      const scale = record.kernelRegression!.empirical.trainLoss;
      expect(Math.abs(record.linearTrainLoss! - scale) / scale, `train loss at step ${steps}`).toBeLessThan(2e-5);
      expect(Math.abs(record.linearTestLoss! - record.kernelRegression!.empirical.testLoss!) / record.kernelRegression!.empirical.testLoss!).toBeLessThan(2e-5);
      const predicted = await experiment.predict(probe);
      const closedForm = await experiment.kernelRegression(probe);
      predicted.linearized!.flat().forEach((v, i) => expect(Math.abs(v - closedForm.empirical.flat()[i]), `output ${i} at step ${steps}`).toBeLessThan(2e-5));
    }
    experiment.dispose();
  });

  it('random features (input layer frozen): the network is its own linearisation and follows the closed form', async () => {
    const lines = await run({
      seed: 1,
      model: { inputDim: 2, hidden: [512], parameterization: 'meanfield', ensemble: 2, frozen: [0] },
      // sin 2θ: a bias-free ReLU feature holds only the Fourier modes 0, 1 and the even ones, so
      // sin 3θ on uniform circle points would be orthogonal to every feature (loss stuck at 0.25)
      data: { train: { kind: 'circle', n: 12 }, target: { kind: 'sin', frequency: 2 } },
      train: { lr: 1, steps: 20, recordEvery: 10, linearized: true },
      observe: { spectrum: 0 },
    });
    const rs = records(lines);
    // the target is learnable: the loss falls (0.251 → 0.163 at seed 1), and sin 3θ would stay at 0.25
    expect(rs.at(-1)!.trainLoss).toBeLessThan(0.8 * rs[0].trainLoss);
    for (const r of rs) {
      expect(r.weightChange[0]).toBe(0);
      expect(r.linearGap!).toBeLessThan(1e-5);
      expect(Math.abs(r.trainLoss - r.kernelRegression!.empirical.trainLoss) / r.kernelRegression!.empirical.trainLoss).toBeLessThan(1e-4);
    }
    expect(records(lines).at(-1)!.weightChange[1]).toBeGreaterThan(0);
  });
});

describe('classification', () => {
  it('logistic loss on XOR: the loss falls and the accuracy rises; no kernel-regression prediction', async () => {
    const lines = await run({
      seed: 2,
      model: { inputDim: 2, hidden: [256], parameterization: 'mup', ensemble: 2 },
      data: { train: { kind: 'xor', n: 64 } },
      train: { optimizer: 'sgd', batchSize: 16, momentum: 0.9, lr: 1, loss: 'cross_entropy', steps: 60, recordEvery: 60 },
      observe: { spectrum: 0 },
    });
    const [first, last] = records(lines);
    expect(last.trainLoss).toBeLessThan(0.7 * first.trainLoss);
    expect(last.trainAccuracy!).toBeGreaterThan(first.trainAccuracy!);
    expect(last.trainAccuracy!).toBeGreaterThan(0.8);
    expect(last.kernelRegression).toBeNull();
  });
});

describe('infinite width', () => {
  it('a wide centred NTK network follows the closed-form loss curve of Θ∞, within about 1/√width', async () => {
    const m = 4096;
    const lines = await run({
      seed: 3,
      model: { inputDim: 2, hidden: [m], parameterization: 'ntk', ensemble: 4, centered: true },
      data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin', frequency: 2 } },
      train: { lr: 1, steps: 30, recordEvery: 10 },
      observe: { spectrum: 0 },
    });
    const rs = records(lines);
    const initial = rs[0].trainLoss;
    expect(rs).toHaveLength(4);
    for (const r of rs) {
      const infinite = r.kernelRegression!.analytic!.trainLoss;
      // the deviation on the scale of the curve (its start), against 1/√m ≈ 0.016
      expect(Math.abs(r.trainLoss - infinite) / initial, `step ${r.step}: ${r.trainLoss} vs ${infinite}`).toBeLessThan(1 / Math.sqrt(m));
    }
    expect(rs.at(-1)!.trainLoss).toBeLessThan(0.2 * initial);
  });
});

describe('µP coordinate check (Tensor Programs V)', () => {
  const check = async (parameterization: 'mup' | 'standard') => {
    const lines = await run({
      seed: 4,
      model: { inputDim: 2, hidden: [[64, 64], [256, 256], [1024, 1024]], parameterization, ensemble: 2 },
      data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin', frequency: 2 } },
      train: { lr: 0.0002, steps: 4, recordEvery: 4 },
      observe: { spectrum: 0 },
    });
    const last = records(lines).filter((r) => r.step === 4);
    expect(last.map((r) => r.width[0])).toEqual([64, 256, 1024]);
    // slope of mean |x_l(t) − x_l(0)| against width, per layer (two hidden layers, then the output)
    return [0, 1, 2].map((l) => logLogSlope([64, 256, 1024], last.map((r) => r.coordinates[l].mean_abs_dh))!);
  };
  it('under µP the activation change is flat in width', async () => {
    const slopes = await check('mup');
    for (const s of slopes) expect(Math.abs(s), `slopes ${slopes}`).toBeLessThan(0.15);
  });
  it('under standard parameterization at the same learning rate it grows', async () => {
    const slopes = await check('standard');
    expect(slopes[1], `slopes ${slopes}`).toBeGreaterThan(0.25);
    expect(slopes[2], `slopes ${slopes}`).toBeGreaterThan(0.5);
  });
});
