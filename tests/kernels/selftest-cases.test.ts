// `widenet selftest`'s sampled check (src/check/selftest.ts), the path its GPU sizes take (products
// over 2^26 multiply-adds): forced at small sizes (fullReferenceMacs 0) for every product form
// (transposes, a broadcast batch, the fused epilogue, long K) and the cross Gram, it passes, and a
// perturbed output is caught at its corner entry.
import { describe, expect, it } from 'vitest';
import { selftest } from '../../src/check/selftest';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('selftest, sampled references', () => {
  it('every v2_regtile product form and the cross Gram pass on 256 sampled entries', async () => {
    const results = await selftest(ctx.rt, { quick: true, only: ['v2_regtile', 'gram tiled A·Bᵀ'], fullReferenceMacs: 0 });
    expect(results.length).toBe(8);
    for (const r of results) {
      expect(r.mismatch, `${r.kernel} ${r.version}`).toBeUndefined();
      // sampled, or whole where the output has at most 256 entries
      expect(r.checked, `${r.kernel} ${r.version}`).toMatch(/max rel err \d\.\de-\d+ \((256 sampled|full|\d+ sampled)\)/);
    }
    expect(results.filter((r) => /256 sampled/.test(r.checked)).length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('a perturbed output is a mismatch on the sampled path too, at C(0, 0)', async () => {
    const results = await selftest(ctx.rt, { quick: true, only: ['v2_regtile A·B +bias', 'v2_regtile A·B batch'], fullReferenceMacs: 0, inject: 'v2_regtile' });
    expect(results.length).toBe(2);
    for (const r of results) expect(r.mismatch, `${r.kernel} ${r.version}`).toMatch(/^C\((0, )?0, 0\) is /);
  }, 120_000);
});
