// The tests' float64 reference network: ONE forward and ONE chain-rule Jacobian for the plain MLP and the
// residual MLP (issue 14), with the parameters of a GPU Mlp (readLayers) or drawn here (Monte Carlo).
//   Dense_l(x) = mult_l·W_l x + biasMult_l·b_l                       (W_l row-major [fanOut × fanIn])
//   plain    (beta undefined): h₀ = Dense_0(x);  h_l = Dense_l(φ(h_{l−1}));            f = Dense_L(φ(h_{L−1}))
//   residual (beta = β):       h₀ = Dense_in(x); h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})); f = Dense_out(φ(h_B))
// (layers 0 = Dense_in, 1..B = the branches, B + 1 = Dense_out: a plain one-hidden-layer MLP is the residual
// net with no blocks). θ, the Jacobian's columns and the Hessian's rows (hessian-ref.ts) share one order:
// per layer, W row-major, then b. The Jacobian is the chain rule through the skips, checked against central
// differences of the forward (jacobianFd) and against the hyper-dual numbers of hessian-ref.ts.
import { activationRef } from '../../src/kernels/activations';
import { lossCotangentRef, type LossKind } from '../../src/kernels/loss';
import type { Mlp } from '../../src/nets/mlp';

export interface RefLayer { w: Float64Array; b: Float64Array | null; fanIn: number; fanOut: number; mult: number; biasMult: number }

/** An activation by name (src/kernels/activations.ts's table), or its φ and φ' directly. */
export type Act64 = string | { phi: (z: number) => number; dphi: (z: number) => number };

const resolve = (act: Act64) => (typeof act === 'string' ? { phi: activationRef(act, 0), dphi: activationRef(act, 1) } : act);

/** Reads member e's parameters back. */
export async function readLayers(net: Mlp, e: number): Promise<RefLayer[]> {
  const out: RefLayer[] = [];
  for (const layer of net.layers) {
    const { fanIn, fanOut, mult, biasMult } = layer.scales;
    const w = await layer.weight.read();
    const b = layer.bias ? await layer.bias.read() : null;
    out.push({
      w: Float64Array.from(w.subarray(e * fanIn * fanOut, (e + 1) * fanIn * fanOut)),
      b: b ? Float64Array.from(b.subarray(e * fanOut, (e + 1) * fanOut)) : null,
      fanIn, fanOut, mult, biasMult,
    });
  }
  return out;
}

export const parameterCount = (layers: RefLayer[]) => layers.reduce((s, l) => s + l.fanIn * l.fanOut + (l.b ? l.fanOut : 0), 0);

export const cloneLayers = (layers: RefLayer[]): RefLayer[] => layers.map((l) => ({ ...l, w: l.w.slice(), b: l.b ? l.b.slice() : null }));

/** θ as one vector in the Jacobian's order (per layer: w, then b). */
export const flatten = (layers: RefLayer[]) => Float64Array.from(layers.flatMap((l) => [...l.w, ...(l.b ?? [])]));

/** A copy of `layers` with the parameters θ (flatten's order). */
export function withParameters(layers: RefLayer[], theta: ArrayLike<number>): RefLayer[] {
  const out = cloneLayers(layers);
  let offset = 0;
  for (const l of out) {
    for (let i = 0; i < l.w.length; i++) l.w[i] = theta[offset++];
    if (l.b) for (let i = 0; i < l.b.length; i++) l.b[i] = theta[offset++];
  }
  return out;
}

function dense(l: RefLayer, x: ArrayLike<number>): Float64Array {
  const h = new Float64Array(l.fanOut);
  for (let p = 0; p < l.fanOut; p++) {
    let s = 0;
    for (let q = 0; q < l.fanIn; q++) s += l.w[p * l.fanIn + q] * x[q];
    h[p] = l.mult * s + (l.b ? l.biasMult * l.b[p] : 0);
  }
  return h;
}

