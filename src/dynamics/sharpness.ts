// Sharpness and the catapult (Lewkowycz, Bahri, Dyer, Sohl-Dickstein & Gur-Ari 2020, arXiv:2003.02218;
// Cohen, Kaur, Li, Kolter & Talwalkar 2021, arXiv:2103.00065, edge of stability).
//
// Sharpness. GD on L = (1/n)·Σ_i ℓ(z_i) moves the outputs by Δz ≈ −η·Θ_η·∇_z L, so near a minimum
// z − z* ← (I − η·Θ_η·M/n)(z − z*) with M = blockdiag(∂²ℓ/∂z_i²) (kernels/loss.ts's lossHessianRef).
// The eigenvalues of Θ_η·M are those of M^{1/2}·Θ_η·M^{1/2}, so
//   sharpness = η·λ_max(M^{1/2}·Θ_η·M^{1/2})/n,   MSE (M = I/k): η·λ_max(Θ_η)/(n·k),
// the Gauss–Newton sharpness of the loss; GD on the linearised model is stable iff it is < 2, and
// heavy-ball GD (momentum μ) iff it is < 2(1 + μ) (stabilityEdge below; closed-forms.ts's
// suggestedMaxLr is the same edge solved for η).
//
// Catapult. For ηλ₀ between 2 and 4 (uv model) the loss first grows, the kernel's top eigenvalue
// falls until the sharpness is below 2, and the loss then falls: detectCatapult finds that pattern
// in the recorded losses: the sharpness at step 0 above the stability edge 2(1 + μ) (2 for plain GD),
// a rise above CATAPULT_FACTOR times the loss at step 0, then a fall below it, with the sharpness of
// the last record below the edge.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { lossHessianRef, type LossKind } from '../kernels/loss';
import type { Catapult } from './records';

/** The loss must rise above this factor times its step-0 value to count as a catapult. */
export const CATAPULT_FACTOR = 2;

/**
 * The stability edge of the sharpness for heavy-ball GD with momentum μ: on a quadratic with curvature
 * λ the iteration e' = (1 + μ − ηλ)·e − μ·e_prev is stable iff 0 < ηλ < 2(1 + μ) (its characteristic
 * roots lie inside the unit circle; Polyak 1964), so the edge is 2(1 + μ); plain GD (μ = 0): 2.
 */
export function stabilityEdge(momentum = 0): number {
  if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`stabilityEdge: expected a momentum in [0, 1); received ${String(momentum)}`);
  return 2 * (1 + momentum);
}

/** M^{1/2} of a symmetric positive semi-definite k×k matrix (row-major). */
function sqrtPsd(H: Float64Array, k: number): Float64Array {
  if (k === 1) return Float64Array.of(Math.sqrt(Math.max(H[0], 0)));
  let diagonal = true;
  for (let a = 0; a < k && diagonal; a++) for (let b = 0; b < k; b++) if (a !== b && H[a * k + b] !== 0) diagonal = false;
  const out = new Float64Array(k * k);
  if (diagonal) {
    for (let a = 0; a < k; a++) out[a * k + a] = Math.sqrt(Math.max(H[a * k + a], 0));
    return out;
  }
  const m = new Matrix(k, k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) m.set(a, b, 0.5 * (H[a * k + b] + H[b * k + a]));
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const V = eig.eigenvectorMatrix;
  const s = eig.realEigenvalues.map((v) => Math.sqrt(Math.max(v, 0)));
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
    let acc = 0;
    for (let c = 0; c < k; c++) acc += V.get(a, c) * s[c] * V.get(b, c);
    out[a * k + b] = acc;
  }
  return out;
}

/** λ_max of a symmetric positive semi-definite N×N matrix by power iteration (Rayleigh quotient), float64. */
export function largestEigenvalue(A: ArrayLike<number>, N: number, o: { iterations?: number; rtol?: number } = {}): number {
  return largestEigenvalueOf((v, out) => {
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += A[i * N + j] * v[j];
      out[i] = s;
    }
  }, N, o);
}

