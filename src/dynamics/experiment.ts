// One experiment at one width: the spec's data, a Trainer, and the records of DESIGN.md §5.
// `runExperiment` runs every width of a spec (a sweep) and ends with the fitted log-log slopes.
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { DataError, buildDataSet, isClassificationKind, type DataSet } from '../data';
import { accuracyRef, lossRef, type LossKind } from '../kernels/loss';
import { Mlp, type ForwardCache, type MlpConfig } from '../nets/mlp';
import { crossKernels, empiricalKernels, kernelBlock, stackInputs, toExampleMajor } from '../ntk/empirical';
import { specWidths, type ExperimentSpec } from '../spec';
import { THEORY_ACTIVATIONS, analyticKernels } from '../theory';
import { KernelRegression } from './kernel-regression';
import { SpectralNorm, alignment, coordinates, logLogSlope, meanStd, particles, pathNorm, relativeChange, topEigenvalues, weightChanges, weightNorms } from './observables';
import { Trainer, type DivergenceSite } from './trainer';

/** The closed form is solved for at most this many ensemble members (one eigendecomposition each). */
const KERNEL_REGRESSION_MEMBERS = 8;

export interface RunRecord {
  width: number[];
  step: number;
  /** gradient-flow time η·step (η·step/(1 − μ) with momentum μ) */
  time: number;
  trainLoss: number;
  testLoss: number | null;
  trainAccuracy?: number;
  testAccuracy?: number;
  /** losses of the linearised model (train.linearized) */
  linearTrainLoss?: number;
  linearTestLoss?: number | null;
  /** per dense layer, relative Frobenius ‖W(t) − W(0)‖_F/‖W(0)‖_F */
  weightChange: number[];
  /** per dense layer, relative spectral ‖W(t) − W(0)‖₂/‖W(0)‖₂ */
  weightChangeSpectral: number[];
  /** ‖Θ_t − Θ₀‖_F/‖Θ₀‖_F of Θ_η on the probe; null where Θ₀ = 0 (0/0) */
  ntkChange: number | null;
  /** kernel–target alignment of Θ_η; null where the probe has no labels, the labels are all zero or Θ = 0 */
  alignment: number | null;
  /** RMS of α·(f − f_lin) on the probe (null without the linearised model) */
  linearGap: number | null;
  coordinates: { mean_abs_h: number; mean_abs_dh: number }[];
  ntkEigenvalues: number[];
  /** closed-form kernel regression at the same time, from Θ₀ (empirical) and Θ∞ (analytic) */
  kernelRegression: { mode: 'gd' | 'flow'; empirical: { trainLoss: number; testLoss: number | null }; analytic: { trainLoss: number; testLoss: number | null } | null } | null;
  pathNorm?: number;
  particles?: { a: number[]; w: number[][] };
  std: Record<string, number | number[] | null>;
}

export interface DivergenceRecord {
  width: number[];
  step: number;
  /** the dense layer (0 = input … L = readout) whose parameters went non-finite first; null when only the loss did */
  layer: number | null;
  model: 'network' | 'linearized';
  lr: number;
  /**
   * 2(1 + μ)·n/(c·λ_max) with λ_max of the learning-rate-weighted Θ₀ and c the loss curvature (1/k for MSE);
   * null where Θ₀ has no positive finite eigenvalue (a zero kernel, or one that overflowed)
   */
  suggestedMaxLr: number | null;
  reason: string;
}

export type RunLine = RunRecord | { diverged: DivergenceRecord } | { summary: SweepSummary };

export interface SweepSummary {
  widths: number[];
  slopes: { ntkChange: number | null; linearGap: number | null; weightChange: (number | null)[]; trainLoss: number | null };
}

/** The network of a spec at one width. */
export function mlpConfig(spec: ExperimentSpec, hidden: readonly number[]): MlpConfig {
  const m = spec.model;
  return {
    inputDim: m.inputDim, hidden: [...hidden], outputDim: m.outputDim, activation: m.activation, parameterization: m.parameterization,
    weightStd: m.weightStd, biasStd: m.biasStd, alpha: m.alpha, centered: m.centered, ensemble: m.ensemble, seed: spec.seed,
  };
}

