// Infinite-width NNGP and NTK of the MLP in neural-tangents' NTK parameterization, in float64 on
// the CPU (no GPU imports). The recursion is documented in ./kernels.ts, the activations (φ, φ',
// their kernel maps and papers) in ./activation-table.ts, the quadrature in ./bivariate.ts; the
// residual MLP's (issue 14) in ./residual.ts.

import { computeKernels, type KernelSpecTheory } from './kernels';
import { THEORY_ACTIVATIONS } from './activations';
import { residualKernels } from './residual';

export type { KernelSpecTheory } from './kernels';
export { THEORY_ACTIVATIONS };
export { residualKernels, residualVariances } from './residual';

/**
 * Output NNGP and NTK of `stax.serial(Dense(m, σ_w, σ_b), Act(), …, Dense(k, σ_w, σ_b))` with
 * `spec.depth` hidden layers, in the limit m → ∞, per output unit (the kernel of all k outputs
 * is this ⊗ I_k). X1 is n1×d and X2 n2×d (default X1), rows are inputs; the result is n1×n2.
 * Input kernel σ_w²·x·x'/d + σ_b². Throws on an unknown activation, a bad spec, ragged or
 * non-finite inputs. With `spec.residual` the network is the residual MLP of ./residual.ts instead.
 */
export function analyticKernels(spec: KernelSpecTheory, X1: number[][], X2?: number[][]): { nngp: number[][]; ntk: number[][] } {
  return spec?.residual ? residualKernels(spec, X1, X2) : computeKernels(spec, X1, X2);
}
export { quadraticFormRisk, linearizedQuadraticRisk, randomFeaturesQuadraticRisk, bestRankQuadraticRisk, rowSpaceProjector, type QuadraticRisk } from './quadratic-risk';
