// The ensemble standard deviations of the `generalization`, `implicitBias` and `modes` blocks
// (norms-and-modes.ts): each std entry, under the field's dotted path, is the sample standard deviation
// (E − 1 in the denominator, records.ts ensembleStats) of the members' values, which this test
// recomputes member by member in float64 from the read-back weights of a two-layer ReLU network (its
// outputs, explicit Jacobian, Θ_η = Σ_p s_p J_p J_pᵀ, ml-matrix solves and eigendecompositions);
// quantities that are not per member (Θ∞'s closed forms, Arora's bound) have no entry; E = 1 gives 0.
import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { Experiment, type RunRecord } from '../../src/dynamics/experiment';
import { pathNormRademacher, sampleBounds } from '../../src/dynamics/generalization';
import { modeDecay } from '../../src/dynamics/modes';
import type { Tensor } from '../../src/gpu/tensor';
import type { Mlp } from '../../src/nets/mlp';
import { analyticSpecKernels, parseSpec, specData, type ExperimentSpec, type ExperimentSpecInput } from '../../src/spec';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const STEPS = 4;
const COUNT = 3; // observe.spectrum: modes per kernel
const input = (ensemble: number): ExperimentSpecInput => ({
  seed: 3,
  model: { inputDim: 3, hidden: [24], parameterization: 'ntk', biasStd: 0.4, ensemble },
  data: { train: { kind: 'gaussian', n: 5 }, test: { kind: 'gaussian', n: 4 }, target: { kind: 'teacher', hidden: [3] } },
  train: { lr: 0.5, steps: STEPS, linearized: true },
  observe: { spectrum: COUNT },
});

/** Sample standard deviation (E − 1), 0 for one value. */
function sampleStd(v: number[]): number {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return v.length < 2 ? 0 : Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1));
}

/** Member e of a two-layer net in float64: h = mult₁·W x + biasMult₁·b₁, f = mult₂·a·relu(h) + biasMult₂·b₂ (one output). */
interface TwoLayer { W: number[][]; b1: number[]; a: number[]; b2: number; mult1: number; bm1: number; mult2: number; bm2: number }
async function member(layers: Mlp['layers'], e: number, tensors: { weight: Tensor; bias: Tensor | null }[] = layers): Promise<TwoLayer> {
  const [first, readout] = layers;
  const [tw, tr] = tensors;
  const { fanOut: m, fanIn: d } = first.scales;
  const [W, b1, a, b2] = await Promise.all([tw.weight.read(), tw.bias!.read(), tr.weight.read(), tr.bias!.read()]);
  return {
    W: Array.from({ length: m }, (_, j) => Array.from(W.subarray((e * m + j) * d, (e * m + j + 1) * d))),
    b1: Array.from(b1.subarray(e * m, (e + 1) * m)), a: Array.from(a.subarray(e * m, (e + 1) * m)), b2: b2[e],
    mult1: first.scales.mult, bm1: first.scales.biasMult, mult2: readout.scales.mult, bm2: readout.scales.biasMult,
  };
}
/** Adds a displacement (the linearised model's Δ, same layout) to a member. */
const plus = (p: TwoLayer, q: TwoLayer): TwoLayer => ({ ...p, W: p.W.map((r, j) => r.map((v, i) => v + q.W[j][i])), b1: p.b1.map((v, j) => v + q.b1[j]), a: p.a.map((v, j) => v + q.a[j]), b2: p.b2 + q.b2 });

const pre = (p: TwoLayer, x: number[]) => p.W.map((w, j) => p.mult1 * w.reduce((s, v, q) => s + v * x[q], 0) + p.bm1 * p.b1[j]);
const output = (p: TwoLayer, x: number[]) => pre(p, x).reduce((s, h, j) => s + p.mult2 * p.a[j] * Math.max(h, 0), 0) + p.bm2 * p.b2;
/** ∂f/∂θ in the order W (row-major), b₁, a, b₂, with the groups' kernel scales s_p beside it. */
function gradient(p: TwoLayer, x: number[]): number[] {
  const h = pre(p, x);
  const back = h.map((v, j) => (v > 0 ? p.mult2 * p.a[j] : 0));
  return [...p.W.flatMap((_, j) => x.map((xq) => back[j] * p.mult1 * xq)), ...back.map((g) => g * p.bm1), ...h.map((v) => p.mult2 * Math.max(v, 0)), p.bm2];
}
function groupScales(p: TwoLayer, s: { weight: number[]; bias: number[] }): number[] {
  const [m, d] = [p.W.length, p.W[0].length];
  return [...Array<number>(m * d).fill(s.weight[0]), ...Array<number>(m).fill(s.bias[0]), ...Array<number>(m).fill(s.weight[1]), s.bias[1]];
}
const flat = (p: TwoLayer) => [...p.W.flat(), ...p.b1, ...p.a, p.b2];
const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
const mse = (z: number[], y: number[]) => z.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / (2 * z.length);
/** Eigenpairs of a symmetric matrix, largest first. */
function eigen(K: number[][]): { values: number[]; vectors: number[][] } {
  const ev = new EigenvalueDecomposition(new Matrix(K), { assumeSymmetric: true });
  const order = ev.realEigenvalues.map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0]);
  return { values: order.map(([v]) => v), vectors: order.map(([, i]) => ev.eigenvectorMatrix.getColumn(i)) };
}
/** The modes' fields of one member on one kernel: eigenvalue, |v·r₀|, and the oriented projections of r, r_lin, the closed form. */
function modes(K: number[][], r0: number[], r: number[], rLin: number[], spec: ExperimentSpec) {
  const { values, vectors } = eigen(K);
  return vectors.slice(0, COUNT).map((v, i) => {
    const p0 = dot(v, r0);
    const sign = p0 < 0 ? -1 : 1;
    return { eigenvalue: values[i], initial: sign * p0, residual: sign * dot(v, r), linearized: sign * dot(v, rLin), predicted: sign * p0 * modeDecay(values[i], { mode: 'gd', at: STEPS }, spec.train.lr, r0.length) };
  });
}