/** The train and test sets of a spec (seeded). */
export function specData(spec: ExperimentSpec): { train: DataSet; test: DataSet | null } {
  const { inputDim, outputDim } = spec.model;
  const train = buildDataSet(spec.data.train, spec.data.target, inputDim, outputDim, spec.seed, 'train');
  const test = spec.data.test ? buildDataSet(spec.data.test, spec.data.target, inputDim, outputDim, spec.seed, 'test') : null;
  return { train, test };
}

/** MSE, or cross-entropy as logistic (one output, ±1 labels) or softmax (one-hot labels). */
export function specLoss(spec: ExperimentSpec): LossKind {
  return spec.train.loss === 'mse' ? 'mse' : spec.model.outputDim === 1 ? 'logistic' : 'softmax';
}

/** Loss curvature bound c (ℓ'' ≤ c per output row): MSE 1/k, logistic 1/4, softmax 1/2. */
const curvature = (loss: LossKind, k: number) => (loss === 'mse' ? 1 / k : loss === 'logistic' ? 1 / 4 : 1 / 2);

interface Split {
  x: Tensor;
  data: DataSet;
  n: number;
  /** forward pass of θ₀ on these inputs, kept for the linearised model and the coordinate check */
  cache0: ForwardCache;
  /** f(θ₀) [E, n, k] */
  f0: Float32Array;
}

export class Experiment {
  readonly trainer: Trainer;
  readonly width: number[];
  readonly loss: LossKind;
  readonly classification: boolean;
  private readonly trainSplit: Split;
  private readonly testSplit: Split | null;
  private readonly probe: Split;
  /** Θ₀ on the probe, example-major per member */
  private readonly ntk0: Float64Array[];
  private readonly spectral: SpectralNorm[];
  private readonly initialNorms: { frobenius: Float32Array[]; spectral: Float32Array[] };
  private regression: { empirical: KernelRegression[]; analytic: KernelRegression[] | null; lambdaMax: number } | null = null;
  private finalRecord: RunRecord | null = null;
  diverged: DivergenceRecord | null = null;

  private constructor(readonly rt: Runtime, readonly spec: ExperimentSpec, init: { trainer: Trainer; width: number[]; trainSplit: Split; testSplit: Split | null; probe: Split; ntk0: Float64Array[]; spectral: SpectralNorm[]; norms: Experiment['initialNorms'] }) {
    this.trainer = init.trainer;
    this.width = init.width;
    this.trainSplit = init.trainSplit;
    this.testSplit = init.testSplit;
    this.probe = init.probe;
    this.ntk0 = init.ntk0;
    this.spectral = init.spectral;
    this.initialNorms = init.norms;
    this.loss = specLoss(spec);
    this.classification = this.loss !== 'mse' || isClassificationKind(spec.data.train.kind);
  }

  /** Builds the data, the networks and the initial observables for one width of a (validated) spec. */
  static async create(rt: Runtime, spec: ExperimentSpec, options: { hidden?: number[] } = {}): Promise<Experiment> {
    const width = options.hidden ?? specWidths(spec)[0];
    const { train, test } = specData(spec);
    if (!train.y) throw new DataError('data.train: expected labels to train on; received inputs without y (give "y" with the points, or a data.target)');
    const trainer = new Trainer(rt, mlpConfig(spec, width), { x: train.x, y: train.y }, {
      optimizer: spec.train.optimizer, lr: spec.train.lr, momentum: spec.train.momentum, batchSize: spec.train.batchSize,
      loss: specLoss(spec), frozen: spec.model.frozen, linearized: spec.train.linearized,
    });
    await trainer.start();
    const split = async (data: DataSet, x: Tensor, cache0: ForwardCache): Promise<Split> => ({ x, data, n: data.x.length, cache0, f0: await cache0.output.read() });
    // the train inputs and θ₀'s forward pass on them belong to the trainer
    const trainSplit = await split(train, trainer.trainX, trainer.initialTrainCache());
    let testSplit: Split | null = null;
    if (test) {
      const x = Tensor.from(rt, test.x.flat(), [test.x.length, spec.model.inputDim], 'x_test');
      testSplit = await split(test, x, trainer.initial.forward(x));
    }
    if (spec.observe.probe === 'test' && !testSplit) throw new DataError('observe.probe: expected a data.test set to probe; received probe "test" without one');
    const probe = spec.observe.probe === 'test' ? testSplit! : trainSplit;
    const E = trainer.net.ensemble;
    const k = spec.model.outputDim;
    // every kernel observable uses Θ_η, the kernel the dynamics follow (DESIGN.md §5, records)
    const kernels = empiricalKernels(rt, trainer.initial, probe.x, { parameterScales: trainer.kernelScales });
    const ntk0 = toExampleMajor(await kernels.ntk.read(), E, k, probe.n);
    kernels.ntk.dispose();
    kernels.nngp.dispose();
    const spectral = trainer.net.layers.map((layer, l) => new SpectralNorm(rt, E, layer.scales.fanOut, layer.scales.fanIn, spec.seed, 7919 + l));
    const norms = await weightNorms(rt, trainer.initial, spectral);
    return new Experiment(rt, spec, { trainer, width, trainSplit, testSplit, probe, ntk0, spectral, norms });
  }

