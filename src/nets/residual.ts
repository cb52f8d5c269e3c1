// Residual MLPs (issue 14): B blocks on a residual stream of width m,
//   h₀ = Dense_in(x);  h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})), b = 1..B;  f = Dense_out(φ(h_B)),
// every Dense in the chosen parameterization (mult·w·x + biasMult·b, src/nets/parameterization.ts).
// In neural-tangents' stax this is
//   serial(Dense_in, [serial(FanOut(2), parallel(Identity(), serial(Act, Dense_b, scale β)), FanInSum())] × B, Act, Dense_out),
// where, with parameterization 'ntk', "Dense_b, scale β" is exactly Dense(m, β·W_std, β·b_std) (docs/networks-and-ntk.md).
// The dense layers are numbered as a plain MLP with B + 1 hidden layers: 0 = Dense_in (d→m),
// 1..B = the branch Denses (m→m), B + 1 = Dense_out (m→k). A ForwardCache keeps, as for a plain MLP,
// the input of dense layer l in inputs[l] (x, then φ(h₀)..φ(h_B)) and φ'(h_l) in derivatives[l].
// The signal g_b = ∂(·)/∂h_b carries the skip connection:
//   g_B = mult_out·(r·W_out) ⊙ φ'(h_B),   g_{b−1} = g_b + β·mult_b·(g_b·W_b) ⊙ φ'(h_{b−1}),
// and the signal at Dense_b's output (before β) is β·g_b, so ∂/∂W_b = β·mult_b·g_bᵀ φ(h_{b−1}).
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { ShapeError } from '../gpu/errors';
import { activateWithDerivative, axpy, broadcastProduct, contiguousStrides } from '../kernels/elementwise';
import { onesRow } from '../kernels/common';
import { matmul } from '../kernels/matmul';
import type { ForwardCache, Mlp, MlpConfig } from './mlp';
import type { LayerTensors } from './gradients';

export interface ResidualConfig {
  /** B ≥ 1 residual blocks */
  blocks: number;
  /** β, resolved to a number (the spec's "1/sqrt(blocks)" and "1/blocks" are resolved before) */
  branchMultiplier: number;
}

/** The residual config of a network config, or null for a plain MLP; checks it (clear errors by field). */
export function residualOf(config: Pick<MlpConfig, 'residual' | 'hidden' | 'parameterization'>): ResidualConfig | null {
  const r = config.residual ?? null;
  if (r === null) {
    if (config.parameterization === 'depth-mup') throw new ShapeError('mlp: parameterization "depth-mup" (Depth-µP, Tensor Programs VI) is defined for residual networks only; set model.residual');
    return null;
  }
  if (!Number.isInteger(r.blocks) || r.blocks < 1) throw new ShapeError(`mlp: residual.blocks must be an integer ≥ 1, got ${r.blocks}`);
  if (!Number.isFinite(r.branchMultiplier)) throw new ShapeError(`mlp: residual.branchMultiplier must be a finite number, got ${r.branchMultiplier}`);
  if (config.hidden.length !== 1) throw new ShapeError(`mlp: a residual network has one width, that of its residual stream: hidden must be [m], got [${config.hidden}]`);
  if (config.parameterization === 'depth-mup') {
    // Depth-µP: branch multiplier 1/√B (Tensor Programs VI, arXiv:2310.02244)
    const expected = 1 / Math.sqrt(r.blocks);
    if (Math.abs(r.branchMultiplier - expected) > 1e-9 * expected) {
      throw new ShapeError(`mlp: parameterization "depth-mup" fixes residual.branchMultiplier to 1/sqrt(blocks) = ${expected} for ${r.blocks} blocks, got ${r.branchMultiplier}`);
    }
  }
  return { blocks: r.blocks, branchMultiplier: r.branchMultiplier };
}

/** Widths [fan_in of layer 0, ..., fan_out of the readout]: [d, m_1..m_L, k], or [d, m × (B + 1), k] for a residual net. */
export function denseWidths(config: Pick<MlpConfig, 'inputDim' | 'hidden' | 'outputDim' | 'residual' | 'parameterization'>): number[] {
  const residual = residualOf(config);
  const hidden = residual ? new Array<number>(residual.blocks + 1).fill(config.hidden[0]) : [...config.hidden];
  return [config.inputDim, ...hidden, config.outputDim];
}

