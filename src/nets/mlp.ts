// The MLP f(x) = h_{L+1}, h_l = mult_l · w_l x_{l−1} + biasMult_l · b_l, x_l = φ(h_l), x_0 = x,
// for E ensemble members at once: every weight tensor is [E, m_l, m_{l−1}] (row j = neuron j's
// incoming weights), every activation [E, n, m_l], and each layer is one batched matmul.
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { ShapeError } from '../gpu/errors';
import { activation as lookupActivation } from '../kernels/activations';
import { activateWithDerivative } from '../kernels/elementwise';
import { randn } from '../kernels/init';
import { matmul } from '../kernels/matmul';
import { layerScales, type LayerScales, type Parameterization } from './parameterization';

export interface MlpConfig {
  inputDim: number;
  hidden: readonly number[];
  outputDim: number;
  activation: string;
  parameterization: Parameterization;
  weightStd: number;
  biasStd: number;
  /** lazy-training output scale α (Chizat, Oyallon & Bach): the model is α·f, or α·(f − f₀) when centred */
  alpha?: number;
  centered?: boolean;
  ensemble?: number;
  seed: number;
  /** residual MLP (issue 14): hidden = [m]; h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})), β = branchMultiplier resolved to a number */
  residual?: { blocks: number; branchMultiplier: number } | null;
}

export interface Layer {
  scales: LayerScales;
  /** [E, fanOut, fanIn] */
  weight: Tensor;
  /** [E, fanOut], or null without bias */
  bias: Tensor | null;
}

/** What a forward pass keeps for the backward pass and the NTK. */
export interface ForwardCache {
  n: number;
  /** x_0 (shared, [n, d]) then x_1..x_L ([E, n, m_l]) */
  inputs: Tensor[];
  /** φ'(h_l), l = 1..L, [E, n, m_l] */
  derivatives: Tensor[];
  /** f = h_{L+1}, [E, n, k] (before α and centring) */
  output: Tensor;
}

/** Philox streams: weights of member e, layer l use stream (e, 2l); biases (e, 2l + 1). */
export const weightStream = (e: number, l: number) => ({ stream: e, stream2: 2 * l });
export const biasStream = (e: number, l: number) => ({ stream: e, stream2: 2 * l + 1 });

export class Mlp {
  readonly layers: Layer[];
  readonly ensemble: number;
  readonly widths: number[];

  constructor(readonly rt: Runtime, readonly config: MlpConfig) {
    lookupActivation(config.activation); // fails early, by name
    for (const [name, v] of [['inputDim', config.inputDim], ['outputDim', config.outputDim], ...config.hidden.map((h, i) => [`hidden[${i}]`, h] as const)] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ShapeError(`mlp: ${name} must be a positive integer, got ${v}`);
    }
    if (config.hidden.length < 1) throw new ShapeError('mlp: at least one hidden layer is needed');
    this.ensemble = config.ensemble ?? 1;
    this.widths = [config.inputDim, ...config.hidden, config.outputDim];
    const scales = layerScales(config.parameterization, this.widths, config.weightStd, config.biasStd);
    this.layers = scales.map((s, i) => ({
      scales: s,
      weight: Tensor.empty(rt, [this.ensemble, s.fanOut, s.fanIn], `W${i + 1}`),
      bias: s.biasMult !== 0 ? Tensor.empty(rt, [this.ensemble, s.fanOut], `b${i + 1}`) : null,
    }));
    this.initialize();
  }

  get depth(): number {
    return this.config.hidden.length;
  }

  /** Draws every parameter from the seed. Neuron j of layer l of member e depends on (seed, e, l, j) only. */
  initialize(): void {
    const { rt, config } = this;
    this.layers.forEach((layer, l) => {
      const { fanIn, fanOut, initStd, biasStd } = layer.scales;
      for (let e = 0; e < this.ensemble; e++) {
        const w = randn(rt, [fanOut, fanIn], { seed: config.seed, ...weightStream(e, l + 1), scale: initStd, name: 'w-init' });
        rt.copy(w, layer.weight, w.bytes, 0, e * w.bytes);
        w.dispose();
        if (layer.bias) {
          const b = randn(rt, [fanOut], { seed: config.seed, ...biasStream(e, l + 1), scale: biasStd, name: 'b-init' });
          rt.copy(b, layer.bias, b.bytes, 0, e * b.bytes);
          b.dispose();
        }
      }
    });
  }

  /** Forward pass of inputs x [n, d] through all members. */
  forward(x: Tensor): ForwardCache {
    const { rt } = this;
    if (x.shape.length !== 2 || x.shape[1] !== this.config.inputDim) throw new ShapeError(`mlp: inputs "${x.name}" have shape [${x.shape}], expected [n, ${this.config.inputDim}]`);
    const n = x.shape[0];
    const inputs: Tensor[] = [x];
    const derivatives: Tensor[] = [];
    let current = x;
    for (let l = 0; l < this.layers.length; l++) {
      const { weight, bias, scales } = this.layers[l];
      const readout = l === this.layers.length - 1;
      const h = matmul(rt, current, weight, { transB: true, alpha: scales.mult, bias: bias ?? undefined, biasScale: scales.biasMult });
      if (readout) return { n, inputs, derivatives, output: h };
      const { act, dact } = activateWithDerivative(rt, h, this.config.activation);
      h.dispose();
      inputs.push(act);
      derivatives.push(dact);
      current = act;
    }
    throw new Error('unreachable');
  }

  /** Frees a cache (keeps x_0, which belongs to the caller). */
  static release(cache: ForwardCache): void {
    cache.inputs.slice(1).forEach((t) => t.dispose());
    cache.derivatives.forEach((t) => t.dispose());
    cache.output.dispose();
  }

  dispose(): void {
    for (const layer of this.layers) {
      layer.weight.dispose();
      layer.bias?.dispose();
    }
  }
}