  get net(): Mlp {
    return this.trainer.net;
  }
  get stepIndex(): number {
    return this.trainer.stepIndex;
  }
  get alpha(): number {
    return this.spec.model.alpha;
  }
  /** gradient-flow time of `steps` steps: η·steps, divided by (1 − μ) with momentum */
  timeOf(steps: number): number {
    return (this.spec.train.lr * steps) / (1 - this.spec.train.momentum);
  }

  /**
   * Runs `steps` optimiser steps and waits for the GPU (pages call this with a few steps per frame).
   * A divergence is noticed here, not only at the next record: `diverged` is set when it returns.
   */
  async train(steps: number): Promise<void> {
    if (this.diverged) return;
    this.trainer.step(steps);
    await this.rt.sync();
    // the update kernels' non-finite flags (a few bytes); record() turns a hit into the divergence record
    if (await this.trainer.divergence()) await this.record();
  }

  /** α·f − α·f₀ (centred) or α·f, as the model's outputs z [E, n, k]. */
  private modelOutputs(f: Float32Array, f0: Float32Array): Float64Array {
    const { alpha } = this;
    const centred = this.spec.model.centered;
    return Float64Array.from(f, (v, i) => alpha * v - (centred ? alpha * f0[i] : 0));
  }

  /** Parameter weights of Θ_η, the kernel GD follows (η_p/η; nets/parameterization.ts). */
  private get kernelScales(): { weight: number[]; bias: number[] } {
    return this.trainer.kernelScales;
  }

  /** The closed form's clock now: discrete GD steps for plain GD, else gradient-flow time. */
  private get closedFormTime(): { mode: 'gd' | 'flow'; at: number } {
    const { optimizer, momentum } = this.spec.train;
    const steps = this.trainer.stepIndex;
    return optimizer === 'gd' && momentum === 0 ? { mode: 'gd', at: steps } : { mode: 'flow', at: this.timeOf(steps) };
  }

  /** Θ∞(X1, X2) ⊗ I_k, example-major, for the ntk parameterization; weighted like Θ₀ (lrScale = 1, 1/α²), so the α's cancel. */
  private infiniteWidthKernel(x1: number[][], x2?: number[][]): number[][] {
    const m = this.spec.model;
    const k = m.outputDim;
    const K = analyticKernels({ depth: this.width.length, weightStd: m.weightStd, biasStd: m.biasStd, activation: m.activation }, x1, x2).ntk;
    return Array.from({ length: K.length * k }, (_, r) => Array.from({ length: K[0].length * k }, (_, c) => (r % k === c % k ? K[Math.floor(r / k)][Math.floor(c / k)] : 0)));
  }

  /** Per-member losses (and accuracies) of raw outputs f on a split with labels. */
  private lossesOf(f: Float32Array, split: Split): { loss: Float64Array; accuracy: Float64Array | null } | null {
    if (!split.data.y) return null;
    const k = this.spec.model.outputDim;
    const z = this.modelOutputs(f, split.f0);
    const y = split.data.y.flat();
    return { loss: lossRef(this.loss, z, y, split.n, k), accuracy: this.classification ? accuracyRef(z, y, split.n, k) : null };
  }

