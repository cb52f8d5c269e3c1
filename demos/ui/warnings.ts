// Warnings about a page's set-up that is valid but not what its labels suggest. Same rule as
// src/spec/warnings.ts: the output scale α of Chizat, Oyallon & Bach makes training lazy only
// when the model is centred, α·(f(θ) − f(θ₀)); without centring α·f(θ₀) grows with α, so the
// network starts far from the target and is not in the lazy regime.

/** The part of a spec the rule reads (an ExperimentSpecInput or a parsed ExperimentSpec). */
export interface AlphaSpec {
  model: { alpha?: number; centered?: boolean };
}

/** A warning when α > 1 without centring, else null (α defaults to 1, centring to off, as in the spec schema). */
export function alphaWarning(spec: AlphaSpec): string | null {
  const alpha = spec.model.alpha ?? 1;
  const centered = spec.model.centered ?? false;
  if (alpha > 1 && !centered) {
    return `α = ${alpha} > 1 without centring: α·f(θ₀) is large at initialisation, so the network is not in the lazy regime; set centred (model α·(f(θ) − f(θ₀)))`;
  }
  return null;
}
