// float64 CPU references that every implementation's result is checked against before it is
// timed. Big products are checked on a sample of rows (every row of a sample is exact float64),
// which keeps the check cheap at 4096³ while any layout, transpose or indexing error still shows.
// A mismatch throws: the benchmark fails rather than time a wrong answer.

const U32 = 2 ** -24; // float32 unit roundoff

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

/** Up to `count` rows spread over [0, rows), first and last included. */
export function sampleRows(rows: number, count = 8): number[] {
  if (rows <= count) return Array.from({ length: rows }, (_, i) => i);
  return Array.from(new Set(Array.from({ length: count }, (_, i) => Math.round((i * (rows - 1)) / (count - 1)))));
}

function fail(what: string, maxErr: number, tol: number, where: string): never {
  throw new ValidationError(what, `max |result − float64 reference| = ${maxErr.toExponential(3)} at ${where}, over the tolerance ${tol.toExponential(3)}`);
}

/**
 * C = A·op(B) with A [M, K], B [K, N] (or [N, K] when transB), checked on sampled rows of C.
 * Tolerance: the float32 dot-product rounding bound γ_K·Σ_q |a_iq||b_qj| ≤ 2·K·u·max(|A||B|)
 * (valid for any summation order, so for every library's kernel).
 */
export function checkMatmul(what: string, a: Float32Array, b: Float32Array, M: number, N: number, K: number, got: ArrayLike<number>, transB = false): Check {
  if (got.length !== M * N) throw new ValidationError(what, `result has ${got.length} elements, expected ${M}×${N} = ${M * N}`);
  const rows = sampleRows(M);
  let maxErr = 0;
  let bound = 0;
  let where = '';
  for (const i of rows) for (let j = 0; j < N; j++) {
    let s = 0;
    let abs = 0;
    for (let q = 0; q < K; q++) {
      const av = a[i * K + q];
      const bv = transB ? b[j * K + q] : b[q * N + j];
      s += av * bv;
      abs += Math.abs(av * bv);
    }
    const e = Math.abs(got[i * N + j] - s);
    bound = Math.max(bound, abs);
    if (!(e <= maxErr)) { maxErr = Number.isNaN(e) ? Infinity : e; where = `(${i}, ${j})`; }
  }
  const tol = 2 * K * U32 * bound + 1e-30;
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
  const tol = 2 * U32;
  if (!(maxErr <= tol)) fail(what, maxErr, tol, `element ${where}`);
  return { maxErr, tol, checked: `all ${x.length} elements` };
}

/**
 * Empirical NTK of a bias-free ReLU MLP in the ntk parameterization with one output,
 * h_l = W_l x_{l−1}/√fan_in, f = h_{L+1}: with δ_l = ∂f/∂h_l (back-propagated per example),
 * Θ(x_i, x_j) = Σ_l (δ_l(i)·δ_l(j)) · (x_{l−1}(i)·x_{l−1}(j)) / fan_in_l. Weights W_l are
 * [fan_out, fan_in] row-major. Returns the sampled rows of Θ (all columns), in float64.
 */
export function ntkRows(x: Float32Array, n: number, d: number, weights: Float32Array[], rows: number[]): Float64Array[] {
  // widths: layer l maps dims[l] → dims[l + 1]
  const dims = [d];
  for (const w of weights) dims.push(w.length / dims[dims.length - 1]);
  const L = weights.length;
  const xs: Float64Array[][] = []; // xs[i][l] = x_l of example i
  const ds: Float64Array[][] = []; // ds[i][l] = δ_{l+1} of example i (the signal at layer l's output)
  for (let i = 0; i < n; i++) {
    const acts = [Float64Array.from(x.subarray(i * d, (i + 1) * d))];
    const pre: Float64Array[] = [];
    for (let l = 0; l < L; l++) {
      const [fi, fo] = [dims[l], dims[l + 1]];
      const h = new Float64Array(fo);
      for (let p = 0; p < fo; p++) {
        let s = 0;
        for (let q = 0; q < fi; q++) s += weights[l][p * fi + q] * acts[l][q];
        h[p] = s / Math.sqrt(fi);
      }
      pre.push(h);
      if (l < L - 1) acts.push(h.map((v) => Math.max(v, 0)));
    }
    const deltas: Float64Array[] = new Array(L);
    deltas[L - 1] = Float64Array.of(1);
    for (let l = L - 1; l > 0; l--) {
      const [fi, fo] = [dims[l], dims[l + 1]];
      const back = new Float64Array(fi);
      for (let q = 0; q < fi; q++) {
        let s = 0;
        for (let p = 0; p < fo; p++) s += weights[l][p * fi + q] * deltas[l][p];
        back[q] = pre[l - 1][q] > 0 ? s / Math.sqrt(fi) : 0;
      }
      deltas[l - 1] = back;
    }
    xs.push(acts);
    ds.push(deltas);
  }
  const dot = (u: Float64Array, v: Float64Array) => { let s = 0; for (let q = 0; q < u.length; q++) s += u[q] * v[q]; return s; };
  return rows.map((i) => {
    const row = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < L; l++) s += (dot(ds[i][l], ds[j][l]) * dot(xs[i][l], xs[j][l])) / dims[l];
      row[j] = s;
    }
    return row;
  });
}

/** Θ (n×n, float32) against sampled float64 rows; tolerance 1e-3 of the largest entry (float32
 * sums over the width; a missing or wrong layer term is off by far more). */
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
  const tol = 1e-3 * scale;
  if (!(maxErr <= tol)) fail(what, maxErr, tol, where);
  return { maxErr, tol, checked: `${rows.length} of ${n} rows` };
}
