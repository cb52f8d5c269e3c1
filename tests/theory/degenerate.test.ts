// Vanishing and exploding variances (issue 10): deep or small-σ_w networks drive the layer
// variances to 1e-300 and below, where s11·s22 underflows. The kernel maps must return their
// exact degenerate limits there, and an overflow must be a clear error naming the layer.

import { describe, it, expect } from 'vitest';
import { THEORY_ACTIVATIONS, theoryActivation, kernelMap, quadratureKernelMap } from '../../src/theory/activations';
import { computeKernels, KernelOverflowError } from '../../src/theory/kernels';
import { analyticKernels } from '../../src/theory/index';
import { checkCovariance, correlation, cholesky2 } from '../../src/theory/bivariate';
import { gaussLegendre, radialGaussRule, MAX_RADIAL_ORDER } from '../../src/theory/gauss';
import { activation as gpuActivation } from '../../src/kernels/activations';

// inputs on the unit circle (x·x/d = 1/2) at angles 0, 2π/3 and π (an antipodal pair)
const X = [
  [1, 0],
  [-0.5, Math.sqrt(3) / 2],
  [-1, 0],
];

/** E[g(v)], v ~ N(0, s), by Gauss–Legendre on [−14σ, 0] and [0, 14σ] (split at relu's kink). */
function gaussianMean(g: (x: number) => number, s: number): number {
  if (s === 0) return g(0);
  const sigma = Math.sqrt(s);
  const rule = gaussLegendre(200);
  let sum = 0;
  for (const [lo, hi] of [
    [-14 * sigma, 0],
    [0, 14 * sigma],
  ]) {
    const half = (hi - lo) / 2;
    for (let i = 0; i < rule.x.length; i++) {
      const x = lo + half * (rule.x[i] + 1);
      sum += half * rule.w[i] * g(x) * Math.exp((-0.5 * x * x) / s);
    }
  }
  return sum / (sigma * Math.sqrt(2 * Math.PI));
}

/** Finite, exactly symmetric and Cauchy–Schwarz (|K_ij| ≤ √(K_ii K_jj)) up to rounding. */
function expectKernel(K: number[][], label: string): void {
  for (let i = 0; i < K.length; i++) {
    for (let j = 0; j < K.length; j++) {
      expect(Number.isFinite(K[i][j]), `${label}[${i}][${j}] = ${K[i][j]}`).toBe(true);
      expect(K[i][j]).toBe(K[j][i]);
      expect(Math.abs(K[i][j]), `${label}[${i}][${j}]`).toBeLessThanOrEqual(Math.sqrt(K[i][i]) * Math.sqrt(K[j][j]) * (1 + 1e-9) + 1e-300);
    }
  }
}

/** Runs a deep spec: finite kernels, or a KernelOverflowError naming a layer of the network. */
function deepKernels(depth: number, weightStd: number, activation: string, x = X): 'finite' | 'overflow' {
  try {
    const { nngp, ntk } = analyticKernels({ depth, weightStd, biasStd: 0, activation }, x);
    expectKernel(nngp, `${activation} nngp`);
    expectKernel(ntk, `${activation} ntk`);
    return 'finite';
  } catch (error) {
    expect(error).toBeInstanceOf(KernelOverflowError);
    expect((error as Error).message).toMatch(new RegExp(`hidden layer \\d+ of ${depth} \\(activation ${activation}`));
    return 'overflow';
  }
}