  /** The observables at the current step (or the divergence record, if the run diverged). */
  async record(): Promise<RunRecord | { diverged: DivergenceRecord }> {
    if (this.diverged) return { diverged: this.diverged };
    const { rt, trainer, spec } = this;
    const net = trainer.net;
    const E = net.ensemble;
    const k = spec.model.outputDim;
    const site = await trainer.divergence();
    if (site) {
      const model = site.model === 'linearized' ? "the linearised model's" : "the network's";
      return { diverged: await this.divergenceRecord(site, `${model} parameters of layer ${site.layer} became non-finite (not a number, or infinite) at step ${site.step}`) };
    }
    // network (and linearised) outputs on the train, test and probe inputs
    const outputs = async (split: Split) => {
      const cache = net.forward(split.x);
      const f = await cache.output.read();
      const fLin = trainer.delta ? await readAndDispose(trainer.linearOutputs(split.cache0)) : null;
      return { cache, f, fLin };
    };
    const trainOut = await outputs(this.trainSplit);
    const testOut = this.testSplit ? await outputs(this.testSplit) : null;
    const probeOut = this.probe === this.trainSplit ? trainOut : testOut!;
    const trainLosses = this.lossesOf(trainOut.f, this.trainSplit)!;
    const testLosses = testOut ? this.lossesOf(testOut.f, this.testSplit!) : null;
    const linearTrain = trainOut.fLin ? this.lossesOf(trainOut.fLin, this.trainSplit) : null;
    const linearTest = testOut?.fLin ? this.lossesOf(testOut.fLin, this.testSplit!) : null;
    // only non-finite parameters (above), outputs or losses are a divergence; each names its quantity
    const overflow = firstNonFinite([
      ["the network's outputs on the train set", trainOut.f], ["the network's outputs on the test set", testOut?.f], ['the train loss', trainLosses.loss], ['the test loss', testLosses?.loss],
    ]) ?? firstNonFinite([["the linearised model's outputs on the train set", trainOut.fLin], ["the linearised model's outputs on the test set", testOut?.fLin], ["the linearised model's train loss", linearTrain?.loss], ["the linearised model's test loss", linearTest?.loss]]);
    if (overflow) {
      Mlp.release(trainOut.cache);
      if (testOut) Mlp.release(testOut.cache);
      const model = overflow.startsWith("the linearised") ? 'linearized' : 'network';
      return { diverged: await this.divergenceRecord(null, `${overflow} became non-finite (float32 overflow)`, model) };
    }
    // linear gap: RMS over probe rows and outputs of α·(f − f_lin), per member
    let linearGap: Float64Array | null = null;
    if (probeOut.fLin) {
      const per = this.probe.n * k;
      linearGap = Float64Array.from({ length: E }, (_, e) => {
        let s = 0;
        for (let i = e * per; i < (e + 1) * per; i++) s += (this.alpha * (probeOut.f[i] - probeOut.fLin![i])) ** 2;
        return Math.sqrt(s / per);
      });
    }
    const coords = await coordinates(rt, probeOut.cache, this.probe.cache0, E);
    Mlp.release(trainOut.cache);
    if (testOut) Mlp.release(testOut.cache);
    // kernels on the probe
    const kernels = empiricalKernels(rt, net, this.probe.x, { parameterScales: this.kernelScales });
    const ntk = toExampleMajor(await kernels.ntk.read(), E, k, this.probe.n);
    kernels.ntk.dispose();
    kernels.nngp.dispose();
    const kernelOverflow = firstNonFinite([['the kernel Θ_η on the probe at initialisation', this.ntk0.flatMap((m) => Array.from(m))], ['the kernel Θ_η on the probe', ntk.flatMap((m) => Array.from(m))]]);
    if (kernelOverflow) return { diverged: await this.divergenceRecord(null, `${kernelOverflow} is non-finite (float32 overflow: the gradients are too large to represent)`) };
    const ntkChange = definedForAll(ntk.map((t, e) => relativeChange(t, this.ntk0[e])));
    const yProbe = this.probe.data.y?.flat() ?? null;
    const align = yProbe ? definedForAll(ntk.map((t) => alignment(t, yProbe))) : null;
    const eigen = ntk.map((t) => topEigenvalues(t, this.probe.n * k, spec.observe.spectrum));
    const changes = await weightChanges(rt, net, trainer.initial, this.initialNorms, this.spectral);
    const paths = net.depth === 1 ? await pathNorm(rt, net) : null;
    const regression = await this.kernelRegressionLosses();

    const perLayer = (arrays: ArrayLike<number>[]) => arrays.map((a) => meanStd(a));
    const wc = perLayer(changes.frobenius);
    const ws = perLayer(changes.spectral);
    const eigenStats = Array.from({ length: eigen[0].length }, (_, i) => meanStd(eigen.map((v) => v[i])));
    const coordStats = coords.map((c) => ({ abs: meanStd(c.meanAbs), change: meanStd(c.meanAbsChange) }));
    const stat = (a: ArrayLike<number> | null | undefined) => (a ? meanStd(a) : null);
    const tl = meanStd(trainLosses.loss);
    const te = stat(testLosses?.loss);
    const nc = stat(ntkChange);
    const al = stat(align);
    const lg = stat(linearGap);
    const record: RunRecord = {
      width: this.width,
      step: trainer.stepIndex,
      time: this.timeOf(trainer.stepIndex),
      trainLoss: tl.mean,
      testLoss: te?.mean ?? null,
      ...(trainLosses.accuracy ? { trainAccuracy: meanStd(trainLosses.accuracy).mean } : {}),
      ...(testLosses?.accuracy ? { testAccuracy: meanStd(testLosses.accuracy).mean } : {}),
      ...(linearTrain ? { linearTrainLoss: meanStd(linearTrain.loss).mean, linearTestLoss: linearTest ? meanStd(linearTest.loss).mean : null } : {}),
      weightChange: wc.map((s) => s.mean),
      weightChangeSpectral: ws.map((s) => s.mean),
      ntkChange: nc?.mean ?? null,
      alignment: al?.mean ?? null,
      linearGap: lg?.mean ?? null,
      coordinates: coordStats.map((c) => ({ mean_abs_h: c.abs.mean, mean_abs_dh: c.change.mean })),
      ntkEigenvalues: eigenStats.map((s) => s.mean),
      kernelRegression: regression,
      ...(paths ? { pathNorm: meanStd(paths).mean } : {}),
      std: {
        trainLoss: tl.std,
        testLoss: te?.std ?? null,
        weightChange: wc.map((s) => s.std),
        weightChangeSpectral: ws.map((s) => s.std),
        ntkChange: nc?.std ?? null,
        alignment: al?.std ?? null,
        linearGap: lg?.std ?? null,
        mean_abs_h: coordStats.map((c) => c.abs.std),
        mean_abs_dh: coordStats.map((c) => c.change.std),
        ntkEigenvalues: eigenStats.map((s) => s.std),
        ...(paths ? { pathNorm: meanStd(paths).std } : {}),
      },
    };
    if (net.depth === 1 && spec.observe.particles > 0) record.particles = await particles(rt, net, spec.observe.particles);
    // a safety net: an observable that is undefined is null above, so a non-finite one is overflow
    const field = nonFiniteField(record);
    if (field) return { diverged: await this.divergenceRecord(null, `the observable ${field} is non-finite (float32 overflow)`) };
    this.finalRecord = record;
    return record;
  }

