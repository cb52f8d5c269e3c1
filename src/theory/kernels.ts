// Infinite-width NNGP and NTK of the MLP
//   stax.serial(Dense(m, σ_w, σ_b), Act(), …, Dense(m, σ_w, σ_b), Act(), Dense(k, σ_w, σ_b))
// in neural-tangents' NTK parameterization (arXiv:1912.02803; neural_tangents/_src/stax/linear.py
// Dense.kernel_fn and elementwise.py): L = depth hidden layers, so L + 1 Dense layers and L
// activations. Each Dense computes h = σ_w/√fan_in · W x + σ_b · b with W, b ~ N(0, 1).
//
// Recursion (Lee et al. arXiv:1711.00165 for the NNGP; Jacot et al. arXiv:1806.07572, Lee et al.
// arXiv:1902.06720 and Arora et al. arXiv:1904.11955 for the NTK):
//   Σ_0(x, x') = Θ_0(x, x') = σ_w² · x·x'/d + σ_b²                     (first Dense; input kernel x·x'/d)
//   for l = 1..L, with (u, v) ~ N(0, [[Σ_{l−1}(x, x), Σ_{l−1}(x, x')], [·, Σ_{l−1}(x', x')]]):
//     Σ_l = σ_w² · E[φ(u)φ(v)] + σ_b²                                  (Act, then Dense)
//     Θ_l = Σ_l + σ_w² · E[φ'(u)φ'(v)] · Θ_{l−1}                       (nt: ntk = nngp + W_std²·ntk)
// and the outputs' kernels are NNGP = Σ_L, NTK = Θ_L, per output unit (the kernel of all k
// outputs is this ⊗ I_k).

import { theoryActivation, kernelMap, type TheoryActivation } from './activations';
import type { QuadratureOptions } from './bivariate';
import { WidenetError } from '../gpu/errors';

export interface KernelSpecTheory {
  /** number of hidden layers L ≥ 1 (the network has L + 1 Dense layers) */
  depth: number;
  /** σ_w of every Dense layer */
  weightStd: number;
  /** σ_b of every Dense layer */
  biasStd: number;
  /** a name from THEORY_ACTIVATIONS */
  activation: string;
  /**
   * A residual network instead (./residual.ts): one residual stream (depth 1) with `blocks` branches
   * h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})), β = branchMultiplier (already resolved to a number).
   */
  residual?: { blocks: number; branchMultiplier: number } | null;
}

export interface TheoryKernels {
  /** n1×n2 NNGP of the outputs, Σ_L(x_i, x'_j) */
  nngp: number[][];
  /** n1×n2 NTK of the outputs, Θ_L(x_i, x'_j) */
  ntk: number[][];
}

export interface KernelOptions {
  /** use quadrature even where the activation has a closed form (for checking the closed forms) */
  forceQuadrature?: boolean;
  quadrature?: QuadratureOptions;
}

export function checkSpec(spec: KernelSpecTheory): TheoryActivation {
  if (spec === null || typeof spec !== 'object') throw new Error('analyticKernels: spec must be an object');
  const { depth, weightStd, biasStd } = spec;
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`analyticKernels: depth must be an integer ≥ 1 (hidden layers), got ${depth}`);
  if (typeof weightStd !== 'number' || !Number.isFinite(weightStd) || weightStd < 0) {
    throw new Error(`analyticKernels: weightStd must be a finite number ≥ 0, got ${weightStd}`);
  }
  if (typeof biasStd !== 'number' || !Number.isFinite(biasStd) || biasStd < 0) {
    throw new Error(`analyticKernels: biasStd must be a finite number ≥ 0, got ${biasStd}`);
  }
  return theoryActivation(spec.activation);
}

/** Checks rows (finite numbers, equal lengths) and returns the input dimension, or `dim` if given. */
export function checkInputs(X: number[][], label: string, dim: number | undefined): number | undefined {
  if (!Array.isArray(X)) throw new Error(`analyticKernels: ${label} must be an array of rows (number[][])`);
  let d = dim;
  for (let i = 0; i < X.length; i++) {
    const row = X[i];
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) throw new Error(`analyticKernels: ${label}[${i}] is not an array`);
    if (d === undefined) {
      if (row.length === 0) throw new Error(`analyticKernels: ${label}[${i}] is empty; inputs need dimension d ≥ 1`);
      d = row.length;
    } else if (row.length !== d) {
      throw new Error(`analyticKernels: ${label}[${i}] has length ${row.length}, expected the input dimension ${d}`);
    }
    for (let k = 0; k < row.length; k++) {
      const v = row[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`analyticKernels: ${label}[${i}][${k}] = ${String(v)} is not a finite number`);
      }
    }
  }
  return d;
}

