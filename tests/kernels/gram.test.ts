import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { gram, gramRef } from '../../src/kernels/gram';
import { expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

// (batch, n1, n2, m): 1, primes, non-multiples of the 32-row tile, m % 4 ≠ 0 (scalar path), long m (split-K)
const CASES = [
  [1, 1, 1, 1], [1, 5, 5, 7], [1, 33, 33, 16], [1, 67, 67, 13], [3, 37, 37, 64], [1, 9, 9, 5003], [1, 70, 70, 4096],
] as const;

describe('gram', () => {
  for (const [batch, n, , m] of CASES) {
    it(`symmetric A·Aᵀ batch ${batch}, n ${n}, m ${m}`, async () => {
      const { rt } = ctx;
      const data = testData(batch * n * m, n + m);
      const a = Tensor.from(rt, data, batch > 1 ? [batch, n, m] : [n, m], 'A');
      const g = await gram(rt, a, undefined, { alpha: 0.25 }).read();
      const ref = gramRef(data, data, n, n, m, batch, 0.25);
      expectClose(g, ref, tolerance(m), 'gram');
      // mirrored exactly: G[i,j] and G[j,i] are the same float
      for (let t = 0; t < batch; t++) for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(g[t * n * n + i * n + j]).toBe(g[t * n * n + j * n + i]);
    });
  }

  for (const [n1, n2, m, splits] of [[1, 3, 2, 1], [17, 41, 23, 1], [35, 6, 1024, 5], [64, 65, 128, 2]] as const) {
    it(`cross A·Bᵀ ${n1}×${n2}, m ${m}, splits ${splits}`, async () => {
      const { rt } = ctx;
      const ad = testData(n1 * m, 3);
      const bd = testData(n2 * m, 4);
      const g = gram(rt, Tensor.from(rt, ad, [n1, m]), Tensor.from(rt, bd, [n2, m]), { splits });
      expectClose(await g.read(), gramRef(ad, bd, n1, n2, m), tolerance(m), 'cross gram');
    });
  }

  it('batches with the width split into slices', async () => {
    const { rt } = ctx;
    const data = testData(3 * 6 * 1000, 5);
    const g = gram(rt, Tensor.from(rt, data, [3, 6, 1000]), undefined, { splits: 3 });
    expectClose(await g.read(), gramRef(data, data, 6, 6, 1000, 3), tolerance(1000), 'batched split gram');
  });

  it('a batched A against a broadcast B', async () => {
    const { rt } = ctx;
    const ad = testData(2 * 5 * 12, 8);
    const bd = testData(7 * 12, 9);
    const g = gram(rt, Tensor.from(rt, ad, [2, 5, 12]), Tensor.from(rt, bd, [1, 7, 12]));
    expect(g.shape).toEqual([2, 5, 7]);
    expectClose(await g.read(), gramRef(ad, bd, 5, 7, 12, 2, 1, 5 * 12, 0), tolerance(12), 'broadcast gram');
  });

  it('refuses rows of different widths', () => {
    const { rt } = ctx;
    expect(() => gram(rt, Tensor.zeros(rt, [3, 4], 'X'), Tensor.zeros(rt, [3, 5], 'Y'))).toThrow(/"X" rows have width 4 but "Y" rows have width 5/);
  });
});