/** The multiplier on dense layer l's output: β on the branch Denses 1..B, 1 elsewhere (and on every layer of a plain MLP). */
export function branchFactor(residual: ResidualConfig | null, l: number): number {
  return residual && l >= 1 && l <= residual.blocks ? residual.branchMultiplier : 1;
}

/** Forward pass of a residual net: the stream h is updated in place, h_b = h_{b−1} + β·(mult_b·W_b φ(h_{b−1}) + biasMult_b·b_b). */
export function residualForward(rt: Runtime, net: Mlp, x: Tensor): ForwardCache {
  const n = x.shape[0];
  const L = net.layers.length - 1;
  const inputs: Tensor[] = [x];
  const derivatives: Tensor[] = [];
  const first = net.layers[0];
  const h = matmul(rt, x, first.weight, { transB: true, alpha: first.scales.mult, bias: first.bias ?? undefined, biasScale: first.scales.biasMult });
  for (let l = 1; l <= L; l++) {
    const { act, dact } = activateWithDerivative(rt, h, net.config.activation);
    inputs.push(act);
    derivatives.push(dact);
    const { weight, bias, scales } = net.layers[l];
    if (l === L) {
      h.dispose();
      const output = matmul(rt, act, weight, { transB: true, alpha: scales.mult, bias: bias ?? undefined, biasScale: scales.biasMult });
      return { n, inputs, derivatives, output };
    }
    const beta = branchFactor(net.residual, l);
    matmul(rt, act, weight, { transB: true, alpha: beta * scales.mult, bias: bias ?? undefined, biasScale: beta * scales.biasMult, beta: 1, out: h });
  }
  throw new Error('unreachable');
}

/** The parameter gradients of Σ_i r_i·f(x_i) of a residual net (see gradients.ts's vjp for the contract). */
export function residualVjp(rt: Runtime, net: Mlp, cache: ForwardCache, r: Tensor, frozen: readonly number[]): (LayerTensors | null)[] {
  const E = net.ensemble;
  const n = cache.n;
  const k = net.config.outputDim;
  const L = net.layers.length - 1;
  const m = net.widths[1];
  const grads: (LayerTensors | null)[] = new Array(net.layers.length).fill(null);
  const lowest = net.layers.findIndex((_, l) => !frozen.includes(l));
  if (lowest < 0) return grads;
  const gradient = (l: number, signal: Tensor, factor: number): LayerTensors => {
    const layer = net.layers[l];
    // ∂/∂W_l = factor·mult_l·δᵀ x_l, ∂/∂b_l = factor·biasMult_l·1ᵀδ
    const weight = matmul(rt, signal, cache.inputs[l], { transA: true, alpha: factor * layer.scales.mult });
    const bias = layer.bias ? matmul(rt, onesRow(rt, n), signal, { alpha: factor * layer.scales.biasMult }) : null;
    return { weight, bias };
  };
  const rr = r.reshape([E, n, k]);
  if (!frozen.includes(L)) grads[L] = gradient(L, rr, 1);
  if (lowest === L) return grads;
  // g_B = mult_out·(r·W_out) ⊙ φ'(h_B)
  const readout = net.layers[L];
  const back = matmul(rt, rr, readout.weight, { alpha: readout.scales.mult });
  const strides = [n * m, m, 1];
  const g = broadcastProduct(rt, [E, n, m], { tensor: back, strides }, { tensor: cache.derivatives[L - 1], strides });
  back.dispose();
  for (let l = L - 1; l >= lowest; l--) {
    const beta = branchFactor(net.residual, l);
    if (!frozen.includes(l)) grads[l] = gradient(l, g, beta); // the signal at Dense_l's output is β·g_l (β = 1 for Dense_in)
    if (l === lowest || l === 0) break;
    // g_{l−1} = g_l + β·mult_l·(g_l·W_l) ⊙ φ'(h_{l−1}), in place
    const layer = net.layers[l];
    const t = matmul(rt, g, layer.weight, { alpha: beta * layer.scales.mult });
    broadcastProduct(rt, [E, n, m], { tensor: t, strides }, { tensor: cache.derivatives[l - 1], strides }, { beta: 1, out: g });
    t.dispose();
  }
  g.dispose();
  return grads;
}

