// The empirical NTK Θ(x, x') = Σ_θ ∂f(x)/∂θ · ∂f(x')/∂θ of an Mlp, without forming any
// per-example Jacobian. For h_l = mult_l·w_l x_{l−1} + biasMult_l·b_l and δ_l^a = ∂f_a/∂h_l:
//   ∂f_a(x)/∂w_l[p,q] = mult_l · δ_l^a(x)[p] · x_{l−1}(x)[q],   ∂f_a(x)/∂b_l[p] = biasMult_l · δ_l^a(x)[p]
// so layer l contributes  (Δ_l Δ_lᵀ)[(a,i),(b,j)] · (mult_l² · (X_{l−1} X_{l−1}ᵀ)[i,j] + biasMult_l²),
// with the back-propagated signals
//   δ_{L+1}^a = e_a,  δ_L^a = mult_{L+1} · w_{L+1}[a,:] ⊙ φ'(h_L),  δ_{l−1}^a = mult_l · (w_lᵀ δ_l^a) ⊙ φ'(h_{l−1}).
// Two Grams, one broadcast product per layer; all E members as batched kernels.
// A residual net (src/nets/residual.ts) has the stream signals g_l (skip connections included) in
// place of δ_l, and its branch layer l's term carries β² (its output signal is β·g_l).
import { ShapeError } from '../gpu/errors';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { axpy, broadcastProduct, contiguousStrides } from '../kernels/elementwise';
import { identityMatrix, scalarOne } from '../kernels/common';
import { gram } from '../kernels/gram';
import { matmul } from '../kernels/matmul';
import { Mlp, type ForwardCache } from '../nets/mlp';
import { modelKernelFactor } from '../nets/output-scale';
import { branchFactor, residualBackSignals } from '../nets/residual';

export interface EmpiricalKernels {
  /** [E, k, n, k, n]: Θ[e, a, i, b, j] of the model α·f (α² times the NTK of f) */
  ntk: Tensor;
  /** per-layer contributions (same layout), when asked for: one per dense layer (residual: Dense_in, the B blocks, Dense_out) */
  layers?: Tensor[];
  /** [E, n, n]: the NNGP of the readout given the last features, α²·E_{w_{L+1}, b_{L+1}}[f_a(x) f_a(x')] */
  nngp: Tensor;
}

/** Δ_l for l = L..1 (index 0 = layer 1), each [E, k, n, m_l]. */
function backSignals(rt: Runtime, net: Mlp, cache: ForwardCache): Tensor[] {
  if (net.residual) return residualBackSignals(rt, net, cache);
  const E = net.ensemble;
  const k = net.config.outputDim;
  const n = cache.n;
  const L = net.depth;
  const signals: Tensor[] = new Array(L);
  const readout = net.layers[L];
  const mL = net.widths[L];
  // δ_L[e,a,i,p] = mult_{L+1} · w_{L+1}[e,a,p] · φ'(h_L)[e,i,p]
  signals[L - 1] = broadcastProduct(rt, [E, k, n, mL],
    { tensor: readout.weight, strides: [k * mL, mL, 0, 1] },
    { tensor: cache.derivatives[L - 1], strides: [n * mL, 0, mL, 1] },
    { alpha: readout.scales.mult });
  for (let l = L - 1; l >= 1; l--) {
    // δ_l = mult_{l+1} · (δ_{l+1} · w_{l+1}) ⊙ φ'(h_l)
    const layer = net.layers[l];
    const m = net.widths[l];
    const mNext = net.widths[l + 1];
    const t = matmul(rt, signals[l].reshape([E, k * n, mNext]), layer.weight, { alpha: layer.scales.mult });
    signals[l - 1] = broadcastProduct(rt, [E, k, n, m],
      { tensor: t, strides: contiguousStrides([E, k, n, m]) },
      { tensor: cache.derivatives[l - 1], strides: [n * m, 0, m, 1] });
    t.dispose();
  }
  return signals;
}

