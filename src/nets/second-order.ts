// Second-order forward mode and the quadratic (second-order Taylor) model of an Mlp, all ensemble
// members at once. No Hessian is ever formed.
//
// The quadratic model (Allen-Zhu & Li, arXiv:1811.04918 §"beyond the NTK"; Bai & Lee 2019,
// arXiv:1910.01619; Zhu et al. 2022, arXiv:2205.11787 for the catapult):
//   f_quad(θ) = f(θ₀) + J(θ₀)·δ + ½·δᵀH(θ₀)·δ,   δ = θ − θ₀,  H = ∂²f/∂θ² (the output's Hessian).
// Forward: along the ray θ₀ + s·δ, ḟ = d f/ds = J·δ and f̈ = d²f/ds² = δᵀHδ, propagated layer by
// layer with φ, φ', φ'' (ẋ_0 = ẍ_0 = 0; layer l: h = mult·x wᵀ + biasMult·b):
//   ḣ_l = mult·(ẋ_{l−1} w_lᵀ + x_{l−1} v_lᵀ) + biasMult·v_b,   ḧ_l = mult·(ẍ_{l−1} w_lᵀ + 2·ẋ_{l−1} v_lᵀ)
//   ẋ_l = φ'(h_l)⊙ḣ_l,                                        ẍ_l = φ''(h_l)⊙ḣ_l² + φ'(h_l)⊙ḧ_l
// (w is linear in θ, so its second derivative along δ is 0.) Then f_quad = f₀ + ḣ_{L+1} + ½·ḧ_{L+1}.
//
// Gradient: ∂f_quad/∂δ = J(θ₀) + H(θ₀)·δ = ∂/∂θ [f(θ) + J(θ)·δ] at θ₀ (δ held fixed), so Σ_i r_i·∂f_quad(x_i)/∂δ
// is the VJP of the pair (h, ḣ) of first-order forward mode. Its adjoints are δ_l (of ḣ_l, which is
// exactly ordinary back-propagation of r) and δ_l + ε_l (of h_l), with ε_{L+1} = 0 and
//   back = mult·δ_l w_l,  δ_{l−1} = φ'⊙back,
//   ε_{l−1} = φ'⊙mult·(ε_l w_l + δ_l v_l) + (φ''⊙ḣ_{l−1})⊙back,
//   ∂/∂w_l = mult·((δ_l + ε_l)ᵀ x_{l−1} + δ_lᵀ ẋ_{l−1}),   ∂/∂b_l = biasMult·Σ_i (δ_l + ε_l)[i].
// The first terms (δ with x) are J(θ₀)ᵀr (nets/gradients.ts's vjp); the rest is (H(θ₀)·δ)ᵀr.
// The code carries g_l = δ_l + ε_l itself (g_{L+1} = r, g_{l−1} = φ'⊙mult·(g_l w_l + δ_l v_l) + (φ''⊙ḣ)⊙back),
// so each weight gradient is two matmuls and the input layer's (ẋ_0 = 0) one, like the network's.
//
// Residual nets (MlpConfig.residual, nets/residual.ts; h_b = h_{b−1} + β·Dense_b(φ(h_{b−1}))): the stream's
// tangents carry the skips, with ẋ_b = φ'(h_{b−1})⊙ḣ_{b−1}, ẍ_b = φ''(h_{b−1})⊙ḣ_{b−1}² + φ'(h_{b−1})⊙ḧ_{b−1}:
//   ḣ_0 = mult_0·x v_0ᵀ + biasMult_0·v_b0,  ḧ_0 = 0,
//   ḣ_b = ḣ_{b−1} + β·(mult_b·(ẋ_b W_bᵀ + x_b v_bᵀ) + biasMult_b·v_bb),   ḧ_b = ḧ_{b−1} + β·mult_b·(2·ẋ_b v_bᵀ + ẍ_b W_bᵀ),
// and Dense_out as the plain readout. The VJP's adjoints d_b (of ḣ_b) and g_b (of h_b) pass the skips on:
//   x̄_b = β·mult_b·(g_b W_b + d_b v_b),  ẋ̄_b = β·mult_b·d_b W_b,
//   g_{b−1} = g_b + φ'⊙x̄_b + (φ''⊙ḣ_{b−1})⊙ẋ̄_b,   d_{b−1} = d_b + φ'⊙ẋ̄_b,
//   ∂/∂W_b = β·mult_b·(g_bᵀ x_b + d_bᵀ ẋ_b),  ∂/∂b_b = β·biasMult_b·1ᵀg_b  (β → 1 for Dense_in and Dense_out).
import type { Runtime } from '../gpu/runtime';
import type { Tensor } from '../gpu/tensor';
import { ShapeError } from '../gpu/errors';
import { activate, add, axpy, broadcastProduct, secondOrderAdjoints, secondOrderTangents } from '../kernels/elementwise';
import { onesRow } from '../kernels/common';
import { matmul } from '../kernels/matmul';
import type { LayerTensors } from './gradients';
import type { ForwardCache, Mlp } from './mlp';
import { branchFactor } from './residual';

