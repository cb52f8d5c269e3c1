// Spectral bias (modes.ts): a target that is exactly one eigenvector of Θ_η at θ₀ is learned by the
// linearised model along that eigenvector alone, at the closed-form rate (1 − η·λ/(n·k))^step, while
// the other modes stay at zero; the analytic modes are those of src/theory's Θ∞.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { Experiment } from '../../src/dynamics/experiment';
import { parseSpec, type ExperimentSpecInput } from '../../src/spec';
import { analyticKernels } from '../../src/theory';
import { records, runSpec } from '../helpers/experiment';
import { EPS32, useRuntime } from '../helpers/gpu';
import { modeDecay } from '../../src/dynamics/modes';

const ctx = useRuntime();

// five points in general position (no symmetry, so Θ₀'s eigenvalues are simple)
const X = [[1, 0], [0.3, 0.9], [-0.8, 0.4], [-0.2, -1], [0.7, -0.6]];
const width = 64;
const spec = (y: number[], lr = 1, steps = 0): ExperimentSpecInput => ({
  seed: 2,
  model: { inputDim: 2, hidden: [width], parameterization: 'ntk', biasStd: 0.3, centered: true },
  data: { train: { kind: 'points', x: X, y: y.map((v) => [v]) } },
  train: { lr, steps, recordEvery: 3, linearized: true },
  observe: { spectrum: 5 },
});

/** Eigenvalues (descending) and unit eigenvectors of a symmetric matrix, float64. */
function eigen(K: number[][]): { values: number[]; vectors: number[][] } {
  const evd = new EigenvalueDecomposition(new Matrix(K), { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((_, i) => i).sort((p, q) => evd.realEigenvalues[q] - evd.realEigenvalues[p]);
  return { values: order.map((i) => evd.realEigenvalues[i]), vectors: order.map((i) => evd.eigenvectorMatrix.getColumn(i)) };
}

describe('modes: a target along one eigenvector of Θ₀', () => {
  it('decays as (1 − ηλ/(nk))^step in its mode and leaves the other modes at 0 (linearised model)', async () => {
    const N = X.length;
    const probe = await Experiment.create(ctx.rt, parseSpec(spec(new Array(N).fill(0))));
    const { initial } = await probe.probeKernels(); // Θ_η at θ₀ on the train set (E = 1)
    probe.dispose();
    const { values, vectors } = eigen(initial);
    const target = 1; // the second mode
    const lr = N / values[0]; // the top mode would vanish in one step
    const steps = 6;
    const lines = await runSpec(ctx.rt, spec(vectors[target], lr, steps));
    const rs = records(lines);
    expect(rs.map((r) => r.step)).toEqual([0, 3, 6]);
    // float32: each step's residual update (η/N)·Θ̃·r uses a float32 Θ̃ (entries to ε = 8·EPS32·√m relative,
    // ‖δΘ‖ ≤ N·ε·λ_max) and float32 outputs (ε), so after s steps a mode is off by ≤ s·ε·(η·λ_max + 1)·‖r₀‖ (‖r₀‖ = 1)
    const eps = 8 * EPS32 * Math.sqrt(width);
    for (const r of rs) {
      const modes = r.modes!.empirical;
      expect(modes.map((m) => m.eigenvalue)).toHaveLength(5);
      modes.forEach((m, i) => expect(m.eigenvalue).toBeCloseTo(values[i], 5));
      const tol = (r.step + 1) * eps * (lr * values[0] + 1);
      const decay = (1 - (lr * values[target]) / N) ** r.step;
      expect(r.modes!.mode).toBe('gd');
      modes.forEach((m, i) => {
        const expected = i === target ? decay : 0;
        expect(Math.abs(m.predicted - expected), `mode ${i} closed form at step ${r.step}`).toBeLessThanOrEqual(tol);
        expect(Math.abs(m.linearized! - expected), `mode ${i} of the linearised model at step ${r.step}`).toBeLessThanOrEqual(tol);
      });
      // the decay is real: the target mode is down to decay^step, a number the tolerance cannot hide
      if (r.step > 0) expect(decay).toBeLessThan(1 - 100 * tol);
    }
    // Θ∞ modes: src/theory's kernel on the same points (one output, so Θ∞ ⊗ I_1 = Θ∞)
    const theory = eigen(analyticKernels({ depth: 1, weightStd: 1, biasStd: 0.3, activation: 'relu' }, X).ntk);
    rs[0].modes!.analytic!.forEach((m, i) => expect(m.eigenvalue).toBeCloseTo(theory.values[i], 10));
  });
});

describe('modeDecay with weight decay (ridge ρ = n·k·λ_wd)', () => {
  it('equals the explicit iteration of the linearised model per mode, and its t → ∞ limit', () => {
    // u = z − z₀ per mode: u ← (1 − η·λ_wd)·u + (η/N)·λ·(r₀ − u), r = r₀ − u
    const [lambda, lr, N, wd] = [3.7, 0.4, 12, 0.05];
    const rho = N * wd;
    let u = 0;
    for (let s = 1; s <= 60; s++) {
      u = (1 - lr * wd) * u + (lr / N) * lambda * (1 - u);
      expect(modeDecay(lambda, { mode: 'gd', at: s, ridge: rho }, lr, N)).toBeCloseTo(1 - u, 12);
    }
    expect(modeDecay(lambda, { mode: 'limit', at: Infinity, ridge: rho }, lr, N)).toBeCloseTo(rho / (lambda + rho), 14);
    expect(modeDecay(lambda, { mode: 'limit', at: Infinity }, lr, N)).toBe(0);
    // flow: the same ODE's solution; ρ = 0 gives the plain exponential
    expect(modeDecay(lambda, { mode: 'flow', at: 2, ridge: rho }, lr, N)).toBeCloseTo((rho + lambda * Math.exp((-(lambda + rho) * 2) / N)) / (lambda + rho), 14);
    expect(modeDecay(lambda, { mode: 'flow', at: 2 }, lr, N)).toBeCloseTo(Math.exp((-lambda * 2) / N), 14);
  });
});