export interface EmpiricalKernelOptions {
  /** the network's forward pass on these inputs, when the caller has it (kept: the caller releases it) */
  cache?: ForwardCache;
  /** also return each layer's contribution */
  perLayer?: boolean;
  /**
   * Per-layer weights of the parameters' terms, Θ_η = Σ_l (η_l Θ_l^w + η_l^b Θ_l^b): with the
   * learning-rate scales of a parameterization this is the kernel that GD actually follows
   * (df/dt = −Θ_η·∂L/∂f). A layer whose weight scale is 0 (frozen) is left out.
   */
  parameterScales?: { weight: readonly number[]; bias: readonly number[] };
}

/** The structured empirical NTK and NNGP on inputs x [n, d], for every ensemble member. */
export function empiricalKernels(rt: Runtime, net: Mlp, x: Tensor, options: EmpiricalKernelOptions = {}): EmpiricalKernels {
  const E = net.ensemble;
  const k = net.config.outputDim;
  const L = net.depth;
  const alpha2 = modelKernelFactor(net.config); // kernels of the model α·f
  const cache = options.cache ?? net.forward(x);
  const n = cache.n;
  const signals = backSignals(rt, net, cache);
  const shape = [E, k, n, k, n];
  const ntk = Tensor.zeros(rt, shape, 'ntk');
  const layers: Tensor[] = [];
  const identity = identityMatrix(rt, k);
  let nngp: Tensor | null = null;
  for (let l = 0; l <= L; l++) {
    const { mult, biasMult, initStd, biasStd } = net.layers[l].scales;
    const input = cache.inputs[l];
    const gx = gram(rt, input); // [n, n] for l = 0 (shared inputs), else [E, n, n]
    const gxStrides = l === 0 ? [0, 0, n, 0, 1] : [n * n, 0, n, 0, 1];
    const target = options.perLayer ? Tensor.zeros(rt, shape, `ntk layer ${l + 1}`) : ntk;
    // contribution = α² · mult² · η_w · G_δ ⊙ (G_x + biasMult²·η_b/(mult²·η_w))
    const etaW = options.parameterScales?.weight[l] ?? 1;
    const etaB = options.parameterScales?.bias[l] ?? 1;
    const skip = etaW === 0;
    const gamma = (biasMult * biasMult * etaB) / (mult * mult * etaW);
    const branch2 = branchFactor(net.residual, l) ** 2; // β² on a residual branch, else 1
    if (l === L) {
      // readout: δ_{L+1}^a = e_a, so G_δ = δ_ab
      if (!skip) broadcastProduct(rt, shape, { tensor: identity, strides: [0, k, 0, 1, 0] }, { tensor: gx, strides: gxStrides }, { alpha: alpha2 * mult * mult * etaW, gamma, beta: 1, out: target });
      // NNGP: variance over the readout's initialisation = (mult·initStd)²·(G_x + (biasMult·biasStd)²/(mult·initStd)²)
      nngp = broadcastProduct(rt, [E, n, n], { tensor: scalarOne(rt), strides: [0, 0, 0] }, { tensor: gx, strides: l === 0 ? [0, n, 1] : [n * n, n, 1] },
        { alpha: alpha2 * (mult * initStd) ** 2, gamma: (biasMult * biasStd) ** 2 / (mult * initStd) ** 2 });
    } else if (!skip) {
      const gd = gram(rt, signals[l].reshape([E, k * n, net.widths[l + 1]]));
      broadcastProduct(rt, shape, { tensor: gd, strides: contiguousStrides(shape) }, { tensor: gx, strides: gxStrides }, { alpha: alpha2 * branch2 * mult * mult * etaW, gamma, beta: 1, out: target });
      gd.dispose();
    }
    gx.dispose();
    if (options.perLayer) {
      layers.push(target);
      axpy(rt, 1, target, ntk); // the total is the sum of the layers
    }
  }
  signals.forEach((s) => s.dispose());
  identity.dispose();
  if (!options.cache) Mlp.release(cache);
  return { ntk, nngp: nngp!, layers: options.perLayer ? layers : undefined };
}

