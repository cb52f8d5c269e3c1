// Every Gram version (forced) against the float64 gramRef on awkward shapes: n = 1 and primes
// (not multiples of the 32-row or the 128×64 tile), m = 1 and 3 (scalar loads), 17, 4·prime
// (vec4 loads), long m split into forced slices, symmetric and cross, batched and broadcast,
// α ≠ 1, a given `out`; and the chooser's rule.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { GRAM_VERSIONS, chooseGramVersion, gram, gramRef } from '../../src/kernels/gram';
import { expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

// symmetric A·Aᵀ: [batch, n, m, splits (undefined: the automatic split)]
const SYMMETRIC = [[1, 1, 1], [1, 7, 3], [1, 37, 17], [1, 131, 148], [3, 37, 64], [1, 131, 1031, 4], [2, 70, 1052, 3]] as const;
// cross A·Bᵀ: [n1, n2, m, splits]
const CROSS = [[1, 37, 1], [7, 131, 3], [131, 37, 148], [37, 131, 1052, 3], [5, 9, 17]] as const;

describe.each(GRAM_VERSIONS)('gram version %s', (version) => {
  it('symmetric A·Aᵀ: n 1 and primes, m 1, 3, 17, 4·37, long m in forced slices, batched; the mirror is exact', async () => {
    const { rt } = ctx;
    for (const [batch, n, m, splits] of SYMMETRIC) {
      const data = testData(batch * n * m, n + m);
      const a = Tensor.from(rt, data, batch > 1 ? [batch, n, m] : [n, m], 'A');
      const G = gram(rt, a, undefined, { alpha: 0.25, version, splits });
      const g = await G.read();
      const what = `${version} batch ${batch} n ${n} m ${m} splits ${splits ?? 'auto'}`;
      expectClose(g, gramRef(data, data, n, n, m, batch, 0.25), tolerance(m), what);
      // mirrored exactly: G[i,j] and G[j,i] are the same float
      for (let t = 0; t < batch; t++) for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
        if (g[t * n * n + i * n + j] !== g[t * n * n + j * n + i]) throw new Error(`${what}: G(${i}, ${j}) = ${g[t * n * n + i * n + j]} but G(${j}, ${i}) = ${g[t * n * n + j * n + i]}`);
      }
      [a, G].forEach((x) => x.dispose());
    }
  });

  it('cross A·Bᵀ: ragged n1 × n2, m 1, 3, 17, 4·37, long m in forced slices', async () => {
    const { rt } = ctx;
    for (const [n1, n2, m, splits] of CROSS) {
      const ad = testData(n1 * m, 3 + n1);
      const bd = testData(n2 * m, 4 + n2);
      const [A, B] = [Tensor.from(rt, ad, [n1, m], 'A'), Tensor.from(rt, bd, [n2, m], 'B')];
      const G = gram(rt, A, B, { alpha: -1.5, version, splits });
      expect(G.shape).toEqual([n1, n2]);
      expectClose(await G.read(), gramRef(ad, bd, n1, n2, m, 1, -1.5), tolerance(m), `${version} cross ${n1}×${n2} m ${m} splits ${splits ?? 'auto'}`);
      [A, B, G].forEach((x) => x.dispose());
    }
  });

  it('broadcast batch (A batch 1 against B batch 3, and the reverse), sliced, into a given `out`', async () => {
    const { rt } = ctx;
    for (const [n1, n2, m, splits] of [[5, 7, 12, 1], [37, 9, 1031, 2]] as const) {
      const ad = testData(n1 * m, 8);
      const bd = testData(3 * n2 * m, 9);
      const [A, B] = [Tensor.from(rt, ad, [1, n1, m], 'A'), Tensor.from(rt, bd, [3, n2, m], 'B')];
      const out = Tensor.empty(rt, [3, n1, n2], 'out');
      const G = gram(rt, A, B, { alpha: 0.5, version, splits, out });
      expect(G).toBe(out);
      expectClose(await G.read(), gramRef(ad, bd, n1, n2, m, 3, 0.5, 0, n2 * m), tolerance(m), `${version} broadcast A ${n1}×${n2} m ${m}`);
      const H = gram(rt, B, A, { version, splits });
      expect(H.shape).toEqual([3, n2, n1]);
      expectClose(await H.read(), gramRef(bd, ad, n2, n1, m, 3, 1, n2 * m, 0), tolerance(m), `${version} broadcast B ${n2}×${n1} m ${m}`);
      [A, B, out, H].forEach((x) => x.dispose());
    }
  });
});

describe('chooseGramVersion', () => {
  const gpu = { software: false };
  const big = { n1: 1024, n2: 1024 };
  it('keeps tiled on CPU adapters and for small Grams; on GPUs follows the autotuned Gram version, else the matmul version', () => {
    expect(chooseGramVersion(big, { software: true }, { matmulVersion: 'v5_bigtile', gram: { wg: 8, version: 'bigtile' } })).toBe('tiled');
    expect(chooseGramVersion({ n1: 255, n2: 256 }, gpu, { matmulVersion: 'v5_bigtile', gram: { wg: 8, version: 'bigtile' } })).toBe('tiled');
    expect(chooseGramVersion(big, gpu, { matmulVersion: 'v3_smem', gram: { wg: 8, version: 'bigtile' } })).toBe('bigtile');
    expect(chooseGramVersion(big, gpu, { matmulVersion: 'v5_bigtile', gram: { wg: 8, version: 'tiled' } })).toBe('tiled');
    expect(chooseGramVersion(big, gpu, { matmulVersion: 'v5_bigtile', gram: { wg: 8 } })).toBe('bigtile');
    expect(chooseGramVersion(big, gpu, { matmulVersion: 'v3_smem' })).toBe('tiled');
    expect(chooseGramVersion(big, gpu, undefined)).toBe('tiled');
  });

  it('refuses an unknown version by name', () => {
    const { rt } = ctx;
    const a = Tensor.zeros(rt, [3, 4], 'X');
    expect(() => gram(rt, a, undefined, { version: 'v9' as never })).toThrow(/unknown version "v9"; expected one of: tiled, bigtile/);
    a.dispose();
  });
});
