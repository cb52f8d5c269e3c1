// Parameterizations in Yang & Hu's abc form (Tensor Programs IV, arXiv:2011.14522): layer l
// computes h_l = mult_l · w_l x_{l−1} + biasMult_l · b_l with trainable w_l ~ N(0, initStd_l²),
// b_l ~ N(0, biasStd_l²), and learning rate η · lrScale_l. fan_in = m_{l−1}; "width" = m_l.
//
// | name      | hidden layers (l ≤ L)                          | readout (l = L+1)                              | lr scale                      |
// |-----------|------------------------------------------------|------------------------------------------------|-------------------------------|
// | standard  | mult 1, w ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²)  | same                                           | 1 (needs η ∝ 1/width)         |
// | ntk       | mult σ_w/√fan_in, w ~ N(0,1); biasMult σ_b, b ~ N(0,1) | same (neural-tangents' Dense, parameterization='ntk') | 1                |
// | mup       | mult 1, w ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²)  | mult 1, w ~ N(0, σ_w²/fan_in²)                 | input layer and hidden biases: fan_out; hidden: 1; readout: 1/fan_in, readout bias 1 (Tensor Programs V, arXiv:2203.03466, Table 3, SGD) |
// | meanfield | two-layer: f = (σ_w/m) Σ_j a_j φ(σ_w w_j·x/√d + σ_b b_j) + σ_b b_out, a, w, b ~ N(0,1), lr scale m for a, w and b, 1 for b_out (Mei, Montanari & Nguyen 2018; Chizat & Bach 2018). Deeper: the same as mup. |
// | depth-mup | residual networks only (MlpConfig.residual): Depth-µP of Yang, Yu, Zhu & Hayou, Tensor Programs VI (arXiv:2310.02244): the width-µP scales above for every Dense (input, branch and readout layers), branch multiplier β = 1/√B on each of the B residual branches (checked in src/nets/residual.ts), and for SGD a learning rate that does not scale with depth (η·B⁰ on the blocks; the paper's 1/√B learning-rate factor is Adam's). Each block's term of Θ_η is then β²·O(1) = O(1/B), so Θ_η = O(1) in both width and depth. |
//
// Learning-rate scales are chosen so that each parameter group's term of the kernel GD follows,
// Θ_η = Σ_p lrScale_p·J_p J_pᵀ, is O(1) in width under meanfield and mup (a width-independent stable
// η). A parameter with no width dimension (the readout bias, k entries) has ∂f/∂b = biasMult = O(1),
// so its term is O(1) only with lrScale 1: mup's MuSGD likewise leaves such "scalar-like" parameters
// unscaled. (Its fan_out is k, a finite number, not a width.)
export const PARAMETERIZATIONS = ['standard', 'ntk', 'meanfield', 'mup'] as const;
/** Parameterizations defined for residual networks only (MlpConfig.residual). */
export const DEPTH_PARAMETERIZATIONS = ['depth-mup'] as const;
/** The four that apply to any MLP (the pages' choices). */
export type PlainParameterization = (typeof PARAMETERIZATIONS)[number];
export type Parameterization = PlainParameterization | (typeof DEPTH_PARAMETERIZATIONS)[number];

export interface LayerScales {
  fanIn: number;
  fanOut: number;
  /** forward multiplier of w (n^−a) */
  mult: number;
  /** init standard deviation of w (n^−b) */
  initStd: number;
  /** forward multiplier of the bias (0: no bias) */
  biasMult: number;
  biasStd: number;
  /** learning-rate multiplier of w (n^−c) and of the bias */
  lrScale: number;
  biasLrScale: number;
}

/** Per-layer scales for widths [d, m_1, ..., m_L, k]. σ_b = 0 means no bias. */
export function layerScales(parameterization: Parameterization, widths: readonly number[], weightStd: number, biasStd: number): LayerScales[] {
  const layers = widths.length - 1;
  const hasBias = biasStd > 0;
  const twoLayerMeanField = parameterization === 'meanfield' && layers === 2;
  // deep mean-field is µP; Depth-µP's Denses are µP's too (its depth scaling is the branch multiplier, and none on SGD's rates)
  const scheme = (parameterization === 'meanfield' && !twoLayerMeanField) || parameterization === 'depth-mup' ? 'mup' : parameterization;
  return widths.slice(1).map((fanOut, i) => {
    const fanIn = widths[i];
    const readout = i === layers - 1;
    const first = i === 0;
    switch (scheme) {
      case 'standard':
        return { fanIn, fanOut, mult: 1, initStd: weightStd / Math.sqrt(fanIn), biasMult: hasBias ? 1 : 0, biasStd, lrScale: 1, biasLrScale: 1 };
      case 'ntk':
        return { fanIn, fanOut, mult: weightStd / Math.sqrt(fanIn), initStd: 1, biasMult: hasBias ? biasStd : 0, biasStd: 1, lrScale: 1, biasLrScale: 1 };
      case 'meanfield': {
        const m = widths[1];
        return readout
          ? { fanIn, fanOut, mult: weightStd / fanIn, initStd: 1, biasMult: hasBias ? biasStd : 0, biasStd: 1, lrScale: m, biasLrScale: 1 }
          : { fanIn, fanOut, mult: weightStd / Math.sqrt(fanIn), initStd: 1, biasMult: hasBias ? biasStd : 0, biasStd: 1, lrScale: m, biasLrScale: m };
      }
      case 'mup':
        return {
          fanIn, fanOut, mult: 1,
          initStd: readout ? weightStd / fanIn : weightStd / Math.sqrt(fanIn),
          biasMult: hasBias ? 1 : 0, biasStd,
          lrScale: first ? fanOut : readout ? 1 / fanIn : 1,
          biasLrScale: readout ? 1 : fanOut,
        };
      default:
        throw new Error(`unknown parameterization "${parameterization}"; expected one of ${[...PARAMETERIZATIONS, ...DEPTH_PARAMETERIZATIONS].join(', ')}`);
    }
  });
}

/**
 * Per-layer weights of the kernel gradient descent follows, Θ_η = Σ_p (η_p/η)·J_p J_pᵀ of the model
 * α·f: η_p/η = lrScale_p/α² (0 for a frozen layer), so α² from the model and 1/α² from the rates
 * cancel. The trainer's learning rates are η times these; every kernel observable uses them.
 */
export function dynamicsKernelScales(scales: readonly LayerScales[], alpha: number, frozen: readonly number[] = []): { weight: number[]; bias: number[] } {
  const alpha2 = alpha * alpha;
  return {
    weight: scales.map((s, l) => (frozen.includes(l) ? 0 : s.lrScale / alpha2)),
    bias: scales.map((s, l) => (frozen.includes(l) ? 0 : s.biasLrScale / alpha2)),
  };
}
