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
import { meanModes, residualModes, type ModeClock } from './modes';
import { dynamicsKernel, meanStd } from './observables';
import type { GeneralizationRecord, ImplicitBiasRecord, ModesRecord } from './records';
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

const meanOrNull = (values: (number | null)[]): number | null => (values.length > 0 && values.every((v) => v !== null) ? meanStd(values as number[]).mean : null);

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
   * The three blocks at the current step. `f`: raw network outputs [E, n, k] on the train (and test)
   * set now, `fLin` the linearised model's; the losses are the record's ensemble means; `clock` the
   * closed form's (experiment.ts).
   */
  async record(o: { train: { f: Float32Array; fLin: Float32Array | null }; test: { f: Float32Array } | null; trainLoss: number; testLoss: number | null; clock: ModeClock; mse: boolean }): Promise<{ generalization: GeneralizationRecord; implicitBias: ImplicitBiasRecord; modes: ModesRecord | null }> {
    const { rt, spec, trainer, train, test, k } = this;
    const net = trainer.net;
    const E = net.ensemble;
    const prepared = await this.prepare();

    // path norms and their bounds (two-layer networks; the bounds for ReLU)
    let pathNorm: GeneralizationRecord['pathNorm'] = null;
    if (net.depth === 1) {
      const p = await pathNorms(rt, net);
      const [l1, l2, c] = [meanStd(p.l1).mean, meanStd(p.l2).mean, meanStd(p.readoutBias).mean];
      const bounds = spec.model.activation === 'relu'
        ? pathNormRademacher({ l1, l2, readoutBias: c, alpha: outputScale(net.config).alpha, n: train.n, sample: sampleBounds(train.data.x, net.layers[0].bias !== null) })
        : null;
      pathNorm = { l1: { norm: l1, rademacher: bounds?.l1 ?? null }, l2: { norm: l2, rademacher: bounds?.l2 ?? null } };
    }
    const generalization: GeneralizationRecord = {
      pathNorm,
      rkhsNorm: prepared ? { empirical: meanOrNull(prepared.rkhsEmpirical), analytic: prepared.rkhsAnalytic } : null,
      ntkBound: this.arora(),
      gap: o.testLoss === null ? null : o.testLoss - o.trainLoss,
    };

    // displacements in the S⁻¹ norm, every member
    const deltas = networkDisplacement(rt, net, trainer.initial);
    const network = await weightedDisplacement(rt, E, deltas, trainer.kernelScales);
    deltas.forEach((d) => [d.weight, d.bias].forEach((t) => t?.dispose()));
    // a stopped (diverged) linearised model has no displacement to report
    const linearized = trainer.delta && trainer.isActive('linearized') ? await weightedDisplacement(rt, E, trainer.delta, trainer.kernelScales) : null;
    const N = train.n * k;
    const zTrain = this.z(o.train.f, train.f0);
    let functionDistance: number | null = null;
    if (prepared?.interpolant && o.test && test) {
      const T = test.n * k;
      const zTest = this.z(o.test.f, test.f0);
      functionDistance = meanOrNull(prepared.interpolant.map((p, e) => (p ? rms(NormsAndModes.member(zTest, e, T), p) : null)));
    }
    const implicitBias: ImplicitBiasRecord = {
      network: meanStd(network).mean,
      linearized: linearized ? meanStd(linearized).mean : null,
      minNorm: prepared ? meanOrNull(prepared.minNorm) : null,
      functionDistance,
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
      modes = {
        mode: o.clock.mode,
        empirical: count > 0 ? meanModes(prepared.eigen.map((g, e) => residualModes(g, count, members[e], o.clock, lr))) : [],
        analytic: prepared.analytic ? (count > 0 ? meanModes(members.map((m) => residualModes(prepared.analytic!, count, m, o.clock, lr))) : []) : null,
      };
    }
    return { generalization, implicitBias, modes };
  }
}