/** The same for a symmetric positive semi-definite operator given by its product out ← A·v. */
export function largestEigenvalueOf(apply: (v: Float64Array, out: Float64Array) => void, N: number, o: { iterations?: number; rtol?: number } = {}): number {
  // a fixed, generic start vector (no symmetry of the data can make it orthogonal to the top eigenvector)
  const v = Float64Array.from({ length: N }, (_, i) => 1 + 0.5 * Math.sin(1 + 7.3 * i));
  const w = new Float64Array(N);
  let lambda = 0;
  for (let it = 0; it < (o.iterations ?? 500); it++) {
    let norm = 0;
    for (let i = 0; i < N; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    for (let i = 0; i < N; i++) v[i] /= norm;
    apply(v, w);
    let rayleigh = 0;
    for (let i = 0; i < N; i++) rayleigh += v[i] * w[i];
    const converged = Math.abs(rayleigh - lambda) <= (o.rtol ?? 1e-12) * Math.abs(rayleigh);
    lambda = rayleigh;
    if (converged) break;
    v.set(w);
  }
  return lambda;
}

/**
 * η·λ_max(M^{1/2}·Θ_η·M^{1/2})/n for one member: Θ_η on the n train points (example-major, (n·k)×(n·k)),
 * the model outputs z there (n·k, for the curvature of the classification losses). The operator
 * R·Θ·R (R = M^{1/2}, block-diagonal) is applied, not formed: O((n·k)²) per power iteration.
 */
export function sharpness(kernel: ArrayLike<number>, z: ArrayLike<number>, o: { loss: LossKind; n: number; k: number; lr: number }): number {
  const { n, k } = o;
  const N = n * k;
  const roots = Array.from({ length: n }, (_, i) => sqrtPsd(lossHessianRef(o.loss, Array.from({ length: k }, (_, a) => z[i * k + a]), k), k));
  const blockProduct = (v: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += roots[i][a * k + c] * v[i * k + c];
      out[i * k + a] = s;
    }
  };
  const t1 = new Float64Array(N);
  const t2 = new Float64Array(N);
  const lambda = largestEigenvalueOf((v, out) => {
    blockProduct(v, t1);
    for (let p = 0; p < N; p++) {
      let s = 0;
      for (let q = 0; q < N; q++) s += kernel[p * N + q] * t1[q];
      t2[p] = s;
    }
    blockProduct(t2, out);
  }, N);
  return (o.lr * lambda) / n;
}

/**
 * The catapult in a history of records (step, network train loss, sharpness), or null (see the
 * header); `momentum` sets the stability edge the last sharpness must end below (stabilityEdge).
 */
export function detectCatapult(history: readonly { step: number; loss: number; sharpness: number }[], o: { momentum?: number } = {}): Catapult | null {
  const edge = stabilityEdge(o.momentum ?? 0);
  if (history.length < 3) return null;
  const start = history[0];
  if (!(start.loss > 0)) return null;
  // a catapult starts above the edge (ηλ₀ ∈ (2, 4) on the uv model): below it, heavy ball's loss can
  // overshoot and come back on the linear model alone (e' = (1 + μ − ηλ)e − μ·e_prev), which is no catapult
  if (!(start.sharpness > edge)) return null;
  const rise = history.findIndex((h) => h.loss > CATAPULT_FACTOR * start.loss);
  if (rise < 0) return null;
  let peak = rise;
  let fall = -1;
  for (let i = rise + 1; i < history.length; i++) {
    if (history[i].loss > history[peak].loss && fall < 0) peak = i;
    if (history[i].loss < start.loss && fall < 0) fall = i;
  }
  const last = history[history.length - 1];
  if (fall < 0 || !(last.sharpness < edge)) return null;
  return { peakLoss: history[peak].loss, peakStep: history[peak].step, rise: history[peak].loss / start.loss, fallStep: history[fall].step, initialSharpness: start.sharpness, sharpness: last.sharpness, edge };
}
