// A float64 residual MLP with the same parameters as a GPU Mlp with `residual` (layers read back by
// mlp-ref.ts's readLayers: 0 = Dense_in, 1..B = the branches, B + 1 = Dense_out), its per-example
// Jacobian rows, written out directly from the chain rule, and the same Jacobian by central finite
// differences of the float64 forward pass (which checks the reference itself, skip connections included):
//   h₀ = mult₀·W₀x + biasMult₀·b₀;  h_b = h_{b−1} + β·(mult_b·W_b φ(h_{b−1}) + biasMult_b·b_b);  f = mult_out·W_out φ(h_B) + biasMult_out·b_out.
import { activationRef } from '../../src/kernels/activations';
import { lossCotangentRef, type LossKind } from '../../src/kernels/loss';
import type { RefLayer } from './mlp-ref';

function dense(l: RefLayer, x: ArrayLike<number>): Float64Array {
  const h = new Float64Array(l.fanOut);
  for (let p = 0; p < l.fanOut; p++) {
    let s = 0;
    for (let q = 0; q < l.fanIn; q++) s += l.w[p * l.fanIn + q] * x[q];
    h[p] = l.mult * s + (l.b ? l.biasMult * l.b[p] : 0);
  }
  return h;
}

/** f(x), and the inputs of each dense layer and φ'(h_b) (b = 0..B), in float64. */
export function residualForwardRef(layers: RefLayer[], act: string, beta: number, x: ArrayLike<number>): { f: Float64Array; xs: Float64Array[]; ds: Float64Array[] } {
  const phi = activationRef(act, 0);
  const dphi = activationRef(act, 1);
  const L = layers.length - 1;
  const xs: Float64Array[] = [Float64Array.from(x)];
  const ds: Float64Array[] = [];
  let h = dense(layers[0], x);
  for (let l = 1; l < L; l++) {
    xs.push(h.map(phi));
    ds.push(h.map(dphi));
    const u = dense(layers[l], xs[l]);
    h = h.map((v, p) => v + beta * u[p]);
  }
  xs.push(h.map(phi));
  ds.push(h.map(dphi));
  return { f: dense(layers[L], xs[L]), xs, ds };
}

/** f(x) and the rows ∂f_a(x)/∂θ (per layer: w row-major, then b), by the chain rule through the skips. */
export function residualJacobian(layers: RefLayer[], act: string, beta: number, x: ArrayLike<number>): { f: Float64Array; rows: Float64Array[]; perLayer: Float64Array[][] } {
  const { f, xs, ds } = residualForwardRef(layers, act, beta, x);
  const L = layers.length - 1;
  const k = layers[L].fanOut;
  const rows: Float64Array[] = [];
  const perLayerRows: Float64Array[][] = layers.map(() => []);
  for (let a = 0; a < k; a++) {
    const perLayer: number[][] = new Array(L + 1);
    const out = layers[L];
    // readout: ∂f_a/∂W_out[c, q] = δ_ac·mult·x_L[q]
    const gOut: number[] = [];
    for (let c = 0; c < k; c++) for (let q = 0; q < out.fanIn; q++) gOut.push(c === a ? out.mult * xs[L][q] : 0);
    if (out.b) for (let c = 0; c < k; c++) gOut.push(c === a ? out.biasMult : 0);
    perLayer[L] = gOut;
    // g_B = ∂f_a/∂h_B
    let g = Float64Array.from({ length: out.fanIn }, (_, q) => out.mult * out.w[a * out.fanIn + q] * ds[L - 1][q]);
    for (let l = L - 1; l >= 0; l--) {
      const layer = layers[l];
      const c = l === 0 ? 1 : beta; // Dense_b's output enters the stream times β
      const gl: number[] = [];
      for (let p = 0; p < layer.fanOut; p++) for (let q = 0; q < layer.fanIn; q++) gl.push(c * layer.mult * g[p] * xs[l][q]);
      if (layer.b) for (let p = 0; p < layer.fanOut; p++) gl.push(c * layer.biasMult * g[p]);
      perLayer[l] = gl;
      if (l > 0) {
        // g_{l−1} = g_l + β·mult_l·(W_lᵀ g_l) ⊙ φ'(h_{l−1})
        const next = Float64Array.from(g);
        for (let q = 0; q < layer.fanIn; q++) {
          let s = 0;
          for (let p = 0; p < layer.fanOut; p++) s += layer.w[p * layer.fanIn + q] * g[p];
          next[q] += beta * layer.mult * s * ds[l - 1][q];
        }
        g = next;
      }
    }
    perLayer.forEach((gl, l) => perLayerRows[l].push(Float64Array.from(gl)));
    rows.push(Float64Array.from(perLayer.flat()));
  }
  return { f, rows, perLayer: perLayerRows };
}

/** The same rows by central differences (step ε) of residualForwardRef: an independent check of residualJacobian. */
export function residualJacobianFd(layers: RefLayer[], act: string, beta: number, x: ArrayLike<number>, eps = 1e-6): Float64Array[] {
  const k = layers[layers.length - 1].fanOut;
  const params: { arr: Float64Array; i: number }[] = [];
  for (const l of layers) {
    for (let i = 0; i < l.w.length; i++) params.push({ arr: l.w, i });
    if (l.b) for (let i = 0; i < l.b.length; i++) params.push({ arr: l.b, i });
  }
  const rows = Array.from({ length: k }, () => new Float64Array(params.length));
  params.forEach(({ arr, i }, p) => {
    const v = arr[i];
    arr[i] = v + eps;
    const fp = residualForwardRef(layers, act, beta, x).f;
    arr[i] = v - eps;
    const fm = residualForwardRef(layers, act, beta, x).f;
    arr[i] = v;
    for (let a = 0; a < k; a++) rows[a][p] = (fp[a] - fm[a]) / (2 * eps);
  });
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

/** θ ← θ − η_p·v_p, v ← μ·v + g, g = Σ_i J_iᵀ r_i (float64), for the network or, with `linearAt`, its linearisation there. */
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
}

type Jac = (layers: RefLayer[], x: ArrayLike<number>) => { f: Float64Array; rows: Float64Array[] };

const cloneLayers = (layers: RefLayer[]) => layers.map((l) => ({ ...l, w: l.w.slice(), b: l.b ? l.b.slice() : null }));
/** the parameters as one vector in the Jacobian's order (per layer: w, then b) */
const flatten = (layers: RefLayer[]) => Float64Array.from(layers.flatMap((l) => [...l.w, ...(l.b ?? [])]));

/**
 * Full-batch GD with heavy-ball momentum in float64 on inputs X, labels y; returns the final parameters.
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
  // each parameter's rate, in the same order
  const rates = Float64Array.from(layers0.flatMap((l, i) => [...new Array(l.w.length).fill(o.rates.weight[i]), ...(l.b ? new Array(l.b.length).fill(o.rates.bias[i]) : [])]));
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
      velocity[p] = o.momentum * velocity[p] + g[p];
      theta[p] -= rates[p] * velocity[p];
    }
    // back into layers
    let offset = 0;
    current = cloneLayers(current);
    for (const l of current) {
      l.w.set(theta.subarray(offset, offset + l.w.length));
      offset += l.w.length;
      if (l.b) {
        l.b.set(theta.subarray(offset, offset + l.b.length));
        offset += l.b.length;
      }
    }
  }
  return current;
}
