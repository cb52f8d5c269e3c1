// The explicit Jacobian contraction Θ = J Jᵀ for a two-layer network, kept as the baseline that
// the structured kernel is benchmarked against (and as a second GPU check of it). J is formed
// block by block over chunks of hidden neurons (a full J of n·k rows × (d + 2 + k)·m columns
// would not fit a storage binding at the benchmark sizes) and each block's Gram is accumulated.
import { ShapeError } from '../gpu/errors';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { axpy, broadcastProduct } from '../kernels/elementwise';
import { identityMatrix, scalarOne } from '../kernels/common';
import { gram } from '../kernels/gram';
import type { Mlp } from '../nets/mlp';
import { modelKernelFactor } from '../nets/output-scale';

/** Θ of member 0 as [k·n, k·n] (row index a·n + i), by explicit Jacobian blocks of `chunk` neurons. */
export function jacobianContractionNtk(rt: Runtime, net: Mlp, x: Tensor, chunk = 4096): Tensor {
  if (net.depth !== 1 || net.ensemble !== 1) throw new ShapeError('jacobianContractionNtk: two-layer networks with ensemble 1 only (a benchmark baseline)');
  const [n, d] = x.shape;
  const k = net.config.outputDim;
  const m = net.widths[1];
  const [first, readout] = net.layers;
  const cache = net.forward(x);
  const phi = cache.inputs[1]; // [1, n, m]
  const dphi = cache.derivatives[0];
  const theta = Tensor.zeros(rt, [k * n, k * n], 'Θ by Jacobian');
  const alpha2 = modelKernelFactor(net.config);
  const identity = identityMatrix(rt, k);
  for (let j0 = 0; j0 < m; j0 += chunk) {
    const c = Math.min(chunk, m - j0);
    // δ[a,i,p] = mult₂ w₂[a, j0+p] φ'(h)[i, j0+p]
    const deltaChunk = broadcastProduct(rt, [k, n, c], { tensor: readout.weight, strides: [m, 0, 1], offset: j0 }, { tensor: dphi, strides: [0, m, 1], offset: j0 }, { alpha: readout.scales.mult });
    // ∂f_a(x_i)/∂w₁[p,q] = mult₁ · δ[a,i,p] · x[i,q]: a block [k, n, c, d]
    const jw1 = broadcastProduct(rt, [k, n, c, d], { tensor: deltaChunk, strides: [n * c, c, 1, 0] }, { tensor: x, strides: [0, d, 0, 1] }, { alpha: first.scales.mult });
    accumulate(rt, theta, jw1.reshape([k * n, c * d]), alpha2);
    jw1.dispose();
    if (first.bias) {
      const jb1 = broadcastProduct(rt, [k, n, c], { tensor: deltaChunk, strides: [n * c, c, 1] }, { tensor: scalarOne(rt), strides: [0, 0, 0] }, { alpha: first.scales.biasMult });
      accumulate(rt, theta, jb1.reshape([k * n, c]), alpha2);
      jb1.dispose();
    }
    deltaChunk.dispose();
    // ∂f_a(x_i)/∂w₂[b,p] = δ_ab · mult₂ · φ(h)[i,p]: a block [k, n, k, c]
    const jw2 = broadcastProduct(rt, [k, n, k, c], { tensor: identity, strides: [k, 0, 1, 0] }, { tensor: phi, strides: [0, m, 0, 1], offset: j0 }, { alpha: readout.scales.mult });
    accumulate(rt, theta, jw2.reshape([k * n, k * c]), alpha2);
    jw2.dispose();
  }
  if (readout.bias) {
    // ∂f_a/∂b₂[b] = δ_ab · biasMult₂
    const jb2 = Tensor.from(rt, Array.from({ length: k * n * k }, (_, t) => (Math.floor(t / (n * k)) === t % k ? readout.scales.biasMult : 0)), [k * n, k]);
    accumulate(rt, theta, jb2, alpha2);
    jb2.dispose();
  }
  identity.dispose();
  cache.inputs.slice(1).forEach((t) => t.dispose());
  cache.derivatives.forEach((t) => t.dispose());
  cache.output.dispose();
  return theta;
}

function accumulate(rt: Runtime, theta: Tensor, block: Tensor, scale: number): void {
  const g = gram(rt, block, undefined, { alpha: scale });
  axpy(rt, 1, g, theta);
  g.dispose();
}
