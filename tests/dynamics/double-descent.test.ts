// Double descent of random-feature regression (Belkin et al. 2019, arXiv:1812.11118; Mei &
// Montanari 2019, arXiv:1908.05355): the ridgeless minimum-norm solve (train.optimizer "lstsq")
// has its test loss peak at the interpolation threshold m = n, and a ridge (train.weightDecay)
// lowers the peak. A tiny version of examples/double-descent.json, solved with the Trainer alone
// (no per-width records: the full Experiment path is what `widenet run` of the example exercises),
// and the sweep summary's peak (testLossPeak).
import { describe, expect, it } from 'vitest';
import { solveLeastSquares } from '../../src/dynamics/lstsq';
import { testLossPeak } from '../../src/dynamics/records';
import { Trainer } from '../../src/dynamics/trainer';
import { Tensor } from '../../src/gpu/tensor';
import { lossRef } from '../../src/kernels/loss';
import { Mlp } from '../../src/nets/mlp';
import { modelOutputs } from '../../src/nets/output-scale';
import { mlpConfig, parseSpec, specData } from '../../src/spec';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const n = 8;
const widths = [2, 4, 6, 8, 10, 12, 16, 32];
const E = 8;
const spec = parseSpec({
  seed: 1, // also passed with seeds 0, 2 and 7 (2026-12-01)
  model: { inputDim: 4, hidden: widths.map((m) => [m]), activation: 'relu', parameterization: 'ntk', ensemble: E, frozen: [0] },
  data: { train: { kind: 'sphere', n }, test: { kind: 'sphere', n: 48 }, target: { kind: 'teacher', hidden: [8], activation: 'tanh' } },
  train: { optimizer: 'lstsq' },
});

/** Ensemble-mean train and test MSE after the lstsq solve at width m. */
async function solveAt(m: number, weightDecay: number): Promise<{ trainLoss: number; testLoss: number }> {
  const { rt } = ctx;
  const { train, test } = specData(spec);
  const trainer = new Trainer(rt, mlpConfig(spec, [m]), { x: train.x, y: train.y! }, { optimizer: 'lstsq', lr: 1, momentum: 0, batchSize: null, loss: 'mse', frozen: [0], linearized: false, weightDecay });
  await trainer.start();
  await solveLeastSquares(trainer);
  const loss = async (x: number[][], y: number[][]) => {
    const xt = Tensor.from(rt, x.flat(), [x.length, 4], 'x');
    const out = trainer.net.forward(xt);
    const f = await out.output.read();
    Mlp.release(out);
    xt.dispose();
    const per = lossRef('mse', modelOutputs(trainer.net.config, f, f), y.flat(), x.length, 1);
    return per.reduce((s, v) => s + v, 0) / E;
  };
  const result = { trainLoss: await loss(train.x, train.y!), testLoss: await loss(test!.x, test!.y!) };
  trainer.dispose();
  return result;
}

describe('double descent of random-feature regression', () => {
  it('the ridgeless test loss peaks at m = n (within a grid step), and ridge lowers the peak', async () => {
    type Curve = { width: number; record: { trainLoss: number; testLoss: number } }[];
    const ridgeless: Curve = [];
    const ridge: Curve = [];
    for (const m of widths) {
      ridgeless.push({ width: m, record: await solveAt(m, 0) });
      ridge.push({ width: m, record: await solveAt(m, 0.02) });
    }
    const test = (curve: Curve, m: number) => curve[widths.indexOf(m)].record.testLoss;
    const peak = testLossPeak(ridgeless);
    const curve = JSON.stringify(ridgeless.map((p) => [p.width, +p.record.testLoss.toPrecision(3)]));
    expect(Math.abs(widths.indexOf(peak.peakWidth!) - widths.indexOf(n)), `ridgeless peak at m = ${peak.peakWidth}: ${curve}`).toBeLessThanOrEqual(1);
    // a peak, not a monotone curve: well above both ends
    expect(peak.peakTestLoss!, curve).toBeGreaterThan(2 * test(ridgeless, 32));
    expect(peak.peakTestLoss!, curve).toBeGreaterThan(1.5 * test(ridgeless, 2));
    // past the threshold the ridgeless solve interpolates (float32 outputs)
    for (const m of [12, 16, 32]) expect(ridgeless[widths.indexOf(m)].record.trainLoss).toBeLessThan(1e-6);
    // ridge lowers the peak by a clear factor
    expect(test(ridge, n)).toBeLessThan(0.5 * test(ridgeless, n));
    expect(testLossPeak(ridge).peakTestLoss!).toBeLessThan(0.5 * peak.peakTestLoss!);
  });

  it('the summary peak is the width of the largest test loss; null without test losses', () => {
    const finals = [5, 9, 3].map((testLoss, i) => ({ width: [16, 32, 64][i], record: { testLoss } }));
    expect(testLossPeak(finals)).toEqual({ peakWidth: 32, peakTestLoss: 9 });
    expect(testLossPeak([{ width: 16, record: { testLoss: null } }])).toEqual({ peakWidth: null, peakTestLoss: null });
  });
});