/** φ''(h_l) of θ₀ on a forward cache's inputs, one [E, n, m_l] tensor per hidden layer. */
export function curvatures(rt: Runtime, net: Mlp, cache: ForwardCache): Tensor[] {
  if (net.residual) return residualCurvatures(rt, net, cache);
  // the cache keeps x_l = φ(h_l) and φ'(h_l), not h_l: one matmul per hidden layer recomputes it
  return net.layers.slice(0, -1).map((layer, l) => {
    const h = matmul(rt, cache.inputs[l], layer.weight, { transB: true, alpha: layer.scales.mult, bias: layer.bias ?? undefined, biasScale: layer.scales.biasMult });
    const d2 = activate(rt, h, net.config.activation, 2);
    h.dispose();
    return d2;
  });
}

/** What the quadratic model's forward pass keeps for its gradient. */
export interface QuadraticForward {
  /** f_quad [E, n, k] (before α and centring) */
  output: Tensor;
  /** ẋ_l per layer input (index l: the input of dense layer l; null for l = 0, where ẋ_0 = 0) */
  tangents: (Tensor | null)[];
  /** φ''(h_l)⊙ḣ_l per hidden layer */
  curvatureTangents: Tensor[];
}

const elementwise = (rt: Runtime, shape: number[], a: Tensor, b: Tensor, o: { beta?: number; out?: Tensor } = {}) => {
  const strides = [shape[1] * shape[2], shape[2], 1];
  return broadcastProduct(rt, shape, { tensor: a, strides }, { tensor: b, strides }, o);
};

/**
 * f_quad = f(θ₀) + J·δ + ½·δᵀHδ on the inputs of θ₀'s forward cache `cache0` (its curvatures from
 * `curvatures`), for δ = `delta` shaped like the parameters. `keep`: also return what the gradient needs.
 */
export function quadraticForward(rt: Runtime, net: Mlp, cache0: ForwardCache, curv: readonly Tensor[], delta: readonly LayerTensors[], keep = true): QuadraticForward {
  if (curv.length !== net.layers.length - 1) throw new ShapeError(`quadraticForward: ${curv.length} curvature tensors for ${net.layers.length - 1} hidden layers`);
  if (net.residual) return residualQuadraticForward(rt, net, cache0, curv, delta, keep);
  const tangents: (Tensor | null)[] = [null];
  const curvatureTangents: Tensor[] = [];
  let dx: Tensor | null = null; // ẋ_{l−1}
  let ddx: Tensor | null = null; // ẍ_{l−1}
  for (let l = 0; l < net.layers.length; l++) {
    const layer = net.layers[l];
    const { mult, biasMult } = layer.scales;
    const v = delta[l];
    // ḣ = mult·(x v_wᵀ + ẋ wᵀ) + biasMult·v_b
    const dh = matmul(rt, cache0.inputs[l], v.weight, { transB: true, alpha: mult, bias: v.bias ?? undefined, biasScale: biasMult });
    if (dx) matmul(rt, dx, layer.weight, { transB: true, alpha: mult, beta: 1, out: dh });
    // ḧ = mult·(2·ẋ v_wᵀ + ẍ wᵀ); zero for the input layer
    let ddh: Tensor | null = null;
    if (dx) {
      ddh = matmul(rt, dx, v.weight, { transB: true, alpha: 2 * mult });
      if (ddx) matmul(rt, ddx, layer.weight, { transB: true, alpha: mult, beta: 1, out: ddh });
    }
    ddx?.dispose();
    if (!keep) dx?.dispose();
    if (l === net.layers.length - 1) {
      // f_quad = f₀ + ḣ + ½·ḧ
      const out = ddh ? add(rt, dh, ddh, 1, 0.5) : add(rt, dh, dh, 1, 0);
      axpy(rt, 1, cache0.output, out);
      dh.dispose();
      ddh?.dispose();
      return { output: out, tangents, curvatureTangents };
    }
    // ẋ = φ'⊙ḣ, t = φ''⊙ḣ, ẍ = φ''⊙ḣ² + φ'⊙ḧ: one pass
    const { dx: nextDx, t, ddx: nextDdx } = secondOrderTangents(rt, cache0.derivatives[l], curv[l], dh, ddh);
    dh.dispose();
    ddh?.dispose();
    if (keep) {
      tangents.push(nextDx);
      curvatureTangents.push(t);
    } else t.dispose();
    dx = nextDx;
    ddx = nextDdx;
  }
  throw new Error('unreachable');
}

