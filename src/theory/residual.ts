// Infinite-width NNGP and NTK of the residual MLP (issue 14), float64, in neural-tangents' NTK
// parameterization (every Dense h = σ_w/√fan_in · W x + σ_b · b, W, b ~ N(0, 1)):
//   h_0 = Dense_in(x);  h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})), b = 1..B;  f = Dense_out(φ(h_B)).
// As stax layers (arXiv:1912.02803), β folded into the branch's Dense (β·Dense(m, σ_w, σ_b) and
// Dense(m, β·σ_w, β·σ_b) are the same function with the same parameter gradients in this
// parameterization):
//   stax.serial(Dense(m, σ_w, σ_b),
//               *[stax.serial(FanOut(2), parallel(Identity(), serial(Act(), Dense(m, β·σ_w, β·σ_b))), FanInSum())] * B,
//               Act(), Dense(k, σ_w, σ_b))
//
// Recursion (per output unit; the kernel of all k outputs is this ⊗ I_k). With
// (u, v) ~ N(0, [[Σ_{b−1}(x, x), Σ_{b−1}(x, x')], [·, Σ_{b−1}(x', x')]]), E[φφ] = E[φ(u)φ(v)] and
// E[φ'φ'] = E[φ'(u)φ'(v)] from the activation table (kernelMap):
//   Σ_0 = Θ_0 = σ_w²·x·x'/d + σ_b²
//   Σ_b = Σ_{b−1} + β²·(σ_w²·E[φφ] + σ_b²)
//   Θ_b = Θ_{b−1} + β²·(σ_w²·E[φφ] + σ_b² + σ_w²·E[φ'φ']·Θ_{b−1})
//   NNGP = Σ_out = σ_w²·E[φφ](Σ_B) + σ_b²,   NTK = Θ_out = Σ_out + σ_w²·E[φ'φ'](Σ_B)·Θ_B
// Derivation. NNGP: h_b(x)·h_b(x')/m = h_{b−1}·h'_{b−1}/m + β²·(branch · branch')/m + 2β·(skip · branch')/m;
// the branch's weights W_b are independent of h_{b−1} with mean 0, so the cross term has mean 0 and
// O(1/√m) fluctuations, and the branch term tends to σ_w²·E[φφ] + σ_b² (the plain Dense's map).
// NTK: the parameters of block b contribute β²·(σ_w²·E[φφ] + σ_b²) (∂h_b/∂W_b = β·σ_w/√m·φ(h_{b−1})).
// Every earlier parameter θ reaches h_b along the skip and through the branch:
// ∂h_b/∂θ = ∂h_{b−1}/∂θ + β·σ_w/√m·W_b·diag(φ'(h_{b−1}))·∂h_{b−1}/∂θ; the square of the second
// term tends to β²·σ_w²·E[φ'φ']·Θ_{b−1} (W_b's gradient independence, Yang arXiv:2006.14548), and
// the cross term, linear in W_b, vanishes as m → ∞. The readout is the plain MLP's last layer
// (./kernels.ts). The same recursion is Hayou et al., "Stable ResNet" (arXiv:2010.12859), and
// Tensor Programs VI (Yang, Yu, Zhu & Hayou, arXiv:2310.02244) with β = 1/√B, where Σ_B stays O(1)
// in B: for ReLU, σ_w² = 2, σ_b = 0 the diagonal is Σ_B(x, x) = (1 + β²)^B · Σ_0(x, x) → e·Σ_0.

import { kernelMap, type TheoryActivation } from './activations';
import { KernelOverflowError, checkInputs, checkSpec, dot, mirrorUpper, type KernelOptions, type KernelSpecTheory, type TheoryKernels } from './kernels';

/** The residual part of a spec, validated: blocks an integer ≥ 1, β a finite number ≥ 0, and one stream width (depth 1). */
function checkResidual(spec: KernelSpecTheory): { blocks: number; beta: number; act: TheoryActivation } {
  const act = checkSpec(spec);
  const residual = spec.residual;
  if (residual === null || typeof residual !== 'object') throw new Error('residualKernels: spec.residual must be an object {blocks, branchMultiplier}');
  const { blocks, branchMultiplier } = residual;
  if (!Number.isInteger(blocks) || blocks < 1) throw new Error(`residualKernels: residual.blocks must be an integer ≥ 1, got ${blocks}`);
  if (typeof branchMultiplier !== 'number' || !Number.isFinite(branchMultiplier) || branchMultiplier < 0) {
    throw new Error(`residualKernels: residual.branchMultiplier must be a finite number ≥ 0 (resolved β), got ${String(branchMultiplier)}`);
  }
  if (spec.depth !== 1) throw new Error(`residualKernels: a residual network has one stream width (depth 1), got depth ${spec.depth}`);
  return { blocks, beta: branchMultiplier, act };
}

