// The closed-form population risks of theory/quadratic-risk.ts against explicit float64
// computations (CPU only): Monte Carlo on the sphere, least squares on the models' explicit
// Jacobian features, and a direct float64 minimisation over rank-N matrices.
// Monte Carlo tolerances: 5 standard errors of the sample mean (estimated from the samples) plus,
// for fitted models, the least-squares excess risk ≈ R·p/(n − p) (p features, n fitting points).
import { describe, it, expect } from 'vitest';
import { EigenvalueDecomposition, Matrix, pseudoInverse } from 'ml-matrix';
import { Rng, generateInputs, makeTarget, quadraticTargetMatrices } from '../../src/data';
import { bestRankQuadraticRisk, linearizedQuadraticRisk, quadraticFormRisk, randomFeaturesQuadraticRisk } from '../../src/theory';

const dot = (u: readonly number[], v: readonly number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
const form = (A: number[][], x: number[]) => dot(x, A.map((row) => dot(row, x)));

/** Mean of ½(f − y)² over fresh sphere points, with its standard error. */
function monteCarloRisk(f: (x: number[]) => number, y: (x: number[]) => number, d: number, radius: number, n: number, seed: number): { mean: number; se: number } {
  const xs = generateInputs('sphere', n, d, seed, 0, radius);
  const losses = xs.map((x) => 0.5 * (f(x) - y(x)) ** 2);
  const mean = losses.reduce((s, v) => s + v, 0) / n;
  const variance = losses.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

/** Least squares of y on the features, fitted on nFit sphere points; returns the fitted predictor. */
function leastSquares(features: (x: number[]) => number[], y: (x: number[]) => number, d: number, radius: number, nFit: number, seed: number): (x: number[]) => number {
  const xs = generateInputs('sphere', nFit, d, seed, 0, radius);
  const F = new Matrix(xs.map(features));
  const c = pseudoInverse(F).mmul(Matrix.columnVector(xs.map(y))).to1DArray();
  return (x) => dot(features(x), c);
}

describe('quadratic-form population risks on the sphere', () => {
  const d = 8;
  const radius = Math.sqrt(d);
  const B = quadraticTargetMatrices(d, 1, 3)[0];
  const target = makeTarget({ kind: 'quadratic' }, d, 1, 3);
  const y = (x: number[]) => target(x)[0];
  const rng = new Rng(11);
  const m = 3;
  const W = Array.from({ length: m }, () => rng.normals(d));
  const a = rng.normals(m);

  it('the target matrices are the target: xᵀBx = y(x)', () => {
    for (const x of generateInputs('sphere', 20, d, 5, 0, radius)) expect(form(B, x)).toBeCloseTo(y(x), 12);
    // two outputs: one matrix each, in makeTarget's order
    const Bs = quadraticTargetMatrices(d, 2, 9);
    const two = makeTarget({ kind: 'quadratic' }, d, 2, 9);
    for (const x of generateInputs('sphere', 5, d, 6, 0, radius)) two(x).forEach((v, k) => expect(form(Bs[k], x)).toBeCloseTo(v, 12));
    expect(Math.abs(form(Bs[0], [1, ...new Array(d - 1).fill(0)]) - form(Bs[1], [1, ...new Array(d - 1).fill(0)]))).toBeGreaterThan(1e-6);
  });

  it('½E[(xᵀMx)²] matches Monte Carlo for a matrix with a trace, and at radius 2', () => {
    const M = Array.from({ length: d }, (_, i) => rng.normals(d).map((v, j) => v + (i === j ? 0.5 : 0)));
    for (const R of [radius, 2]) {
      const mc = monteCarloRisk((x) => form(M, x), () => 0, d, R, 10000, 7);
      expect(Math.abs(mc.mean - quadraticFormRisk(M, R))).toBeLessThan(5 * mc.se);
    }
  });

  it('NT: the linearised network from W reaches exactly the projection risk (least squares on its Jacobian)', () => {
    const nt = linearizedQuadraticRisk(W, B, radius);
    // rank 3 < d: the part (I − P)B(I − P) is out of reach, so the risk is far from 0 and from the zero predictor's
    const zero = quadraticFormRisk(B, radius);
    expect(nt.risk).toBeGreaterThan(0.2 * zero);
    expect(nt.risk).toBeLessThan(zero);
    // f_lin features: ∂f/∂a_i ∝ (w_i·x)², ∂f/∂W_ij ∝ a_i (w_i·x) x_j
    const features = (x: number[]) => [...W.map((w) => dot(w, x) ** 2), ...W.flatMap((w, i) => x.map((xj) => a[i] * dot(w, x) * xj))];
    const p = m + m * d;
    const nFit = 2500;
    const fit = leastSquares(features, y, d, radius, nFit, 21);
    const mc = monteCarloRisk(fit, y, d, radius, 10000, 22);
    expect(Math.abs(mc.mean - nt.risk)).toBeLessThan(5 * mc.se + (nt.risk * p) / (nFit - p));
    // the optimal matrix is what its risk says, and lies in S_NT: (I − P)A(I − P) = 0 is checked through the risk of the fit
    const direct = monteCarloRisk((x) => form(nt.matrix, x), y, d, radius, 10000, 23);
    expect(Math.abs(direct.mean - nt.risk)).toBeLessThan(5 * direct.se);
    // with d neurons or more the NT model represents every quadratic form
    expect(linearizedQuadraticRisk(Array.from({ length: d + 2 }, () => rng.normals(d)), B, radius).risk).toBeLessThan(1e-12);
  });

  it('RF: frozen W, trained readout, reaches the Q-projection onto span{w_i w_iᵀ}', () => {
    const rf = randomFeaturesQuadraticRisk(W, B, radius);
    const nt = linearizedQuadraticRisk(W, B, radius);
    expect(rf.risk).toBeGreaterThan(nt.risk); // RF ⊂ NT
    const fit = leastSquares((x) => W.map((w) => dot(w, x) ** 2), y, d, radius, 2000, 31);
    const mc = monteCarloRisk(fit, y, d, radius, 10000, 32);
    expect(Math.abs(mc.mean - rf.risk)).toBeLessThan(5 * mc.se + (rf.risk * m) / (2000 - m));
  });

  it('NN: the best rank-N risk is attained, rank N, and no float64 descent over rank-N matrices beats it', () => {
    const dd = 6;
    const Bg = (() => {
      const r = new Rng(5);
      const G = Array.from({ length: dd }, () => r.normals(dd));
      return G.map((row, i) => row.map((_, j) => (G[i][j] + G[j][i]) / 2));
    })();
    const R = Math.sqrt(dd);
    for (const N of [1, 2, 4]) {
      const best = bestRankQuadraticRisk(Bg, N, R);
      const { realEigenvalues } = new EigenvalueDecomposition(new Matrix(best.matrix), { assumeSymmetric: true });
      expect(realEigenvalues.filter((v) => Math.abs(v) > 1e-9).length).toBeLessThanOrEqual(N);
      expect(best.risk).toBeCloseTo(quadraticFormRisk(Bg.map((row, i) => row.map((v, j) => v - best.matrix[i][j])), R), 12);
      // gradient descent on A = Σ_i c_i u_i u_iᵀ from random starts, on the exact objective Q(A − B)
      const r = new Rng(100 + N);
      let lowest = Infinity;
      for (let start = 0; start < 4; start++) {
        const u = Array.from({ length: N }, () => r.normals(dd).map((v) => v * 0.5));
        const c = r.normals(N);
        const lr = 3e-3;
        for (let it = 0; it < 4000; it++) {
          const A = Array.from({ length: dd }, (_, i) => Array.from({ length: dd }, (_, j) => u.reduce((s, ui, n) => s + c[n] * ui[i] * ui[j], 0)));
          const M = A.map((row, i) => row.map((v, j) => v - Bg[i][j]));
          const tr = M.reduce((s, row, i) => s + row[i], 0);
          const G = M.map((row, i) => row.map((v, j) => 4 * v + (i === j ? 2 * tr : 0)));
          u.forEach((ui, n) => {
            const Gu = G.map((row) => dot(row, ui));
            const gc = dot(ui, Gu);
            ui.forEach((_, i) => (ui[i] -= lr * 2 * c[n] * Gu[i]));
            c[n] -= lr * gc;
          });
        }
        const A = Array.from({ length: dd }, (_, i) => Array.from({ length: dd }, (_, j) => u.reduce((s, ui, n) => s + c[n] * ui[i] * ui[j], 0)));
        lowest = Math.min(lowest, quadraticFormRisk(Bg.map((row, i) => row.map((v, j) => v - A[i][j])), R));
      }
      expect(lowest).toBeGreaterThanOrEqual(best.risk * (1 - 1e-9));
      expect(lowest).toBeLessThan(best.risk * (1 + 1e-3));
    }
    expect(bestRankQuadraticRisk(Bg, dd, R).risk).toBe(0);
  });

  it('NN on the quadratic target: one neuron already gets most of it (B has one large eigenvalue)', () => {
    const best = bestRankQuadraticRisk(B, 1, radius);
    const mc = monteCarloRisk((x) => form(best.matrix, x), y, d, radius, 10000, 41);
    expect(Math.abs(mc.mean - best.risk)).toBeLessThan(5 * mc.se);
    expect(best.risk).toBeLessThan(linearizedQuadraticRisk(W.slice(0, 1), B, radius).risk);
  });

  it('refuses bad input with a message', () => {
    expect(() => quadraticFormRisk(B, -1)).toThrow(/radius/);
    expect(() => bestRankQuadraticRisk(B, 0, radius)).toThrow(/N ≥ 1/);
    expect(() => linearizedQuadraticRisk([[1, 2]], B, radius)).toThrow(/8×8/);
  });
});

