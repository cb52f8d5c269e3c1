// The `generalization`, `implicitBias` and `modes` blocks of every record (issue 13; formulas in
// generalization.ts, implicit-bias.ts, modes.ts and docs/dynamics-and-records.md), for one width.
// The kernels on the train set (Θ_η and the plain α²·J Jᵀ at θ₀ per member, Θ∞ from src/theory) are
// computed and eigendecomposed once, at the first record, in float64 on the CPU; each record then
// costs a few GPU reductions and O(N²) projections.
//
// Size rule: the kernel parts need N = n·k ≤ MAX_KERNEL_ROWS train rows (one N×N eigendecomposition per
// member, O(N³) in JavaScript) and, for functionDistance, n_test·k ≤ MAX_TEST_ROWS; above that they are
// null (documented). Members: the kernel parts use the first KERNEL_REGRESSION_MEMBERS members, as the
// closed forms do; the displacements and path norms use every member.
//
// Ensemble std: every quantity that has a value per member is gathered per member and passed through
// records.ts's ensembleStats, which gives the block's mean and its `std` entry in one pass; the std
// keys are the field's dotted path in the record ("generalization.pathNorm.l1.norm",
// "modes.empirical.residual": a list per mode). Quantities that are not per member have no std entry:
// rkhsNorm.analytic (Θ∞, one closed form), ntkBound (a property of the data) and modes.analytic's
// eigenvalues (Θ∞'s).
import type { Runtime } from '../gpu/runtime';
import type { Tensor } from '../gpu/tensor';
import type { DataSet } from '../data';
import { analyticSpecKernels, type ExperimentSpec } from '../spec';
import { modelOutputs, outputScale } from '../nets/output-scale';
import { crossKernels, kernelBlock } from '../ntk/empirical';
import { KERNEL_REGRESSION_MEMBERS, NonFiniteKernelError, perOutput } from './closed-forms';
import { FLOAT32_KERNEL_CUTOFF, FLOAT64_KERNEL_CUTOFF, KernelEigen } from './kernel-eigen';
import { aroraBound, pathNormRademacher, pathNorms, sampleBounds } from './generalization';
import { networkDisplacement, rms, weightedDisplacement } from './implicit-bias';
import { modeStats, residualModes, type ModeClock } from './modes';
import { dynamicsKernel } from './observables';
import { definedForAll, ensembleStats, type EnsembleStat, type GeneralizationRecord, type ImplicitBiasRecord, type ModesRecord, type PerMember } from './records';
import type { Trainer } from './trainer';

/** Largest n·k for the kernel parts (see the header). */
export const MAX_KERNEL_ROWS = 1024;
/** Largest n_test·k for functionDistance. */
export const MAX_TEST_ROWS = 4096;

export interface SplitView {
  x: Tensor;
  data: DataSet;
  n: number;
  /** raw outputs f(θ₀) [E, n, k] */
  f0: Float32Array;
}

interface Prepared {
  /** per member (≤ KERNEL_REGRESSION_MEMBERS): eigendecomposition of Θ_η(X, X) */
  eigen: KernelEigen[];
  /** per member: r₀ = y − z₀ on the train set */
  r0: Float64Array[];
  minNorm: (number | null)[];
  /** per member: z* on the test set (null: no test set, too large, or Θ_η singular) */
  interpolant: (Float64Array | null)[] | null;
  rkhsEmpirical: (number | null)[];
  /** Θ∞ ⊗ I_k in Θ_η's units; null where the theory does not apply */
  analytic: KernelEigen | null;
  rkhsAnalytic: number | null;
}

/** Per-member values, or null when there are none or one member's is null (records.ts definedForAll). */
const perMember = (values: (number | null)[]): number[] | null => (values.length > 0 ? definedForAll(values) : null);

export class NormsAndModes {
  private prepared: Prepared | null | undefined;
  private ntkBound: number | null | undefined;

  constructor(private readonly rt: Runtime, private readonly spec: ExperimentSpec, private readonly width: number[], private readonly trainer: Trainer, private readonly train: SplitView, private readonly test: SplitView | null) {}

  private get k(): number {
    return this.spec.model.outputDim;
  }

  private z(f: ArrayLike<number>, f0: ArrayLike<number>): Float64Array {
    return modelOutputs(this.trainer.net.config, f, f0);
  }

  /** Member e's rows of a flat [E, rows] array. */
  private static member(values: Float64Array, e: number, rows: number): Float64Array {
    return values.subarray(e * rows, (e + 1) * rows);
  }

  /** The once-per-width kernels (null above the size rule or where a kernel at θ₀ is non-finite). */
  private async prepare(): Promise<Prepared | null> {
    if (this.prepared !== undefined) return this.prepared;
    try {
      return await this.prepareKernels();
    } catch (e) {
      if (e instanceof NonFiniteKernelError) return (this.prepared = null);
      throw e;
    }
  }