/** f(x), the input of each dense layer (xs[0] = x, xs[l] = φ(h_{l−1})) and φ'(h_l) (ds), in float64. */
export function forward(layers: RefLayer[], act: Act64, x: ArrayLike<number>, beta?: number): { f: Float64Array; xs: Float64Array[]; ds: Float64Array[] } {
  const { phi, dphi } = resolve(act);
  const L = layers.length - 1;
  const xs: Float64Array[] = [Float64Array.from(x)];
  const ds: Float64Array[] = [];
  let h = dense(layers[0], x);
  for (let l = 1; l <= L; l++) {
    xs.push(h.map(phi));
    ds.push(h.map(dphi));
    if (l === L) break;
    const u = dense(layers[l], xs[l]);
    h = beta === undefined ? u : h.map((v, p) => v + beta * u[p]);
  }
  return { f: L === 0 ? h : dense(layers[L], xs[L]), xs, ds };
}

/**
 * f(x) and the rows ∂f_a(x)/∂θ (flatten's order), by the chain rule; perLayer[l][a] is the part of row a that
 * belongs to layer l (a view into it); xs as `forward`'s. Backward, with g = ∂f_a/∂h_l and c_l the factor of Dense_l's output in
 * the stream (β for a residual branch, 1 otherwise):
 *   ∂f_a/∂W_l = c_l·mult_l·g ⊗ xs[l],  ∂f_a/∂b_l = c_l·biasMult_l·g,
 *   g_{l−1} = s·g + c_l·mult_l·(W_lᵀ g) ⊙ φ'(h_{l−1}),  s = 1 across a skip (residual branch), 0 otherwise.
 */
export function jacobian(layers: RefLayer[], act: Act64, x: ArrayLike<number>, beta?: number): { f: Float64Array; rows: Float64Array[]; perLayer: Float64Array[][]; xs: Float64Array[] } {
  const { f, xs, ds } = forward(layers, act, x, beta);
  const L = layers.length - 1;
  const k = layers[L].fanOut;
  const offsets: number[] = [];
  let P = 0;
  for (const l of layers) {
    offsets.push(P);
    P += l.w.length + (l.b ? l.b.length : 0);
  }
  const rows: Float64Array[] = [];
  const perLayer: Float64Array[][] = layers.map(() => []);
  for (let a = 0; a < k; a++) {
    const row = new Float64Array(P);
    let g = new Float64Array(k);
    g[a] = 1;
    for (let l = L; l >= 0; l--) {
      const layer = layers[l];
      const branch = beta !== undefined && l > 0 && l < L;
      const c = branch ? beta : 1;
      let o = offsets[l];
      for (let p = 0; p < layer.fanOut; p++) for (let q = 0; q < layer.fanIn; q++) row[o++] = c * layer.mult * g[p] * xs[l][q];
      if (layer.b) for (let p = 0; p < layer.fanOut; p++) row[o++] = c * layer.biasMult * g[p];
      if (l > 0) {
        const next = branch ? Float64Array.from(g) : new Float64Array(layer.fanIn);
        for (let q = 0; q < layer.fanIn; q++) {
          let s = 0;
          for (let p = 0; p < layer.fanOut; p++) s += layer.w[p * layer.fanIn + q] * g[p];
          next[q] += c * layer.mult * s * ds[l - 1][q];
        }
        g = next;
      }
    }
    rows.push(row);
    layers.forEach((layer, l) => perLayer[l].push(row.subarray(offsets[l], offsets[l] + layer.w.length + (layer.b ? layer.b.length : 0))));
  }
  return { f, rows, perLayer, xs };
}

/** The same rows by central differences (step ε) of `forward` at θ ± ε·e_p: an independent check of `jacobian`. */
export function jacobianFd(layers: RefLayer[], act: Act64, x: ArrayLike<number>, beta?: number, eps = 1e-6): Float64Array[] {
  const k = layers[layers.length - 1].fanOut;
  const theta = flatten(layers);
  const rows = Array.from({ length: k }, () => new Float64Array(theta.length));
  for (let p = 0; p < theta.length; p++) {
    const v = theta[p];
    theta[p] = v + eps;
    const fp = forward(withParameters(layers, theta), act, x, beta).f;
    theta[p] = v - eps;
    const fm = forward(withParameters(layers, theta), act, x, beta).f;
    theta[p] = v;
    for (let a = 0; a < k; a++) rows[a][p] = (fp[a] - fm[a]) / (2 * eps);
  }
  return rows;
}

