// The checks every implementation's result passes before it is timed, on the project's float64
// references (the kernels' *Ref in src/kernels/, the NTK's in src/check/reference.ts) and
// tolerance rules (src/check/tolerance.ts). Big products are checked on a sample of rows (every
// row of a sample is exact float64), which keeps the check cheap at 4096³ while any layout,
// transpose or indexing error still shows. A mismatch throws: the benchmark fails rather than
// time a wrong answer.
import { matmulRef } from '../../src/kernels/matmul';
import { EPS32, dotProductBound, ntkTolerance } from '../../src/check/tolerance';
import { sampleRows } from '../../src/check/reference';

export { ntkRows, sampleRows } from '../../src/check/reference';

export interface Check { maxErr: number; tol: number; checked: string }

export class ValidationError extends Error {
  constructor(what: string, detail: string) {
    super(`validation failed: ${what}: ${detail}`);
    this.name = 'ValidationError';
  }
}

/** Uniform values in [-1, 1) from a small LCG (exactly representable in float32). */
export function uniformData(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 8) / 8388608 - 1;
  }
  return out;
}

function fail(what: string, maxErr: number, tol: number, where: string): never {
  throw new ValidationError(what, `max |result − float64 reference| = ${maxErr.toExponential(3)} at ${where}, over the tolerance ${tol.toExponential(3)}`);
}

/**
 * C = A·op(B) with A [M, K], B [K, N] (or [N, K] when transB), checked on sampled rows of C.
 * Reference: matmulRef on the sampled rows. Tolerance: dotProductBound, the float32 rounding bound
 * γ_K·Σ_q |a_iq||b_qj| ≤ 2·K·u·max(|A||B|) (valid for any summation order, so for every library's kernel).
 */
export function checkMatmul(what: string, a: Float32Array, b: Float32Array, M: number, N: number, K: number, got: ArrayLike<number>, transB = false): Check {
  if (got.length !== M * N) throw new ValidationError(what, `result has ${got.length} elements, expected ${M}×${N} = ${M * N}`);
  const rows = sampleRows(M);
  // the sampled rows of A, and of |A| and |B| for the bound (matmulRef gives both)
  const aRows = new Float64Array(rows.length * K);
  rows.forEach((i, r) => { for (let q = 0; q < K; q++) aRows[r * K + q] = a[i * K + q]; });
  const problem = { m: rows.length, n: N, k: K, batch: 1, transA: false, transB, aBatchStride: 0, bBatchStride: 0 };
  const ref = matmulRef(aRows, b, problem);
  const abs = matmulRef(aRows.map(Math.abs), b.map(Math.abs), problem);
  let maxErr = 0;
  let bound = 0;
  let where = '';
  rows.forEach((i, r) => {
    for (let j = 0; j < N; j++) {
      const e = Math.abs(got[i * N + j] - ref[r * N + j]);
      bound = Math.max(bound, abs[r * N + j]);
      if (!(e <= maxErr)) { maxErr = Number.isNaN(e) ? Infinity : e; where = `(${i}, ${j})`; }
    }
  });
  const tol = dotProductBound(K, bound);
  if (!(maxErr <= tol)) fail(what, maxErr, tol, where);
  return { maxErr, tol, checked: `${rows.length} of ${M} rows` };
}

/** Elementwise, exact: got[i] = f(x[i]) to float32 rounding. */
export function checkElementwise(what: string, x: Float32Array, got: ArrayLike<number>, f: (v: number) => number): Check {
  let maxErr = 0;
  let where = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.abs(got[i] - f(x[i]));
    if (!(e <= maxErr)) { maxErr = Number.isNaN(e) ? Infinity : e; where = i; }
  }
  const tol = 2 * EPS32;
  if (!(maxErr <= tol)) fail(what, maxErr, tol, `element ${where}`);
  return { maxErr, tol, checked: `all ${x.length} elements` };
}

/** Θ (n×n, float32) against sampled float64 rows (ntkRows); tolerance ntkTolerance: 1e-3 of the largest entry. */
export function checkNtk(what: string, got: ArrayLike<number>, n: number, rows: number[], ref: Float64Array[]): Check {
  let maxErr = 0;
  let scale = 0;
  let where = '';
  rows.forEach((i, r) => {
    for (let j = 0; j < n; j++) {
      const e = Math.abs(got[i * n + j] - ref[r][j]);
      scale = Math.max(scale, Math.abs(ref[r][j]));
      if (!(e <= maxErr)) { maxErr = Number.isNaN(e) ? Infinity : e; where = `(${i}, ${j})`; }
    }
  });
  const tol = ntkTolerance(scale).atol;
  if (!(maxErr <= tol)) fail(what, maxErr, tol, where);
  return { maxErr, tol, checked: `${rows.length} of ${n} rows` };
}
