// The optimiser update with its divergence watch against its float64 reference.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { divergenceStatus, readDivergenceStatus, sgdUpdate, sgdUpdateRef } from '../../src/kernels/optim';
import { expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('optimiser update', () => {
  for (const n of [1, 255, 257, 4099]) {
    for (const momentum of [0, 0.9]) {
      it(`${n} parameters, momentum ${momentum}, three steps`, async () => {
        const { rt } = ctx;
        let theta: Float64Array = Float64Array.from(testData(n, 1));
        let velocity: Float64Array | null = momentum ? new Float64Array(n) : null;
        const t = Tensor.from(rt, theta);
        const v = momentum ? Tensor.zeros(rt, [n]) : undefined;
        const status = divergenceStatus(rt, 2);
        for (let step = 1; step <= 3; step++) {
          const g = testData(n, 10 + step);
          const gt = Tensor.from(rt, g);
          sgdUpdate(rt, t, gt, { lr: 0.3, momentum, velocity: v, status, slot: 1, step });
          ({ theta, velocity } = (() => {
            const next = sgdUpdateRef(theta, g, velocity, 0.3, momentum);
            return { theta: next.theta, velocity: momentum ? next.velocity : null };
          })());
          gt.dispose();
        }
        expectClose(await t.read(), theta, tolerance(8), 'θ');
        expect(await readDivergenceStatus(rt, status, 2)).toEqual([null, null]);
      });
    }
  }

  // weight decay g + decay·(θ − θ₀) (train.weightDecay), with and without an anchor, over awkward sizes
  for (const n of [1, 257, 4099]) {
    for (const [momentum, anchored] of [[0, true], [0.9, true], [0.5, false]] as const) {
      it(`${n} parameters, decay 0.7 towards ${anchored ? 'θ₀' : '0'}, momentum ${momentum}, three steps`, async () => {
        const { rt } = ctx;
        const anchor = anchored ? Float64Array.from(testData(n, 3)) : null;
        let theta: Float64Array = Float64Array.from(testData(n, 2));
        let velocity: Float64Array | null = momentum ? new Float64Array(n) : null;
        const t = Tensor.from(rt, theta);
        const a = anchor ? Tensor.from(rt, anchor) : undefined;
        const v = momentum ? Tensor.zeros(rt, [n]) : undefined;
        const status = divergenceStatus(rt, 1);
        for (let step = 1; step <= 3; step++) {
          const g = testData(n, 20 + step);
          const gt = Tensor.from(rt, g);
          sgdUpdate(rt, t, gt, { lr: 0.3, momentum, velocity: v, status, slot: 0, step, decay: 0.7, anchor: a });
          const next = sgdUpdateRef(theta, g, velocity, 0.3, momentum, 0.7, anchor);
          theta = next.theta;
          velocity = momentum ? next.velocity : null;
          gt.dispose();
        }
        const got = await t.read();
        expectClose(got, theta, tolerance(8), 'θ');
        // the decay did act: without it θ would differ by far more than the tolerance
        const plain = Float64Array.from(testData(n, 2));
        expect(Math.max(...Array.from(got, (x, i) => Math.abs(x - plain[i])))).toBeGreaterThan(0.05);
        expect(await readDivergenceStatus(rt, status, 1)).toEqual([null]);
      });
    }
  }

  it('pure decay towards θ₀ contracts θ − θ₀ by (1 − η·decay) per step', async () => {
    const { rt } = ctx;
    const theta0 = [1, -2, 3, 0.5];
    const anchor = [0.5, 0.5, -1, 0.5];
    const t = Tensor.from(rt, theta0);
    const a = Tensor.from(rt, anchor);
    const zero = Tensor.zeros(rt, [4]);
    const status = divergenceStatus(rt, 1);
    for (let step = 1; step <= 5; step++) sgdUpdate(rt, t, zero, { lr: 0.1, status, slot: 0, step, decay: 2, anchor: a });
    // closed form: θ₀' + (θ − θ₀')·(1 − 0.2)^5
    expectClose(await t.read(), theta0.map((x, i) => anchor[i] + (x - anchor[i]) * 0.8 ** 5), tolerance(8), 'θ');
  });

  it('refuses a negative or non-finite decay', () => {
    const { rt } = ctx;
    const t = Tensor.from(rt, [1, 2]);
    const status = divergenceStatus(rt, 1);
    expect(() => sgdUpdate(rt, t, t, { lr: 1, status, slot: 0, step: 1, decay: -1 })).toThrow(/decay ≥ 0; received -1/);
    expect(() => sgdUpdate(rt, t, t, { lr: 1, status, slot: 0, step: 1, decay: NaN })).toThrow(/decay ≥ 0; received NaN/);
  });

  it('records the first step and the slot at which a parameter stops being finite', async () => {
    const { rt } = ctx;
    const t = Tensor.from(rt, [1, 2, 3, 4]);
    const status = divergenceStatus(rt, 3);
    const grads = [[0, 0, 0, 0], [0, 3e38, 0, 0], [0, 0, 0, 0]];
    grads.forEach((g, i) => {
      const gt = Tensor.from(rt, g);
      // step 2 sends θ[1] to −Inf (2 − 10·3e38 overflows float32); later steps keep it non-finite
      sgdUpdate(rt, t, gt, { lr: 10, status, slot: 2, step: i + 1 });
    });
    expect(await readDivergenceStatus(rt, status, 3)).toEqual([null, null, 2]);
  });
});
