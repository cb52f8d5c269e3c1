// The NNGP/NTK recursion of analyticKernels against values derived by hand.
//
// Convention (neural-tangents, NTK parameterization): K0 = σ_w² x·x'/d + σ_b² = Σ_0 = Θ_0;
// Σ_l = σ_w² E[φ(u)φ(v)] + σ_b², Θ_l = Σ_l + σ_w² E[φ'(u)φ'(v)] Θ_{l−1}; output = layer L.

import { describe, it, expect } from 'vitest';
import { analyticKernels, THEORY_ACTIVATIONS, type KernelSpecTheory } from '../../src/theory/index';
import { computeKernels } from '../../src/theory/kernels';

const spec = (activation: string, depth: number, weightStd = 1, biasStd = 0): KernelSpecTheory => ({ depth, weightStd, biasStd, activation });

// d = 4, |x|² = d for all three, so K0 = σ_w² · (1, 0, −1) across (x, x⊥, −x).
const x = [1, 1, 1, 1];
const xPerp = [1, -1, 1, -1];
const xNeg = [-1, -1, -1, -1];

/** relu arc-cosine maps (Cho & Saul 2009), written out for the hand derivations. */
const reluMap = (s11: number, s12: number, s22: number) => {
  const q = Math.sqrt(s11 * s22);
  const theta = Math.acos(Math.max(-1, Math.min(1, s12 / q)));
  return { nngp: (q * (Math.sin(theta) + (Math.PI - theta) * Math.cos(theta))) / (2 * Math.PI), dotSigma: (Math.PI - theta) / (2 * Math.PI) };
};

describe('analyticKernels: hand-derived values', () => {
  it('relu, one hidden layer, σ_w = 1, σ_b = 0', () => {
    const { nngp, ntk } = analyticKernels(spec('relu', 1), [x, xPerp, xNeg]);
    // Σ_1(x, x) = E[relu(u)²], u ~ N(0, 1) = 1/2;  Θ_1 = 1/2 + E[step²]·K0 = 1/2 + 1/2·1 = 1
    expect(nngp[0][0]).toBeCloseTo(0.5, 15);
    expect(ntk[0][0]).toBeCloseTo(1, 15);
    // orthogonal: θ = π/2, Σ_1 = 1/(2π), Θ_1 = 1/(2π) + 1/4·0
    expect(nngp[0][1]).toBeCloseTo(1 / (2 * Math.PI), 15);
    expect(ntk[0][1]).toBeCloseTo(1 / (2 * Math.PI), 15);
    // antipodal: θ = π, relu(u)relu(−u) = 0 and step(u)step(−u) = 0, so Θ(x, −x) = 0
    expect(nngp[0][2]).toBe(0);
    expect(ntk[0][2]).toBe(0);
  });

  it('relu, two hidden layers, σ_w = 1, σ_b = 0', () => {
    const { nngp, ntk } = analyticKernels(spec('relu', 2), [x, xPerp, xNeg]);
    // diagonal: Σ_2 = Σ_1/2 = 1/4;  Θ_2 = 1/4 + 1/2·Θ_1 = 1/4 + 1/2 = 3/4
    expect(nngp[0][0]).toBeCloseTo(0.25, 15);
    expect(ntk[0][0]).toBeCloseTo(0.75, 15);
    // antipodal: Σ_1 = 0 against diagonals 1/2, so θ = π/2: Σ_2 = (1/2)/(2π) = 1/(4π); Θ_2 = Σ_2 + 1/4·0
    expect(nngp[0][2]).toBeCloseTo(1 / (4 * Math.PI), 15);
    expect(ntk[0][2]).toBeCloseTo(1 / (4 * Math.PI), 15);
    // orthogonal: Σ_1 = Θ_1 = 1/(2π) against diagonals 1/2
    const m = reluMap(0.5, 1 / (2 * Math.PI), 0.5);
    expect(nngp[0][1]).toBeCloseTo(m.nngp, 14);
    expect(ntk[0][1]).toBeCloseTo(m.nngp + m.dotSigma / (2 * Math.PI), 14);
  });

  it('relu with bias, σ_w = 1, σ_b = 1: K0 = 2, Σ_1 = 2/2 + 1 = 2, Θ_1 = 2 + 1/2·2 = 3', () => {
    const { nngp, ntk } = analyticKernels(spec('relu', 1, 1, 1), [x]);
    expect(nngp[0][0]).toBeCloseTo(2, 15);
    expect(ntk[0][0]).toBeCloseTo(3, 15);
  });

  it('σ_w scales every Dense: relu, σ_w = 2, one layer: K0 = 4, Σ_1 = 4·2 = 8, Θ_1 = 8 + 4·(1/2)·4 = 16', () => {
    const { nngp, ntk } = analyticKernels(spec('relu', 1, 2, 0), [x]);
    expect(nngp[0][0]).toBeCloseTo(8, 14);
    expect(ntk[0][0]).toBeCloseTo(16, 14);
  });

  it('erf, one hidden layer: Σ_1 = (2/π) asin(2/3), Θ_1 = Σ_1 + 4/(π√5)', () => {
    const { nngp, ntk } = analyticKernels(spec('erf', 1), [x]);
    expect(nngp[0][0]).toBeCloseTo((2 / Math.PI) * Math.asin(2 / 3), 15);
    expect(ntk[0][0]).toBeCloseTo((2 / Math.PI) * Math.asin(2 / 3) + 4 / (Math.PI * Math.sqrt(5)), 15);
  });

  it('identity: the deep linear network, Θ = Σ over layers of (weight + bias) gradient contributions', () => {
    // Σ_j = σ_w^(2(j+1)) c + σ_b² Σ_{i=0..j} σ_w^(2i) with c = x·x'/d (kernel of layer j+1's
    // pre-activation). Layer l's weights contribute σ_w²·(kernel of its input) and its bias σ_b²,
    // both times σ_w² per downstream layer: Θ = Σ_{j=0..L} σ_w^(2(L−j)) Σ_j.
    const wStd = 0.8;
    const bStd = 0.5;
    const depth = 3;
    const X = [
      [0.3, -1.2, 0.7],
      [1.1, 0.4, -0.2],
      [-0.5, 0.9, 2.0],
    ];
    const { nngp, ntk } = analyticKernels(spec('identity', depth, wStd, bStd), X);
    const w2 = wStd ** 2;
    const b2 = bStd ** 2;
    for (let i = 0; i < X.length; i++) {
      for (let j = 0; j < X.length; j++) {
        const c = X[i].reduce((s, v, k) => s + v * X[j][k], 0) / 3;
        const sigma = (l: number) => w2 ** (l + 1) * c + b2 * Array.from({ length: l + 1 }, (_, k) => w2 ** k).reduce((s, v) => s + v, 0);
        let theta = 0;
        for (let l = 0; l <= depth; l++) theta += w2 ** (depth - l) * sigma(l);
        expect(nngp[i][j]).toBeCloseTo(sigma(depth), 13);
        expect(ntk[i][j]).toBeCloseTo(theta, 13);
      }
    }
  });
});