  /** The latest finite record. */
  get lastRecord(): RunRecord | null {
    return this.finalRecord;
  }

  private async divergenceRecord(site: DivergenceSite | null, reason: string, model: DivergenceRecord['model'] = 'network'): Promise<DivergenceRecord> {
    const { spec } = this;
    // λ_max of Θ_η on the train set; none where that kernel is zero or itself overflowed
    const lambdaMax = await this.closedForms().then((c) => c.lambdaMax, (e: unknown) => (e instanceof NonFiniteKernelError ? null : Promise.reject(e)));
    const suggested = lambdaMax !== null && lambdaMax > 0 && Number.isFinite(lambdaMax) ? (2 * (1 + spec.train.momentum) * this.trainSplit.n) / (curvature(this.loss, spec.model.outputDim) * lambdaMax) : null;
    this.diverged = {
      width: this.width,
      step: site?.step ?? this.trainer.stepIndex,
      layer: site?.layer ?? null,
      model: site?.model ?? model,
      lr: spec.train.lr,
      suggestedMaxLr: suggested !== null && Number.isFinite(suggested) ? suggested : null,
      reason,
    };
    return this.diverged;
  }

  /**
   * The closed-form predictors of every member (up to KERNEL_REGRESSION_MEMBERS): kernel regression
   * with the learning-rate-weighted Θ₀ (the kernel GD follows, so the linearised model matches it)
   * and, for the ntk parameterization without frozen layers, with Θ∞. Built once, on first use.
   */
  private async closedForms(): Promise<NonNullable<Experiment['regression']>> {
    if (this.regression) return this.regression;
    const { rt, spec, trainer } = this;
    const k = spec.model.outputDim;
    const E = Math.min(trainer.net.ensemble, KERNEL_REGRESSION_MEMBERS);
    const test = this.testSplit;
    const scales = this.kernelScales;
    // one pass over [X; X*] gives both blocks, Θ(X, X) and Θ(X*, X)
    const n = this.trainSplit.n;
    const nt = test?.n ?? 0;
    const N = n + nt;
    const inputs = test ? stackInputs(rt, this.trainSplit.x, test.x) : this.trainSplit.x;
    const kernels = empiricalKernels(rt, trainer.initial, inputs, { parameterScales: scales });
    const all = await kernels.ntk.read();
    kernels.ntk.dispose();
    kernels.nngp.dispose();
    if (inputs !== this.trainSplit.x) inputs.dispose();
    if (!all.every(Number.isFinite)) throw new NonFiniteKernelError('the kernel Θ_η at initialisation on the train and test inputs is non-finite (float32 overflow)');
    const y = this.trainSplit.data.y!.flat().map((v) => [v]);
    const members = Array.from({ length: E }, (_, e) => e);
    const z0 = (split: Split, e: number) => memberColumn(this.modelOutputs(split.f0, split.f0), e, split.n * k);
    const empirical = members.map((e) => new KernelRegression({
      kernel: kernelBlock(all, e, k, N, N, 0, n, 0, n), y, f0: z0(this.trainSplit, e),
      testKernel: test ? kernelBlock(all, e, k, N, N, n, nt, 0, n) : undefined, testF0: test ? z0(test, e) : undefined, lr: spec.train.lr,
    }));
    let analytic: KernelRegression[] | null = null;
    const m = spec.model;
    if (m.parameterization === 'ntk' && m.frozen.length === 0 && THEORY_ACTIVATIONS.includes(m.activation)) {
      const trainTheory = this.infiniteWidthKernel(this.trainSplit.data.x);
      const testTheory = test ? this.infiniteWidthKernel(test.data.x, this.trainSplit.data.x) : undefined;
      analytic = members.map((e) => new KernelRegression({ kernel: trainTheory, y, f0: z0(this.trainSplit, e), testKernel: testTheory, testF0: test ? z0(test, e) : undefined, lr: spec.train.lr }));
    }
    this.regression = { empirical, analytic, lambdaMax: Math.max(...empirical.map((r) => r.maxEigenvalue)) };
    return this.regression;
  }

