import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { BATCH_MAPS, colSums, dot, normalizeBatches, reduceBatches, reduceRef, rowSums, sum, sumSquares, type BatchMap } from '../../src/kernels/reduce';
import { EPS32, expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

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