/** Gram of Jacobian rows: Θ (n·k)×(n·k), row index i·k + a, of the model α·f. */
export function gramOfRows(rowsPerExample: Float64Array[][], alpha = 1): Float64Array {
  const rows = rowsPerExample.flat();
  const N = rows.length;
  const out = new Float64Array(N * N);
  for (let r = 0; r < N; r++)
    for (let c = 0; c < N; c++) {
      let s = 0;
      for (let p = 0; p < rows[r].length; p++) s += rows[r][p] * rows[c][p];
      out[r * N + c] = alpha * alpha * s;
    }
  return out;
}

/** Θ = α²·J Jᵀ (n·k)×(n·k), row index i·k + a, by explicit per-example Jacobians (what the structured kernel avoids). */
export function ntkByJacobian(layers: RefLayer[], act: Act64, X: number[][], alpha = 1, beta?: number): Float64Array {
  return gramOfRows(X.map((x) => jacobian(layers, act, x, beta).rows), alpha);
}

/** θ ← θ − η_p·v_p, v ← μ·v + g + λ·(η/η_p)·(θ − θ₀), g = Σ_i J_iᵀ r_i (float64), for the network or, with `linearized`, its linearisation at θ₀. */
export interface RefTrainOptions {
  loss: LossKind;
  alpha: number;
  centred: boolean;
  /** η_p per layer (the trainer's learningRates: η·lrScale/α², 0 when frozen) */
  rates: { weight: number[]; bias: number[] };
  momentum: number;
  steps: number;
  /** SGD: the rows of each step's mini-batch (default: every row, full-batch GD) */
  batches?: number[][];
  /** weight decay λ towards θ₀ (train.weightDecay) with the base rate η it is relative to */
  weightDecay?: number;
  lr?: number;
}

export type Jac = (layers: RefLayer[], x: ArrayLike<number>) => { f: Float64Array; rows: Float64Array[] };

/**
 * GD (or SGD over `batches`) with heavy-ball momentum in float64 on inputs X, labels y; returns the final parameters.
 * linearized: trains f_lin(θ) = f(θ₀) + J(θ₀)·(θ − θ₀) instead (the trainer's linearised model).
 */
export function referenceTraining(layers0: RefLayer[], jac: Jac, X: number[][], y: number[][], o: RefTrainOptions, linearized = false): RefLayer[] {
  const k = y[0].length;
  const at0 = X.map((x) => jac(layers0, x));
  const f0 = at0.flatMap((j) => Array.from(j.f));
  const shift = o.centred ? f0.map((v) => o.alpha * v) : null;
  const theta0 = flatten(layers0);
  let current = cloneLayers(layers0);
  const velocity = new Float64Array(theta0.length);
  // each parameter's rate, in the same order, and its decay λ·η/η_p (none where frozen)
  const rates = Float64Array.from(layers0.flatMap((l, i) => [...new Array(l.w.length).fill(o.rates.weight[i]), ...(l.b ? new Array(l.b.length).fill(o.rates.bias[i]) : [])]));
  const decay = rates.map((lr) => (o.weightDecay && lr > 0 ? (o.weightDecay * o.lr!) / lr : 0));
  for (let s = 0; s < o.steps; s++) {
    const rows = o.batches?.[s] ?? X.map((_, i) => i);
    let f: number[];
    let J: Float64Array[][];
    if (linearized) {
      const delta = flatten(current).map((v, p) => v - theta0[p]);
      f = rows.flatMap((i) => at0[i].rows.map((row, a) => at0[i].f[a] + row.reduce((acc, jp, p) => acc + jp * delta[p], 0)));
      J = rows.map((i) => at0[i].rows);
    } else {
      const now = rows.map((i) => jac(current, X[i]));
      f = now.flatMap((j) => Array.from(j.f));
      J = now.map((j) => j.rows);
    }
    const batchShift = shift ? rows.flatMap((i) => shift.slice(i * k, (i + 1) * k)) : null;
    const r = lossCotangentRef(o.loss, f, rows.flatMap((i) => y[i]), rows.length, k, o.alpha, batchShift);
    const g = new Float64Array(theta0.length);
    J.forEach((rows, i) => rows.forEach((row, a) => row.forEach((v, p) => (g[p] += v * r[i * k + a]))));
    const theta = flatten(current);
    for (let p = 0; p < theta.length; p++) {
      velocity[p] = o.momentum * velocity[p] + g[p] + decay[p] * (theta[p] - theta0[p]);
      theta[p] -= rates[p] * velocity[p];
    }
    current = withParameters(current, theta);
  }
  return current;
}
