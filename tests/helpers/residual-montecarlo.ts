// Monte Carlo over finite float64 residual MLPs in neural-tangents' NTK parameterization, for checks of the
// infinite-width theory (src/theory/residual.ts); the network, its forward and its explicit parameter
// gradient (backpropagation through the skips) are tests/helpers/net-f64.ts's:
//   h_0 = σ_w/√d · W_in x + σ_b b_in
//   h_b = h_{b−1} + β·(σ_w/√m · W_b φ(h_{b−1}) + σ_b b_b),   b = 1..B
//   f   = σ_w/√m · W_out φ(h_B) + σ_b b_out                  (one output)
// All W, b ~ N(0, 1). Gradient layout: W_in, b_in, W_1, b_1, …, W_B, b_B, W_out, b_out (row-major W[o][i]).
import { Rng } from '../../src/data/rng';
import { jacobian, parameterCount, type Act64, type RefLayer } from './net-f64';

export interface ResidualNet {
  d: number;
  m: number;
  blocks: number;
  beta: number;
  weightStd: number;
  biasStd: number;
  act: Act64;
  /** Dense_in [m×d], the blocks [m×m], Dense_out [1×m] (mult σ_w/√fan_in, biasMult σ_b): tests/helpers/net-f64.ts's layers */
  layers: RefLayer[];
  paramCount: number;
}

export function residualNet(d: number, m: number, blocks: number, beta: number, weightStd: number, biasStd: number, phi: (z: number) => number, dphi: (z: number) => number): ResidualNet {
  const layer = (fanIn: number, fanOut: number): RefLayer => ({ w: new Float64Array(fanOut * fanIn), b: new Float64Array(fanOut), fanIn, fanOut, mult: weightStd / Math.sqrt(fanIn), biasMult: biasStd });
  const layers = [layer(d, m), ...Array.from({ length: blocks }, () => layer(m, m)), layer(m, 1)];
  return { d, m, blocks, beta, weightStd, biasStd, act: { phi, dphi }, layers, paramCount: parameterCount(layers) };
}

/** Draws every parameter N(0, 1) from `rng` (the weights of every layer, then the biases). */
export function drawResidualNet(net: ResidualNet, rng: Rng): void {
  for (const a of [...net.layers.map((l) => l.w), ...net.layers.map((l) => l.b!)]) for (let i = 0; i < a.length; i++) a[i] = rng.normal();
}

/** f(x), φ(h_B) and the explicit gradient ∂f/∂θ (net-f64.ts's chain rule; layout W_in, b_in, …, W_out, b_out). */
export function residualGradient(net: ResidualNet, x: readonly number[]): { f: number; top: Float64Array; grad: Float64Array } {
  const { f, rows, xs } = jacobian(net.layers, net.act, x, net.beta);
  return { f: f[0], top: xs[net.blocks + 1], grad: rows[0] };
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
  const grads: Float64Array[] = [];
  const zeros = () => X.map(() => new Array<number>(n).fill(0));
  const sum = { k: zeros(), k2: zeros(), r: zeros(), r2: zeros(), t: zeros(), t2: zeros() };
  const f = new Float64Array(n);
  const tops: Float64Array[] = [];
  const w2m = net.weightStd ** 2 / net.m;
  const b2 = net.biasStd ** 2;
  for (let s = 0; s < samples; s++) {
    drawResidualNet(net, rng);
    for (let i = 0; i < n; i++) {
      const out = residualGradient(net, X[i]);
      grads[i] = out.grad;
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
