// Reverse and forward mode through an Mlp, all ensemble members at once.
//   vjp: given r = ∂L/∂f [E, n, k], the parameter gradients g_l = Σ_i ∂f(x_i)/∂θ_lᵀ r_i:
//        δ_{L+1} = r,  δ_l = mult_{l+1}·(δ_{l+1} w_{l+1}) ⊙ φ'(h_l),
//        ∂/∂w_l = mult_l·δ_lᵀ x_{l−1},  ∂/∂b_l = biasMult_l·Σ_i δ_l[i].
//   jvp: given a tangent (v_w, v_b) per layer, J·v = ∂f/∂θ·v [E, n, k] by forward mode:
//        ṫh_l = mult_l·(ẋ_{l−1} w_lᵀ + x_{l−1} v_wᵀ) + biasMult_l·v_b,  ẋ_l = φ'(h_l) ⊙ ṫh_l, ẋ_0 = 0.
// Residual nets (MlpConfig.residual) take the same contract through src/nets/residual.ts.
// The MSE loss L = 1/(2nk)·Σ‖α·f − y‖² (neural-tangents' convention) has r = α·(α·f − y)/(n·k).
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { ShapeError } from '../gpu/errors';
import { broadcastProduct } from '../kernels/elementwise';
import { lossCotangent } from '../kernels/loss';
import { onesRow } from '../kernels/common';
import { matmul } from '../kernels/matmul';
import type { ForwardCache, Mlp } from './mlp';
import { outputScale } from './output-scale';
import { residualJvp, residualVjp } from './residual';

export interface LayerTensors {
  weight: Tensor;
  bias: Tensor | null;
}

/**
 * Gradients of Σ_i r_i·f(x_i) with respect to every parameter, shaped like the parameters.
 * Layers listed in `frozen` get null (not computed), and the backward pass stops at the lowest
 * trainable layer.
 */
export function vjp(rt: Runtime, net: Mlp, cache: ForwardCache, r: Tensor, frozen: readonly number[] = []): (LayerTensors | null)[] {
  const E = net.ensemble;
  const n = cache.n;
  const k = net.config.outputDim;
  if (r.size !== E * n * k) throw new ShapeError(`vjp: cotangent "${r.name}" has ${r.size} elements, expected [E, n, k] = [${E}, ${n}, ${k}]`);
  if (net.residual) return residualVjp(rt, net, cache, r, frozen);
  const grads: (LayerTensors | null)[] = new Array(net.layers.length).fill(null);
  const lowest = net.layers.findIndex((_, l) => !frozen.includes(l));
  let delta = r.reshape([E, n, k]);
  for (let l = net.layers.length - 1; l >= Math.max(lowest, 0) && lowest >= 0; l--) {
    const layer = net.layers[l];
    if (frozen.includes(l)) {
      delta = backward(rt, net, cache, delta, l, r);
      continue;
    }
    const input = cache.inputs[l]; // [n, d] (shared) or [E, n, m]
    // ∂/∂w_l = mult_l·δ_lᵀ x_{l−1}: [E, fanOut, fanIn]
    const weight = matmul(rt, delta, input, { transA: true, alpha: layer.scales.mult });
    // ∂/∂b_l = biasMult_l·Σ_i δ_l[e, i, :] = biasMult_l·1ᵀδ_l: [E, 1, fanOut]
    let bias: Tensor | null = null;
    if (layer.bias) {
      bias = matmul(rt, onesRow(rt, n), delta, { alpha: layer.scales.biasMult }); // [E, 1, fanOut]
    }
    grads[l] = { weight, bias };
    if (l > lowest) delta = backward(rt, net, cache, delta, l, r);
  }
  if (!delta.aliases(r)) delta.dispose();
  return grads;
}

/** δ_{l−1} = mult_l·(δ_l w_l) ⊙ φ'(h_{l−1}), freeing δ_l unless it is the caller's r. */
function backward(rt: Runtime, net: Mlp, cache: ForwardCache, delta: Tensor, l: number, r: Tensor): Tensor {
  const E = net.ensemble;
  const n = cache.n;
  const layer = net.layers[l];
  const back = matmul(rt, delta, layer.weight, { alpha: layer.scales.mult });
  const m = net.widths[l];
  const next = broadcastProduct(rt, [E, n, m], { tensor: back, strides: [n * m, m, 1] }, { tensor: cache.derivatives[l - 1], strides: [n * m, m, 1] });
  if (!delta.aliases(r)) delta.dispose();
  back.dispose();
  return next;
}

/** J·v: the change of f [E, n, k] along the parameter tangent v (forward mode). */
export function jvp(rt: Runtime, net: Mlp, cache: ForwardCache, tangent: LayerTensors[]): Tensor {
  const E = net.ensemble;
  const n = cache.n;
  if (net.residual) return residualJvp(rt, net, cache, tangent);
  let dx: Tensor | null = null; // ẋ_{l−1}; ẋ_0 = 0
  for (let l = 0; l < net.layers.length; l++) {
    const layer = net.layers[l];
    const v = tangent[l];
    // x_{l−1}·v_wᵀ·mult (+ biasMult·v_b)
    let dh = matmul(rt, cache.inputs[l], v.weight, { transB: true, alpha: layer.scales.mult, bias: v.bias ?? undefined, biasScale: layer.scales.biasMult });
    if (dx) {
      // + mult·ẋ_{l−1}·w_lᵀ
      dh = matmul(rt, dx, layer.weight, { transB: true, alpha: layer.scales.mult, beta: 1, out: dh });
      dx.dispose();
    }
    if (l === net.layers.length - 1) return dh;
    const m = net.widths[l + 1];
    dx = broadcastProduct(rt, [E, n, m], { tensor: dh, strides: [n * m, m, 1] }, { tensor: cache.derivatives[l], strides: [n * m, m, 1] });
    dh.dispose();
  }
  throw new Error('unreachable');
}

/** r = α·(α·f − y)/(n·k): the cotangent of the MSE loss 1/(2nk)·Σ‖α·f − y‖² (y [n, k], shared by the members). */
export function mseCotangent(rt: Runtime, net: Mlp, f: Tensor, y: Tensor): Tensor {
  return lossCotangent(rt, 'mse', f, y, { alpha: outputScale(net.config).alpha });
}