  /** Closed-form MSE losses at the current time (null for classification losses). */
  private async kernelRegressionLosses(): Promise<RunRecord['kernelRegression']> {
    if (this.loss !== 'mse') return null;
    const { empirical, analytic } = await this.closedForms();
    const { spec } = this;
    const { mode, at } = this.closedFormTime;
    const k = spec.model.outputDim;
    const losses = (predictors: KernelRegression[]) => {
      const predictions = predictors.map((p) => p.predict(mode, at));
      const testLoss = (test: number[][] | null) => (test && this.testSplit?.data.y ? lossRef('mse', test.flat(), this.testSplit.data.y.flat(), this.testSplit.n, k)[0] : null);
      const test = predictions.map((p) => testLoss(p.test));
      return {
        trainLoss: meanStd(predictions.map((p) => p.trainLoss)).mean,
        testLoss: test.every((t) => t !== null) ? meanStd(test as number[]).mean : null,
      };
    };
    return { mode, empirical: losses(empirical), analytic: analytic ? losses(analytic) : null };
  }

  /** Θ₀ and Θ_t on the probe inputs (ensemble means, (n·k)×(n·k), row i·k + a). */
  async probeKernels(): Promise<{ x: number[][]; initial: number[][]; current: number[][] }> {
    const { rt, spec } = this;
    const E = this.net.ensemble;
    const N = this.probe.n * spec.model.outputDim;
    const kernels = empiricalKernels(rt, this.net, this.probe.x, { parameterScales: this.kernelScales });
    const current = toExampleMajor(await kernels.ntk.read(), E, spec.model.outputDim, this.probe.n);
    kernels.ntk.dispose();
    kernels.nngp.dispose();
    const mean = (members: Float64Array[]) => Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => members.reduce((s, m) => s + m[i * N + j], 0) / members.length));
    return { x: this.probe.data.x, initial: mean(this.ntk0), current: mean(current) };
  }

  /** Ensemble-mean model outputs z on new inputs, of the network and of the linearised model. */
  async predict(points: number[][]): Promise<{ network: number[][]; linearized: number[][] | null }> {
    const { rt, trainer } = this;
    const k = this.spec.model.outputDim;
    const x = Tensor.from(rt, points.flat(), [points.length, this.spec.model.inputDim], 'x_predict');
    const cache0 = trainer.initial.forward(x);
    const cache = trainer.net.forward(x);
    const [f0, f] = [await cache0.output.read(), await cache.output.read()];
    const fLin = trainer.delta ? await readAndDispose(trainer.linearOutputs(cache0)) : null;
    [cache0, cache].forEach((c) => Mlp.release(c));
    x.dispose();
    const n = points.length;
    const mean = (values: Float32Array) => {
      const z = this.modelOutputs(values, f0);
      const E = z.length / (n * k);
      return Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, a) => {
        let s = 0;
        for (let e = 0; e < E; e++) s += z[(e * n + i) * k + a];
        return s / E;
      }));
    };
    return { network: mean(f), linearized: fLin ? mean(fLin) : null };
  }

  /** Closed-form kernel-regression predictions (MSE) on new inputs at the current time, mean over members. */
  async kernelRegression(points: number[][]): Promise<{ empirical: number[][]; analytic: number[][] | null }> {
    if (this.loss !== 'mse') throw new DataError(`kernel regression: defined for the MSE loss; this experiment trains with ${this.loss}`);
    const { rt, spec, trainer } = this;
    const k = spec.model.outputDim;
    const n = this.trainSplit.n;
    const t = points.length;
    const x = Tensor.from(rt, points.flat(), [t, spec.model.inputDim], 'x_predict');
    const cross = await crossKernels(rt, trainer.initial, x, this.trainSplit.x, { parameterScales: this.kernelScales });
    const cache0 = trainer.initial.forward(x);
    const f0 = await cache0.output.read();
    Mlp.release(cache0);
    x.dispose();
    const z0 = this.modelOutputs(f0, f0);
    const { mode, at } = this.closedFormTime;
    const { empirical, analytic } = await this.closedForms();
    // each member's predictor keeps its eigendecomposition: only the test kernel is new
    const average = (predict: (e: number) => number[][]) => {
      const all = empirical.map((_, e) => predict(e));
      return Array.from({ length: t }, (_, i) => Array.from({ length: k }, (_, a) => all.reduce((s, p) => s + p[i * k + a][0], 0) / all.length));
    };
    const emp = average((e) => empirical[e].predict(mode, at, { kernel: kernelBlock(cross.ntk, e, k, t, n), f0: memberColumn(z0, e, t * k) }).test!);
    let ana: number[][] | null = null;
    if (analytic) {
      const kernel = this.infiniteWidthKernel(points, this.trainSplit.data.x);
      ana = average((e) => analytic[e].predict(mode, at, { kernel, f0: memberColumn(z0, e, t * k) }).test!);
    }
    return { empirical: emp, analytic: ana };
  }

  dispose(): void {
    if (this.testSplit) {
      Mlp.release(this.testSplit.cache0);
      this.testSplit.x.dispose();
    }
    this.spectral.forEach((s) => s.dispose());
    this.trainer.dispose();
  }
}

