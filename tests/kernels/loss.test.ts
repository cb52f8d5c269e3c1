// The loss cotangents (MSE, logistic, softmax) against their float64 reference.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { lossCotangent, lossCotangentRef, lossRef, type LossKind } from '../../src/kernels/loss';
import { EPS32, expectClose, testData, useRuntime } from '../helpers/gpu';

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
