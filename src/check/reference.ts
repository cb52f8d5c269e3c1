// float64 references that are not one kernel's (those live beside each wrapper in src/kernels/:
// matmulRef, gramRef, elementwiseRef, …): the empirical NTK of an MLP, a GD step of a two-layer
// network, and sampled entries of a product too big to compute whole on the CPU. Shared by the
// Node benchmarks (bench/*.ts) and the browser bench page (bench/page/); and the deterministic
// inputs that the tests and `widenet selftest` feed both sides. Pure float64, no GPU.
import { activationRef } from '../kernels/activations';
import { matmulRef } from '../kernels/matmul';

/** Deterministic inputs (a small LCG; the values are exactly representable in float32): the tests' and the self-test's. */
export function testData(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

/**
 * Entries (i, j) of C = A·op(B), A [M, K] row-major, B [K, N] (or [N, K] when transB), each one
 * exact float64 through matmulRef on row i of A and column j of op(B); also Σ_q |a_iq||b_qj| (for
 * dotProductBound). For products whose full reference is too slow on the CPU (4096³).
 */
export function matmulEntriesRef(a: ArrayLike<number>, b: ArrayLike<number>, N: number, K: number, entries: readonly (readonly [number, number])[], transB = false): { value: Float64Array; sumAbs: Float64Array } {
  const value = new Float64Array(entries.length);
  const sumAbs = new Float64Array(entries.length);
  const row = new Float64Array(K);
  const col = new Float64Array(K);
  const one = { m: 1, n: 1, k: K, batch: 1, transA: false, transB: false, aBatchStride: K, bBatchStride: K };
  entries.forEach(([i, j], e) => {
    for (let q = 0; q < K; q++) {
      row[q] = a[i * K + q];
      col[q] = transB ? b[j * K + q] : b[q * N + j];
    }
    value[e] = matmulRef(row, col, one)[0];
    sumAbs[e] = matmulRef(row.map(Math.abs), col.map(Math.abs), one)[0];
  });
  return { value, sumAbs };
}

/** Up to `count` rows spread over [0, rows), first and last included. */
export function sampleRows(rows: number, count = 8): number[] {
  if (rows <= count) return Array.from({ length: rows }, (_, i) => i);
  return Array.from(new Set(Array.from({ length: count }, (_, i) => Math.round((i * (rows - 1)) / (count - 1)))));
}

/** `count` distinct (i, j) of an M×N matrix, the four corners included, the rest from a seeded LCG (the same sample every run). */
export function sampleEntries(M: number, N: number, count = 256, seed = 1): [number, number][] {
  if (M * N <= count) return Array.from({ length: M * N }, (_, e) => [Math.floor(e / N), e % N]);
  const seen = new Set<number>();
  const out: [number, number][] = [];
  const add = (i: number, j: number) => {
    if (!seen.has(i * N + j)) { seen.add(i * N + j); out.push([i, j]); }
  };
  add(0, 0); add(0, N - 1); add(M - 1, 0); add(M - 1, N - 1);
  let s = seed >>> 0 || 1;
  const next = (n: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return Math.floor((s / 2 ** 32) * n); };
  while (out.length < count) add(next(M), next(N));
  return out;
}

/**
 * Per example, the inputs x_l of each dense layer and the signals δ_l = ∂f/∂(layer l's output) of a
 * bias-free MLP in the ntk parameterization with one output: h_l = W_l x_{l−1}/√fan_in, x_l = φ(h_l),
 * f = h_{L+1}. With `residualBeta` (a residual net, src/nets/residual.ts): layer 0 = Dense_in,
 * 1..L−2 the branches, h ← h + β·W_l φ(h)/√m, and the stream signal g carries the skips,
 * g ← g + β·φ'(h)⊙(W_lᵀ g)/√m, with δ_l = β·g at a branch's output. Weights W_l are [fan_out, fan_in] row-major.
 */
export function mlpSignalsRef(x: ArrayLike<number>, d: number, weights: ArrayLike<number>[], activation = 'relu', residualBeta?: number): { f: number; xs: Float64Array[]; ds: Float64Array[]; dims: number[] } {
  const phi = activationRef(activation, 0);
  const dphi = activationRef(activation, 1);
  // widths: layer l maps dims[l] → dims[l + 1]
  const dims = [d];
  for (const w of weights) dims.push(w.length / dims[dims.length - 1]);
  const L = weights.length;
  const dense = (l: number, input: Float64Array) => {
    const [fi, fo] = [dims[l], dims[l + 1]];
    const h = new Float64Array(fo);
    for (let p = 0; p < fo; p++) {
      let s = 0;
      for (let q = 0; q < fi; q++) s += weights[l][p * fi + q] * input[q];
      h[p] = s / Math.sqrt(fi);
    }
    return h;
  };
  // back through layer l: (W_lᵀ δ)/√fan_in
  const back = (l: number, delta: Float64Array) => {
    const [fi, fo] = [dims[l], dims[l + 1]];
    const out = new Float64Array(fi);
    for (let q = 0; q < fi; q++) {
      let s = 0;
      for (let p = 0; p < fo; p++) s += weights[l][p * fi + q] * delta[p];
      out[q] = s / Math.sqrt(fi);
    }
    return out;
  };
  const xs = [Float64Array.from({ length: d }, (_, q) => x[q])];
  const pre: Float64Array[] = [];
  let h = dense(0, xs[0]);
  for (let l = 1; l < L; l++) {
    pre.push(h);
    xs.push(h.map(phi));
    if (residualBeta === undefined || l === L - 1) h = dense(l, xs[l]);
    else {
      const u = dense(l, xs[l]);
      h = h.map((v, p) => v + residualBeta * u[p]);
    }
  }
  const ds: Float64Array[] = new Array(L);
  ds[L - 1] = Float64Array.of(1);
  if (residualBeta === undefined) {
    for (let l = L - 1; l > 0; l--) ds[l - 1] = back(l, ds[l]).map((v, q) => dphi(pre[l - 1][q]) * v);
  } else {
    let g = back(L - 1, ds[L - 1]).map((v, q) => dphi(pre[L - 2][q]) * v);
    for (let l = L - 2; l > 0; l--) {
      ds[l] = g.map((v) => residualBeta * v);
      const t = back(l, g);
      g = g.map((v, q) => v + residualBeta * dphi(pre[l - 1][q]) * t[q]);
    }
    ds[0] = g;
  }
  return { f: h[0], xs, ds, dims };
}

/**
 * Empirical NTK of a bias-free MLP (or, with `residualBeta`, a residual MLP) in the ntk
 * parameterization with one output (mlpSignalsRef): Θ(x_i, x_j) = Σ_l (δ_l(i)·δ_l(j)) · (x_l(i)·x_l(j)) / fan_in_l.
 * Returns the sampled rows of Θ (all columns), in float64.
 */
export function ntkRows(x: ArrayLike<number>, n: number, d: number, weights: ArrayLike<number>[], rows: number[], activation = 'relu', residualBeta?: number): Float64Array[] {
  const L = weights.length;
  const per = Array.from({ length: n }, (_, i) => mlpSignalsRef(Array.from({ length: d }, (_, q) => x[i * d + q]), d, weights, activation, residualBeta));
  const dims = per[0].dims;
  const dot = (u: Float64Array, v: Float64Array) => { let s = 0; for (let q = 0; q < u.length; q++) s += u[q] * v[q]; return s; };
  return rows.map((i) => {
    const row = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < L; l++) s += (dot(per[i].ds[l], per[j].ds[l]) * dot(per[i].xs[l], per[j].xs[l])) / dims[l];
      row[j] = s;
    }
    return row;
  });
}