/** J·v of a residual net: ḣ₀ = mult_in·x v_inᵀ (+ biasMult·v_b), ḣ_b = ḣ_{b−1} + β·mult_b·(ẋ W_bᵀ + φ(h_{b−1}) v_bᵀ) (+ β·biasMult·v_b), ẋ = φ'(h) ⊙ ḣ. */
export function residualJvp(rt: Runtime, net: Mlp, cache: ForwardCache, tangent: LayerTensors[]): Tensor {
  const E = net.ensemble;
  const n = cache.n;
  const L = net.layers.length - 1;
  const m = net.widths[1];
  const strides = [n * m, m, 1];
  const first = net.layers[0];
  const dh = matmul(rt, cache.inputs[0], tangent[0].weight, { transB: true, alpha: first.scales.mult, bias: tangent[0].bias ?? undefined, biasScale: first.scales.biasMult });
  for (let l = 1; l <= L; l++) {
    const layer = net.layers[l];
    const v = tangent[l];
    const dx = broadcastProduct(rt, [E, n, m], { tensor: dh, strides }, { tensor: cache.derivatives[l - 1], strides });
    if (l === L) {
      dh.dispose();
      const out = matmul(rt, cache.inputs[l], v.weight, { transB: true, alpha: layer.scales.mult, bias: v.bias ?? undefined, biasScale: layer.scales.biasMult });
      matmul(rt, dx, layer.weight, { transB: true, alpha: layer.scales.mult, beta: 1, out });
      dx.dispose();
      return out;
    }
    const beta = branchFactor(net.residual, l);
    matmul(rt, cache.inputs[l], v.weight, { transB: true, alpha: beta * layer.scales.mult, bias: v.bias ?? undefined, biasScale: beta * layer.scales.biasMult, beta: 1, out: dh });
    matmul(rt, dx, layer.weight, { transB: true, alpha: beta * layer.scales.mult, beta: 1, out: dh });
    dx.dispose();
  }
  throw new Error('unreachable');
}

/**
 * The per-output signals g_l^a = ∂f_a/∂h_l of a residual net for l = 0..B (index l), each [E, k, n, m]:
 * g_B^a = mult_out·W_out[a,:] ⊙ φ'(h_B), g_{l−1}^a = g_l^a + β·mult_l·(g_l^a·W_l) ⊙ φ'(h_{l−1}).
 * Dense layer l's kernel term uses branchFactor(l)²·G_{g_l} (its output signal is β·g_l).
 */
export function residualBackSignals(rt: Runtime, net: Mlp, cache: ForwardCache): Tensor[] {
  const E = net.ensemble;
  const k = net.config.outputDim;
  const n = cache.n;
  const L = net.layers.length - 1;
  const m = net.widths[1];
  const shape = [E, k, n, m];
  const signals: Tensor[] = new Array(L);
  const readout = net.layers[L];
  signals[L - 1] = broadcastProduct(rt, shape,
    { tensor: readout.weight, strides: [k * m, m, 0, 1] },
    { tensor: cache.derivatives[L - 1], strides: [n * m, 0, m, 1] },
    { alpha: readout.scales.mult });
  for (let l = L - 1; l >= 1; l--) {
    const layer = net.layers[l];
    const t = matmul(rt, signals[l].reshape([E, k * n, m]), layer.weight, { alpha: branchFactor(net.residual, l) * layer.scales.mult });
    signals[l - 1] = broadcastProduct(rt, shape, { tensor: t, strides: contiguousStrides(shape) }, { tensor: cache.derivatives[l - 1], strides: [n * m, 0, m, 1] });
    axpy(rt, 1, signals[l], signals[l - 1]); // the skip connection
    t.dispose();
  }
  return signals;
}
