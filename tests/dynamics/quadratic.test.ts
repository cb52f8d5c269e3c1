// The quadratic model trained beside the network (train.quadratic): exact for a bilinear network,
// and its gap to the network falls faster with width than the linearised model's under the NTK
// parameterization (theory: f − f_lin = O(m^−1/2), f − f_quad = O(m^−1)), but not under mean-field.
import { describe, expect, it } from 'vitest';
import { Experiment, type RunRecord, type SweepSummary } from '../../src/dynamics/experiment';
import { parseSpec } from '../../src/spec';
import { outputDerivatives } from '../helpers/hessian-ref';
import { readLayers } from '../helpers/net-f64';
import { records, runSpec } from '../helpers/experiment';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('the quadratic model', () => {
  it('equals a bilinear network (identity activation, one hidden layer, biases, α and centring) over training, SGD with momentum', async () => {
    const lines = await runSpec(ctx.rt, {
      seed: 4,
      model: { inputDim: 3, hidden: [12], outputDim: 2, activation: 'identity', parameterization: 'ntk', biasStd: 0.5, alpha: 2, centered: true, ensemble: 2 },
      data: { train: { kind: 'gaussian', n: 6 }, test: { kind: 'gaussian', n: 4 }, target: { kind: 'teacher', hidden: [4], activation: 'tanh' } },
      train: { optimizer: 'sgd', batchSize: 3, momentum: 0.5, lr: 0.5, steps: 30, recordEvery: 10, linearized: true, quadratic: true },
    });
    const recs = records(lines);
    expect(recs.map((r) => r.step)).toEqual([0, 10, 20, 30]);
    const last = recs.at(-1)!;
    expect(last.trainLoss).toBeLessThan(0.5 * recs[0].trainLoss); // it trained
    // f is quadratic in θ, so f_quad = f exactly; the linearised model is not (its gap is far from float32 rounding)
    const scale = Math.sqrt(2 * recs[0].trainLoss);
    for (const r of recs) {
      expect(r.quadraticGap!).toBeLessThan(1e-4 * scale);
      expect(Math.abs(r.quadraticTrainLoss! - r.trainLoss)).toBeLessThan(1e-4 * r.trainLoss + 1e-7);
      expect(Math.abs(r.quadraticTestLoss! - r.testLoss!)).toBeLessThan(1e-4 * r.testLoss! + 1e-7);
    }
    expect(last.linearGap!).toBeGreaterThan(1e-3 * scale);
  });

  it('GD on the quadratic model of a tanh net equals float64 GD with the explicit Hessian, step by step', async () => {
    const X = [[0.5, -1], [1.2, 0.3], [-0.4, 0.8]];
    const Y = [[0.7], [-0.2], [0.4]];
    const lr = 0.8;
    const spec = parseSpec({
      seed: 3, model: { inputDim: 2, hidden: [4], activation: 'tanh', parameterization: 'ntk', biasStd: 0.5, weightStd: 1.5 },
      data: { train: { kind: 'points', x: X, y: Y } }, train: { lr, steps: 6, quadratic: true },
    });
    const exp = await Experiment.create(ctx.rt, spec);
    try {
      const layers = await readLayers(exp.trainer.initial, 0);
      const derivs = X.map((x) => outputDerivatives(layers, 'tanh', x));
      const P = derivs[0].J[0].length;
      const delta = new Float64Array(P);
      for (let t = 0; t <= 6; t++) {
        // f_quad, the loss and the gradient (J + Hδ)ᵀr/… of L = (1/2n)Σ(f_quad − y)² in float64
        const Hd = derivs.map((d) => d.H[0].map((row) => row.reduce((s, h, q) => s + h * delta[q], 0)));
        const fq = derivs.map((d, i) => d.f[0] + d.J[0].reduce((s, j, q) => s + j * delta[q], 0) + 0.5 * Hd[i].reduce((s, h, q) => s + h * delta[q], 0));
        const loss = fq.reduce((s, f, i) => s + (f - Y[i][0]) ** 2, 0) / (2 * X.length);
        const record = (await exp.record()) as RunRecord;
        expect(Math.abs(record.quadraticTrainLoss! - loss), `step ${t}`).toBeLessThan(1e-5 * loss + 1e-7);
        const g = new Float64Array(P);
        derivs.forEach((d, i) => d.J[0].forEach((j, q) => (g[q] += ((fq[i] - Y[i][0]) / X.length) * (j + Hd[i][q]))));
        g.forEach((v, q) => (delta[q] -= lr * v));
        exp.trainer.step(1);
      }
    } finally {
      exp.dispose();
    }
  });

  it('NTK, tanh, widths 32/128/512: both gaps vanish like m^−1, quadraticGap below linearGap; under mean-field quadraticGap does not vanish', async () => {
    const spec = (parameterization: 'ntk' | 'meanfield') => ({
      seed: 7,
      model: { inputDim: 2, hidden: [[32], [128], [512]], activation: 'tanh' as const, parameterization, biasStd: 0.3, ensemble: 3 },
      data: { train: { kind: 'circle' as const, n: 8 }, target: { kind: 'sin' as const } },
      train: { lr: 1, steps: 20, recordEvery: 20, linearized: parameterization === 'ntk', quadratic: true },
      observe: { spectrum: 1 },
    });
    const ntk = await runSpec(ctx.rt, spec('ntk'));
    const slopes = (ntk.at(-1) as { summary: SweepSummary }).summary.slopes;
    const finals = records(ntk).filter((r) => r.step === 20);
    // the O(1/m) corrections of Dyer & Gur-Ari (arXiv:1909.11304): measured −1.23 (linear) and −1.07 (quadratic) at 40 steps, E = 4, seed 7
    expect(slopes.linearGap!).toBeLessThan(-0.7);
    expect(slopes.quadraticGap!).toBeLessThan(-0.7);
    finals.forEach((r: RunRecord) => expect(r.quadraticGap!).toBeLessThan(r.linearGap!));
    const mf = await runSpec(ctx.rt, spec('meanfield'));
    const mfSlopes = (mf.at(-1) as { summary: SweepSummary }).summary.slopes;
    const mfFinals = records(mf).filter((r) => r.step === 20);
    expect(mfSlopes.quadraticGap!).toBeGreaterThan(-0.25);
    // and it stays far above the NTK network's at the largest width
    expect(mfFinals.at(-1)!.quadraticGap!).toBeGreaterThan(10 * finals.at(-1)!.quadraticGap!);
  });
});
