import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/gpu/runtime';
import { Tensor } from '../../src/gpu/tensor';
import { FeatureUnavailableError, hasFeature } from '../../src/kernels/features';
import { BATCH_MAPS, REDUCE_VERSIONS, REDUCE_VERSION_FEATURE, chooseReduceVersion, colSums, dot, normalizeBatches, reduceBatches, reduceRef, reduceVersionsFor, rowSums, sum, sumSquares, type BatchMap } from '../../src/kernels/reduce';
import { EPS32, dispatchedPrograms, expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

// The tests after this block use the default version (chooseReduceVersion: tree_subgroup where the
// adapter has subgroups, as SwiftShader does). This block runs every version explicitly over awkward
// sizes: 1, primes, 10^5 + 3 (several passes), several rows (rowSums: the strided view o·so + i·si).
describe('every reduction version against float64', () => {
  for (const version of REDUCE_VERSIONS) {
    const feature = REDUCE_VERSION_FEATURE[version];
    const skipWithout = (rt: Runtime, skip: (note?: string) => void) => {
      if (feature && !hasFeature(rt, feature)) skip(`the adapter has no '${feature}' feature, which ${version} needs`);
    };
    for (const n of [1, 3, 97, 257, 2053, 100_003]) {
      it(`${version}: sum, sum of squares and dot of ${n} elements`, async ({ skip }) => {
        const { rt } = ctx;
        skipWithout(rt, skip);
        const xd = testData(n, 3 + n);
        const yd = testData(n, 5 + n);
        const x = Tensor.from(rt, xd);
        const y = Tensor.from(rt, yd);
        // a tree over subgroups of ≤ 128 and then of slots: ~(log2 n + 128)·ε·Σ|terms| at worst, far below at the sizes here
        const bound = (terms: number) => ({ atol: 4 * Math.log2(n + 1) * EPS32 * terms, rtol: 0 });
        expectClose(await sum(rt, x, undefined, { version }).read(), [reduceRef.sum(xd)], bound(n), `${version} sum`);
        expectClose(await sumSquares(rt, x, undefined, { version }).read(), [reduceRef.sumSquares(xd)], bound(n), `${version} sumSquares`);
        expectClose(await dot(rt, x, y, undefined, { version }).read(), [reduceRef.dot(xd, yd)], bound(n), `${version} dot`);
        [x, y].forEach((t) => t.dispose());
      });
    }
    for (const [rows, cols] of [[1, 1], [7, 1], [5, 13], [31, 33], [3, 5003]] as const) {
      it(`${version}: row sums of ${rows}×${cols}`, async ({ skip }) => {
        const { rt } = ctx;
        skipWithout(rt, skip);
        const xd = testData(rows * cols, rows * cols);
        const x = Tensor.from(rt, xd, [rows, cols]);
        expectClose(await rowSums(rt, x, undefined, { version }).read(), reduceRef.rowSums(xd, rows, cols), tolerance(cols), `${version} rowSums`);
        x.dispose();
      });
    }
    it(`${version}: every per-batch map over 3 × 2053`, async ({ skip }) => {
      const { rt } = ctx;
      skipWithout(rt, skip);
      const [batches, inner] = [3, 2053];
      const xd = testData(batches * inner, 8);
      const yd = testData(batches * inner, 9);
      const x = Tensor.from(rt, xd);
      const y = Tensor.from(rt, yd);
      for (const map of Object.keys(BATCH_MAPS) as BatchMap[]) {
        const bound = { atol: 4 * Math.log2(inner + 1) * EPS32 * inner * 2, rtol: 0 };
        expectClose(await reduceBatches(rt, map, x, batches, y, undefined, { version }).read(), reduceRef.batches(map, xd, batches, yd), bound, `${version} ${map}`);
      }
      [x, y].forEach((t) => t.dispose());
    });
    it(`${version}: NaN is propagated`, async ({ skip }) => {
      const { rt } = ctx;
      skipWithout(rt, skip);
      const xd = testData(3000, 4);
      xd[2999] = NaN;
      expect(Number.isNaN((await sum(rt, Tensor.from(rt, xd), undefined, { version }).read())[0])).toBe(true);
    });
  }

  it('the same input gives bit-identical sums on every run (slots ordered by local index, not by arrival)', async () => {
    const { rt } = ctx;
    const xd = testData(100_003, 21);
    const x = Tensor.from(rt, xd);
    for (const version of reduceVersionsFor(rt)) {
      const first = (await sum(rt, x, undefined, { version }).read())[0];
      for (let i = 0; i < 3; i++) expect((await sum(rt, x, undefined, { version }).read())[0], version).toBe(first);
    }
  });

  it('takes the subgroup path on an adapter with subgroups: the program is tree_subgroup and starts with `enable subgroups;`', async ({ skip }) => {
    const { rt } = ctx;
    if (!hasFeature(rt, 'subgroups')) skip("the adapter has no 'subgroups' feature: the plain tree is used");
    expect(chooseReduceVersion(rt)).toBe('tree_subgroup');
    expect(reduceVersionsFor(rt)).toEqual(['tree', 'tree_subgroup']);
    const xd = testData(5000, 2); // two passes
    const programs = await dispatchedPrograms(rt, async () => {
      expectClose(await sum(rt, Tensor.from(rt, xd)).read(), [reduceRef.sum(xd)], { atol: 4 * 13 * EPS32 * 5000, rtol: 0 }, 'default sum');
    });
    expect(programs.length).toBe(2);
    for (const p of programs) {
      expect(p.label).toBe('reduce tree_subgroup map 0');
      expect(p.code.startsWith('enable subgroups;\n')).toBe(true);
    }
  });

  it('without subgroups the plain tree is chosen, and forcing tree_subgroup is refused by name', () => {
    const { rt } = ctx;
    // a view of the runtime whose device reports no optional features (only ctx is read before the refusal)
    const bare = { ctx: { ...rt.ctx, adapter: { ...rt.ctx.adapter, features: [] } } } as unknown as Runtime;
    expect(chooseReduceVersion(bare)).toBe('tree');
    expect(reduceVersionsFor(bare)).toEqual(['tree']);
    const x = Tensor.from(rt, testData(10, 1));
    expect(() => sum(bare, x, undefined, { version: 'tree_subgroup' })).toThrow(FeatureUnavailableError);
    expect(() => sum(bare, x, undefined, { version: 'tree_subgroup' })).toThrow(/reduce version tree_subgroup needs the WebGPU feature 'subgroups'/);
    expect(() => sum(rt, x, undefined, { version: 'tree_warp' as never })).toThrow(/unknown version "tree_warp"; expected one of: tree, tree_subgroup/);
  });
});

describe('reductions', () => {
  for (const n of [1, 2, 255, 256, 2049, 65537]) {
    it(`sum, sum of squares and dot of ${n} elements`, async () => {
      const { rt } = ctx;
      const xd = testData(n, 1);
      const yd = testData(n, 2);
      const x = Tensor.from(rt, xd);
      const y = Tensor.from(rt, yd);
      // error bound of a tree sum: ~log2(n)·ε·Σ|terms|
      const bound = (terms: number) => ({ atol: 4 * Math.log2(n + 1) * EPS32 * terms, rtol: 0 });
      expectClose(await sum(rt, x).read(), [reduceRef.sum(xd)], bound(n), 'sum');
      expectClose(await sumSquares(rt, x).read(), [reduceRef.sumSquares(xd)], bound(n), 'sumSquares');
      expectClose(await dot(rt, x, y).read(), [reduceRef.dot(xd, yd)], bound(n), 'dot');
    });
  }

  it('a sum of 10^7 values keeps float32 error small (tree, not a running sum)', async () => {
    const { rt } = ctx;
    const n = 10_000_000;
    const xd = testData(n, 7, 0, 1); // all positive: the worst case for a running sum
    const exact = reduceRef.sum(xd);
    const gpu = (await sum(rt, Tensor.from(rt, xd)).read())[0];
    // float32 running sum: relative error ~ n·ε/2 ≈ 0.3 in the worst case, ~1e-4 typically;
    // the tree keeps it at a few ε·log2(n).
    let running = Math.fround(0);
    for (let i = 0; i < n; i++) running = Math.fround(running + xd[i]);
    const treeErr = Math.abs(gpu - exact) / exact;
    const runningErr = Math.abs(running - exact) / exact;
    expect(treeErr).toBeLessThan(24 * EPS32 * 4);
    expect(treeErr).toBeLessThan(runningErr / 10);
  });

  for (const [rows, cols] of [[1, 1], [1, 7], [7, 1], [31, 33], [1000, 3], [3, 5000], [4097, 17]] as const) {
    it(`row and column sums of ${rows}×${cols}`, async () => {
      const { rt } = ctx;
      const xd = testData(rows * cols, rows + cols);
      const x = Tensor.from(rt, xd, [rows, cols]);
      expectClose(await rowSums(rt, x).read(), reduceRef.rowSums(xd, rows, cols), tolerance(cols), 'rowSums');
      expectClose(await colSums(rt, x).read(), reduceRef.colSums(xd, rows, cols), tolerance(rows), 'colSums');
    });
  }

  it('NaN is propagated, not hidden', async () => {
    const { rt } = ctx;
    const xd = testData(5000, 3);
    xd[4321] = NaN;
    const x = Tensor.from(rt, xd, [50, 100]);
    expect(Number.isNaN((await sum(rt, x).read())[0])).toBe(true);
    const rs = await rowSums(rt, x).read();
    const cs = await colSums(rt, x).read();
    expect(rs.map((v, i) => Number(Number.isNaN(v) !== (i === 43))).reduce((a, b) => a + b)).toBe(0);
    expect(cs.map((v, i) => Number(Number.isNaN(v) !== (i === 21))).reduce((a, b) => a + b)).toBe(0);
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