/** Member e's slice of a flat [E, rows] array, as a column (rows × 1). */
function memberColumn(values: ArrayLike<number>, e: number, rows: number): number[][] {
  return Array.from({ length: rows }, (_, i) => [values[e * rows + i]]);
}

async function readAndDispose(t: Tensor): Promise<Float32Array> {
  const data = await t.read();
  t.dispose();
  return data;
}

/** What to try after a divergence, in words (the CLI's and the pages' one phrasing). */
export function divergenceAdvice(d: DivergenceRecord): string {
  return d.suggestedMaxLr !== null
    ? `a learning rate below ${d.suggestedMaxLr.toPrecision(3)} should converge`
    : 'no stable learning rate can be estimated (the kernel at initialisation is zero or non-finite)';
}

/** Θ_η overflowed float32, so no closed form or stable learning rate can be computed from it. */
class NonFiniteKernelError extends Error {
  override readonly name = 'NonFiniteKernelError';
}

/** The name of the first quantity with a non-finite entry (absent quantities are skipped). */
function firstNonFinite(quantities: [string, ArrayLike<number> | null | undefined][]): string | null {
  for (const [name, values] of quantities) {
    if (!values) continue;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return name;
  }
  return null;
}

/** Per-member values, or null when any member's is undefined (null): an ensemble mean over some members would mislead. */
function definedForAll(values: (number | null)[]): number[] | null {
  return values.every((v) => v !== null) ? (values as number[]) : null;
}

