import { describe, expect, it } from 'vitest';
import { Matrix, inverse, pseudoInverse } from 'ml-matrix';
import { KernelRegression } from '../../src/dynamics/kernel-regression';
import { analyticKernels } from '../../src/theory';

// a real NTK: infinite-width ReLU kernel on circle points, plus test points between them
const angle = (i: number, n: number) => (2 * Math.PI * i) / n;
const X = Array.from({ length: 6 }, (_, i) => [Math.cos(angle(i, 6)), Math.sin(angle(i, 6))]);
const T = Array.from({ length: 4 }, (_, i) => [Math.cos(angle(i + 0.5, 4)), Math.sin(angle(i + 0.5, 4))]);
const spec = { depth: 2, weightStd: 1.3, biasStd: 0.2, activation: 'relu' };
const kernel = analyticKernels(spec, X).ntk;
const testKernel = analyticKernels(spec, T, X).ntk;
const y = X.map(([a, b]) => [Math.sin(3 * Math.atan2(b, a)), a * b]); // k = 2
const f0 = X.map((_, i) => [0.1 * Math.cos(i), -0.2 * Math.sin(i)]);
const testF0 = T.map((_, i) => [0.05 * i, -0.05]);

/**
 * explicit float64 GD on the linearised model's outputs: f ← f − (η/(nk))·Θ(f − y) − ηλ·(f − f₀)
 * (weight decay λ towards θ₀ in the per-group metric, trainer.ts; the same on test points)
 */
function iterate(lr: number, steps: number, decay = 0) {
  const n = X.length;
  const k = 2;
  let f = f0.map((r) => [...r]);
  let ft = testF0.map((r) => [...r]);
  for (let s = 0; s < steps; s++) {
    const r = f.map((row, i) => row.map((v, a) => v - y[i][a]));
    f = f.map((row, i) => row.map((v, a) => v - (lr / (n * k)) * kernel[i].reduce((acc, kij, j) => acc + kij * r[j][a], 0) - lr * decay * (v - f0[i][a])));
    ft = ft.map((row, i) => row.map((v, a) => v - (lr / (n * k)) * testKernel[i].reduce((acc, kij, j) => acc + kij * r[j][a], 0) - lr * decay * (v - testF0[i][a])));
  }
  return { f, ft };
}

const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