describe('deep and small-variance networks give finite kernels', () => {
  it('80 hidden layers, weightStd 0.1: every activation of the theory table', () => {
    for (const name of THEORY_ACTIVATIONS) expect(deepKernels(80, 0.1, name), name).toBe('finite');
    // the variance vanishes geometrically: relu halves it and multiplies by σ_w² = 0.01 per layer
    const relu = analyticKernels({ depth: 80, weightStd: 0.1, biasStd: 0, activation: 'relu' }, X);
    expect(relu.nngp[0][0] / (0.5 * 0.005 ** 80) - 1).toBeLessThan(1e-12);
    // relu is positively homogeneous: σ_w only scales the kernel by σ_w^(2L+2), the correlations
    // (at 1e-184, where s11·s22 underflows) are those of σ_w = 1 (at 1e-25)
    const unit = analyticKernels({ depth: 80, weightStd: 1, biasStd: 0, activation: 'relu' }, X);
    for (const [i, j] of [
      [0, 1],
      [0, 2],
    ]) {
      expect(relu.nngp[i][j] / relu.nngp[0][0] - unit.nngp[i][j] / unit.nngp[0][0]).toBeCloseTo(0, 12);
      expect(relu.ntk[i][j] / relu.ntk[0][0] - unit.ntk[i][j] / unit.ntk[0][0]).toBeCloseTo(0, 12);
    }
  });

  it('1000 hidden layers at the default (weightStd 1, biasStd 0): every activation of the theory table', () => {
    // two inputs (three kernel maps per layer) keep the quadrature activations at a few seconds
    for (const name of THEORY_ACTIVATIONS) expect(deepKernels(1000, 1, name, X.slice(0, 2)), name).toBe('finite');
    // relu halves the variance per layer: 2^−1000·(1/2), near the bottom of the normal range
    const relu = analyticKernels({ depth: 1000, weightStd: 1, biasStd: 0, activation: 'relu' }, X);
    expect(relu.nngp[0][0] / (0.5 * 2 ** -1000) - 1).toBeLessThan(1e-12);
    // deep relu correlations converge to 1 (Θ/Θ_diag → 1 more slowly), never past it
    expect(relu.nngp[0][1] / relu.nngp[0][0]).toBeGreaterThan(0.99);
    expect(relu.nngp[0][1] / relu.nngp[0][0]).toBeLessThanOrEqual(1);
  });

  it('variances that underflow to exactly 0 keep the kernel finite (quadratic: s ↦ ¾s² per layer)', () => {
    const { nngp, ntk } = analyticKernels({ depth: 40, weightStd: 1, biasStd: 0, activation: 'quadratic' }, X);
    expect(nngp.flat().every((v) => v === 0)).toBe(true);
    expect(ntk.flat().every((v) => v === 0)).toBe(true);
  });

  it('exploding variances: a clear error naming the layer, the activation and the setting', () => {
    // relu with σ_w = 4: the variance grows ×8 per layer and passes 1.8e308 near layer 341
    let caught: unknown;
    try {
      analyticKernels({ depth: 1000, weightStd: 4, biasStd: 0, activation: 'relu' }, X);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KernelOverflowError);
    const e = caught as KernelOverflowError;
    expect(e.layer).toBeGreaterThan(330);
    expect(e.layer).toBeLessThan(345);
    expect(e.message).toMatch(new RegExp(`overflowed to Infinity at hidden layer ${e.layer} of 1000 \\(activation relu, weightStd 4, biasStd 0\\)`));
    expect(e.message).toMatch(/reduce weightStd, biasStd, depth or the input scale/);
    // quadratic: s ↦ ¾s² from s = 2 overflows within a dozen layers, by quadrature
    expect(() => computeKernels({ depth: 30, weightStd: 1, biasStd: 0, activation: 'quadratic' }, [[2, 2]])).toThrow(/at hidden layer \d+ of 30 \(activation quadratic/);
    // huge variances cap the radial rule where its weight r·e^(−r²/2) is still in range (a larger
    // order made the QL iteration fail): a clear error for an explicit order, a finite map by default
    expect(() => radialGaussRule(MAX_RADIAL_ORDER + 1)).toThrow(/integer in \[1, 320\] for the radial rule/);
    const tanhHuge = kernelMap(theoryActivation('tanh'), 1e8, 0.5e8, 1e8);
    expect(tanhHuge.nngp).toBeGreaterThan(0.3); // → (2/π) asin(ρ) = 1/3 as s → ∞ (tanh → sign)
    expect(tanhHuge.nngp).toBeLessThan(0.34);
    // the input layer itself
    expect(() => analyticKernels({ depth: 1, weightStd: 1, biasStd: 0, activation: 'relu' }, [[1e200, 0]])).toThrow(KernelOverflowError);
  });
});

describe('degenerate covariances have their exact limits', () => {
  it('checkCovariance, correlation and cholesky2 work where s11·s22 underflows or overflows', () => {
    for (const s of [1e-200, 1e-300, 1e200, 1e300]) {
      expect(checkCovariance(s, 0.3 * s, s)).toBe(0.3 * s);
      expect(correlation(s, 0.3 * s, s)).toBeCloseTo(0.3, 15);
      expect(correlation(s, s, s)).toBe(1); // x = x' is exactly ρ = 1
      const [a, b, c] = cholesky2(s, -0.6 * s, 4 * s); // ρ = −0.3
      expect(b / a).toBeCloseTo(-0.6, 14);
      expect((b * b + c * c) / s).toBeCloseTo(4, 13);
      expect(() => checkCovariance(s, 1.1 * s, s)).toThrow(/not positive semidefinite/);
    }
    expect(checkCovariance(0, 0, 1)).toBe(0);
  });

  it('a zero variance (u ≡ 0): E[φ(u)φ(v)] = φ(0)·E[φ(v)], E[φ′(u)φ′(v)] = φ′(0)·E[φ′(v)], closed forms and quadrature', () => {
    for (const name of THEORY_ACTIVATIONS) {
      const act = theoryActivation(name);
      for (const s of [1.3, 0]) {
        const nngp = act.phi(0) * gaussianMean(act.phi, s);
        const dotSigma = act.dphi(0) * gaussianMean(act.dphi, s);
        for (const m of [kernelMap(act, 0, 0, s), kernelMap(act, s, 0, 0), quadratureKernelMap(act, 0, 0, s)]) {
          expect(Math.abs(m.nngp - nngp), `${name} nngp at s = ${s}`).toBeLessThan(1e-12);
          expect(Math.abs(m.dotSigma - dotSigma), `${name} dotSigma at s = ${s}`).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('tiny variances (1e-250, product 1e-500): the small-variance limit of every activation', () => {
    const eps = 1e-250;
    for (const name of THEORY_ACTIVATIONS) {
      const act = theoryActivation(name);
      // φ(u) = φ(0) + φ′(0)u + φ″(0)u²/2 + …: E[φφ] = φ(0)² + ε(ρ φ′(0)² + φ(0)φ″(0)) + O(ε²), E[φ′φ′] = φ′(0)² + O(ε)
      const d2phi0 = gpuActivation(name).d2phi(0);
      for (const rho of [-1, -0.7, 0, 0.3, 1]) {
        const m = kernelMap(act, eps, rho * eps, eps);
        const q = quadratureKernelMap(act, eps, rho * eps, eps);
        if (name === 'relu' || name === 'leaky_relu') {
          // positively homogeneous, kinked at 0: no Taylor limit, but exact scaling E[φ(√ε u)φ(√ε v)] = ε E[φ(u)φ(v)]
          const unit = kernelMap(act, 1, rho, 1);
          for (const k of [m, q]) {
            expect(Math.abs(k.nngp / eps - unit.nngp), `${name} ρ = ${rho}`).toBeLessThan(1e-12);
            expect(Math.abs(k.dotSigma - unit.dotSigma), `${name} ρ = ${rho}`).toBeLessThan(1e-12);
          }
          continue;
        }
        const phi0 = act.phi(0);
        const dphi0 = act.dphi(0);
        for (const k of [m, q]) {
          expect(Math.abs(k.dotSigma - dphi0 * dphi0), `${name} ρ = ${rho}`).toBeLessThan(1e-12);
          if (phi0 !== 0) expect(Math.abs(k.nngp - phi0 * phi0), `${name} ρ = ${rho}`).toBeLessThan(1e-12);
          else expect(Math.abs(k.nngp / eps - (rho * dphi0 * dphi0 + phi0 * d2phi0)), `${name} ρ = ${rho}`).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('one tiny variance (1e-300 against 1): the limit φ(0)·E[φ(v)] for smooth φ, exact scaling for relu', () => {
    const eps = 1e-300;
    for (const name of THEORY_ACTIVATIONS) {
      const act = theoryActivation(name);
      for (const rho of [-0.6, 0.4]) {
        const m = kernelMap(act, eps, rho * Math.sqrt(eps), 1);
        if (name === 'relu' || name === 'leaky_relu') {
          // E[φ(√ε u)φ(v)] = √ε E[φ(u)φ(v)] with Var u = 1
          const unit = kernelMap(act, 1, rho, 1);
          expect(Math.abs(m.nngp / Math.sqrt(eps) - unit.nngp), name).toBeLessThan(1e-12);
          expect(Math.abs(m.dotSigma - unit.dotSigma), name).toBeLessThan(1e-12);
          continue;
        }
        expect(Math.abs(m.nngp - act.phi(0) * gaussianMean(act.phi, 1)), name).toBeLessThan(1e-12);
        expect(Math.abs(m.dotSigma - act.dphi(0) * gaussianMean(act.dphi, 1)), name).toBeLessThan(1e-12);
      }
    }
  });
});
