// Monte Carlo check of the analytic kernels against finite networks sampled in float64.
//
// The network is neural-tangents' NTK parameterization with depth L hidden layers of width m and
// one output:  a_0 = x,  h_l = σ_w/√fan_in · W_l a_{l−1} + σ_b b_l,  a_l = φ(h_l),  f = h_{L+1},
// all W, b ~ N(0, 1). Over random initialisations
//   NNGP:  E[f(x) f(x')]                       → Σ_L(x, x')
//   NTK:   E[Σ_p ∂f(x)/∂θ_p · ∂f(x')/∂θ_p]     → Θ_L(x, x')
// For L = 1 both hold exactly at every width m: h_1 is exactly Gaussian, and the readout
// weights are independent of it, so E[f f'] = σ_w² E[φφ] + σ_b² and
// E[Θ̂] = σ_w² E[φφ] + σ_b² + σ_w² E[v²] E[φ'φ'] (σ_w² x·x'/d + σ_b²). The only error is
// sampling error, which must fall like 1/√(samples). For L = 2 the expectations carry an
// O(1/m) finite-width bias, so that check uses a wide net and few samples (bias ≪ standard error).

import { describe, it, expect } from 'vitest';
import { analyticKernels } from '../../src/theory/index';
import { theoryActivation } from '../../src/theory/activations';

/** xoshiro128** (Blackman & Vigna) seeded by splitmix32; 53-bit uniforms; Box–Muller normals. */
function makeRng(seed: number) {
  let state = seed >>> 0;
  const splitmix = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix();
  let s1 = splitmix();
  let s2 = splitmix();
  let s3 = splitmix();
  const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const uniform = () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  let spare = NaN;
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    let u = uniform();
    while (u === 0) u = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  const fill = (a: Float64Array) => {
    for (let i = 0; i < a.length; i++) a[i] = normal();
    return a;
  };
  return { uniform, normal, fill };
}

interface Mlp {
  fanIn: number[];
  fanOut: number[];
  W: Float64Array[]; // W[l] is fanOut[l] × fanIn[l], row-major
  b: Float64Array[];
  paramCount: number;
}

function mlpShape(d: number, m: number, depth: number): Mlp {
  const fanIn: number[] = [];
  const fanOut: number[] = [];
  for (let l = 0; l <= depth; l++) {
    fanIn.push(l === 0 ? d : m);
    fanOut.push(l === depth ? 1 : m);
  }
  const W = fanIn.map((fi, l) => new Float64Array(fi * fanOut[l]));
  const b = fanOut.map((fo) => new Float64Array(fo));
  const paramCount = W.reduce((s, w) => s + w.length, 0) + b.reduce((s, v) => s + v.length, 0);
  return { fanIn, fanOut, W, b, paramCount };
}

/** f(x) and the explicit gradient ∂f/∂θ (layout: W_0, b_0, W_1, b_1, …) by backpropagation. */
function forwardBackward(net: Mlp, x: number[], phi: (z: number) => number, dphi: (z: number) => number, wStd: number, bStd: number, grad: Float64Array): number {
  const L = net.W.length - 1;
  const acts: Float64Array[] = [Float64Array.from(x)];
  const pre: Float64Array[] = [];
  for (let l = 0; l <= L; l++) {
    const scale = wStd / Math.sqrt(net.fanIn[l]);
    const h = new Float64Array(net.fanOut[l]);
    const a = acts[l];
    for (let o = 0; o < h.length; o++) {
      let s = 0;
      const row = o * net.fanIn[l];
      for (let i = 0; i < a.length; i++) s += net.W[l][row + i] * a[i];
      h[o] = scale * s + bStd * net.b[l][o];
    }
    pre.push(h);
    if (l < L) acts.push(h.map(phi));
  }
  // offsets of each layer's block in the flat gradient
  const offsets: number[] = [];
  for (let l = 0, off = 0; l <= L; l++) {
    offsets.push(off);
    off += net.W[l].length + net.b[l].length;
  }
  let g = new Float64Array([1]); // ∂f/∂h_L
  for (let l = L; l >= 0; l--) {
    const scale = wStd / Math.sqrt(net.fanIn[l]);
    const a = acts[l];
    const off = offsets[l];
    for (let o = 0; o < g.length; o++) {
      const row = o * net.fanIn[l];
      for (let i = 0; i < a.length; i++) grad[off + row + i] = g[o] * scale * a[i]; // ∂f/∂W_l[o][i]
      grad[off + net.W[l].length + o] = bStd * g[o]; // ∂f/∂b_l[o]
    }
    if (l > 0) {
      const prev = new Float64Array(net.fanIn[l]);
      for (let o = 0; o < g.length; o++) {
        const row = o * net.fanIn[l];
        for (let i = 0; i < prev.length; i++) prev[i] += net.W[l][row + i] * g[o];
      }
      for (let i = 0; i < prev.length; i++) prev[i] *= scale * dphi(pre[l - 1][i]);
      g = prev;
    }
  }
  return pre[L][0];
}

