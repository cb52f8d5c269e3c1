// The numerical building blocks of src/theory: Gauss rules, erf, and the polar quadrature of
// bivariate normal expectations, each against an independent exact value.

import { describe, it, expect } from 'vitest';
import { gaussLegendre, radialGaussRule, tridiagonalEigen } from '../../src/theory/gauss';
import { erf, erfSeries, erfc, normalCdf } from '../../src/theory/special';
import { checkCovariance, cholesky2, gaussianKernelMap, defaultQuadratureCounts } from '../../src/theory/bivariate';
import { theoryActivation, quadratureKernelMap, THEORY_ACTIVATIONS } from '../../src/theory/activations';

/** Γ(k/2 + 1) for integer k ≥ 0: Γ(n + 1) = n!, Γ(n + 3/2) = (2n+1)!!/2^(n+1) · √π. */
function gammaHalfPlusOne(k: number): number {
  let g = k % 2 === 0 ? 1 : Math.sqrt(Math.PI) / 2;
  for (let x = k % 2 === 0 ? 1 : 1.5; x <= k / 2; x++) g *= x;
  return g;
}

describe('Gauss rules', () => {
  it('tridiagonalEigen diagonalises a known matrix', () => {
    // tridiag(−1, 2, −1) of size n has eigenvalues 2 − 2 cos(jπ/(n+1)), j = 1..n
    const n = 9;
    const { values } = tridiagonalEigen(new Float64Array(n).fill(2), new Float64Array(n - 1).fill(-1));
    const got = Array.from(values).sort((a, b) => a - b);
    got.forEach((v, j) => expect(v).toBeCloseTo(2 - 2 * Math.cos(((j + 1) * Math.PI) / (n + 1)), 13));
  });

  it('Gauss–Legendre with n nodes integrates x^k on [−1, 1] exactly for k ≤ 2n − 1, not for k = 2n', () => {
    const n = 12;
    const { x, w } = gaussLegendre(n);
    const q = (k: number) => x.reduce((s, xi, i) => s + w[i] * xi ** k, 0);
    for (let k = 0; k < 2 * n; k++) expect(q(k)).toBeCloseTo(k % 2 === 0 ? 2 / (k + 1) : 0, 14);
    expect(Math.abs(q(2 * n) - 2 / (2 * n + 1))).toBeGreaterThan(1e-10);
  });

  it('the radial rule integrates r^k · r e^(−r²/2) on [0, ∞) exactly for k ≤ 2n − 1 (= 2^(k/2) Γ(k/2 + 1))', () => {
    for (const n of [24, 48]) {
      const { x, w } = radialGaussRule(n);
      expect(x[0]).toBeGreaterThan(0);
      for (let k = 0; k < 2 * n; k++) {
        const exact = 2 ** (k / 2) * gammaHalfPlusOne(k);
        const got = x.reduce((s, r, i) => s + w[i] * r ** k, 0);
        expect(Math.abs(got / exact - 1)).toBeLessThan(1e-12);
      }
    }
  });
});

describe('erf', () => {
  it('the fast erf matches its series to 1e-14 and has the known values', () => {
    for (let i = 0; i <= 14000; i++) {
      const x = -7 + i * 0.001;
      expect(Math.abs(erf(x) - erfSeries(x))).toBeLessThan(1e-14);
    }
    expect(erf(0)).toBe(0);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14); // A&S table 7.1
    expect(erf(-0.5)).toBeCloseTo(-0.5204998778130465, 14);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
  });

  it('erfc keeps relative accuracy in the tail', () => {
    expect(erfc(5) / 1.5374597944280349e-12 - 1).toBeLessThan(1e-12);
    expect(Math.abs(erfc(3) - (1 - erfSeries(3))) / erfc(3)).toBeLessThan(1e-10);
  });
});

describe('covariance handling', () => {
  it('accepts PSD covariances, clamps ulp overshoot of |s12|, rejects the rest with a clear message', () => {
    expect(checkCovariance(1, 0.5, 2)).toBe(0.5);
    expect(checkCovariance(2, 2 * (1 + 1e-15), 2)).toBe(2);
    expect(() => checkCovariance(1, 2, 1)).toThrow(/not positive semidefinite/);
    expect(() => checkCovariance(-1, 0, 1)).toThrow(/negative variance/);
    expect(() => checkCovariance(1, NaN, 1)).toThrow(/non-finite/);
  });

  it('Cholesky of degenerate covariances: zero variance and correlation ±1', () => {
    expect(cholesky2(0, 0, 4)).toEqual([0, 0, 2]);
    const [a, b, c] = cholesky2(4, -6, 9); // ρ = −1
    expect([a, b, c]).toEqual([2, -3, 0]);
    const [p, q, r] = cholesky2(2, 0.6, 1.5);
    expect(p * p).toBeCloseTo(2, 14);
    expect(p * q).toBeCloseTo(0.6, 14);
    expect(q * q + r * r).toBeCloseTo(1.5, 14);
  });
});