  private async prepareKernels(): Promise<Prepared | null> {
    const { rt, spec, trainer, train, test, k } = this;
    const N = train.n * k;
    if (N > MAX_KERNEL_ROWS) return (this.prepared = null);
    const E = Math.min(trainer.net.ensemble, KERNEL_REGRESSION_MEMBERS);
    const y = Float64Array.from(train.data.y!.flat());
    const z0 = this.z(train.f0, train.f0);
    const theta = await dynamicsKernel(trainer.initial, train.x, trainer.kernelScales);
    const ones = { weight: trainer.kernelScales.weight.map(() => 1), bias: trainer.kernelScales.bias.map(() => 1) };
    // the plain kernel is Θ_η itself where every scale is 1 (ntk, standard at α = 1 without frozen layers)
    const same = [...trainer.kernelScales.weight, ...trainer.kernelScales.bias].every((v) => v === 1);
    const plain = same ? theta : await dynamicsKernel(trainer.initial, train.x, ones);
    if ([...theta.slice(0, E), ...plain.slice(0, E)].some((m) => !m.every(Number.isFinite))) return (this.prepared = null);
    const eigen = theta.slice(0, E).map((m) => new KernelEigen(m, FLOAT32_KERNEL_CUTOFF(N)));
    const r0 = eigen.map((_, e) => Float64Array.from(NormsAndModes.member(z0, e, N), (v, i) => y[i] - v));
    const minNorm = eigen.map((g, e) => g.inverseQuadratic(r0[e]));
    const rkhsEmpirical = plain.slice(0, E).map((m) => new KernelEigen(m, FLOAT32_KERNEL_CUTOFF(N)).inverseQuadratic(y));
    // the minimum-norm interpolant on the test set, z* = z₀(X*) + Θ_η(X*, X)·Θ_η⁻¹r₀
    let interpolant: Prepared['interpolant'] = null;
    if (test && test.n * k <= MAX_TEST_ROWS) {
      const T = test.n * k;
      const cross = await crossKernels(rt, trainer.initial, test.x, train.x, { parameterScales: trainer.kernelScales });
      const zt0 = this.z(test.f0, test.f0);
      interpolant = eigen.map((g, e) => {
        const c = g.solve(r0[e]);
        if (!c) return null;
        const K = kernelBlock(cross.ntk, e, k, test.n, train.n);
        return Float64Array.from({ length: T }, (_, i) => NormsAndModes.member(zt0, e, T)[i] + K[i].reduce((s, v, j) => s + v * c[j], 0));
      });
      if (interpolant.some((p) => p && !p.every(Number.isFinite))) interpolant = interpolant.map(() => null);
    }
    // Θ∞: in Θ_η's units for the modes; α²·Θ∞ (the plain model units) for the RKHS norm
    const theory = analyticSpecKernels(spec, this.width, 'dynamics', train.data.x)?.ntk;
    const analytic = theory ? new KernelEigen(perOutput(theory, k), FLOAT64_KERNEL_CUTOFF(N)) : null;
    const model = analyticSpecKernels(spec, this.width, 'model', train.data.x)?.ntk;
    const rkhsAnalytic = model ? new KernelEigen(perOutput(model, k), FLOAT64_KERNEL_CUTOFF(N)).inverseQuadratic(y) : null;
    return (this.prepared = { eigen, r0, minNorm, interpolant, rkhsEmpirical, analytic, rkhsAnalytic });
  }

  /** Arora et al.'s bound: two-layer ReLU networks with one output only (once per width). */
  private arora(): number | null {
    if (this.ntkBound !== undefined) return this.ntkBound;
    const { model } = this.spec;
    const applies = this.trainer.net.depth === 1 && model.activation === 'relu' && this.k === 1 && this.train.n * this.k <= MAX_KERNEL_ROWS;
    return (this.ntkBound = applies ? aroraBound(this.train.data.x, this.train.data.y!.map((row) => row[0])) : null);
  }