interface Estimate {
  nngp: number[][];
  nngpSe: number[][];
  ntk: number[][];
  ntkSe: number[][];
}

/** Sample means (and standard errors) of f(x_i) f(x_j) and of the empirical NTK over `samples` networks. */
function monteCarlo(X: number[][], activation: string, depth: number, width: number, wStd: number, bStd: number, samples: number, seed: number): Estimate {
  const { phi, dphi } = theoryActivation(activation);
  const rng = makeRng(seed);
  const net = mlpShape(X[0].length, width, depth);
  const n = X.length;
  const grads = X.map(() => new Float64Array(net.paramCount));
  const zeros = () => X.map(() => new Array<number>(n).fill(0));
  const sum = { k: zeros(), k2: zeros(), t: zeros(), t2: zeros() };
  const f = new Float64Array(n);
  for (let s = 0; s < samples; s++) {
    net.W.forEach(rng.fill);
    net.b.forEach(rng.fill);
    for (let i = 0; i < n; i++) f[i] = forwardBackward(net, X[i], phi, dphi, wStd, bStd, grads[i]);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let t = 0;
        const gi = grads[i];
        const gj = grads[j];
        for (let p = 0; p < gi.length; p++) t += gi[p] * gj[p];
        const k = f[i] * f[j];
        sum.k[i][j] += k;
        sum.k2[i][j] += k * k;
        sum.t[i][j] += t;
        sum.t2[i][j] += t * t;
      }
    }
  }
  const mean = (a: number[][]) => a.map((row, i) => row.map((_, j) => (i <= j ? a[i][j] : a[j][i]) / samples));
  const se = (s1: number[][], s2: number[][]) =>
    mean(s1).map((row, i) => row.map((mu, j) => Math.sqrt(Math.max(0, (i <= j ? s2[i][j] : s2[j][i]) / samples - mu * mu) / (samples - 1))));
  return { nngp: mean(sum.k), nngpSe: se(sum.k, sum.k2), ntk: mean(sum.t), ntkSe: se(sum.t, sum.t2) };
}

// Inputs of different norms and angles (d = 3), including a pair at 180°.
const X = [
  [1, 0, 0],
  [0.6, 0.8, 0],
  [-1, 0, 0],
  [0.3, -1.2, 0.9],
  [0.1, 0.2, -0.5],
];

function zScores(est: Estimate, exact: { nngp: number[][]; ntk: number[][] }): number[] {
  const z: number[] = [];
  for (let i = 0; i < X.length; i++) {
    for (let j = i; j < X.length; j++) {
      z.push((est.nngp[i][j] - exact.nngp[i][j]) / (est.nngpSe[i][j] + 1e-15));
      z.push((est.ntk[i][j] - exact.ntk[i][j]) / (est.ntkSe[i][j] + 1e-15));
    }
  }
  return z;
}