describe('analyticKernels: structure', () => {
  const X = [
    [0.2, -0.4, 1.0],
    [1.3, 0.1, 0.0],
    [-0.7, -0.7, 0.3],
    [0.0, 0.5, -1.5],
  ];
  const Y = [
    [0.9, 0.9, -0.1],
    [0.2, -0.4, 1.0],
  ];

  it('the input kernel is x·x\'/d: duplicating every coordinate (d → 2d) changes nothing', () => {
    const s = spec('tanh', 2, 1.4, 0.3);
    const a = analyticKernels(s, X);
    const b = analyticKernels(s, X.map((r) => [...r, ...r]));
    for (let i = 0; i < X.length; i++) {
      for (let j = 0; j < X.length; j++) {
        expect(b.nngp[i][j]).toBeCloseTo(a.nngp[i][j], 13);
        expect(b.ntk[i][j]).toBeCloseTo(a.ntk[i][j], 13);
      }
    }
  });

  it('X2 omitted gives an exactly symmetric matrix equal to passing X2 = X1; a cross block matches the joint matrix', () => {
    for (const activation of ['relu', 'sigmoid']) {
      const s = spec(activation, 3, 1.2, 0.2);
      const sym = analyticKernels(s, X);
      const cross = analyticKernels(s, X, X);
      const joint = analyticKernels(s, [...X, ...Y]);
      const block = analyticKernels(s, X, Y);
      expect(block.nngp.length).toBe(4);
      expect(block.nngp[0].length).toBe(2);
      for (let i = 0; i < X.length; i++) {
        for (let j = 0; j < X.length; j++) {
          expect(sym.nngp[i][j]).toBe(sym.nngp[j][i]);
          expect(sym.ntk[i][j]).toBe(sym.ntk[j][i]);
          expect(cross.nngp[i][j]).toBe(sym.nngp[i][j]);
          expect(cross.ntk[i][j]).toBe(sym.ntk[i][j]);
        }
        for (let j = 0; j < Y.length; j++) {
          expect(block.nngp[i][j]).toBe(joint.nngp[i][X.length + j]);
          expect(block.ntk[i][j]).toBe(joint.ntk[i][X.length + j]);
        }
      }
      // Y[1] = X[0]: the same input gives the same kernel entries, wherever it sits
      expect(block.nngp[0][1]).toBe(sym.nngp[0][0]);
    }
  });

  it('closed forms and quadrature give the same deep kernels to 1e-8 (relu, leaky_relu, erf; depth 3; x = 0 with σ_b = 0 is a zero variance)', () => {
    for (const [activation, biasStd] of [['relu', 0.1], ['leaky_relu', 0.1], ['erf', 0.1], ['relu', 0], ['leaky_relu', 0]] as const) {
      const s = spec(activation, 3, 1.5, biasStd);
      const closed = computeKernels(s, [...X, [0, 0, 0]]);
      const quad = computeKernels(s, [...X, [0, 0, 0]], undefined, { forceQuadrature: true });
      for (let i = 0; i <= X.length; i++) {
        for (let j = 0; j <= X.length; j++) {
          expect(Math.abs(closed.nngp[i][j] - quad.nngp[i][j])).toBeLessThan(1e-8);
          expect(Math.abs(closed.ntk[i][j] - quad.ntk[i][j])).toBeLessThan(1e-8);
        }
      }
    }
  });

  it('every activation gives finite, positive semidefinite NNGP and NTK Gram matrices with Θ(x, x) ≥ Σ(x, x)', () => {
    // PSD check: Cholesky of K + ε·tr(K)·I succeeds
    const isPsd = (K: number[][]) => {
      const n = K.length;
      const eps = 1e-10 * K.reduce((s, r, i) => s + r[i], 0);
      const L = K.map(() => new Array<number>(n).fill(0));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let s = K[i][j] + (i === j ? eps : 0);
          for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
          if (i === j) {
            if (!(s > 0)) return false;
            L[i][i] = Math.sqrt(s);
          } else L[i][j] = s / L[j][j];
        }
      }
      return true;
    };
    const P = [...X, ...Y.slice(0, 1), [1, 0, 0], [-1, 0, 0]];
    for (const activation of THEORY_ACTIVATIONS) {
      const { nngp, ntk } = analyticKernels(spec(activation, 2, 1.3, 0.2), P);
      for (const K of [nngp, ntk]) {
        expect(K.flat().every(Number.isFinite)).toBe(true);
        expect(isPsd(K)).toBe(true);
      }
      P.forEach((_, i) => expect(ntk[i][i]).toBeGreaterThanOrEqual(nngp[i][i]));
    }
    // and the PSD check itself can fail
    expect(isPsd([
      [1, 2],
      [2, 1],
    ])).toBe(false);
  });

  it('empty input sets give empty matrices', () => {
    expect(analyticKernels(spec('relu', 1), [])).toEqual({ nngp: [], ntk: [] });
    expect(analyticKernels(spec('relu', 1), [[1, 2]], [])).toEqual({ nngp: [[]], ntk: [[]] });
  });
});