  /**
   * The three blocks at the current step, and their `std` entries (see the header). `f`: raw network
   * outputs [E, n, k] on the train (and test) set now, `fLin` the linearised model's; the losses are
   * per member; `clock` the closed form's (experiment.ts).
   */
  async record(o: { train: { f: Float32Array; fLin: Float32Array | null }; test: { f: Float32Array } | null; trainLoss: ArrayLike<number>; testLoss: ArrayLike<number> | null; clock: ModeClock; mse: boolean }): Promise<{ generalization: GeneralizationRecord; implicitBias: ImplicitBiasRecord; modes: ModesRecord | null; std: Record<string, EnsembleStat> }> {
    const { rt, spec, trainer, train, test, k } = this;
    const net = trainer.net;
    const E = net.ensemble;
    const prepared = await this.prepare();
    // every per-member quantity, by its dotted path in the record; their means and stds in one pass
    const fields: Record<string, PerMember> = {};

    // path norms and their bounds (two-layer networks; the bounds for ReLU), member by member
    if (net.depth === 1) {
      const p = await pathNorms(rt, net);
      const relu = spec.model.activation === 'relu';
      const sample = sampleBounds(train.data.x, net.layers[0].bias !== null);
      const alpha = outputScale(net.config).alpha;
      const bounds = relu ? Array.from({ length: E }, (_, e) => pathNormRademacher({ l1: p.l1[e], l2: p.l2[e], readoutBias: p.readoutBias[e], alpha, n: train.n, sample })) : null;
      fields['generalization.pathNorm.l1.norm'] = p.l1;
      fields['generalization.pathNorm.l1.rademacher'] = bounds ? bounds.map((b) => b.l1) : null;
      fields['generalization.pathNorm.l2.norm'] = p.l2;
      fields['generalization.pathNorm.l2.rademacher'] = bounds ? bounds.map((b) => b.l2) : null;
    }
    if (prepared) fields['generalization.rkhsNorm.empirical'] = perMember(prepared.rkhsEmpirical);
    fields['generalization.gap'] = o.testLoss === null ? null : Array.from(o.testLoss, (v, e) => v - o.trainLoss[e]);

    // displacements in the S⁻¹ norm, every member
    const deltas = networkDisplacement(rt, net, trainer.initial);
    fields['implicitBias.network'] = await weightedDisplacement(rt, E, deltas, trainer.kernelScales);
    deltas.forEach((d) => [d.weight, d.bias].forEach((t) => t?.dispose()));
    // a diverged linearised model has stopped (its own divergence line): no displacement for it
    fields['implicitBias.linearized'] = trainer.delta && trainer.isActive('linearized') ? await weightedDisplacement(rt, E, trainer.delta, trainer.kernelScales) : null;
    fields['implicitBias.minNorm'] = prepared ? perMember(prepared.minNorm) : null;
    const N = train.n * k;
    const zTrain = this.z(o.train.f, train.f0);
    fields['implicitBias.functionDistance'] = null;
    if (prepared?.interpolant && o.test && test) {
      const T = test.n * k;
      const zTest = this.z(o.test.f, test.f0);
      fields['implicitBias.functionDistance'] = perMember(prepared.interpolant.map((p, e) => (p ? rms(NormsAndModes.member(zTest, e, T), p) : null)));
    }
    const { mean, std } = ensembleStats(fields);
    const at = (path: string) => mean[path] as number | null;
    const bound = (which: 'l1' | 'l2') => ({ norm: at(`generalization.pathNorm.${which}.norm`) as number, rademacher: at(`generalization.pathNorm.${which}.rademacher`) });
    const generalization: GeneralizationRecord = {
      pathNorm: net.depth === 1 ? { l1: bound('l1'), l2: bound('l2') } : null,
      rkhsNorm: prepared ? { empirical: at('generalization.rkhsNorm.empirical'), analytic: prepared.rkhsAnalytic } : null,
      ntkBound: this.arora(),
      gap: at('generalization.gap'),
    };
    const implicitBias: ImplicitBiasRecord = {
      network: at('implicitBias.network') as number,
      linearized: at('implicitBias.linearized'),
      minNorm: at('implicitBias.minNorm'),
      functionDistance: at('implicitBias.functionDistance'),
    };

    // modes of Θ_η(θ₀) (each member its own) and of Θ∞, for the MSE's closed form
    let modes: ModesRecord | null = null;
    if (prepared && o.mse) {
      const y = Float64Array.from(train.data.y!.flat());
      const zLin = o.train.fLin ? this.z(o.train.fLin, train.f0) : null;
      const residual = (z: Float64Array, e: number) => Float64Array.from(NormsAndModes.member(z, e, N), (v, i) => y[i] - v);
      const count = spec.observe.spectrum;
      const members = prepared.eigen.map((_, e) => ({ initial: prepared.r0[e], network: residual(zTrain, e), linearized: zLin ? residual(zLin, e) : null }));
      const lr = spec.train.lr;
      const empirical = modeStats(prepared.eigen.map((g, e) => residualModes(g, count, members[e], o.clock, lr)));
      // Θ∞'s eigenvalues are one closed form, not per member: no std for them
      const analytic = prepared.analytic ? modeStats(members.map((m) => residualModes(prepared.analytic!, count, m, o.clock, lr)), { perMemberEigenvalues: false }) : null;
      modes = { mode: o.clock.mode, empirical: empirical.mean, analytic: analytic ? analytic.mean : null };
      for (const [block, stats] of [['empirical', empirical], ['analytic', analytic]] as const) {
        if (stats) for (const [field, value] of Object.entries(stats.std)) std[`modes.${block}.${field}`] = value;
      }
    }
    return { generalization, implicitBias, modes, std };
  }
}