/** Every per-member value of the three blocks, by the std key that names it, in float64. */
async function perMember(exp: Experiment, spec: ExperimentSpec): Promise<Record<string, number[] | number[][]>> {
  const { train, test } = specData(spec);
  const y = train.y!.map((r) => r[0]);
  const yt = test!.y!.map((r) => r[0]);
  const E = spec.model.ensemble;
  const scales = exp.trainer.kernelScales;
  const width = exp.width;
  const theory = analyticSpecKernels(spec, width, 'dynamics', train.x)!.ntk;
  const out: Record<string, number[][]> = {};
  const push = (key: string, value: number | number[]) => (out[key] ??= []).push(Array.isArray(value) ? value : [value]);
  for (let e = 0; e < E; e++) {
    const [p0, p] = [await member(exp.trainer.initial.layers, e), await member(exp.net.layers, e)];
    const delta = await member(exp.net.layers, e, exp.trainer.delta!); // the linearised model's Δ = θ_lin − θ₀
    const pLin = plus(p0, delta);
    const m = p.W.length;
    // path norms, a'_j = m·mult₂·a_j, w'_j = (mult₁·w_j, biasMult₁·b_j), and their bounds
    const a1 = p.a.map((a) => m * p.mult2 * a);
    const w1 = p.W.map((w, j) => [...w.map((v) => p.mult1 * v), p.bm1 * p.b1[j]]);
    const l1 = a1.reduce((s, a, j) => s + (Math.abs(a) * w1[j].reduce((t, v) => t + Math.abs(v), 0)) / m, 0);
    const l2 = a1.reduce((s, a, j) => s + (Math.abs(a) * Math.hypot(...w1[j])) / m, 0);
    const bounds = pathNormRademacher({ l1, l2, readoutBias: Math.abs(p.bm2 * p.b2), alpha: 1, n: train.x.length, sample: sampleBounds(train.x, true) });
    push('generalization.pathNorm.l1.norm', l1);
    push('generalization.pathNorm.l2.norm', l2);
    push('generalization.pathNorm.l1.rademacher', bounds.l1);
    push('generalization.pathNorm.l2.rademacher', bounds.l2);
    // z = f (α = 1, not centred); gap = test − train loss of this member
    const z = train.x.map((x) => output(p, x));
    const z0 = train.x.map((x) => output(p0, x));
    const zt = test!.x.map((x) => output(p, x));
    push('generalization.gap', mse(zt, yt) - mse(z, y));
    // Θ_η(θ₀) = Σ_p s_p J_p J_pᵀ; under ntk at α = 1 every s_p is 1, so it is also the plain α²·J Jᵀ of rkhsNorm
    const s = groupScales(p0, scales);
    expect(s.every((v) => v === 1)).toBe(true);
    const J = train.x.map((x) => gradient(p0, x));
    const Jt = test!.x.map((x) => gradient(p0, x));
    const K = J.map((u) => J.map((v) => dot(u, v)));
    const invK = (b: number[]) => solve(new Matrix(K), Matrix.columnVector(b)).to1DArray();
    const r0 = y.map((v, i) => v - z0[i]);
    push('generalization.rkhsNorm.empirical', dot(y, invK(y)));
    push('implicitBias.minNorm', dot(r0, invK(r0)));
    // z* = z₀(X*) + Θ_η(X*, X)·Θ_η⁻¹r₀, and its RMS distance to the network on the test set
    const c = invK(r0);
    const zStar = Jt.map((u, i) => output(p0, test!.x[i]) + J.reduce((t, v, j) => t + dot(u, v) * c[j], 0));
    push('implicitBias.functionDistance', Math.sqrt(zt.reduce((t, v, i) => t + (v - zStar[i]) ** 2, 0) / zt.length));
    const displacement = (q: number[], q0: number[]) => q.reduce((t, v, i) => t + (v - q0[i]) ** 2 / s[i], 0);
    push('implicitBias.network', displacement(flat(p), flat(p0)));
    push('implicitBias.linearized', displacement(flat(pLin), flat(p0)));
    // the linearised model's outputs f₀ + J₀·Δ, and the modes of Θ_η(θ₀) and of Θ∞
    const zLin = J.map((u, i) => z0[i] + dot(u, flat(delta)));
    const r = y.map((v, i) => v - z[i]);
    const rLin = y.map((v, i) => v - zLin[i]);
    for (const [block, kernel] of [['empirical', K], ['analytic', theory]] as const) {
      const ms = modes(kernel, r0, r, rLin, spec);
      for (const field of ['eigenvalue', 'initial', 'residual', 'linearized', 'predicted'] as const) push(`modes.${block}.${field}`, ms.map((q) => q[field]));
    }
  }
  // members along the first axis: scalars → [E], mode lists → [mode][E]
  return Object.fromEntries(Object.entries(out).map(([key, rows]) => [key, rows[0].length === 1 && !key.startsWith('modes.') ? rows.map((row) => row[0]) : rows[0].map((_, i) => rows.map((row) => row[i]))]));
}

