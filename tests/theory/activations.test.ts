// The activation table: φ, φ' and the kernel maps agree with each other and with their papers.

import { describe, it, expect } from 'vitest';
import { THEORY_ACTIVATIONS, theoryActivation, kernelMap, quadratureKernelMap, abReluKernelMap, LEAKY_RELU_SLOPE } from '../../src/theory/activations';
import { THEORY_ACTIVATIONS as EXPORTED } from '../../src/theory/index';
import { ACTIVATION_NAMES, activation as gpuActivation, LEAKY_SLOPE } from '../../src/kernels/activations';

const GRID: [number, number, number][] = [];
for (const [s11, s22] of [
  [1, 1],
  [0.5, 2],
  [3, 0.7],
  [4, 4],
  [0, 2],
  [1.5, 0],
  [0, 0],
]) {
  for (const rho of [-1, -0.999, -0.5, 0, 0.2, 0.9, 0.9999, 1]) GRID.push([s11, rho * Math.sqrt(s11 * s22), s22]);
}

describe('activation table', () => {
  it('lists exactly the documented names, and index.ts exports the same list', () => {
    expect([...THEORY_ACTIVATIONS]).toEqual(['identity', 'relu', 'leaky_relu', 'tanh', 'erf', 'gelu', 'sigmoid', 'softplus', 'sin', 'cos', 'quadratic']);
    expect(EXPORTED).toBe(THEORY_ACTIVATIONS);
    expect(Object.isFrozen(THEORY_ACTIVATIONS)).toBe(true);
  });

  it('φ has the documented definition at sample points', () => {
    const phi = (name: string) => theoryActivation(name).phi;
    expect(phi('relu')(-2)).toBe(0);
    expect(phi('relu')(1.5)).toBe(1.5);
    expect(phi('leaky_relu')(-2)).toBeCloseTo(-0.02, 15);
    expect(phi('gelu')(1)).toBeCloseTo(0.8413447460685429, 14); // 1·Φ(1)
    expect(phi('gelu')(-1)).toBeCloseTo(-0.15865525393145707, 14);
    expect(phi('sigmoid')(0)).toBe(0.5);
    expect(phi('softplus')(0)).toBeCloseTo(Math.LN2, 15);
    expect(phi('softplus')(800)).toBe(800); // no overflow
    expect(phi('softplus')(-800)).toBe(0);
    expect(phi('quadratic')(3)).toBe(4.5);
    expect(phi('erf')(0.5)).toBeCloseTo(0.5204998778130465, 15);
  });

  it("φ' is the derivative of φ (central differences) for every activation", () => {
    for (const name of THEORY_ACTIVATIONS) {
      const { phi, dphi } = theoryActivation(name);
      for (let x = -3.05; x <= 3; x += 0.1) {
        const h = 1e-5;
        expect(Math.abs((phi(x + h) - phi(x - h)) / (2 * h) - dphi(x))).toBeLessThan(1e-8);
      }
    }
  });

  it("agrees with the GPU kernels' table (src/kernels/activations.ts) on φ and φ' at 0 and on a grid, kinks included", () => {
    const shared = THEORY_ACTIVATIONS.filter((name) => ACTIVATION_NAMES.includes(name));
    expect(shared).toEqual([...THEORY_ACTIVATIONS]); // every theory activation runs on the GPU
    expect(LEAKY_RELU_SLOPE).toBe(LEAKY_SLOPE);
    const grid = [0, -0, 1e-300, -1e-300];
    for (let k = -600; k <= 600; k++) grid.push(k / 100);
    for (const name of shared) {
      const theory = theoryActivation(name);
      const gpu = gpuActivation(name);
      // at 0 exactly: the convention φ'(0) = slope on the negative side (relu 0, leaky_relu 0.01)
      expect(theory.dphi(0), `${name}'(0)`).toBe(gpu.dphi(0));
      expect(theory.phi(0), `${name}(0)`).toBe(gpu.phi(0));
      for (const x of grid) {
        expect(Math.abs(theory.phi(x) - gpu.phi(x)), `${name}(${x})`).toBeLessThanOrEqual(1e-13 * (1 + Math.abs(gpu.phi(x))));
        expect(Math.abs(theory.dphi(x) - gpu.dphi(x)), `${name}'(${x})`).toBeLessThanOrEqual(1e-13 * (1 + Math.abs(gpu.dphi(x))));
      }
    }
    expect(theoryActivation('relu').dphi(0)).toBe(0);
    expect(theoryActivation('leaky_relu').dphi(0)).toBe(LEAKY_RELU_SLOPE);
  });

  it("the kernel map at a zero variance uses the same φ'(0): relu 0, leaky_relu 0.01·E[φ'(v)]", () => {
    // u ≡ 0: E[φ'(0)φ'(v)] = φ'(0)·E[φ'(v)], E[φ'(v)] = (1 + α)/2 for Var v > 0
    expect(kernelMap(theoryActivation('relu'), 0, 0, 2)).toEqual({ nngp: 0, dotSigma: 0 });
    expect(kernelMap(theoryActivation('relu'), 0, 0, 0)).toEqual({ nngp: 0, dotSigma: 0 });
    const a = LEAKY_RELU_SLOPE;
    const leaky = theoryActivation('leaky_relu');
    expect(kernelMap(leaky, 0, 0, 2).dotSigma).toBeCloseTo((a * (1 + a)) / 2, 15);
    expect(kernelMap(leaky, 2, 0, 0).dotSigma).toBeCloseTo((a * (1 + a)) / 2, 15);
    expect(kernelMap(leaky, 0, 0, 0).dotSigma).toBeCloseTo(a * a, 15);
    // and quadrature, which evaluates the table's φ' at u = 0, agrees
    expect(quadratureKernelMap(leaky, 0, 0, 2).dotSigma).toBeCloseTo((a * (1 + a)) / 2, 14);
    expect(quadratureKernelMap(theoryActivation('relu'), 0, 0, 2).dotSigma).toBe(0);
  });

  it('unknown activation names throw, naming the bad name and listing the known ones', () => {
    expect(() => theoryActivation('swish')).toThrow(/"swish"/);
    expect(() => theoryActivation('swish')).toThrow(/identity, relu, leaky_relu, tanh, erf, gelu, sigmoid, softplus, sin, cos, quadratic/);
    expect(() => theoryActivation('ReLU')).toThrow(/unknown activation "ReLU"/);
  });
});

