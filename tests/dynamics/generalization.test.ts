// The generalization block (generalization.ts, norms-and-modes.ts): path norms in both conventions
// against float64 from the read-back weights, the bounds' inputs, Arora et al.'s H∞ against its closed
// form and against src/theory's Θ∞ − Σ∞ (the conversion of units), yᵀΘ∞⁻¹y against an explicit
// solve, the pseudo-inverse rule (null where singular) and the null rules.
import { Matrix, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { Experiment, type RunRecord } from '../../src/dynamics/experiment';
import { aroraBound, aroraKernel, pathNormRademacher, sampleBounds } from '../../src/dynamics/generalization';
import { FLOAT64_KERNEL_CUTOFF, KernelEigen } from '../../src/dynamics/kernel-eigen';
import { parseSpec, specData, type ExperimentSpecInput } from '../../src/spec';
import { analyticKernels } from '../../src/theory';
import { testData, useRuntime } from '../helpers/gpu';
import { readLayers } from '../helpers/net-f64';

const ctx = useRuntime();

const points = (n: number, d: number, seed: number, scale = 1) => {
  const v = testData(n * d, seed);
  return Array.from({ length: n }, (_, i) => Array.from(v.subarray(i * d, (i + 1) * d), (x) => scale * x));
};
const quadInverse = (K: number[][], y: number[]) => {
  const c = solve(new Matrix(K), Matrix.columnVector(y)).to1DArray();
  return y.reduce((s, v, i) => s + v * c[i], 0);
};

describe('float64 parts', () => {
  it("Arora et al.'s H∞ is x̂ᵀx̂'(π − arccos x̂ᵀx̂')/(2π), and (Θ∞ − Σ∞)·d/(‖x‖‖x'‖) of src/theory (σ_w = 1, σ_b = 0)", () => {
    const d = 3;
    const X = points(6, d, 7).map((x, i) => x.map((v) => v * (0.5 + i))); // norms differ
    const H = aroraKernel(X)!;
    const { ntk, nngp } = analyticKernels({ depth: 1, weightStd: 1, biasStd: 0, activation: 'relu' }, X);
    const norm = (x: number[]) => Math.hypot(...x);
    X.forEach((xi, i) => X.forEach((xj, j) => {
      const rho = Math.min(1, Math.max(-1, xi.reduce((s, v, q) => s + v * xj[q], 0) / (norm(xi) * norm(xj))));
      // arccos(ρ) ≈ √(2(1 − ρ)) near ρ = 1 turns the last bits of ρ into ~1e-8: compare to 1e-7 (1e-12 off the diagonal)
      const digits = i === j ? 7 : 12;
      expect(H[i][j]).toBeCloseTo((rho * (Math.PI - Math.acos(rho))) / (2 * Math.PI), digits);
      expect(H[i][j]).toBeCloseTo(((ntk[i][j] - nngp[i][j]) * d) / (norm(xi) * norm(xj)), digits);
    }));
    const y = X.map((_, i) => Math.sin(i));
    expect(aroraBound(X, y)!).toBeCloseTo(Math.sqrt((2 * quadInverse(H, y)) / X.length), 10);
    // singular (a repeated point) and undefined (x = 0): null, never NaN
    expect(aroraBound([...X, X[0]], [...y, 0.5])).toBeNull();
    expect(aroraBound([[0, 0, 0], ...X], [0, ...y])).toBeNull();
  });

  it('KernelEigen: rᵀK⁻¹r and K⁻¹r against a direct solve; null for a singular kernel', () => {
    const A = points(5, 5, 3);
    const K = A.map((a) => A.map((b) => a.reduce((s, v, q) => s + v * b[q], 0) + (a === b ? 0.1 : 0)));
    const r = [1, -2, 0.5, 0.3, 2];
    const g = new KernelEigen(K, FLOAT64_KERNEL_CUTOFF(5));
    expect(g.inverseQuadratic(r)!).toBeCloseTo(quadInverse(K, r), 9);
    const x = solve(new Matrix(K), Matrix.columnVector(r)).to1DArray();
    g.solve(r)!.forEach((v, i) => expect(v).toBeCloseTo(x[i], 9));
    expect(g.values).toEqual([...g.values].sort((p, q) => q - p));
    const B = points(5, 2, 4); // rank 2
    const singular = new KernelEigen(B.map((a) => B.map((b) => a[0] * b[0] + a[1] * b[1])), FLOAT64_KERNEL_CUTOFF(5));
    expect(singular.invertible).toBe(false);
    expect(singular.inverseQuadratic(r)).toBeNull();
    expect(singular.solve(r)).toBeNull();
  });
});

async function recordOf(input: ExperimentSpecInput): Promise<{ record: RunRecord; exp: Experiment }> {
  const exp = await Experiment.create(ctx.rt, parseSpec(input));
  exp.trainer.step(2);
  return { record: (await exp.record()) as RunRecord, exp };
}

describe('generalization in the records', () => {
  it('path norms ℓ1 and ℓ2 match float64 from the read-back weights (ntk and mean-field, biases, k = 2) and bound |f|', async () => {
    for (const parameterization of ['ntk', 'meanfield'] as const) {
      const input: ExperimentSpecInput = {
        seed: 11,
        model: { inputDim: 3, hidden: [24], outputDim: 2, parameterization, biasStd: 0.4, ensemble: 2, alpha: 1.5 },
        data: { train: { kind: 'gaussian', n: 5 }, test: { kind: 'gaussian', n: 4 }, target: { kind: 'teacher', hidden: [3] } },
        train: { lr: 0.3, steps: 2 },
      };
      const { record, exp } = await recordOf(input);
      try {
        const g = record.generalization!;
        const l1: number[] = [];
        const l2: number[] = [];
        let bias = 0;
        for (let e = 0; e < 2; e++) {
          const [first, readout] = await readLayers(exp.net, e);
          const m = first.fanOut;
          let s1 = 0;
          let s2 = 0;
          for (let j = 0; j < m; j++) {
            // a'_j = m·mult₂·a_j, w'_j = (mult₁·w_j, biasMult₁·b_j), path norms (1/m)·Σ_j |a'_j|·‖w'_j‖
            const a = [0, 1].map((o) => m * readout.mult * readout.w[o * m + j]);
            const w = [...Array.from(first.w.subarray(j * 3, j * 3 + 3), (v) => first.mult * v), first.biasMult * first.b![j]];
            s1 += (a.reduce((s, v) => s + Math.abs(v), 0) * w.reduce((s, v) => s + Math.abs(v), 0)) / m;
            s2 += (Math.hypot(...a) * Math.hypot(...w)) / m;
          }
          l1.push(s1);
          l2.push(s2);
          bias += Math.max(...Array.from(readout.b!, (v) => Math.abs(readout.biasMult * v))) / 2;
        }
        const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
        expect(Math.abs(g.pathNorm!.l1.norm - mean(l1)) / mean(l1)).toBeLessThan(1e-5);
        expect(Math.abs(g.pathNorm!.l2.norm - mean(l2)) / mean(l2)).toBeLessThan(1e-5);
        expect(g.pathNorm!.l2.norm).toBeCloseTo(record.pathNorm!, 6);
        // the bounds of the ReLU path-norm balls with x̃ = (x, 1): d̃ = 4, n = 5, × |α|, + |c|/√n
        const { train } = specData(parseSpec(input));
        const expected = pathNormRademacher({ l1: g.pathNorm!.l1.norm, l2: g.pathNorm!.l2.norm, readoutBias: bias, alpha: 1.5, n: 5, sample: sampleBounds(train.x, true) });
        expect(sampleBounds(train.x, true).dim).toBe(4);
        expect(g.pathNorm!.l1.rademacher!).toBeCloseTo(expected.l1, 5);
        expect(g.pathNorm!.l2.rademacher!).toBeCloseTo(expected.l2, 5);
        // for ReLU |f_a(x)| ≤ ‖θ‖_P1·‖x̃‖∞ + |c| and ≤ ‖θ‖_P2·‖x̃‖₂ + |c| (member by member): the norms are not too small
        const f = await exp.predict(train.x); // ensemble means of z = α·f
        for (const [i, x] of train.x.entries()) {
          for (const z of f.network[i]) {
            expect(Math.abs(z)).toBeLessThanOrEqual(1.5 * (Math.max(...l1) * Math.max(1, ...x.map(Math.abs)) + 2 * bias) + 1e-6);
            expect(Math.abs(z)).toBeLessThanOrEqual(1.5 * (Math.max(...l2) * Math.hypot(1, ...x) + 2 * bias) + 1e-6);
          }
        }
        expect(g.gap).toBeCloseTo(record.testLoss! - record.trainLoss, 12);
        expect(g.ntkBound).toBeNull(); // k = 2
      } finally {
        exp.dispose();
      }
    }
  });

  it('NTK two-layer ReLU, one output: ntkBound and yᵀ(α²Θ∞)⁻¹y against explicit float64; null rules elsewhere', async () => {
    const input: ExperimentSpecInput = {
      seed: 4,
      model: { inputDim: 3, hidden: [32], parameterization: 'ntk', biasStd: 0.2, alpha: 2 },
      data: { train: { kind: 'sphere', n: 6 }, target: { kind: 'teacher', hidden: [3] } },
      train: { lr: 0.5, steps: 2 },
    };
    const { record, exp } = await recordOf(input);
    exp.dispose();
    const { train } = specData(parseSpec(input));
    const y = train.y!.map((r) => r[0]);
    const g = record.generalization!;
    expect(g.ntkBound!).toBeCloseTo(aroraBound(train.x, y)!, 10);
    const theta = analyticKernels({ depth: 1, weightStd: 1, biasStd: 0.2, activation: 'relu' }, train.x).ntk.map((row) => row.map((v) => 4 * v));
    expect(g.rkhsNorm!.analytic!).toBeCloseTo(quadInverse(theta, y), 8);
    expect(g.gap).toBeNull(); // no test set
    expect(record.implicitBias!.functionDistance).toBeNull();
    // tanh and depth 2: no ReLU bound, no path norm, no Arora bound
    const tanh = await recordOf({ ...input, model: { ...input.model, activation: 'tanh' } });
    tanh.exp.dispose();
    expect(tanh.record.generalization!.pathNorm!.l1.rademacher).toBeNull();
    expect(tanh.record.generalization!.ntkBound).toBeNull();
    const deep = await recordOf({ ...input, model: { ...input.model, hidden: [16, 16] } });
    deep.exp.dispose();
    expect(deep.record.generalization!.pathNorm).toBeNull();
    expect(deep.record.generalization!.ntkBound).toBeNull();
    expect(deep.record.generalization!.rkhsNorm!.analytic).not.toBeNull();
  });
});
