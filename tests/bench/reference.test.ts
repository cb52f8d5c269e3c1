// The float64 references of the bench page: a wrong result fails the benchmark with a clear
// message, a right one passes, and the NTK reference equals the explicit Jacobian contraction.
import { describe, expect, it } from 'vitest';
import { ValidationError, checkElementwise, checkMatmul, checkNtk, ntkRows, sampleRows, uniformData } from '../../bench/page/reference';
import { ntkByJacobian } from '../helpers/net-f64';

describe('bench page references', () => {
  it('checkMatmul accepts a float32 product and rejects a wrong one', () => {
    const [M, N, K] = [19, 23, 37];
    const a = uniformData(M * K, 1);
    const b = uniformData(K * N, 2);
    const c = new Float32Array(M * N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) { let s = 0; for (let q = 0; q < K; q++) s = Math.fround(s + Math.fround(a[i * K + q] * b[q * N + j])); c[i * N + j] = s; }
    const ok = checkMatmul('ok', a, b, M, N, K, c);
    expect(ok.maxErr).toBeLessThanOrEqual(ok.tol);
    const bad = c.slice();
    bad[(M - 1) * N + 5] += 1e-2; // the last row is always sampled
    expect(() => checkMatmul('corrupted', a, b, M, N, K, bad)).toThrow(ValidationError);
    expect(() => checkMatmul('corrupted', a, b, M, N, K, bad)).toThrow(/validation failed: corrupted: max \|result − float64 reference\|/);
    // the transposed product (a Gram) read as untransposed is caught
    const g = new Float32Array(M * M);
    for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) { let s = 0; for (let q = 0; q < K; q++) s += a[i * K + q] * a[j * K + q]; g[i * M + j] = s; }
    expect(checkMatmul('gram', a, a, M, M, K, g, true).maxErr).toBeLessThan(1e-4);
    expect(() => checkMatmul('gram as A·A', a, a.subarray(0, K * M), M, M, K, g, false)).toThrow(ValidationError);
    expect(() => checkMatmul('short', a, b, M, N, K, c.subarray(1))).toThrow(/elements/);
  });

  it('checkElementwise is exact and names the element', () => {
    const x = uniformData(100, 3);
    expect(checkElementwise('relu', x, x.map((v) => Math.max(v, 0)), (v) => Math.max(v, 0)).maxErr).toBe(0);
    const wrong = x.map((v) => Math.max(v, 0));
    wrong[42] = NaN;
    expect(() => checkElementwise('relu', x, wrong, (v) => Math.max(v, 0))).toThrow(/element 42/);
  });

  it('sampleRows keeps the first and last rows', () => {
    expect(sampleRows(5)).toEqual([0, 1, 2, 3, 4]);
    const s = sampleRows(1000, 8);
    expect(s[0]).toBe(0);
    expect(s[s.length - 1]).toBe(999);
    expect(s.length).toBe(8);
  });

  it('ntkRows equals the explicit Jacobian contraction (depth 2 and 4), and checkNtk catches a wrong kernel', () => {
    const [n, d] = [6, 3];
    const x = uniformData(n * d, 4);
    const X = Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d)));
    for (const hidden of [[7], [5, 4, 6]]) {
      const widths = [d, ...hidden, 1];
      const weights = widths.slice(1).map((fo, l) => uniformData(fo * widths[l], 10 + l));
      const layers = weights.map((w, l) => ({ w: Float64Array.from(w), b: null, fanIn: widths[l], fanOut: widths[l + 1], mult: 1 / Math.sqrt(widths[l]), biasMult: 0 }));
      const full = ntkByJacobian(layers, 'relu', X);
      const rows = [0, 3, 5];
      const ref = ntkRows(x, n, d, weights, rows);
      rows.forEach((i, r) => { for (let j = 0; j < n; j++) expect(ref[r][j]).toBeCloseTo(full[i * n + j], 12); });
      expect(checkNtk('exact', Float32Array.from(full), n, rows, ref).maxErr).toBeLessThan(1e-6);
      // a kernel off by 10% (e.g. a dropped or mis-scaled layer term) fails the check
      const partial = full.map((v) => 0.9 * v);
      expect(() => checkNtk('scaled', Float32Array.from(partial), n, rows, ref)).toThrow(ValidationError);
    }
  });
});
