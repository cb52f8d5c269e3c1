// A symmetric positive semi-definite kernel on the train set, eigendecomposed once in float64
// (ml-matrix's EigenvalueDecomposition, JAMA's symmetric QL), for the norms, the minimum-norm
// interpolant and the modes of the generalization observables (generalization.ts, implicit-bias.ts,
// modes.ts): K = V Λ Vᵀ with λ_1 ≥ λ_2 ≥ … .
//
// Singular kernels. rᵀK⁻¹r and K⁻¹r are returned only where K is numerically invertible, i.e. its
// smallest eigenvalue exceeds `relCutoff`·λ_max; otherwise null (the interpolant is not unique, or
// is decided by rounding): a pseudo-inverse would print a number that float32 rounding of Θ's
// entries decides. The cutoffs: FLOAT32_KERNEL_CUTOFF(N) = N·2⁻²⁰ for kernels read back from the
// GPU (each entry is a float32 sum, relative error ≲ 8·2⁻²⁴·√width, so ‖δΘ‖₂ ≲ N·max|δΘ_ij|), and
// FLOAT64_KERNEL_CUTOFF(N) = N·2⁻⁴⁰ for the analytic Θ∞.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { NonFiniteKernelError } from './closed-forms';

/** Relative eigenvalue cutoff of a float32 kernel of N rows (see the header). */
export const FLOAT32_KERNEL_CUTOFF = (N: number): number => N * 2 ** -20;
/** Relative eigenvalue cutoff of a float64 kernel of N rows. */
export const FLOAT64_KERNEL_CUTOFF = (N: number): number => N * 2 ** -40;

export class KernelEigen {
  readonly N: number;
  /** eigenvalues, descending */
  readonly values: number[];
  /** eigenvectors: vectors[i] is the unit eigenvector of values[i] */
  readonly vectors: Float64Array[];
  /** false where λ_min ≤ relCutoff·λ_max (or λ_max ≤ 0): then inverse quantities are null */
  readonly invertible: boolean;

  /** `kernel`: N×N, row-major flat (example-major, as dynamicsKernel returns it) or rows. */
  constructor(kernel: ArrayLike<number> | number[][], relCutoff: number) {
    const rows = Array.isArray(kernel) && Array.isArray(kernel[0]);
    const N = rows ? (kernel as number[][]).length : Math.round(Math.sqrt((kernel as ArrayLike<number>).length));
    const at = rows ? (i: number, j: number) => (kernel as number[][])[i][j] : (i: number, j: number) => (kernel as ArrayLike<number>)[i * N + j];
    if (N === 0) throw new Error('KernelEigen: the kernel is empty');
    const m = new Matrix(N, N);
    let finite = true;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const v = 0.5 * (at(i, j) + at(j, i)); // float32 kernels are symmetric only to rounding
        if (!Number.isFinite(v)) finite = false;
        m.set(i, j, v);
      }
    }
    if (!finite) throw new NonFiniteKernelError('KernelEigen: the kernel has non-finite entries (it overflowed)');
    const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
    const values = evd.realEigenvalues;
    const V = evd.eigenvectorMatrix;
    const order = values.map((_, i) => i).sort((p, q) => values[q] - values[p]);
    this.N = N;
    this.values = order.map((i) => values[i]);
    this.vectors = order.map((i) => Float64Array.from({ length: N }, (_, r) => V.get(r, i)));
    // entries near float64's range square to Infinity inside the decomposition
    if (!this.values.every(Number.isFinite) || !this.vectors.every((v) => v.every(Number.isFinite))) throw new NonFiniteKernelError('KernelEigen: the eigendecomposition is non-finite (the kernel is too large for float64)');
    const top = this.values[0];
    this.invertible = top > 0 && this.values[N - 1] > relCutoff * top;
  }

  /** v_iᵀ r */
  project(r: ArrayLike<number>, i: number): number {
    const v = this.vectors[i];
    let s = 0;
    for (let q = 0; q < this.N; q++) s += v[q] * r[q];
    return s;
  }

  /** rᵀK⁻¹r = Σ_i (v_iᵀr)²/λ_i, or null where K is not invertible. */
  inverseQuadratic(r: ArrayLike<number>): number | null {
    if (!this.invertible) return null;
    let s = 0;
    for (let i = 0; i < this.N; i++) s += this.project(r, i) ** 2 / this.values[i];
    return s;
  }

  /** K⁻¹r = Σ_i v_i (v_iᵀr)/λ_i, or null where K is not invertible. */
  solve(r: ArrayLike<number>): Float64Array | null {
    if (!this.invertible) return null;
    const out = new Float64Array(this.N);
    for (let i = 0; i < this.N; i++) {
      const c = this.project(r, i) / this.values[i];
      const v = this.vectors[i];
      for (let q = 0; q < this.N; q++) out[q] += c * v[q];
    }
    return out;
  }
}