/** Reorders [E, k, n, k, n] to E matrices (n·k)×(n·k) with row index i·k + a (example-major). */
export function toExampleMajor(data: ArrayLike<number>, E: number, k: number, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  const N = n * k;
  for (let e = 0; e < E; e++) {
    const m = new Float64Array(N * N);
    for (let a = 0; a < k; a++)
      for (let i = 0; i < n; i++)
        for (let b = 0; b < k; b++)
          for (let j = 0; j < n; j++) m[(i * k + a) * N + j * k + b] = data[((((e * k + a) * n + i) * k + b) * n) + j];
    out.push(m);
  }
  return out;
}

/**
 * Rows i ∈ [r0, r0 + nr) and columns j ∈ [c0, c0 + nc) of member e's kernel stored as
 * [E, k, N1, k, N2], as an (nr·k)×(nc·k) row array with row i·k + a and column j·k + b.
 */
export function kernelBlock(data: ArrayLike<number>, e: number, k: number, N1: number, N2: number, r0 = 0, nr = N1, c0 = 0, nc = N2): number[][] {
  return Array.from({ length: nr * k }, (_, row) => {
    const [i, a] = [r0 + Math.floor(row / k), row % k];
    return Array.from({ length: nc * k }, (_, col) => data[(((e * k + a) * N1 + i) * k + (col % k)) * N2 + c0 + Math.floor(col / k)]);
  });
}

/** The inputs [X1; X2] stacked as one [n1 + n2, d] tensor (kernels on both sets in one pass). */
export function stackInputs(rt: Runtime, x1: Tensor, x2: Tensor): Tensor {
  const [n1, d] = x1.shape;
  const [n2, d2] = x2.shape;
  if (x1.shape.length !== 2 || x2.shape.length !== 2 || d !== d2) throw new ShapeError(`stackInputs: inputs [${x1.shape}] and [${x2.shape}] must both be [n, d] with the same d`);
  const stacked = Tensor.empty(rt, [n1 + n2, d], `[${x1.name}; ${x2.name}]`);
  rt.copy(x1, stacked, x1.bytes, 0, 0);
  rt.copy(x2, stacked, x2.bytes, 0, x1.bytes);
  return stacked;
}

/** Trace form: (1/k) Σ_a Θ[(i,a),(j,a)] (neural-tangents' default averages over outputs). */
export function traceForm(data: ArrayLike<number>, E: number, k: number, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let e = 0; e < E; e++) {
    const m = new Float64Array(n * n);
    for (let a = 0; a < k; a++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] += data[((((e * k + a) * n + i) * k + a) * n) + j] / k;
    out.push(m);
  }
  return out;
}

/**
 * Cross kernels Θ(X1, X2) and NNGP(X1, X2) of every member, as [E, k, n1, k, n2] and [E, n1, n2]
 * (read back): the off-diagonal block of the kernels on the stacked inputs [X1; X2], which costs
 * one forward/backward pass over n1 + n2 inputs.
 */
export async function crossKernels(rt: Runtime, net: Mlp, x1: Tensor, x2: Tensor, options: EmpiricalKernelOptions = {}): Promise<{ ntk: Float32Array; nngp: Float32Array }> {
  const [n1, n2] = [x1.shape[0], x2.shape[0]];
  const n = n1 + n2;
  const stacked = stackInputs(rt, x1, x2);
  const all = empiricalKernels(rt, net, stacked, { parameterScales: options.parameterScales });
  const [ntkAll, nngpAll] = [await all.ntk.read(), await all.nngp.read()];
  [all.ntk, all.nngp, stacked].forEach((t) => t.dispose());
  const E = net.ensemble;
  const k = net.config.outputDim;
  const ntk = new Float32Array(E * k * n1 * k * n2);
  const nngp = new Float32Array(E * n1 * n2);
  for (let e = 0; e < E; e++) {
    for (let a = 0; a < k; a++) for (let i = 0; i < n1; i++) for (let b = 0; b < k; b++) for (let j = 0; j < n2; j++)
      ntk[(((e * k + a) * n1 + i) * k + b) * n2 + j] = ntkAll[(((e * k + a) * n + i) * k + b) * n + n1 + j];
    for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) nngp[(e * n1 + i) * n2 + j] = nngpAll[(e * n + i) * n + n1 + j];
  }
  return { ntk, nngp };
}