/**
 * The variance of the residual stream Σ_b(x, x), b = 0..B, for an input of input-layer variance
 * q0 = σ_w²·‖x‖²/d + σ_b² (the forward signal sizes of the depth coordinate check, in the limit).
 */
export function residualVariances(spec: KernelSpecTheory, q0: number, options: KernelOptions = {}): number[] {
  const { blocks, beta, act } = checkResidual(spec);
  const w2 = spec.weightStd ** 2;
  const b2 = spec.biasStd ** 2;
  const out = [q0];
  let q = q0;
  for (let b = 1; b <= blocks; b++) {
    q += beta * beta * (w2 * kernelMap(act, q, q, q, options).nngp + b2);
    if (!Number.isFinite(q)) throw new KernelOverflowError('NNGP', b, q, spec, `block ${b} of ${blocks}`);
    out.push(q);
  }
  return out;
}

/**
 * The output NNGP and NTK of the residual MLP for inputs X1 (n1×d) and X2 (n2×d, default X1), as
 * n1×n2 matrices (the recursion at the top of this file). With X2 omitted only the upper triangle
 * is computed and the result is exactly symmetric. Throws on a bad spec, ragged or non-finite
 * inputs, and a KernelOverflowError naming the block where float64's range is left.
 */
export function residualKernels(spec: KernelSpecTheory, X1: number[][], X2?: number[][], options: KernelOptions = {}): TheoryKernels {
  const { blocks, beta, act } = checkResidual(spec);
  const symmetric = X2 === undefined;
  const d1 = checkInputs(X1, 'X1', undefined);
  const Y = symmetric ? X1 : X2;
  const d = checkInputs(Y, 'X2', d1) ?? 1;
  const n1 = X1.length;
  const n2 = Y.length;
  const w2 = spec.weightStd ** 2;
  const b2 = spec.biasStd ** 2;
  const beta2 = beta * beta;
  const map = (s11: number, s12: number, s22: number) => kernelMap(act, s11, s12, s22, options);
  const finite = (value: number, what: 'input kernel' | 'NNGP' | 'NTK', layer: number, at: string): number => {
    if (!Number.isFinite(value)) throw new KernelOverflowError(what, layer, value, spec, at);
    return value;
  };

  // Σ_0 = Θ_0 = σ_w²·x·x'/d + σ_b² (Dense_in); q1, q2 hold the diagonals Σ_b(x, x).
  const inputKernel = (x: number[], y: number[]) => finite(w2 * (dot(x, y) / d) + b2, 'input kernel', 0, 'the input layer');
  let q1 = X1.map((x) => inputKernel(x, x));
  let q2 = symmetric ? q1 : Y.map((x) => inputKernel(x, x));
  const K: number[][] = [];
  const T: number[][] = [];
  for (let i = 0; i < n1; i++) {
    const row = new Array<number>(n2);
    for (let j = symmetric ? i : 0; j < n2; j++) row[j] = symmetric && i === j ? q1[i] : inputKernel(X1[i], Y[j]);
    K.push(row);
    T.push(row.slice());
  }

  for (let b = 1; b <= blocks; b++) {
    const at = `block ${b} of ${blocks}`;
    for (let i = 0; i < n1; i++) {
      for (let j = symmetric ? i : 0; j < n2; j++) {
        const { nngp, dotSigma } = map(q1[i], K[i][j], q2[j]);
        const branch = w2 * nngp + b2; // the branch's NNGP, also its own parameters' NTK term
        // Θ_b first: it reads Θ_{b−1} (T) and Σ_{b−1} only through the kernel map.
        T[i][j] = finite(T[i][j] + beta2 * (branch + w2 * dotSigma * T[i][j]), 'NTK', b, at);
        K[i][j] = finite(K[i][j] + beta2 * branch, 'NNGP', b, at);
      }
    }
    if (symmetric) {
      q1 = q1.map((_, i) => K[i][i]);
      q2 = q1;
    } else {
      const diag = (q: number) => finite(q + beta2 * (w2 * map(q, q, q).nngp + b2), 'NNGP', b, at);
      q1 = q1.map(diag);
      q2 = q2.map(diag);
    }
  }

  // Readout: Σ_out = σ_w²·E[φφ](Σ_B) + σ_b², Θ_out = Σ_out + σ_w²·E[φ'φ'](Σ_B)·Θ_B.
  const readout = 'the readout';
  for (let i = 0; i < n1; i++) {
    for (let j = symmetric ? i : 0; j < n2; j++) {
      const { nngp, dotSigma } = map(q1[i], K[i][j], q2[j]);
      const sigma = finite(w2 * nngp + b2, 'NNGP', blocks + 1, readout);
      T[i][j] = finite(sigma + w2 * dotSigma * T[i][j], 'NTK', blocks + 1, readout);
      K[i][j] = sigma;
    }
  }

  if (symmetric) mirrorUpper(K, T);
  return { nngp: K, ntk: T };
}
