// A finite residual MLP in float64 on the CPU, in neural-tangents' NTK parameterization, with its
// explicit parameter gradient (backpropagation through the skips), for Monte Carlo checks of the
// infinite-width theory (src/theory/residual.ts):
//   h_0 = σ_w/√d · W_in x + σ_b b_in
//   h_b = h_{b−1} + β·(σ_w/√m · W_b φ(h_{b−1}) + σ_b b_b),   b = 1..B
//   f   = σ_w/√m · W_out φ(h_B) + σ_b b_out                  (one output)
// All W, b ~ N(0, 1). Gradient layout: W_in, b_in, W_1, b_1, …, W_B, b_B, W_out, b_out (row-major W[o][i]).
import { Rng } from '../../src/data/rng';

export interface ResidualNet {
  d: number;
  m: number;
  blocks: number;
  beta: number;
  weightStd: number;
  biasStd: number;
  phi: (z: number) => number;
  dphi: (z: number) => number;
  /** W_in [m×d], W_1..W_B [m×m], W_out [1×m] */
  W: Float64Array[];
  b: Float64Array[];
  paramCount: number;
}

export function residualNet(d: number, m: number, blocks: number, beta: number, weightStd: number, biasStd: number, phi: (z: number) => number, dphi: (z: number) => number): ResidualNet {
  const W = [new Float64Array(m * d), ...Array.from({ length: blocks }, () => new Float64Array(m * m)), new Float64Array(m)];
  const b = [new Float64Array(m), ...Array.from({ length: blocks }, () => new Float64Array(m)), new Float64Array(1)];
  const paramCount = W.reduce((s, w) => s + w.length, 0) + b.reduce((s, v) => s + v.length, 0);
  return { d, m, blocks, beta, weightStd, biasStd, phi, dphi, W, b, paramCount };
}

/** Draws every parameter N(0, 1) from `rng`. */
export function drawResidualNet(net: ResidualNet, rng: Rng): void {
  for (const a of [...net.W, ...net.b]) for (let i = 0; i < a.length; i++) a[i] = rng.normal();
}

/** y = W v for W [rows × cols] row-major. */
function matvec(W: Float64Array, v: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows);
  for (let o = 0; o < rows; o++) {
    let s = 0;
    const row = o * cols;
    for (let i = 0; i < cols; i++) s += W[row + i] * v[i];
    y[o] = s;
  }
  return y;
}

/**
 * f(x), the residual stream h_0..h_B, and (when `grad` is given) the explicit gradient ∂f/∂θ in the
 * layout above. Backward: g_B = ∂f/∂h_B = σ_w/√m · W_outᵀ ⊙ φ'(h_B); g_{b−1} = g_b + β·σ_w/√m ·
 * (W_bᵀ g_b) ⊙ φ'(h_{b−1}) (skip plus branch); ∂f/∂W_b = β·σ_w/√m · g_b φ(h_{b−1})ᵀ, ∂f/∂b_b = β·σ_b·g_b.
 */
export function residualForward(net: ResidualNet, x: readonly number[], grad?: Float64Array): { f: number; stream: Float64Array[]; top: Float64Array } {
  const { d, m, blocks, beta, weightStd, biasStd, phi, dphi, W, b } = net;
  const sIn = weightStd / Math.sqrt(d);
  const s = weightStd / Math.sqrt(m);
  const x0 = Float64Array.from(x);
  const h0 = matvec(W[0], x0, m, d).map((v, o) => sIn * v + biasStd * b[0][o]);
  const stream = [h0];
  const acts: Float64Array[] = [];
  for (let k = 1; k <= blocks; k++) {
    const prev = stream[k - 1];
    const a = prev.map(phi);
    acts.push(a);
    const branch = matvec(W[k], a, m, m);
    stream.push(prev.map((v, o) => v + beta * (s * branch[o] + biasStd * b[k][o])));
  }
  const top = stream[blocks].map(phi);
  acts.push(top);
  const f = s * matvec(W[blocks + 1], top, 1, m)[0] + biasStd * b[blocks + 1][0];
  if (!grad) return { f, stream, top };

  const offsets: number[] = [];
  for (let l = 0, off = 0; l < W.length; l++) {
    offsets.push(off);
    off += W[l].length + b[l].length;
  }
  // readout
  let off = offsets[blocks + 1];
  for (let i = 0; i < m; i++) grad[off + i] = s * top[i];
  grad[off + m] = biasStd;
  let g = stream[blocks].map((h, i) => s * W[blocks + 1][i] * dphi(h)); // ∂f/∂h_B
  for (let k = blocks; k >= 1; k--) {
    const a = acts[k - 1];
    off = offsets[k];
    for (let o = 0; o < m; o++) {
      const go = beta * s * g[o];
      const row = off + o * m;
      for (let i = 0; i < m; i++) grad[row + i] = go * a[i];
      grad[off + m * m + o] = beta * biasStd * g[o];
    }
    // g_{b−1} = g_b + β·s·(W_bᵀ g_b) ⊙ φ'(h_{b−1})
    const back = new Float64Array(m);
    for (let o = 0; o < m; o++) {
      const go = g[o];
      const row = o * m;
      for (let i = 0; i < m; i++) back[i] += W[k][row + i] * go;
    }
    const prev = stream[k - 1];
    g = g.map((v, i) => v + beta * s * back[i] * dphi(prev[i]));
  }
  off = offsets[0];
  for (let o = 0; o < m; o++) {
    for (let i = 0; i < d; i++) grad[off + o * d + i] = g[o] * sIn * x0[i];
    grad[off + m * d + o] = biasStd * g[o];
  }
  return { f, stream, top };
}

