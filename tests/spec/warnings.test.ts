// src/spec/warnings.ts: α > 1 without centring is not the lazy regime (the CLI prints it, the pages show it).
import { describe, expect, it } from 'vitest';
import { alphaWarning } from '../../src/spec/warnings';

describe('alphaWarning', () => {
  it('warns for α > 1 without centring, and names both', () => {
    const w = alphaWarning({ model: { alpha: 10, centered: false } });
    expect(w).toMatch(/^model\.alpha = 10 > 1 with "centered": false is not lazy training: .*set "centered": true/);
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