/** Frees what quadraticForward kept (not its output). */
export function releaseQuadraticForward(q: QuadraticForward): void {
  q.tangents.forEach((t) => t?.dispose());
  q.curvatureTangents.forEach((t) => t.dispose());
}

/**
 * Σ_i r_i·∂f_quad(x_i)/∂δ = (J(θ₀) + H(θ₀)·δ)ᵀ r per parameter, shaped like the parameters (see the header).
 * Frozen layers get null, and the backward pass stops at the lowest trainable layer (as vjp).
 */
export function quadraticVjp(rt: Runtime, net: Mlp, cache0: ForwardCache, fwd: QuadraticForward, delta: readonly LayerTensors[], r: Tensor, frozen: readonly number[] = []): (LayerTensors | null)[] {
  const E = net.ensemble;
  const n = cache0.n;
  const k = net.config.outputDim;
  if (r.size !== E * n * k) throw new ShapeError(`quadraticVjp: cotangent "${r.name}" has ${r.size} elements, expected [E, n, k] = [${E}, ${n}, ${k}]`);
  const grads: (LayerTensors | null)[] = new Array(net.layers.length).fill(null);
  const lowest = net.layers.findIndex((_, l) => !frozen.includes(l));
  if (lowest < 0) return grads;
  if (net.residual) return residualQuadraticVjp(rt, net, cache0, fwd, delta, r.reshape([E, n, k]), frozen, lowest);
  // δ_l (adjoint of ḣ_l) and g_l = δ_l + ε_l (adjoint of h_l); at the output both are r
  let dl: Tensor = r.reshape([E, n, k]);
  let gl: Tensor = dl;
  const own = (t: Tensor) => !t.aliases(r);
  for (let l = net.layers.length - 1; l >= lowest; l--) {
    const layer = net.layers[l];
    const { mult, biasMult } = layer.scales;
    if (!frozen.includes(l)) {
      // ∂/∂w_l = mult·(g_lᵀ x_{l−1} + δ_lᵀ ẋ_{l−1}), ∂/∂b_l = biasMult·1ᵀg_l
      const input = cache0.inputs[l];
      const weight = matmul(rt, gl, input, { transA: true, alpha: mult });
      const dx = fwd.tangents[l];
      if (dx) matmul(rt, dl, dx, { transA: true, alpha: mult, beta: 1, out: weight });
      const bias = layer.bias ? matmul(rt, onesRow(rt, n), gl, { alpha: biasMult }) : null;
      grads[l] = { weight, bias };
    }
    if (l === lowest) break;
    const back = matmul(rt, dl, layer.weight, { alpha: mult }); // mult·δ_l w_l
    const a = matmul(rt, gl, layer.weight, { alpha: mult }); // mult·(g_l w_l + δ_l v_l)
    matmul(rt, dl, delta[l].weight, { alpha: mult, beta: 1, out: a });
    // δ_{l−1} = φ'⊙back,  g_{l−1} = φ'⊙a + (φ''⊙ḣ)⊙back: one pass
    const { d: nextDl, g: nextGl } = secondOrderAdjoints(rt, cache0.derivatives[l - 1], fwd.curvatureTangents[l - 1], back, a);
    back.dispose();
    a.dispose();
    if (own(gl) && gl !== dl) gl.dispose();
    if (own(dl)) dl.dispose();
    dl = nextDl;
    gl = nextGl;
  }
  if (own(gl) && gl !== dl) gl.dispose();
  if (own(dl)) dl.dispose();
  return grads;
}