export interface KernelEstimate {
  /** the output covariance E[f(x_i) f(x_j)] */
  nngp: number[][];
  nngpSe: number[][];
  /**
   * The same expectation with the readout integrated out exactly: E[f f' | h_B] = σ_w²·φ(h_B)·φ(h'_B)/m + σ_b²
   * (W_out, b_out ~ N(0, 1) independent of h_B). Same mean, O(1/m) variance per draw instead of O(1).
   */
  nngpReadout: number[][];
  nngpReadoutSe: number[][];
  ntk: number[][];
  ntkSe: number[][];
}

/**
 * Means and standard errors over `samples` independent networks of f(x_i)·f(x_j) (→ NNGP) and of
 * the empirical NTK ∂f(x_i)/∂θ · ∂f(x_j)/∂θ from the explicit gradients (→ NTK).
 */
export function residualMonteCarlo(net: ResidualNet, X: readonly (readonly number[])[], samples: number, seed: number): KernelEstimate {
  const rng = new Rng(seed, 0x5e5);
  const n = X.length;
  const grads = X.map(() => new Float64Array(net.paramCount));
  const zeros = () => X.map(() => new Array<number>(n).fill(0));
  const sum = { k: zeros(), k2: zeros(), r: zeros(), r2: zeros(), t: zeros(), t2: zeros() };
  const f = new Float64Array(n);
  const tops: Float64Array[] = [];
  const w2m = net.weightStd ** 2 / net.m;
  const b2 = net.biasStd ** 2;
  for (let s = 0; s < samples; s++) {
    drawResidualNet(net, rng);
    for (let i = 0; i < n; i++) {
      const out = residualForward(net, X[i], grads[i]);
      f[i] = out.f;
      tops[i] = out.top;
    }
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const gi = grads[i];
        const gj = grads[j];
        let t = 0;
        for (let p = 0; p < gi.length; p++) t += gi[p] * gj[p];
        const k = f[i] * f[j];
        sum.k[i][j] += k;
        sum.k2[i][j] += k * k;
        let r = 0;
        for (let q = 0; q < net.m; q++) r += tops[i][q] * tops[j][q];
        r = w2m * r + b2;
        sum.r[i][j] += r;
        sum.r2[i][j] += r * r;
        sum.t[i][j] += t;
        sum.t2[i][j] += t * t;
      }
    }
  }
  const sym = (a: number[][], i: number, j: number) => (i <= j ? a[i][j] : a[j][i]);
  const mean = (a: number[][]) => a.map((row, i) => row.map((_, j) => sym(a, i, j) / samples));
  const se = (s1: number[][], s2: number[][]) =>
    mean(s1).map((row, i) => row.map((mu, j) => Math.sqrt(Math.max(0, sym(s2, i, j) / samples - mu * mu) / (samples - 1))));
  return { nngp: mean(sum.k), nngpSe: se(sum.k, sum.k2), nngpReadout: mean(sum.r), nngpReadoutSe: se(sum.r, sum.r2), ntk: mean(sum.t), ntkSe: se(sum.t, sum.t2) };
}