export function dot(x: number[], y: number[]): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x[k] * y[k];
  return s;
}

/**
 * The recursion left float64's range: a variance (or the NTK) grew past ~1.8e308. Vanishing
 * variances need no error: they have exact limits (see activations.ts and bivariate.ts).
 * A WidenetError (plain data, no GPU), so the command line prints its message without a stack.
 */
export class KernelOverflowError extends WidenetError {
  constructor(
    readonly what: 'input kernel' | 'NNGP' | 'NTK',
    readonly layer: number,
    readonly value: number,
    spec: KernelSpecTheory,
    /** where in a residual network (residual.ts): "block 3 of 8", "the readout" */
    at?: string,
  ) {
    const where = layer === 0 ? 'the input layer (σ_w²·x·x\'/d + σ_b²)' : at ?? `hidden layer ${layer} of ${spec.depth}`;
    super(
      `analyticKernels: the ${what} overflowed to ${value} at ${where} (activation ${spec.activation}, weightStd ${spec.weightStd}, biasStd ${spec.biasStd}): ` +
        `the variances grow past float64's range (~1.8e308) with these settings; reduce weightStd, biasStd, depth or the input scale`,
    );
  }
}

/**
 * The output NNGP and NTK for inputs X1 (n1×d) and X2 (n2×d, default X1), as n1×n2 matrices.
 * With X2 omitted only the upper triangle is computed and the result is exactly symmetric.
 */
export function computeKernels(spec: KernelSpecTheory, X1: number[][], X2?: number[][], options: KernelOptions = {}): TheoryKernels {
  if (spec?.residual) throw new Error('computeKernels: a residual spec; use residualKernels (./residual.ts) or analyticKernels');
  const act = checkSpec(spec);
  const symmetric = X2 === undefined;
  const d1 = checkInputs(X1, 'X1', undefined);
  const B = symmetric ? X1 : X2;
  const d = checkInputs(B, 'X2', d1) ?? 1;
  const n1 = X1.length;
  const n2 = B.length;
  const w2 = spec.weightStd * spec.weightStd;
  const b2 = spec.biasStd * spec.biasStd;
  const L = spec.depth;
  const map = (s11: number, s12: number, s22: number) => kernelMap(act, s11, s12, s22, options);
  const assertFinite = (value: number, what: 'input kernel' | 'NNGP' | 'NTK', layer: number): number => {
    if (!Number.isFinite(value)) throw new KernelOverflowError(what, layer, value, spec);
    return value;
  };

  // Σ_0 = Θ_0 = σ_w² x·x'/d + σ_b²; q1, q2 hold the diagonals Σ_l(x, x).
  let q1 = X1.map((x) => assertFinite(w2 * (dot(x, x) / d) + b2, 'input kernel', 0));
  let q2 = symmetric ? q1 : B.map((x) => assertFinite(w2 * (dot(x, x) / d) + b2, 'input kernel', 0));
  const K: number[][] = [];
  const T: number[][] = [];
  for (let i = 0; i < n1; i++) {
    const row = new Array<number>(n2);
    for (let j = symmetric ? i : 0; j < n2; j++) row[j] = i === j && symmetric ? q1[i] : w2 * (dot(X1[i], B[j]) / d) + b2;
    K.push(row);
    T.push(row.slice());
  }

  for (let l = 1; l <= L; l++) {
    for (let i = 0; i < n1; i++) {
      for (let j = symmetric ? i : 0; j < n2; j++) {
        const { nngp, dotSigma } = map(q1[i], K[i][j], q2[j]);
        const sigma = w2 * nngp + b2;
        K[i][j] = assertFinite(sigma, 'NNGP', l);
        T[i][j] = assertFinite(sigma + w2 * dotSigma * T[i][j], 'NTK', l);
      }
    }
    if (symmetric) {
      q1 = q1.map((_, i) => K[i][i]);
      q2 = q1;
    } else {
      // Σ_l(x, x) = σ_w² E[φ(u)²] + σ_b², u ~ N(0, Σ_{l−1}(x, x)).
      const diag = (q: number) => assertFinite(w2 * map(q, q, q).nngp + b2, 'NNGP', l);
      q1 = q1.map(diag);
      q2 = q2.map(diag);
    }
  }

  if (symmetric) mirrorUpper(K, T);
  return { nngp: K, ntk: T };
}

/** The symmetric case computes only j ≥ i: copies the upper triangles of K and T into their lower ones (exactly symmetric). */
export function mirrorUpper(K: number[][], T: number[][]): void {
  for (let i = 0; i < K.length; i++) {
    for (let j = 0; j < i; j++) {
      K[i][j] = K[j][i];
      T[i][j] = T[j][i];
    }
  }
}