/** φ''(h_b), b = 0..B, of a residual net: the stream h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})) recomputed from the cache's inputs. */
function residualCurvatures(rt: Runtime, net: Mlp, cache: ForwardCache): Tensor[] {
  const L = net.layers.length - 1;
  const first = net.layers[0];
  const h = matmul(rt, cache.inputs[0], first.weight, { transB: true, alpha: first.scales.mult, bias: first.bias ?? undefined, biasScale: first.scales.biasMult });
  const out = [activate(rt, h, net.config.activation, 2)];
  for (let l = 1; l < L; l++) {
    const { weight, bias, scales } = net.layers[l];
    const beta = branchFactor(net.residual, l);
    matmul(rt, cache.inputs[l], weight, { transB: true, alpha: beta * scales.mult, bias: bias ?? undefined, biasScale: beta * scales.biasMult, beta: 1, out: h });
    out.push(activate(rt, h, net.config.activation, 2));
  }
  h.dispose();
  return out;
}

/** quadraticForward of a residual net (the header's residual recursion): the stream tangents ḣ, ḧ are accumulated in place. */
function residualQuadraticForward(rt: Runtime, net: Mlp, cache0: ForwardCache, curv: readonly Tensor[], delta: readonly LayerTensors[], keep: boolean): QuadraticForward {
  const L = net.layers.length - 1;
  const tangents: (Tensor | null)[] = [null];
  const curvatureTangents: Tensor[] = [];
  const first = net.layers[0];
  // ḣ_0 = mult_0·x v_0ᵀ + biasMult_0·v_b0; ḧ_0 = 0 (null until a branch adds to it)
  const dh = matmul(rt, cache0.inputs[0], delta[0].weight, { transB: true, alpha: first.scales.mult, bias: delta[0].bias ?? undefined, biasScale: first.scales.biasMult });
  let ddh: Tensor | null = null;
  for (let l = 1; l <= L; l++) {
    const layer = net.layers[l];
    const v = delta[l];
    // ẋ_l = φ'(h_{l−1})⊙ḣ_{l−1}, t = φ''(h_{l−1})⊙ḣ_{l−1}, ẍ_l = φ''⊙ḣ² + φ'⊙ḧ: one pass
    const { dx, t, ddx } = secondOrderTangents(rt, cache0.derivatives[l - 1], curv[l - 1], dh, ddh);
    if (keep) {
      tangents.push(dx);
      curvatureTangents.push(t);
    } else t.dispose();
    const { mult, biasMult } = layer.scales;
    if (l === L) {
      // f_quad = f₀ + ḟ + ½·f̈, ḟ = mult·(x vᵀ + ẋ Wᵀ) + biasMult·v_b, ½·f̈ = mult·(ẋ vᵀ + ½·ẍ Wᵀ)
      const out = matmul(rt, cache0.inputs[l], v.weight, { transB: true, alpha: mult, bias: v.bias ?? undefined, biasScale: biasMult });
      matmul(rt, dx, layer.weight, { transB: true, alpha: mult, beta: 1, out });
      matmul(rt, dx, v.weight, { transB: true, alpha: mult, beta: 1, out });
      matmul(rt, ddx, layer.weight, { transB: true, alpha: 0.5 * mult, beta: 1, out });
      axpy(rt, 1, cache0.output, out);
      dh.dispose();
      ddh?.dispose();
      ddx.dispose();
      if (!keep) dx.dispose();
      return { output: out, tangents, curvatureTangents };
    }
    const beta = branchFactor(net.residual, l);
    // ḣ_l = ḣ_{l−1} + β·(mult·(x vᵀ + ẋ Wᵀ) + biasMult·v_b)
    matmul(rt, cache0.inputs[l], v.weight, { transB: true, alpha: beta * mult, bias: v.bias ?? undefined, biasScale: beta * biasMult, beta: 1, out: dh });
    matmul(rt, dx, layer.weight, { transB: true, alpha: beta * mult, beta: 1, out: dh });
    // ḧ_l = ḧ_{l−1} + β·mult·(2·ẋ vᵀ + ẍ Wᵀ)
    if (ddh) matmul(rt, dx, v.weight, { transB: true, alpha: 2 * beta * mult, beta: 1, out: ddh });
    else ddh = matmul(rt, dx, v.weight, { transB: true, alpha: 2 * beta * mult });
    matmul(rt, ddx, layer.weight, { transB: true, alpha: beta * mult, beta: 1, out: ddh });
    ddx.dispose();
    if (!keep) dx.dispose();
  }
  throw new Error('unreachable');
}