// Closed forms that the library does not use (it integrates these activations numerically):
//   E[sin u sin v] = e^(−(s11+s22)/2) sinh(s12),  E[cos u cos v] = e^(−(s11+s22)/2) cosh(s12)
//   E[(u²/2)(v²/2)] = (s11 s22 + 2 s12²)/4 (Isserlis),  E[uv] = s12
//   gelu: neural-tangents' Gelu kernel_fn (arXiv:2002.08517)
function referenceKernelMap(name: string, s11: number, s12: number, s22: number): { nngp: number; dotSigma: number } {
  const damp = Math.exp(-(s11 + s22) / 2);
  switch (name) {
    case 'sin':
      return { nngp: damp * Math.sinh(s12), dotSigma: damp * Math.cosh(s12) };
    case 'cos':
      return { nngp: damp * Math.cosh(s12), dotSigma: damp * Math.sinh(s12) };
    case 'quadratic':
      return { nngp: (s11 * s22 + 2 * s12 * s12) / 4, dotSigma: s12 };
    case 'gelu': {
      const prod = s11 * s22;
      const prod1 = (s11 + 1) * (s22 + 1);
      const delta2 = prod1 - s12 * s12;
      const delta = Math.sqrt(delta2);
      const angle = Math.atan2(s12, delta);
      const nngp = ((s12 * s12 + prod * delta2) / (prod1 * delta) + s12 * angle) / (2 * Math.PI) + 0.25 * s12;
      const dotSigma = ((1 / delta2 + (1 - prod) / prod1 + 1) * s12) / delta / (2 * Math.PI) + 0.25 + angle / (2 * Math.PI);
      return { nngp, dotSigma };
    }
    default:
      throw new Error(name);
  }
}

const COVARIANCES: [number, number, number][] = [];
for (const [s11, s22] of [
  [1, 1],
  [0.3, 2],
  [4, 1.2],
  [9, 9],
  [0, 1.5],
  [0, 0],
]) {
  for (const rho of [-1, -0.97, -0.4, 0, 0.6, 0.999, 1]) COVARIANCES.push([s11, rho * Math.sqrt(s11 * s22), s22]);
}

describe('polar Gauss quadrature of E[φ(u)φ(v)] and E[φ\'(u)φ\'(v)]', () => {
  for (const name of ['sin', 'cos', 'quadratic', 'gelu']) {
    it(`${name}: matches the independent closed form to 1e-9 (incl. ρ = ±1 and zero variances)`, () => {
      const act = theoryActivation(name);
      for (const [s11, s12, s22] of COVARIANCES) {
        const q = quadratureKernelMap(act, s11, s12, s22);
        const r = referenceKernelMap(name, s11, s12, s22);
        expect(Math.abs(q.nngp - r.nngp)).toBeLessThan(1e-9);
        expect(Math.abs(q.dotSigma - r.dotSigma)).toBeLessThan(1e-9);
      }
    });
  }

  it('default node counts reach 1e-9 against a 256×256-node rule for tanh, sigmoid, softplus up to σ = 5', () => {
    for (const name of ['tanh', 'sigmoid', 'softplus']) {
      const act = theoryActivation(name);
      for (const sigma of [0.5, 1.5, 3, 5]) {
        for (const rho of [-1, -0.6, 0.3, 0.99]) {
          const s11 = sigma * sigma;
          const s22 = 0.4 * s11;
          const s12 = rho * Math.sqrt(s11 * s22);
          const q = quadratureKernelMap(act, s11, s12, s22);
          const r = quadratureKernelMap(act, s11, s12, s22, { perArc: 256, radial: 256 });
          expect(Math.abs(q.nngp - r.nngp)).toBeLessThan(1e-9);
          expect(Math.abs(q.dotSigma - r.dotSigma)).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('node counts grow with σ and the quadrature converges as they grow', () => {
    expect(defaultQuadratureCounts(1).perArc).toBeLessThan(defaultQuadratureCounts(4).perArc);
    const act = theoryActivation('sin');
    const err = (perArc: number, radial: number) => Math.abs(quadratureKernelMap(act, 9, 5, 4, { perArc, radial }).nngp - referenceKernelMap('sin', 9, 5, 4).nngp);
    expect(err(8, 8)).toBeGreaterThan(1e-6); // too coarse: shows the check has teeth
    expect(err(48, 48)).toBeLessThan(1e-12);
  });

  it('parity flags are true: φ(−x) = ±φ(x) where the table says odd/even (the half-circle rule relies on it)', () => {
    for (const name of THEORY_ACTIVATIONS) {
      const act = theoryActivation(name);
      if (!act.parity) continue;
      const sign = act.parity === 'odd' ? -1 : 1;
      for (let x = -4; x <= 4; x += 0.37) expect(act.phi(-x)).toBeCloseTo(sign * act.phi(x), 14);
      // and it changes nothing: half circle = full circle
      const half = quadratureKernelMap(act, 1.3, -0.4, 0.8);
      const full = gaussianKernelMap(act.phi, act.dphi, 1.3, -0.4, 0.8, {}, null);
      expect(half.nngp).toBeCloseTo(full.nngp, 13);
      expect(half.dotSigma).toBeCloseTo(full.dotSigma, 13);
    }
  });
});