/** The path of the first non-finite number in a record (`ntkEigenvalues[0]`), or null. */
function nonFiniteField(value: unknown, path = ''): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = nonFiniteField(value[i], `${path}[${i}]`);
      if (p) return p;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const p = nonFiniteField(v, path ? `${path}.${key}` : key);
      if (p) return p;
    }
  }
  return null;
}

/**
 * Runs every width of a spec: a record every `recordEvery` steps (and at the first and last step);
 * a diverged width ends with its divergence line; a sweep ends with the summary of log-log slopes
 * of the last records against the first hidden width.
 */
export async function* runExperiment(rt: Runtime, spec: ExperimentSpec, options: { onStep?: (width: number[], step: number, total: number) => void; onWidthEnd?: (experiment: Experiment) => Promise<void> } = {}): AsyncGenerator<RunLine> {
  const widths = specWidths(spec);
  const finals: { width: number; record: RunRecord }[] = [];
  for (const hidden of widths) {
    const experiment = await Experiment.create(rt, spec, { hidden });
    try {
      const first = await experiment.record();
      yield first;
      let diverged = 'diverged' in first;
      const { steps, recordEvery } = spec.train;
      while (!diverged && experiment.stepIndex < steps) {
        const chunk = Math.min(recordEvery, steps - experiment.stepIndex);
        for (let s = 0; s < chunk; s++) {
          experiment.trainer.step(1);
          options.onStep?.(hidden, experiment.stepIndex, steps);
        }
        const line = await experiment.record();
        diverged = 'diverged' in line;
        yield line;
      }
      if (!diverged && experiment.lastRecord) finals.push({ width: hidden[0], record: experiment.lastRecord });
      await options.onWidthEnd?.(experiment);
    } finally {
      experiment.dispose();
    }
  }
  if (widths.length > 1) {
    const w = finals.map((f) => f.width);
    const slope = (pick: (r: RunRecord) => number | null) => {
      const values = finals.map((f) => pick(f.record));
      return values.every((v) => v !== null) ? logLogSlope(w, values as number[]) : null;
    };
    const layers = finals[0]?.record.weightChange.length ?? 0;
    yield {
      summary: {
        widths: w,
        slopes: {
          ntkChange: slope((r) => r.ntkChange),
          linearGap: slope((r) => r.linearGap),
          weightChange: Array.from({ length: layers }, (_, l) => slope((r) => r.weightChange[l])),
          trainLoss: slope((r) => r.trainLoss),
        },
      },
    };
  }
}