function errors(est: Estimate, exact: { nngp: number[][]; ntk: number[][] }): number[] {
  const e: number[] = [];
  for (let i = 0; i < X.length; i++) {
    for (let j = i; j < X.length; j++) e.push(est.nngp[i][j] - exact.nngp[i][j], est.ntk[i][j] - exact.ntk[i][j]);
  }
  return e;
}

const rms = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);

describe('Monte Carlo: finite networks agree with the analytic kernels', () => {
  it('the test harness computes exact gradients (finite differences of f)', () => {
    const rng = makeRng(7);
    const net = mlpShape(3, 5, 2);
    net.W.forEach(rng.fill);
    net.b.forEach(rng.fill);
    const { phi, dphi } = theoryActivation('tanh');
    const grad = new Float64Array(net.paramCount);
    const scratch = new Float64Array(net.paramCount);
    const x = [0.3, -0.7, 1.1];
    forwardBackward(net, x, phi, dphi, 1.3, 0.4, grad);
    // walk the parameters in the gradient's layout and compare with central differences
    let p = 0;
    for (let l = 0; l < net.W.length; l++) {
      for (const arr of [net.W[l], net.b[l]]) {
        for (let i = 0; i < arr.length; i++, p++) {
          const keep = arr[i];
          const h = 1e-6;
          arr[i] = keep + h;
          const up = forwardBackward(net, x, phi, dphi, 1.3, 0.4, scratch);
          arr[i] = keep - h;
          const down = forwardBackward(net, x, phi, dphi, 1.3, 0.4, scratch);
          arr[i] = keep;
          expect(Math.abs((up - down) / (2 * h) - grad[p])).toBeLessThan(1e-8);
        }
      }
    }
    expect(p).toBe(net.paramCount);
  });

  it('one hidden layer (exact at any width): within 5 standard errors, and the error falls ~1/√samples', () => {
    const wStd = 1.3;
    const bStd = 0.4;
    const width = 16;
    const small: number[] = [];
    const big: number[] = [];
    const seSmall: number[] = [];
    const seBig: number[] = [];
    ['relu', 'erf', 'tanh', 'sin'].forEach((activation, a) => {
      const exact = analyticKernels({ depth: 1, weightStd: wStd, biasStd: bStd, activation }, X);
      const e1 = monteCarlo(X, activation, 1, width, wStd, bStd, 400, 1000 + a);
      const e2 = monteCarlo(X, activation, 1, width, wStd, bStd, 6400, 2000 + a); // independent stream
      for (const z of [...zScores(e1, exact), ...zScores(e2, exact)]) expect(Math.abs(z)).toBeLessThan(5);
      small.push(...errors(e1, exact));
      big.push(...errors(e2, exact));
      seSmall.push(...e1.nngpSe.flat(), ...e1.ntkSe.flat());
      seBig.push(...e2.nngpSe.flat(), ...e2.ntkSe.flat());
    });
    // 16× the samples: standard errors shrink ~4×, and so does the realised error (it would
    // level off at the size of any mistake in the analytic value instead).
    const seRatio = rms(seBig) / rms(seSmall);
    expect(seRatio).toBeGreaterThan(0.2);
    expect(seRatio).toBeLessThan(0.3);
    expect(rms(big) / rms(small)).toBeLessThan(0.6);
  });

  it('two hidden layers (finite-width bias O(1/m) ≪ standard error at m = 256): within 5 standard errors', () => {
    const wStd = 1.2;
    const bStd = 0.3;
    for (const [a, activation] of ['relu', 'tanh'].entries()) {
      const exact = analyticKernels({ depth: 2, weightStd: wStd, biasStd: bStd, activation }, X);
      const est = monteCarlo(X, activation, 2, 256, wStd, bStd, 150, 3000 + a);
      for (const z of zScores(est, exact)) expect(Math.abs(z)).toBeLessThan(5);
    }
  });
});
