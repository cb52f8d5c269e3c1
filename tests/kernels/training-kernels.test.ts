// The kernels training needs: loss cotangents, the optimiser update with its divergence watch,
// per-batch reductions and batched normalisation, each against its float64 reference.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { lossCotangent, lossCotangentRef, lossRef, type LossKind } from '../../src/kernels/loss';
import { divergenceStatus, readDivergenceStatus, sgdUpdate, sgdUpdateRef } from '../../src/kernels/optim';
import { BATCH_MAPS, normalizeBatches, reduceBatches, reduceRef, type BatchMap } from '../../src/kernels/reduce';
import { EPS32, expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

const labelsFor = (loss: LossKind, n: number, k: number): Float32Array => {
  if (loss === 'mse') return testData(n * k, 5);
  if (loss === 'logistic') return Float32Array.from(testData(n, 6), (v) => (v > 0 ? 1 : -1));
  const y = new Float32Array(n * k);
  for (let i = 0; i < n; i++) y[i * k + ((i * 7) % k)] = 1;
  return y;
};

describe('loss cotangents', () => {
  for (const loss of ['mse', 'logistic', 'softmax'] as const) {
    for (const [E, n, k] of [[1, 1, 1], [3, 7, 1], [2, 13, 3], [1, 257, 5]] as const) {
      if (loss === 'logistic' && k !== 1) continue;
      if (loss === 'softmax' && k === 1) continue;
      for (const centred of [false, true]) {
        it(`${loss}, E=${E} n=${n} k=${k}${centred ? ', centred' : ''}`, async () => {
          const { rt } = ctx;
          const fd = testData(E * n * k, 3, -4, 4);
          const yd = labelsFor(loss, n, k);
          const sd = centred ? testData(E * n * k, 4) : null;
          const alpha = centred ? 2.5 : 1;
          const f = Tensor.from(rt, fd, [E, n, k]);
          const y = Tensor.from(rt, yd, [n, k]);
          const shift = sd ? Tensor.from(rt, sd, [E, n, k]) : undefined;
          const r = await lossCotangent(rt, loss, f, y, { alpha, shift }).read();
          expectClose(r, lossCotangentRef(loss, fd, yd, n, k, alpha, sd), { atol: 16 * EPS32 * alpha / n, rtol: 16 * EPS32 }, loss);
        });
      }
    }
  }

  it('the cotangent is the gradient of the loss (finite differences in float64)', () => {
    const [n, k] = [4, 3];
    for (const loss of ['mse', 'softmax'] as const) {
      const f = Array.from(testData(n * k, 9, -2, 2));
      const y = Array.from(labelsFor(loss, n, k));
      const r = lossCotangentRef(loss, f, y, n, k, 1.5);
      f.forEach((_, i) => {
        const h = 1e-6;
        const up = f.slice(); up[i] += h;
        const down = f.slice(); down[i] -= h;
        const fd = (lossRef(loss, up, y, n, k, 1.5)[0] - lossRef(loss, down, y, n, k, 1.5)[0]) / (2 * h);
        expect(r[i]).toBeCloseTo(fd, 7);
      });
    }
  });

  it('refuses a logistic loss with several outputs', () => {
    const { rt } = ctx;
    const f = Tensor.zeros(rt, [1, 2, 2]);
    const y = Tensor.zeros(rt, [2, 2]);
    expect(() => lossCotangent(rt, 'logistic', f, y)).toThrow(/logistic loss needs one output/);
  });
});

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

describe('per-batch reductions and normalisation', () => {
  for (const [batches, inner] of [[1, 1], [3, 7], [5, 2049], [2, 100_003]] as const) {
    it(`every map over ${batches} × ${inner}`, async () => {
      const { rt } = ctx;
      const xd = testData(batches * inner, 2);
      const yd = testData(batches * inner, 3);
      const x = Tensor.from(rt, xd);
      const y = Tensor.from(rt, yd);
      for (const map of Object.keys(BATCH_MAPS) as BatchMap[]) {
        const expected = reduceRef.batches(map, xd, batches, yd);
        const bound = { atol: 4 * Math.log2(inner + 1) * EPS32 * inner * 2, rtol: 0 };
        expectClose(await reduceBatches(rt, map, x, batches, y).read(), expected, bound, map);
      }
    });
    it(`normalises ${batches} vectors of ${inner}`, async () => {
      const { rt } = ctx;
      const xd = testData(batches * inner, 4);
      const x = Tensor.from(rt, xd);
      const norms = await normalizeBatches(rt, x, batches).read();
      const expectedNorms = Array.from(reduceRef.batches('sumSquares', xd, batches), Math.sqrt);
      expectClose(norms, expectedNorms, tolerance(inner), 'norms');
      const normalised = Float64Array.from(xd, (v, i) => v / expectedNorms[Math.floor(i / inner)]);
      expectClose(await x.read(), normalised, tolerance(inner), 'vectors');
    });
  }

  it('leaves a zero vector zero', async () => {
    const { rt } = ctx;
    const x = Tensor.zeros(rt, [2, 5]);
    expect(Array.from(await normalizeBatches(rt, x, 2).read())).toEqual([0, 0]);
    expect(Array.from(await x.read()).every((v) => v === 0)).toBe(true);
  });
});