/**
 * The MSE gradient (1/(2n)·Σ(f − y)²) of every layer of a bias-free (residual, with `residualBeta`)
 * MLP in the ntk parameterization with one output: g_l = Σ_i r_i·δ_l(i) x_l(i)ᵀ/√fan_in_l, r_i = (f(x_i) − y_i)/n.
 */
export function mlpGradRef(x: ArrayLike<number>, y: ArrayLike<number>, n: number, d: number, weights: ArrayLike<number>[], activation = 'relu', residualBeta?: number): Float64Array[] {
  const grads = weights.map((w) => new Float64Array(w.length));
  for (let i = 0; i < n; i++) {
    const { f, xs, ds, dims } = mlpSignalsRef(Array.from({ length: d }, (_, q) => x[i * d + q]), d, weights, activation, residualBeta);
    const r = (f - y[i]) / n;
    grads.forEach((g, l) => {
      const [fi, fo] = [dims[l], dims[l + 1]];
      const c = r / Math.sqrt(fi);
      for (let p = 0; p < fo; p++) {
        const a = c * ds[l][p];
        for (let q = 0; q < fi; q++) g[p * fi + q] += a * xs[l][q];
      }
    });
  }
  return grads;
}

/**
 * One full-batch GD step of a bias-free two-layer ReLU net in the ntk parameterization with one
 * output, f(x) = w₂·relu(W₁x/√d)/√m, MSE = 1/(2n)·Σ(f − y)²: with r_i = (f(x_i) − y_i)/n,
 * g₂[p] = Σ_i r_i·relu(h_ip)/√m, g₁[p, q] = Σ_i r_i·w₂[p]·1[h_ip > 0]·x_iq/√(m·d). W₁ is [m, d] row-major.
 * `slack1[p, q]`: Σ |r_i·w₂[p]·x_iq|/√(m·d) over the i whose h_ip lies within float32 rounding of 0
 * (|h_ip| ≤ 2·d·u·Σ_q|w_pq x_iq|/√d), where a float32 forward pass may take the other side of the ReLU's step.
 */
