// demos/ui/warnings.ts: α > 1 without centring is not the lazy regime (same rule as src/spec/warnings.ts).
import { describe, expect, it } from 'vitest';
import { alphaWarning } from '../../demos/ui/warnings';

describe('alphaWarning', () => {
  it('warns for α > 1 without centring, and names both', () => {
    const w = alphaWarning({ model: { alpha: 10, centered: false } });
    expect(w).toMatch(/^α = 10 > 1 without centring: α·f\(θ₀\) is large at initialisation, so the network is not in the lazy regime; set centred/);
    // centring off is the spec's default
    expect(alphaWarning({ model: { alpha: 2 } })).not.toBeNull();
  });

  it('is silent when centred, or for α ≤ 1', () => {
    expect(alphaWarning({ model: { alpha: 10, centered: true } })).toBeNull();
    expect(alphaWarning({ model: { alpha: 1, centered: false } })).toBeNull();
    expect(alphaWarning({ model: { alpha: 0.01, centered: false } })).toBeNull();
    expect(alphaWarning({ model: {} })).toBeNull();
  });
});