describe('analyticKernels: errors', () => {
  const X = [
    [1, 2],
    [3, 4],
  ];
  it('refuses non-finite inputs, naming the entry', () => {
    expect(() => analyticKernels(spec('relu', 1), [[1, NaN]])).toThrow(/X1\[0\]\[1\] = NaN is not a finite number/);
    expect(() => analyticKernels(spec('relu', 1), X, [[Infinity, 0]])).toThrow(/X2\[0\]\[0\] = Infinity is not a finite number/);
    expect(() => analyticKernels(spec('relu', 1), [[1, '2' as unknown as number]])).toThrow(/not a finite number/);
  });

  it('refuses ragged rows, mismatched dimensions and empty rows', () => {
    expect(() => analyticKernels(spec('relu', 1), [[1, 2], [3]])).toThrow(/X1\[1\] has length 1, expected the input dimension 2/);
    expect(() => analyticKernels(spec('relu', 1), X, [[1, 2, 3]])).toThrow(/X2\[0\] has length 3/);
    expect(() => analyticKernels(spec('relu', 1), [[]])).toThrow(/empty/);
  });

  it('refuses a bad spec', () => {
    expect(() => analyticKernels(spec('relu', 0), X)).toThrow(/depth must be an integer ≥ 1/);
    expect(() => analyticKernels(spec('relu', 1.5), X)).toThrow(/depth/);
    expect(() => analyticKernels(spec('relu', 1, -1), X)).toThrow(/weightStd/);
    expect(() => analyticKernels(spec('relu', 1, 1, NaN), X)).toThrow(/biasStd/);
  });

  it('an unknown activation names itself and the known ones', () => {
    expect(() => analyticKernels(spec('swish', 1), X)).toThrow(/unknown activation "swish".*known activations: identity, relu, leaky_relu, tanh, erf, gelu, sigmoid, softplus, sin, cos, quadratic/);
  });

  it('overflow is reported, not returned as Infinity', () => {
    expect(() => analyticKernels(spec('identity', 3, 1e80, 0), X)).toThrow(/overflowed/);
  });
});
