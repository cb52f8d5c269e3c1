// Heavy-ball GD's stability edge 2(1 + μ) (sharpness.ts: stabilityEdge, used by detectCatapult and
// the same edge as closed-forms.ts's suggestedMaxLr), the closed form's clock (full-batch "sgd" is
// "gd"), and the kernels file after a divergence (kernels-file.ts). Pure float64, no GPU.
import { describe, expect, it } from 'vitest';
import { closedFormClock, suggestedMaxLr } from '../../src/dynamics/closed-forms';
import { kernelsFile } from '../../src/dynamics/kernels-file';
import { CATAPULT_FACTOR, detectCatapult, stabilityEdge } from '../../src/dynamics/sharpness';

/** |e_T| of heavy ball on the 1-d quadratic λe²/2: e' = e − ηλ·e + μ(e − e_prev), from e = e_prev = 1. */
function heavyBall(etaLambda: number, mu: number, steps: number): number {
  let [e, prev] = [1, 1];
  for (let t = 0; t < steps; t++) [e, prev] = [e - etaLambda * e + mu * (e - prev), e];
  return Math.abs(e);
}

describe('the stability edge 2(1 + μ)', () => {
  it('separates converging from diverging heavy ball on a quadratic, for several μ', () => {
    for (const mu of [0, 0.3, 0.5, 0.9]) {
      const edge = stabilityEdge(mu);
      expect(edge).toBeCloseTo(2 * (1 + mu), 15);
      // just below: |e| decays (slowly near the edge); just above: it grows without bound
      expect(heavyBall(edge * 0.98, mu, 400), `μ ${mu} below`).toBeLessThan(1e-3);
      expect(heavyBall(edge * 1.02, mu, 400), `μ ${mu} above`).toBeGreaterThan(1e3);
    }
    // suggestedMaxLr is the same edge solved for η (MSE, k = 1: sharpness η·λ_max/n)
    expect(suggestedMaxLr(10, { n: 5, k: 1, momentum: 0.5, loss: 'mse' })! * (10 / 5)).toBeCloseTo(stabilityEdge(0.5), 12);
    expect(() => stabilityEdge(1)).toThrow('expected a momentum in [0, 1); received 1');
  });

  it('lets detectCatapult accept a final sharpness between 2 and 2(1 + μ) only with momentum', () => {
    // the loss rises above CATAPULT_FACTOR times its start, then falls below it; the sharpness ends at 2.5
    const history = [1, 3, 5, 0.5].map((loss, step) => ({ step, loss, sharpness: [3.5, 3.2, 2.8, 2.5][step] }));
    expect(history[2].loss).toBeGreaterThan(CATAPULT_FACTOR * history[0].loss);
    expect(detectCatapult(history)).toBeNull(); // plain GD: 2.5 is above its edge 2
    expect(detectCatapult(history, { momentum: 0.5 })).toEqual({ peakLoss: 5, peakStep: 2, rise: 5, fallStep: 3, initialSharpness: 3.5, sharpness: 2.5, edge: 3 });
    expect(detectCatapult(history, { momentum: 0.2 })).toBeNull(); // edge 2.4 < 2.5
    expect(detectCatapult(history.map((h) => ({ ...h, sharpness: h.sharpness - 1 })))!.edge).toBe(2);
    // a start below the edge is no catapult: heavy ball overshoots there on the linear model alone
    // (μ = 0.5, ηλ = 2.5 < 3: e₁ = (1 + μ − ηλ)·e₀ = −1.5·e₀, the loss rises 2.25× and decays)
    expect(heavyBall(2.5, 0.5, 1) ** 2).toBeCloseTo(2.25, 12);
    expect(detectCatapult(history, { momentum: 0.9 })).toBeNull(); // edge 3.8 > 3.5 at step 0
  });
});

describe('closedFormClock', () => {
  const train = (o: Partial<{ optimizer: string; momentum: number; batchSize: number | null; lr: number }>) => ({ optimizer: 'gd', momentum: 0, batchSize: null, lr: 0.5, ...o });
  it('gives full-batch sgd the discrete gd closed form, minibatches and momentum gradient flow', () => {
    expect(closedFormClock(train({}), 8, 10)).toEqual({ mode: 'gd', at: 10 });
    expect(closedFormClock(train({ optimizer: 'sgd' }), 8, 10)).toEqual({ mode: 'gd', at: 10 });
    expect(closedFormClock(train({ optimizer: 'sgd', batchSize: 8 }), 8, 10)).toEqual({ mode: 'gd', at: 10 });
    expect(closedFormClock(train({ optimizer: 'sgd', batchSize: 4 }), 8, 10)).toEqual({ mode: 'flow', at: 5 });
    expect(closedFormClock(train({ momentum: 0.5 }), 8, 10)).toEqual({ mode: 'flow', at: 10 }); // η·t/(1 − μ)
    expect(closedFormClock(train({ optimizer: 'lstsq' }), 8, 1)).toEqual({ mode: 'limit', at: Infinity });
    expect(closedFormClock(train({ optimizer: 'lstsq' }), 8, 0)).toEqual({ mode: 'gd', at: 0 });
  });
});

describe('kernelsFile', () => {
  const N = 2;
  const k = (v: number) => Float64Array.of(v, 0, 0, v);
  const x = [[1], [2]];
  it('writes Θ_t now when the run did not diverge', async () => {
    const file = await kernelsFile({ x, N, step: 20, initial: [k(1), k(3)], last: { step: 20, members: [k(5)] }, diverged: null, current: async () => [k(2), k(4)] });
    expect(file).toEqual({ step: 20, x, initial: [[2, 0], [0, 2]], current: [[3, 0], [0, 3]] });
  });

  it('after a divergence writes the last finite Θ_t with its own step and a diverged field, never a NaN', async () => {
    const diverged = { step: 4, reason: 'the parameters became non-finite' };
    let asked = false;
    const file = await kernelsFile({ x, N, step: 5, initial: [k(1)], last: { step: 0, members: [k(7)] }, diverged, current: async () => ((asked = true), [k(NaN)]) });
    expect(asked).toBe(false); // Θ of non-finite parameters is not even computed
    expect(file).toEqual({ step: 0, x, initial: [[1, 0], [0, 1]], current: [[7, 0], [0, 7]], diverged });
    // no finite Θ_t ever recorded: current and step null, and the reason says so
    const none = await kernelsFile({ x, N, step: 1, initial: [k(Infinity)], last: null, diverged, current: async () => [k(1)] });
    expect(none).toEqual({ step: null, x, initial: null, current: null, diverged: { step: 4, reason: 'the parameters became non-finite; no finite Θ_t was recorded before it' } });
    // a non-finite Θ_t without a divergence (a safety net) is treated the same way
    const net = await kernelsFile({ x, N, step: 3, initial: [k(1)], last: { step: 2, members: [k(9)] }, diverged: null, current: async () => [k(NaN)] });
    expect(net).toEqual({ step: 2, x, initial: [[1, 0], [0, 1]], current: [[9, 0], [0, 9]], diverged: { step: 3, reason: 'the kernel Θ_η on the probe is non-finite (float32 overflow)' } });
    expect(JSON.stringify([file, none, net])).not.toMatch(/NaN|null,null/);
  });
});