/** quadraticVjp of a residual net (the header's residual adjoints d_b, g_b), from the readout down to the lowest trainable layer. */
function residualQuadraticVjp(rt: Runtime, net: Mlp, cache0: ForwardCache, fwd: QuadraticForward, delta: readonly LayerTensors[], r: Tensor, frozen: readonly number[], lowest: number): (LayerTensors | null)[] {
  const E = net.ensemble;
  const n = cache0.n;
  const L = net.layers.length - 1;
  const shape = [E, n, net.widths[1]];
  const grads: (LayerTensors | null)[] = new Array(net.layers.length).fill(null);
  const gradient = (l: number, g: Tensor, d: Tensor): LayerTensors => {
    const layer = net.layers[l];
    const c = branchFactor(net.residual, l); // Dense_b's output enters the stream times β
    // ∂/∂W_l = c·mult·(gᵀ x_l + dᵀ ẋ_l), ∂/∂b_l = c·biasMult·1ᵀg
    const weight = matmul(rt, g, cache0.inputs[l], { transA: true, alpha: c * layer.scales.mult });
    const dx = fwd.tangents[l];
    if (dx) matmul(rt, d, dx, { transA: true, alpha: c * layer.scales.mult, beta: 1, out: weight });
    const bias = layer.bias ? matmul(rt, onesRow(rt, n), g, { alpha: c * layer.scales.biasMult }) : null;
    return { weight, bias };
  };
  if (!frozen.includes(L)) grads[L] = gradient(L, r, r);
  if (lowest === L) return grads;
  // through Dense_out and φ(h_B): g = d = r at the output
  const readout = net.layers[L];
  const back = matmul(rt, r, readout.weight, { alpha: readout.scales.mult }); // ẋ̄ = mult·d W
  const a = matmul(rt, r, readout.weight, { alpha: readout.scales.mult }); // x̄ = mult·(g W + d v)
  matmul(rt, r, delta[L].weight, { alpha: readout.scales.mult, beta: 1, out: a });
  const { d, g } = secondOrderAdjoints(rt, cache0.derivatives[L - 1], fwd.curvatureTangents[L - 1], back, a);
  back.dispose();
  a.dispose();
  for (let l = L - 1; l >= lowest; l--) {
    if (!frozen.includes(l)) grads[l] = gradient(l, g, d);
    if (l === lowest || l === 0) break;
    const layer = net.layers[l];
    const c = branchFactor(net.residual, l) * layer.scales.mult;
    const bk = matmul(rt, d, layer.weight, { alpha: c }); // ẋ̄_l = β·mult·d_l W_l
    const ak = matmul(rt, g, layer.weight, { alpha: c }); // x̄_l = β·mult·(g_l W_l + d_l v_l)
    matmul(rt, d, delta[l].weight, { alpha: c, beta: 1, out: ak });
    // g_{l−1} = g_l + φ'⊙x̄ + (φ''⊙ḣ)⊙ẋ̄,  d_{l−1} = d_l + φ'⊙ẋ̄ (in place: the skips)
    const dphi = cache0.derivatives[l - 1];
    elementwise(rt, shape, dphi, ak, { beta: 1, out: g });
    elementwise(rt, shape, fwd.curvatureTangents[l - 1], bk, { beta: 1, out: g });
    elementwise(rt, shape, dphi, bk, { beta: 1, out: d });
    bk.dispose();
    ak.dispose();
  }
  g.dispose();
  d.dispose();
  return grads;
}