describe('closed-form kernel regression', () => {
  const kr = new KernelRegression({ kernel, y, f0, testKernel, testF0, lr: 0.7 });

  it('discrete GD: the eigen formula equals explicit iteration on train and test points', () => {
    for (const steps of [0, 1, 7, 200]) {
      const { f, ft } = iterate(0.7, steps);
      const p = kr.predict('gd', steps);
      expect(maxDiff(p.train, f)).toBeLessThan(1e-12);
      expect(maxDiff(p.test!, ft)).toBeLessThan(1e-12);
    }
  });

  it('refuses a non-finite kernel with a message that says so (not a crash inside the eigendecomposition)', () => {
    const bad = kernel.map((row) => row.slice());
    bad[0][1] = Infinity;
    expect(() => new KernelRegression({ kernel: bad, y, lr: 0.7 })).toThrow(/1 of \d+ kernel entries are non-finite/);
  });

  it('gradient flow is the small-step limit of GD at the same time η·steps', () => {
    const t = 5;
    const flow = new KernelRegression({ kernel, y, f0, testKernel, testF0, lr: 1 }).predict('flow', t);
    const fine = new KernelRegression({ kernel, y, f0, testKernel, testF0, lr: 1e-3 }).predict('gd', t / 1e-3);
    expect(maxDiff(flow.train, fine.train)).toBeLessThan(1e-3);
    expect(maxDiff(flow.test!, fine.test!)).toBeLessThan(1e-3);
  });

  it('fits the train set as t → ∞ and the loss decreases monotonically', () => {
    let last = Infinity;
    for (const t of [0, 1, 10, 100, 1e4]) {
      const p = kr.predict('flow', t);
      expect(p.trainLoss).toBeLessThanOrEqual(last);
      last = p.trainLoss;
    }
    expect(last).toBeLessThan(1e-10);
  });

  it('reports λ_max for the divergence bound 2nk/λ_max, and GD past it diverges', () => {
    const etaMax = (2 * X.length * 2) / kr.maxEigenvalue;
    const stable = new KernelRegression({ kernel, y, f0, lr: 0.9 * etaMax }).predict('gd', 500).trainLoss;
    const unstable = new KernelRegression({ kernel, y, f0, lr: 1.1 * etaMax }).predict('gd', 500).trainLoss;
    expect(stable).toBeLessThan(1e-3);
    expect(unstable).toBeGreaterThan(1e3);
  });

  it('ridge (weight decay λ): the eigen formula equals explicit iteration with decay, on train and test points', () => {
    const ridge = new KernelRegression({ kernel, y, f0, testKernel, testF0, lr: 0.7, weightDecay: 0.05 });
    expect(ridge.ridge).toBeCloseTo(6 * 2 * 0.05, 14);
    for (const steps of [0, 1, 7, 200]) {
      const { f, ft } = iterate(0.7, steps, 0.05);
      const p = ridge.predict('gd', steps);
      expect(maxDiff(p.train, f)).toBeLessThan(1e-12);
      expect(maxDiff(p.test!, ft)).toBeLessThan(1e-12);
    }
    // the decay did change the answer
    expect(maxDiff(ridge.predict('gd', 200).train, kr.predict('gd', 200).train)).toBeGreaterThan(1e-2);
  });

  it('t → ∞: kernel ridge regression f₀ − Θ*(Θ + nkλI)⁻¹ r₀, and the ridgeless limit is the pseudo-inverse interpolant', () => {
    const n = X.length;
    const k = 2;
    const r0 = new Matrix(f0).sub(new Matrix(y));
    for (const decay of [0, 0.05]) {
      const solve = decay > 0 ? inverse(new Matrix(kernel).add(Matrix.eye(n).mul(n * k * decay))) : pseudoInverse(new Matrix(kernel));
      const coefficients = solve.mmul(r0);
      const expectedTest = new Matrix(testF0).sub(new Matrix(testKernel).mmul(coefficients)).to2DArray();
      const expectedTrain = new Matrix(f0).sub(new Matrix(kernel).mmul(coefficients)).to2DArray();
      const p = new KernelRegression({ kernel, y, f0, testKernel, testF0, lr: 0.7, weightDecay: decay }).limit();
      expect(maxDiff(p.test!, expectedTest)).toBeLessThan(1e-9);
      expect(maxDiff(p.train, expectedTrain)).toBeLessThan(1e-9);
      // GD with decay converges to it (the stable rate 0.7 < 2nk/(λ_max + ρ))
      const late = new KernelRegression({ kernel, y, f0, testKernel, testF0, lr: 0.7, weightDecay: decay }).predict('gd', 1e5);
      expect(maxDiff(late.test!, expectedTest)).toBeLessThan(1e-6);
    }
    // ridge does not interpolate; ridgeless does
    expect(new KernelRegression({ kernel, y, f0, lr: 0.7, weightDecay: 0.05 }).limit().trainLoss).toBeGreaterThan(1e-3);
    expect(kr.limit().trainLoss).toBeLessThan(1e-20);
  });

  it('the ridgeless limit of a rank-deficient kernel is the minimum-norm solution (pseudo-inverse, null directions left alone)', () => {
    // Θ = ΦΦᵀ with 2 features on 6 points: rank 2
    const phi = X.map(([a, b]) => [a + 0.3, a * b - 0.1]);
    const K = new Matrix(phi).mmul(new Matrix(phi).transpose());
    const yy = X.map(([a]) => [a * a]);
    const p = new KernelRegression({ kernel: K.to2DArray(), y: yy, lr: 1 }).limit({ kernel: K.to2DArray() });
    const expected = K.mmul(pseudoInverse(K).mmul(new Matrix(yy))).to2DArray(); // projection onto the span
    expect(maxDiff(p.test!, expected)).toBeLessThan(1e-9);
    expect(p.trainLoss).toBeGreaterThan(1e-4); // 6 targets, 2 features: no interpolation
  });

  it('refuses bad input with what was expected', () => {
    expect(() => new KernelRegression({ kernel, y, lr: 1, weightDecay: -1 })).toThrow(/weight decay must be a finite number ≥ 0, got -1/);
    expect(() => new KernelRegression({ kernel: [[1, 0]], y: [[1]], lr: 1 })).toThrow(/square n×n/);
    expect(() => new KernelRegression({ kernel, y: [[1]], lr: 1 })).toThrow(/y has 1 rows, expected n = 6/);
    expect(() => new KernelRegression({ kernel, y, lr: -1 })).toThrow(/learning rate must be > 0/);
  });
});