async function run(ensemble: number): Promise<{ record: RunRecord; values: Record<string, number[] | number[][]> }> {
  const spec = parseSpec(input(ensemble));
  const exp = await Experiment.create(ctx.rt, spec);
  try {
    await exp.train(STEPS);
    const record = await exp.record();
    if ('diverged' in record) throw new Error(record.diverged.reason);
    return { record, values: await perMember(exp, spec) };
  } finally {
    exp.dispose();
  }
}

/** float32 on the GPU against float64: an absolute tolerance on the scale of the members' values (looser for Θ⁻¹ quantities). */
const tolerance = (key: string, values: number[]) => (/rkhsNorm|minNorm|functionDistance/.test(key) ? 2e-3 : 2e-4) * Math.max(1e-6, ...values.map(Math.abs));

describe('std of the generalization, implicitBias and modes blocks', () => {
  it('E = 3: each entry is the sample std of the members’ values (float64 recomputation); no entry for Θ∞ and ntkBound; E = 1: null', async () => {
    const three = await run(3);
    const keys = Object.keys(three.values).filter((k) => k !== 'modes.analytic.eigenvalue');
    const issue13 = Object.keys(three.record.std).filter((k) => /^(generalization|implicitBias|modes)\./.test(k)).sort();
    expect(issue13).toEqual([...keys].sort());
    // not per member: one closed form (Θ∞: its yᵀΘ∞⁻¹y and eigenvalues) or a property of the data (Arora's bound)
    for (const key of ['generalization.rkhsNorm.analytic', 'generalization.ntkBound', 'modes.analytic.eigenvalue']) expect(three.record.std, key).not.toHaveProperty(key);
    expect(three.record.generalization!.ntkBound).not.toBeNull(); // two-layer ReLU, one output: the bound exists, yet has no std
    let spread = 0;
    for (const key of keys) {
      const v = three.values[key];
      const lists = key.startsWith('modes.') ? (v as number[][]) : [v as number[]];
      const got = key.startsWith('modes.') ? (three.record.std[key] as number[]) : [three.record.std[key] as number];
      expect(got, key).toHaveLength(lists.length);
      lists.forEach((members, i) => {
        expect(members).toHaveLength(3);
        const want = sampleStd(members);
        expect(Math.abs(got[i] - want), `${key}[${i}]: std ${got[i]} against ${want} of ${members.join(', ')}`).toBeLessThanOrEqual(tolerance(key, members));
        if (want > 20 * tolerance(key, members)) spread++;
      });
    }
    // the members really differ (else the check above could not fail): most entries have a std well above the tolerance
    expect(spread).toBeGreaterThan(keys.length);
    // the means beside them are the members' means
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(three.record.implicitBias!.network).toBeCloseTo(mean(three.values['implicitBias.network'] as number[]), 4);
    expect(three.record.generalization!.pathNorm!.l1.norm).toBeCloseTo(mean(three.values['generalization.pathNorm.l1.norm'] as number[]), 4);
    expect(three.record.modes!.empirical[0].eigenvalue).toBeCloseTo(mean((three.values['modes.empirical.eigenvalue'] as number[][])[0]), 3);

    // E = 1: the same keys, every entry null (one member has no spread; it was 0 before 2026-12-02); member 0 is the same network as member 0 of E = 3
    const one = await run(1);
    const oneKeys = Object.keys(one.record.std).filter((k) => /^(generalization|implicitBias|modes)\./.test(k)).sort();
    expect(oneKeys).toEqual(issue13);
    for (const key of oneKeys) {
      const s = one.record.std[key];
      expect(Array.isArray(s) ? s : [s], key).toEqual(Array.isArray(s) ? s.map(() => null) : [null]);
    }
    // and so is every other field's
    for (const key of ['trainLoss', 'ntkChange', 'weightChange', 'ntkEigenvalues'] as const) {
      const s = one.record.std[key];
      expect(Array.isArray(s) ? s : [s], key).toEqual(Array.isArray(s) ? s.map(() => null) : [null]);
    }
    expect(one.record.implicitBias!.network).toBeCloseTo((three.values['implicitBias.network'] as number[])[0], 4);
  });
});
