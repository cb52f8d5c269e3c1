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
