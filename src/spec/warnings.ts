// Spec warnings: settings that are valid but probably not what the user meant. Shared by the
// command line (printed on stderr) and the demo pages (shown beside the controls).
import type { ExperimentSpec } from './schema';

/**
 * α ≫ 1 without centring is not lazy training: the model α·f(θ) starts at α·f(θ₀), a function of
 * size O(α) at initialisation, so the loss (divided by α²) is dominated by fitting away that
 * offset. Chizat, Oyallon & Bach (arXiv:1812.07956) centre the model, α·(f(θ) − f(θ₀)), to get
 * the kernel regime as α → ∞. Returns the warning, or null when there is nothing to say.
 */
export function alphaWarning(spec: { model: Partial<Pick<ExperimentSpec['model'], 'alpha' | 'centered'>> }): string | null {
  // the schema's defaults, so that an unparsed page spec reads the same
  const { alpha = 1, centered = false } = spec.model;
  if (!(alpha > 1) || centered) return null;
  return `model.alpha = ${alpha} > 1 with "centered": false is not lazy training: the model α·f(θ) is ${alpha} times the network's output already at initialisation; set "centered": true in model to train α·(f(θ) − f(θ₀))`;
}
