// Norms and a-priori bounds of the `generalization` block (docs/dynamics-and-records.md).
//
// Path norms of a two-layer network written in the mean-field normalisation
//   f(x) = (1/m) Σ_j a'_j φ(w'_j·x̃) + c,  x̃ = (x, 1),  a'_j = m·mult₂·a_j,  w'_j = (mult₁·w_j, biasMult₁·b_j),
//   c = biasMult₂·b_out (the stored weights a, w, b and multipliers of nets/parameterization.ts):
//   ℓ1 (E, Ma & Wu 2019, arXiv:1810.06397):  ‖θ‖_P1 = (1/m) Σ_j |a'_j|₁·‖w'_j‖₁ = |mult₂| Σ_j |a_j|₁·‖w'_j‖₁
//   ℓ2 (observables.ts pathNorm):            ‖θ‖_P2 = (1/m) Σ_j |a'_j|₂·‖w'_j‖₂
// (|a'_j| over the k outputs). For ReLU, φ(w·x̃) = ‖w‖·φ(u·x̃) with ‖u‖ = 1, so each output of f lies in
// ‖θ‖_P times the convex hull of ±φ(u·x̃) (plus c), and the Rademacher complexity of the path-norm
// ball of radius Q on the sample {x̃_i} (E, Ma & Wu's estimate; contraction by the 1-Lipschitz φ gives
// the factor 2) is at most
//   ℓ1: R_n ≤ 2·Q·X∞·√(2 ln(2d̃)/n)   (X∞ = max_i ‖x̃_i‖∞, d̃ = dim x̃; Massart's lemma for the ℓ1 ball)
//   ℓ2: R_n ≤ 2·Q·X₂/√n               (X₂ = max_i ‖x̃_i‖₂; the ℓ2 ball, Kakade, Sridharan & Tewari 2008)
// plus |c|/√n for the readout bias, all times |α| in the model's units (the centring subtracts a fixed
// function, which leaves R_n unchanged). By symmetrisation and contraction, the expected worst gap over
// the ball of an L-Lipschitz loss is ≤ 2·L·R_n; a bounded loss adds 3B·√(ln(2/δ)/(2n)) w.p. 1 − δ.
//
// The NTK bound of Arora, Du, Hu, Li & Wang 2019 (arXiv:1901.08584, Theorem 5.1) for two-layer ReLU
// networks with ‖x‖ = 1, |y| ≤ 1, one output: test loss (1-Lipschitz, in [0, 1]) ≤ √(2·yᵀ(H∞)⁻¹y/n) + O(√(log(n/(λ₀δ))/n)),
//   H∞_ij = E_{w~N(0,I)}[x_iᵀx_j·1{wᵀx_i ≥ 0, wᵀx_j ≥ 0}] = x_iᵀx_j·(π − arccos(x_iᵀx_j))/(2π),
// the first layer's term alone (their readout is fixed). In src/theory's units (ntk parameterization,
// σ_w = 1, σ_b = 0, input kernel x·x'/d) H∞(x̂) = (Θ∞ − Σ∞)(x)·d/(‖x‖‖x'‖) with x̂ = x/‖x‖: Θ∞ − Σ∞ is
// the first Dense layer's term σ_w²(x·x'/d)·E[φ'φ'], and E[φ'(u)φ'(v)] depends on the angle only.
// We evaluate H∞ on x̂ = x/‖x‖ (their normalisation) with the activation table's E[φ'φ'].
import type { Runtime } from '../gpu/runtime';
import { onesRow } from '../kernels/common';
import { activate, add, axpy } from '../kernels/elementwise';
import { matmul } from '../kernels/matmul';
import { reduceBatches } from '../kernels/reduce';
import type { Tensor } from '../gpu/tensor';
import type { Mlp } from '../nets/mlp';
import { kernelMap, theoryActivation } from '../theory/activations';
import { FLOAT64_KERNEL_CUTOFF, KernelEigen } from './kernel-eigen';
import { pathNorm } from './observables';

/** |x| = relu(x) + relu(−x) as a new tensor. */
function absolute(rt: Runtime, x: Tensor): Tensor {
  const positive = activate(rt, x, 'relu');
  const negated = add(rt, x, x, -1, 0);
  const negative = activate(rt, negated, 'relu');
  negated.dispose();
  axpy(rt, 1, negative, positive);
  negative.dispose();
  return positive;
}