describe('closed forms agree with quadrature to 1e-8 (incl. ρ = ±1 and zero variances)', () => {
  for (const name of ['identity', 'relu', 'leaky_relu', 'erf']) {
    it(name, () => {
      const act = theoryActivation(name);
      expect(act.closedForm).toBeDefined();
      for (const [s11, s12, s22] of GRID) {
        const c = kernelMap(act, s11, s12, s22);
        const q = quadratureKernelMap(act, s11, s12, s22);
        expect(Math.abs(c.nngp - q.nngp)).toBeLessThan(1e-8);
        expect(Math.abs(c.dotSigma - q.dotSigma)).toBeLessThan(1e-8);
      }
    });
  }
});

describe('closed forms: hand values', () => {
  it('relu arc-cosine: E[relu(u)²] = s/2, orthogonal 1/(2π)·√q, antipodal 0; E[step·step] = (π − θ)/(2π)', () => {
    const relu = theoryActivation('relu');
    expect(kernelMap(relu, 3, 3, 3)).toEqual({ nngp: 1.5, dotSigma: 0.5 });
    const orth = kernelMap(relu, 2, 0, 8); // √q = 4, θ = π/2
    expect(orth.nngp).toBeCloseTo(4 / (2 * Math.PI), 15);
    expect(orth.dotSigma).toBeCloseTo(0.25, 15);
    const anti = kernelMap(relu, 2, -2, 2);
    expect(anti.nngp).toBeCloseTo(0, 15);
    expect(anti.dotSigma).toBeCloseTo(0, 15);
    // θ = π/3: E[φφ] = (sin θ + (π − θ) cos θ)/(2π), E[φ'φ'] = 1/3
    const c = kernelMap(relu, 1, 0.5, 1);
    expect(c.nngp).toBeCloseTo((Math.sqrt(3) / 2 + ((2 * Math.PI) / 3) * 0.5) / (2 * Math.PI), 15);
    expect(c.dotSigma).toBeCloseTo(1 / 3, 15);
  });

  it('leaky_relu = relu(u) − α relu(−u): combination of four arc-cosine terms', () => {
    // E[φ(u)φ(v)] = k(s12) + α² k(s12) − α (k(−s12) + k(−s12)), with k the relu map
    const a = LEAKY_RELU_SLOPE;
    // the identity φ' = relu'(u) + α relu'(−u) holds except at u = 0, so only for nonzero
    // variances (at a zero variance φ'(0) is the table's convention, tested below)
    for (const [s11, s12, s22] of GRID.filter(([s11, , s22]) => s11 > 0 && s22 > 0)) {
      const k = abReluKernelMap(0, 1, s11, s12, s22);
      const kMinus = abReluKernelMap(0, 1, s11, -s12, s22);
      const leaky = kernelMap(theoryActivation('leaky_relu'), s11, s12, s22);
      expect(leaky.nngp).toBeCloseTo((1 + a * a) * k.nngp - 2 * a * kMinus.nngp, 14);
      expect(leaky.dotSigma).toBeCloseTo((1 + a * a) * k.dotSigma + 2 * a * kMinus.dotSigma, 14);
    }
  });

  it('erf arcsine: E[erf(u)²] at s = 1/2 is (2/π) asin(1/2) = 1/3; E[erf′²] = 4/(π√(1 + 4s))', () => {
    const erf = theoryActivation('erf');
    const m = kernelMap(erf, 0.5, 0.5, 0.5);
    expect(m.nngp).toBeCloseTo(1 / 3, 15);
    expect(m.dotSigma).toBeCloseTo(4 / (Math.PI * Math.sqrt(3)), 15);
  });

  it("Price's theorem: ∂E[φ(u)φ(v)]/∂s12 = E[φ'(u)φ'(v)] for every activation", () => {
    for (const name of THEORY_ACTIVATIONS) {
      const act = theoryActivation(name);
      for (const [s11, s12, s22] of [
        [1, 0.3, 1],
        [2, -0.9, 0.8],
        [0.5, 0.1, 3],
      ]) {
        const h = 1e-4;
        const d = (kernelMap(act, s11, s12 + h, s22).nngp - kernelMap(act, s11, s12 - h, s22).nngp) / (2 * h);
        expect(Math.abs(d - kernelMap(act, s11, s12, s22).dotSigma)).toBeLessThan(1e-6);
      }
    }
  });
});
