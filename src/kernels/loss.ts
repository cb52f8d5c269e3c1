// Loss cotangents r = ∂L/∂f on the GPU (shaders/loss) for the model z = α·f − s (s = α·f₀ when
// centred): MSE 1/(2nk)·Σ(z − y)², logistic (1/n)·Σ log(1 + e^{−y·z}) with y = ±1, and softmax
// cross-entropy −(1/n)·Σ y·log softmax(z) with one-hot y. The loss values themselves are computed
// in float64 on the CPU from read-back outputs (lossRef), which is also the reference here.
import { ShapeError } from '../gpu/errors';
import { ParamLayout } from '../gpu/params';
import type { Runtime } from '../gpu/runtime';
import type { Tensor } from '../gpu/tensor';
import { assertLive, kernelProgram, dummyTensor, groups1d, outputTensor, type Cost } from './common';

export const LOSS_KINDS = ['mse', 'logistic', 'softmax'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

const WG = 64;
const PARAMS = new ParamLayout([['rows', 'u32'], ['n', 'u32'], ['k', 'u32'], ['alpha', 'f32'], ['scale', 'f32']] as const);

const program = (loss: LossKind, shifted: boolean) =>
  kernelProgram({
    label: `${loss} cotangent`,
    shaders: ['common/indexing', 'loss/cotangent'],
    storage: ['read', 'read', 'read', 'read_write'] as const,
    params: PARAMS,
    constants: { WG, LOSS: LOSS_KINDS.indexOf(loss), HAS_SHIFT: shifted ? 1 : 0 },
  });

/**
 * r = ∂L/∂f [E, n, k] for outputs f [E, n, k], labels y [n, k] (shared by the members) and an
 * optional shift s [E, n, k] (the model is z = α·f − s).
 */
export function lossCotangent(rt: Runtime, loss: LossKind, f: Tensor, y: Tensor, o: { alpha?: number; shift?: Tensor; out?: Tensor } = {}): Tensor {
  assertLive(f, y, o.shift, o.out);
  const [n, k] = y.shape.length === 2 ? y.shape : [NaN, NaN];
  if (!(n > 0) || f.size % (n * k) !== 0) throw new ShapeError(`lossCotangent: labels "${y.name}" [${y.shape}] must be [n, k] with outputs "${f.name}" [${f.shape}] = [E, n, k]`);
  if (loss === 'logistic' && k !== 1) throw new ShapeError(`lossCotangent: the logistic loss needs one output (labels ±1); got k = ${k} (use "softmax" with one-hot labels)`);
  if (o.shift && o.shift.size !== f.size) throw new ShapeError(`lossCotangent: shift "${o.shift.name}" has ${o.shift.size} elements, expected ${f.size} like the outputs`);
  const r = outputTensor(rt, 'lossCotangent', f.shape, o.out, `dL/d(${f.name})`);
  const rows = f.size / k;
  const scale = loss === 'mse' ? 1 / (n * k) : 1 / n;
  rt.dispatch(program(loss, !!o.shift), [f, y, o.shift ?? dummyTensor(rt), r], { rows, n, k, alpha: o.alpha ?? 1, scale }, groups1d(rows, WG));
  return r;
}

// ---- float64 references

/** The model output z = α·f − s of one row. */
const modelRow = (f: ArrayLike<number>, s: ArrayLike<number> | null, alpha: number, base: number, k: number) => Array.from({ length: k }, (_, a) => alpha * f[base + a] - (s ? s[base + a] : 0));

function logSumExp(z: number[]): number {
  const top = Math.max(...z);
  return top + Math.log(z.reduce((acc, v) => acc + Math.exp(v - top), 0));
}

/** log(1 + e^x) without overflow. */
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Per-member loss values in float64 (f and s [E, n, k], y [n, k]). */
export function lossRef(loss: LossKind, f: ArrayLike<number>, y: ArrayLike<number>, n: number, k: number, alpha = 1, s: ArrayLike<number> | null = null): Float64Array {
  const E = f.length / (n * k);
  return Float64Array.from({ length: E }, (_, e) => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const z = modelRow(f, s, alpha, (e * n + i) * k, k);
      const label = Array.from({ length: k }, (_, a) => y[i * k + a]);
      if (loss === 'mse') total += z.reduce((acc, v, a) => acc + (v - label[a]) ** 2, 0) / (2 * k);
      else if (loss === 'logistic') total += softplus(-label[0] * z[0]);
      else total += logSumExp(z) - z.reduce((acc, v, a) => acc + label[a] * v, 0);
    }
    return total / n;
  });
}

/** ∂L/∂f in float64, the reference of lossCotangent. */
export function lossCotangentRef(loss: LossKind, f: ArrayLike<number>, y: ArrayLike<number>, n: number, k: number, alpha = 1, s: ArrayLike<number> | null = null): Float64Array {
  const r = new Float64Array(f.length);
  for (let row = 0; row < f.length / k; row++) {
    const i = row % n;
    const z = modelRow(f, s, alpha, row * k, k);
    if (loss === 'mse') z.forEach((v, a) => (r[row * k + a] = (alpha * (v - y[i * k + a])) / (n * k)));
    else if (loss === 'logistic') r[row] = (-alpha * y[i] / (1 + Math.exp(y[i] * z[0]))) / n;
    else {
      const lse = logSumExp(z);
      z.forEach((v, a) => (r[row * k + a] = (alpha * (Math.exp(v - lse) - y[i * k + a])) / n));
    }
  }
  return r;
}

/** Fraction of rows classified right, per member: sign(z) = y for k = 1 (labels ±1), argmax otherwise. */
export function accuracyRef(f: ArrayLike<number>, y: ArrayLike<number>, n: number, k: number, alpha = 1, s: ArrayLike<number> | null = null): Float64Array {
  const E = f.length / (n * k);
  return Float64Array.from({ length: E }, (_, e) => {
    let right = 0;
    for (let i = 0; i < n; i++) {
      const z = modelRow(f, s, alpha, (e * n + i) * k, k);
      if (k === 1) right += Math.sign(z[0]) === Math.sign(y[i]) ? 1 : 0;
      else {
        const label = Array.from({ length: k }, (_, a) => y[i * k + a]);
        right += z.indexOf(Math.max(...z)) === label.indexOf(Math.max(...label)) ? 1 : 0;
      }
    }
    return right / n;
  });
}

export const lossCotangentCost = (rows: number, k: number): Cost => ({ flops: 6 * rows * k, bytes: 4 * rows * k * 3 });

/**
 * The Hessian of one example's loss ℓ in its model outputs z (k×k, row-major), the curvature the
 * sharpness weighs Θ_η with (L = (1/n)·Σ ℓ_i): MSE ℓ = ‖z − y‖²/(2k) gives I/k; logistic
 * ℓ = log(1 + e^{−y·z}) gives σ(z)·(1 − σ(z)) (y = ±1 drops out); softmax cross-entropy gives diag(p) − ppᵀ, p = softmax(z).
 */
export function lossHessianRef(loss: LossKind, z: ArrayLike<number>, k: number): Float64Array {
  const H = new Float64Array(k * k);
  if (loss === 'mse') for (let a = 0; a < k; a++) H[a * k + a] = 1 / k;
  else if (loss === 'logistic') {
    const s = 1 / (1 + Math.exp(-z[0]));
    H[0] = s * (1 - s);
  } else {
    const zs = Array.from({ length: k }, (_, a) => z[a]);
    const lse = logSumExp(zs);
    const p = zs.map((v) => Math.exp(v - lse));
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) H[a * k + b] = (a === b ? p[a] : 0) - p[a] * p[b];
  }
  return H;
}