/** The ℓ1 path norm (1/m) Σ_j |a'_j|₁·‖w'_j‖₁ of a two-layer network, per member (see the header). */
export async function l1PathNorm(rt: Runtime, net: Mlp): Promise<Float64Array> {
  if (net.depth !== 1) throw new Error(`l1PathNorm: defined for two-layer networks (one hidden layer); this one has ${net.depth}`);
  const E = net.ensemble;
  const [first, readout] = net.layers;
  const d = first.scales.fanIn;
  const k = net.config.outputDim;
  // ‖w'_j‖₁ = |mult₁|·Σ_q |w_jq| + |biasMult₁|·|b_j|: [E, m, 1] (row sums as a matmul, as in pathNorm)
  const absW = absolute(rt, first.weight);
  const rows = matmul(rt, absW, onesRow(rt, d).reshape([d, 1]), { alpha: Math.abs(first.scales.mult) });
  absW.dispose();
  if (first.bias) {
    const absB = absolute(rt, first.bias);
    axpy(rt, Math.abs(first.scales.biasMult), absB, rows);
    absB.dispose();
  }
  // |a_j|₁ = Σ_a |a_aj|: [E, 1, m]
  const absA = absolute(rt, readout.weight);
  const columns = matmul(rt, onesRow(rt, k), absA);
  absA.dispose();
  const sums = reduceBatches(rt, 'dot', columns, E, rows.reshape(columns.shape));
  const [values] = await rt.readMany([sums]);
  [sums, columns, rows].forEach((t) => t.dispose());
  return Float64Array.from(values, (s) => Math.abs(readout.scales.mult) * s);
}

/** Both path norms per member, and max_a |c_a| of the readout bias c = biasMult₂·b_out per member (0 without one). */
export async function pathNorms(rt: Runtime, net: Mlp): Promise<{ l1: Float64Array; l2: Float64Array; readoutBias: Float64Array }> {
  const l1 = await l1PathNorm(rt, net);
  const l2 = Float64Array.from(await pathNorm(rt, net));
  const E = net.ensemble;
  const readout = net.layers[1];
  const k = net.config.outputDim;
  const readoutBias = new Float64Array(E);
  if (readout.bias) {
    const b = await readout.bias.read();
    for (let e = 0; e < E; e++) for (let a = 0; a < k; a++) readoutBias[e] = Math.max(readoutBias[e], Math.abs(readout.scales.biasMult * b[e * k + a]));
  }
  return { l1, l2, readoutBias };
}

/** max_i ‖x̃_i‖∞ and max_i ‖x̃_i‖₂ of the sample with x̃ = (x, 1) when the first layer has a bias, and dim x̃. */
export function sampleBounds(x: readonly number[][], bias: boolean): { linf: number; l2: number; dim: number } {
  let linf = bias ? 1 : 0;
  let l2 = 0;
  for (const row of x) {
    let s = bias ? 1 : 0;
    for (const v of row) {
      linf = Math.max(linf, Math.abs(v));
      s += v * v;
    }
    l2 = Math.max(l2, Math.sqrt(s));
  }
  return { linf, l2, dim: (x[0]?.length ?? 0) + (bias ? 1 : 0) };
}

/**
 * The Rademacher-complexity bounds of the path-norm balls of radius Q (see the header), in the
 * model's units (× |α|), with |c| the readout bias's largest entry.
 */
export function pathNormRademacher(o: { l1: number; l2: number; readoutBias: number; alpha: number; n: number; sample: { linf: number; l2: number; dim: number } }): { l1: number; l2: number } {
  const { n, sample } = o;
  const bias = o.readoutBias / Math.sqrt(n);
  const a = Math.abs(o.alpha);
  return {
    l1: a * (2 * o.l1 * sample.linf * Math.sqrt((2 * Math.log(2 * sample.dim)) / n) + bias),
    l2: a * ((2 * o.l2 * sample.l2) / Math.sqrt(n) + bias),
  };
}

/**
 * Arora et al.'s H∞ on the inputs normalised to the unit sphere (see the header): x̂_iᵀx̂_j·E[φ'(u)φ'(v)]
 * for ReLU with unit variances and correlation x̂_iᵀx̂_j. null where an input is 0.
 */
export function aroraKernel(x: readonly number[][]): number[][] | null {
  const relu = theoryActivation('relu');
  const norms = x.map((row) => Math.sqrt(row.reduce((s, v) => s + v * v, 0)));
  if (norms.some((r) => !(r > 0))) return null;
  return x.map((xi, i) => x.map((xj, j) => {
    const rho = Math.max(-1, Math.min(1, xi.reduce((s, v, q) => s + v * xj[q], 0) / (norms[i] * norms[j])));
    return rho * kernelMap(relu, 1, rho, 1).dotSigma;
  }));
}

/** √(2·yᵀ(H∞)⁻¹y/n) for one output; null where H∞ is singular (repeated or antipodal-degenerate inputs) or undefined. */
export function aroraBound(x: readonly number[][], y: readonly number[]): number | null {
  const H = aroraKernel(x);
  if (!H) return null;
  const quad = new KernelEigen(H, FLOAT64_KERNEL_CUTOFF(H.length)).inverseQuadratic(y);
  return quad === null ? null : Math.sqrt((2 * quad) / x.length);
}