export function gdStepGradRef(x: ArrayLike<number>, y: ArrayLike<number>, n: number, d: number, m: number, w1: ArrayLike<number>, w2: ArrayLike<number>): { g1: Float64Array; g2: Float64Array; slack1: Float64Array } {
  const g1 = new Float64Array(m * d);
  const g2 = new Float64Array(m);
  const slack1 = new Float64Array(m * d);
  const h = new Float64Array(m);
  const hAbs = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let p = 0; p < m; p++) {
      let s = 0;
      let abs = 0;
      for (let q = 0; q < d; q++) { s += w1[p * d + q] * x[i * d + q]; abs += Math.abs(w1[p * d + q] * x[i * d + q]); }
      h[p] = s / Math.sqrt(d);
      hAbs[p] = abs / Math.sqrt(d);
      f += (w2[p] * Math.max(h[p], 0)) / Math.sqrt(m);
    }
    const r = (f - y[i]) / n;
    for (let p = 0; p < m; p++) {
      g2[p] += (r * Math.max(h[p], 0)) / Math.sqrt(m);
      if (h[p] > 0) for (let q = 0; q < d; q++) g1[p * d + q] += (r * w2[p] * x[i * d + q]) / Math.sqrt(m * d);
      if (Math.abs(h[p]) <= 2 * d * 2 ** -24 * hAbs[p]) for (let q = 0; q < d; q++) slack1[p * d + q] += Math.abs(r * w2[p] * x[i * d + q]) / Math.sqrt(m * d);
    }
  }
  return { g1, g2, slack1 };
}

/**
 * x rounded to the nearest f16 value, ties to even (IEEE 754 binary16: 11 significant bits,
 * normal range 2⁻¹⁴ … 65504, subnormals spaced 2⁻²⁴, overflow to ±∞ from 65520 = 65504 + half an
 * ulp, which rounds to the even neighbour 2¹⁶). The float64 model of the f16 matmul path's operand
 * conversion, from which f16ProductBound is derived. NaN stays NaN.
 */
export function roundToF16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const ax = Math.abs(x);
  if (ax >= 65520) return Math.sign(x) * Infinity;
  // spacing of f16 values around ax: 2^(e − 10) for 2^e ≤ ax < 2^(e+1), 2⁻²⁴ below 2⁻¹⁴
  let e = Math.floor(Math.log2(ax));
  if (2 ** e > ax) e--; // log2 rounding near powers of two
  else if (2 ** (e + 1) <= ax) e++;
  const spacing = 2 ** (Math.max(e, -14) - 10);
  const v = ax / spacing; // exact: a power-of-two scaling
  const f = Math.floor(v);
  const d = v - f;
  const r = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  return Math.sign(x) * r * spacing;
}

/** roundToF16 of every element (the operands the f16 matmul path multiplies). */
export const roundArrayToF16 = (x: ArrayLike<number>): Float64Array => Float64Array.from(x, roundToF16);
