// One experiment at one width, its life cycle: the spec's data, a Trainer, and the records of
// DESIGN.md §5 (records.ts), with the closed forms beside it (closed-forms.ts). `runExperiment`
// (sweep.ts) runs every width of a spec.
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { DataError, isClassificationKind, type DataSet } from '../data';
import { accuracyRef, lossRef, type LossKind } from '../kernels/loss';
import { Mlp, type ForwardCache } from '../nets/mlp';
import { modelOutputs, outputScale } from '../nets/output-scale';
import { crossKernels, empiricalKernels, kernelBlock, stackInputs } from '../ntk/empirical';
import { analyticSpecKernels, mlpConfig, specData, specLoss, specWidths, type ExperimentSpec } from '../spec';
import { KernelRegression } from './kernel-regression';
import { SpectralNorm, alignment, coordinates, dynamicsKernel, meanStd, particles, pathNorm, relativeChange, topEigenvalues, weightChanges, weightNorms } from './observables';
import { Trainer, type DivergenceSite } from './trainer';
import { KERNEL_REGRESSION_MEMBERS, NonFiniteKernelError, closedFormClock, closedFormLosses, type ClosedFormMode, memberColumn, perOutput, suggestedMaxLr } from './closed-forms';
import { NormsAndModes } from './norms-and-modes';
import { ModelComparison } from './model-comparison';
import { CATAPULT_FACTOR, detectCatapult, sharpness } from './sharpness';
import { kernelsFile, type KernelsFile } from './kernels-file';
import { CheckpointError, type SavedState, type StateBuffers } from './checkpoint';
import { definedForAll, ensembleStats, firstNonFinite, nonFiniteField, type DivergenceRecord, type RunRecord } from './records';

export * from './records';
export { runExperiment } from './sweep';
export { CATAPULT_FACTOR };

/** How a reason names each model's parameters or outputs. */
const MODEL_NAMES = { network: "the network's", linearized: "the linearised model's", quadratic: "the quadratic model's" } as const;

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
  readonly loss: LossKind;
  readonly classification: boolean;
  private regression: { empirical: KernelRegression[]; analytic: KernelRegression[] | null; lambdaMax: number } | null = null;
  private finalRecord: RunRecord | null = null;
  /** the generalization, implicitBias and modes blocks (norms-and-modes.ts), made at the first record */
  private normsAndModes: NormsAndModes | null = null;
  diverged: DivergenceRecord | null = null;
  /** the side models' divergence lines not yet handed out (takeSideLines) */
  private sideLines: { diverged: DivergenceRecord }[] = [];
  /** the last finite Θ_η on the probe a record saw, with its step (kernels-file.ts: written after a divergence) */
  private lastProbeKernel: { step: number; members: Float64Array[] } | null = null;
  /** (step, train loss, sharpness) of every record, for the catapult (sharpness.ts) */
  private history: { step: number; loss: number; sharpness: number }[] = [];
  /** train.compare: the random-features model trained beside this one (model-comparison.ts), for the CLI and the pages alike */
  private comparison: ModelComparison | null = null;

  private constructor(
    readonly rt: Runtime,
    readonly spec: ExperimentSpec,
    readonly trainer: Trainer,
    readonly width: number[],
    private readonly trainSplit: Split,
    private readonly testSplit: Split | null,
    private readonly probe: Split,
    /** Θ₀ on the probe, example-major per member */
    private readonly ntk0: Float64Array[],
    private readonly spectral: SpectralNorm[],
    private readonly initialNorms: { frobenius: Float32Array[]; spectral: Float32Array[] },
  ) {
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
      loss: specLoss(spec), frozen: spec.model.frozen, linearized: spec.train.linearized || spec.train.compare, // compare's NT is the linearised model
      weightDecay: spec.train.weightDecay,
      quadratic: spec.train.quadratic,
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
    const ntk0 = await dynamicsKernel(trainer.initial, probe.x, trainer.kernelScales);
    const spectral = trainer.net.layers.map((layer, l) => new SpectralNorm(rt, E, layer.scales.fanOut, layer.scales.fanIn, spec.seed, 7919 + l));
    const norms = await weightNorms(rt, trainer.initial, spectral);
    const experiment = new Experiment(rt, spec, trainer, width, trainSplit, testSplit, probe, ntk0, spectral, norms);
    if (spec.train.compare) {
      try {
        experiment.comparison = await ModelComparison.create(rt, spec, experiment);
      } catch (e) {
        experiment.dispose();
        throw e;
      }
    }
    return experiment;
  }

  get net(): Mlp {
    return this.trainer.net;
  }
  get stepIndex(): number {
    return this.trainer.stepIndex;
  }
  get alpha(): number {
    return outputScale(this.net.config).alpha;
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
    this.step(steps);
    await this.rt.sync();
    // the update kernels' non-finite flags (a few bytes); record() turns a hit into the divergence record
    if (await this.trainer.divergence()) await this.record();
  }

  /**
   * Records `count` optimiser steps of every model this experiment trains (the network with its side
   * models, and train.compare's random features); nothing is read back. `train` and the CLI's runner
   * (sweep.ts) both step through here.
   */
  step(count = 1): void {
    this.trainer.step(count);
    this.comparison?.step(count);
  }

  /** The model's outputs z [E, n, k] (nets/output-scale.ts: α·f, or α·(f − f₀) when centred). */
  private modelOutputs(f: Float32Array, f0: Float32Array): Float64Array {
    return modelOutputs(this.net.config, f, f0);
  }

  /** Parameter weights of Θ_η, the kernel GD follows (η_p/η; nets/parameterization.ts). */
  private get kernelScales(): { weight: number[]; bias: number[] } {
    return this.trainer.kernelScales;
  }

  /** The closed form's clock now (closed-forms.ts's closedFormClock: full-batch "sgd" is "gd"). */
  private get closedFormTime(): { mode: ClosedFormMode; at: number } {
    return closedFormClock(this.spec.train, this.trainSplit.n, this.trainer.stepIndex);
  }

  /** Θ∞(X1, X2) ⊗ I_k, example-major, in the units of Θ_η (spec/resolve.ts); null where the theory does not apply. */
  private infiniteWidthKernel(x1: number[][], x2?: number[][]): number[][] | null {
    const k = this.spec.model.outputDim;
    const K = analyticSpecKernels(this.spec, this.width, 'dynamics', x1, x2)?.ntk;
    return K ? perOutput(K, k) : null;
  }

  /** Per-member losses (and accuracies) of raw outputs f on a split with labels. */
  private lossesOf(f: Float32Array, split: Split): { loss: Float64Array; accuracy: Float64Array | null } | null {
    if (!split.data.y) return null;
    const k = this.spec.model.outputDim;
    const z = this.modelOutputs(f, split.f0);
    const y = split.data.y.flat();
    return { loss: lossRef(this.loss, z, y, split.n, k), accuracy: this.classification ? accuracyRef(z, y, split.n, k) : null };
  }

  /** The observables at the current step (or the divergence record, if the run diverged), with train.compare's `models` block. */
  async record(): Promise<RunRecord | { diverged: DivergenceRecord }> {
    return ModelComparison.merge(this.comparison, await this.networkRecord());
  }

  private async networkRecord(): Promise<RunRecord | { diverged: DivergenceRecord }> {
    if (this.diverged) return { diverged: this.diverged };
    const { rt, trainer, spec } = this;
    const net = trainer.net;
    const E = net.ensemble;
    const k = spec.model.outputDim;
    const sites = await trainer.divergences();
    const site = sites.find((s) => s.model === 'network');
    if (site) return { diverged: await this.divergenceRecord(site, `${MODEL_NAMES.network} parameters of layer ${site.layer} became non-finite (not a number, or infinite) at step ${site.step}`) };
    // a side model's divergence is its own line and stops that model only
    for (const s of sites) if (s.model !== 'network' && trainer.isActive(s.model)) await this.stopSideModel(s.model, s, `${MODEL_NAMES[s.model]} parameters of layer ${s.layer} became non-finite (not a number, or infinite) at step ${s.step}`);
    // network (and linearised, quadratic) outputs on the train, test and probe inputs
    const outputs = async (split: Split) => {
      const cache = net.forward(split.x);
      const linear = trainer.delta && trainer.isActive('linearized') ? trainer.linearOutputs(split.cache0) : null;
      const quadratic = trainer.quadDelta && trainer.isActive('quadratic') ? trainer.quadraticOutputs(split.cache0) : null;
      const side = [linear, quadratic].filter((t): t is Tensor => t !== null);
      const [f, ...rest] = await rt.readMany([cache.output, ...side]);
      side.forEach((t) => t.dispose());
      return { cache, f, fLin: linear ? rest[0] : null, fQuad: quadratic ? rest[linear ? 1 : 0] : null };
    };
    const trainOut = await outputs(this.trainSplit);
    const testOut = this.testSplit ? await outputs(this.testSplit) : null;
    const probeOut = this.probe === this.trainSplit ? trainOut : testOut!;
    const trainLosses = this.lossesOf(trainOut.f, this.trainSplit)!;
    const testLosses = testOut ? this.lossesOf(testOut.f, this.testSplit!) : null;
    let linearTrain = trainOut.fLin ? this.lossesOf(trainOut.fLin, this.trainSplit) : null;
    let linearTest = testOut?.fLin ? this.lossesOf(testOut.fLin, this.testSplit!) : null;
    let quadraticTrain = trainOut.fQuad ? this.lossesOf(trainOut.fQuad, this.trainSplit) : null;
    let quadraticTest = testOut?.fQuad ? this.lossesOf(testOut.fQuad, this.testSplit!) : null;
    // only non-finite parameters (above), outputs or losses are a divergence; each names its quantity
    const overflow = firstNonFinite([
      ["the network's outputs on the train set", trainOut.f], ["the network's outputs on the test set", testOut?.f], ['the train loss', trainLosses.loss], ['the test loss', testLosses?.loss],
    ]);
    if (overflow) {
      Mlp.release(trainOut.cache);
      if (testOut) Mlp.release(testOut.cache);
      return { diverged: await this.divergenceRecord(null, `${overflow} became non-finite (float32 overflow)`) };
    }
    // a side model whose outputs or losses overflowed stops; the record goes on without it
    const sideOverflow = (model: 'linearized' | 'quadratic', values: [string, ArrayLike<number> | null | undefined][]) => firstNonFinite(values.map(([what, v]) => [`${MODEL_NAMES[model]} ${what}`, v]));
    const linearOverflow = sideOverflow('linearized', [['outputs on the train set', trainOut.fLin], ['outputs on the test set', testOut?.fLin], ['train loss', linearTrain?.loss], ['test loss', linearTest?.loss]]);
    if (linearOverflow) {
      await this.stopSideModel('linearized', null, `${linearOverflow} became non-finite (float32 overflow)`);
      [trainOut.fLin, linearTrain, linearTest] = [null, null, null];
      if (testOut) testOut.fLin = null;
    }
    const quadraticOverflow = sideOverflow('quadratic', [['outputs on the train set', trainOut.fQuad], ['outputs on the test set', testOut?.fQuad], ['train loss', quadraticTrain?.loss], ['test loss', quadraticTest?.loss]]);
    if (quadraticOverflow) {
      await this.stopSideModel('quadratic', null, `${quadraticOverflow} became non-finite (float32 overflow)`);
      [trainOut.fQuad, quadraticTrain, quadraticTest] = [null, null, null];
      if (testOut) testOut.fQuad = null;
    }
    // linear (quadratic) gap: RMS over probe rows and outputs of α·(f − f_lin) (α·(f − f_quad)), per member
    const gap = (side: Float32Array | null) => {
      if (!side) return null;
      const per = this.probe.n * k;
      return Float64Array.from({ length: E }, (_, e) => {
        let s = 0;
        for (let i = e * per; i < (e + 1) * per; i++) s += (this.alpha * (probeOut.f[i] - side[i])) ** 2;
        return Math.sqrt(s / per);
      });
    };
    const linearGap = gap(probeOut.fLin);
    const quadraticGap = gap(probeOut.fQuad);
    const coords = await coordinates(rt, probeOut.cache, this.probe.cache0, E);
    // kernels on the probe, from the forward pass just made there
    const ntk = await dynamicsKernel(net, this.probe.x, this.kernelScales, probeOut.cache);
    // sharpness on the train set (sharpness.ts), from Θ_η there (the probe's when the probe is the train set)
    const trainNtk = this.probe === this.trainSplit ? ntk : await dynamicsKernel(net, this.trainSplit.x, this.kernelScales, trainOut.cache);
    const trainZ = this.modelOutputs(trainOut.f, this.trainSplit.f0);
    // lstsq solves in one step that does not depend on η: no sharpness (null), not η·λ_max/n of an lr it never used
    const sharp = spec.train.optimizer !== 'lstsq' && trainNtk.every((m) => m.every(Number.isFinite))
      ? Float64Array.from(trainNtk, (K, e) => sharpness(K, trainZ.subarray(e * this.trainSplit.n * k, (e + 1) * this.trainSplit.n * k), { loss: this.loss, n: this.trainSplit.n, k, lr: spec.train.lr }))
      : null;
    Mlp.release(trainOut.cache);
    if (testOut) Mlp.release(testOut.cache);
    const kernelOverflow = firstNonFinite([['the kernel Θ_η on the probe at initialisation', this.ntk0.flatMap((m) => Array.from(m))], ['the kernel Θ_η on the probe', ntk.flatMap((m) => Array.from(m))]]);
    if (kernelOverflow) return { diverged: await this.divergenceRecord(null, `${kernelOverflow} is non-finite (float32 overflow: the gradients are too large to represent)`) };
    this.lastProbeKernel = { step: trainer.stepIndex, members: ntk };
    const ntkChange = definedForAll(ntk.map((t, e) => relativeChange(t, this.ntk0[e])));
    const yProbe = this.probe.data.y?.flat() ?? null;
    const align = yProbe ? definedForAll(ntk.map((t) => alignment(t, yProbe))) : null;
    const eigen = ntk.map((t) => topEigenvalues(t, this.probe.n * k, spec.observe.spectrum));
    const changes = await weightChanges(rt, net, trainer.initial, this.initialNorms, this.spectral);
    const paths = net.depth === 1 ? await pathNorm(rt, net) : null;
    const regression = await this.kernelRegressionLosses();

    // every observable per member, then its ensemble mean and standard deviation in one pass (records.ts)
    const { mean, std } = ensembleStats({
      trainLoss: trainLosses.loss, testLoss: testLosses?.loss ?? null,
      weightChange: changes.frobenius, weightChangeSpectral: changes.spectral,
      ntkChange, alignment: align, linearGap, quadraticGap, sharpness: sharp,
      mean_abs_h: coords.map((c) => c.meanAbs), mean_abs_dh: coords.map((c) => c.meanAbsChange),
      ntkEigenvalues: Array.from({ length: eigen[0].length }, (_, i) => eigen.map((v) => v[i])),
      ...(paths ? { pathNorm: paths } : {}),
    });
    const only = (a: ArrayLike<number> | null | undefined) => (a ? meanStd(a).mean : null);
    this.normsAndModes ??= new NormsAndModes(rt, spec, this.width, trainer, this.trainSplit, this.testSplit);
    const { std: issue13Std, ...issue13 } = await this.normsAndModes.record({ train: trainOut, test: testOut, trainLoss: trainLosses.loss, testLoss: testLosses?.loss ?? null, clock: { ...this.closedFormTime, ridge: this.trainSplit.n * spec.model.outputDim * spec.train.weightDecay }, mse: this.loss === 'mse' });
    const record: RunRecord = {
      width: this.width,
      step: trainer.stepIndex,
      time: this.timeOf(trainer.stepIndex),
      trainLoss: mean.trainLoss as number,
      testLoss: mean.testLoss as number | null,
      ...(trainLosses.accuracy ? { trainAccuracy: only(trainLosses.accuracy)! } : {}),
      ...(testLosses?.accuracy ? { testAccuracy: only(testLosses.accuracy)! } : {}),
      ...(linearTrain ? { linearTrainLoss: only(linearTrain.loss)!, linearTestLoss: only(linearTest?.loss) } : {}),
      weightChange: mean.weightChange as number[],
      weightChangeSpectral: mean.weightChangeSpectral as number[],
      ntkChange: mean.ntkChange as number | null,
      alignment: mean.alignment as number | null,
      linearGap: mean.linearGap as number | null,
      coordinates: (mean.mean_abs_h as number[]).map((h, l) => ({ mean_abs_h: h, mean_abs_dh: (mean.mean_abs_dh as number[])[l] })),
      ntkEigenvalues: mean.ntkEigenvalues as number[],
      kernelRegression: regression,
      ...(paths ? { pathNorm: mean.pathNorm as number } : {}),
      ...issue13,
      ...(quadraticTrain ? { quadraticTrainLoss: only(quadraticTrain.loss)!, quadraticTestLoss: only(quadraticTest?.loss) } : {}),
      ...(trainer.quadDelta ? { quadraticGap: mean.quadraticGap as number | null } : {}),
      sharpness: mean.sharpness as number | null,
      // the issue-13 blocks' entries under their dotted paths (norms-and-modes.ts)
      std: { ...std, ...issue13Std },
    };
    await this.linearDisplacementOverflow(record);
    // the catapult so far, from the recorded train losses and sharpness (sharpness.ts)
    if (record.sharpness != null && this.history.at(-1)?.step !== record.step) this.history.push({ step: record.step, loss: record.trainLoss, sharpness: record.sharpness });
    record.catapult = detectCatapult(this.history, { momentum: spec.train.momentum });
    // two-layer nets only: the spec refuses observe.particles > 0 for others (spec/particles-checks.ts)
    if (spec.observe.particles > 0) record.particles = await particles(rt, net, spec.observe.particles);
    // a safety net: an observable that is undefined is null above, so a non-finite one is overflow
    const field = nonFiniteField(record);
    if (field) return { diverged: await this.divergenceRecord(null, `the observable ${field} is non-finite (float32 overflow)`) };
    this.finalRecord = record;
    return record;
  }

  /**
   * The linearised model's displacement Σ_p (η/η_p)·‖θ_p − θ_p(0)‖² (implicitBias.linearized) overflows
   * float32 before its outputs do when it diverges (by |1 − ηλ₀| per step in the catapult): that is the
   * side model's divergence, its own line, not the network's; its fields leave this record.
   */
  private async linearDisplacementOverflow(record: RunRecord): Promise<void> {
    const value = record.implicitBias?.linearized;
    if (value === null || value === undefined || Number.isFinite(value)) return;
    await this.stopSideModel('linearized', null, `${MODEL_NAMES.linearized} displacement implicitBias.linearized became non-finite (float32 overflow)`);
    record.implicitBias!.linearized = null;
    record.std['implicitBias.linearized'] = null;
    delete record.linearTrainLoss;
    delete record.linearTestLoss;
    record.linearGap = null;
  }

  /** The latest finite record. */
  get lastRecord(): RunRecord | null {
    return this.finalRecord;
  }

  /**
   * Records a side model's divergence as its own line (takeSideLines) and stops training that model;
   * the network goes on (DESIGN.md §5).
   */
  private async stopSideModel(model: 'linearized' | 'quadratic', site: DivergenceSite | null, reason: string): Promise<void> {
    this.trainer.stopModel(model);
    this.sideLines.push({ diverged: await this.divergenceInfo(site, reason, model) });
  }

  /** The side models' divergence lines since the last call (runExperiment prints them before the record). */
  takeSideLines(): { diverged: DivergenceRecord }[] {
    const lines = this.sideLines;
    this.sideLines = [];
    return lines;
  }

  private async divergenceRecord(site: DivergenceSite | null, reason: string, model: DivergenceRecord['model'] = 'network'): Promise<DivergenceRecord> {
    this.diverged = await this.divergenceInfo(site, reason, model);
    return this.diverged;
  }

  private async divergenceInfo(site: DivergenceSite | null, reason: string, model: DivergenceRecord['model']): Promise<DivergenceRecord> {
    const { spec } = this;
    // λ_max of Θ_η on the train set; none where that kernel is zero or itself overflowed
    const lambdaMax = await this.closedForms().then((c) => c.lambdaMax, (e: unknown) => (e instanceof NonFiniteKernelError ? null : Promise.reject(e)));
    const suggested = lambdaMax === null ? null : suggestedMaxLr(lambdaMax, { n: this.trainSplit.n, k: spec.model.outputDim, momentum: spec.train.momentum, loss: this.loss, weightDecay: spec.train.weightDecay });
    return {
      width: this.width,
      step: site?.step ?? this.trainer.stepIndex,
      layer: site?.layer ?? null,
      model: site?.model ?? model,
      lr: spec.train.lr,
      suggestedMaxLr: suggested,
      reason,
    };
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
      testKernel: test ? kernelBlock(all, e, k, N, N, n, nt, 0, n) : undefined, testF0: test ? z0(test, e) : undefined, lr: spec.train.lr, weightDecay: spec.train.weightDecay,
    }));
    let analytic: KernelRegression[] | null = null;
    const trainTheory = this.infiniteWidthKernel(this.trainSplit.data.x);
    if (trainTheory) {
      const testTheory = test ? this.infiniteWidthKernel(test.data.x, this.trainSplit.data.x)! : undefined;
      analytic = members.map((e) => new KernelRegression({ kernel: trainTheory, y, f0: z0(this.trainSplit, e), testKernel: testTheory, testF0: test ? z0(test, e) : undefined, lr: spec.train.lr, weightDecay: spec.train.weightDecay }));
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
    const testY = this.testSplit?.data.y ?? null;
    const losses = (predictors: KernelRegression[]) => closedFormLosses(predictors, mode, at, testY, k);
    return { mode, empirical: losses(empirical), analytic: analytic ? losses(analytic) : null };
  }

  /** Θ₀ and Θ_t on the probe inputs (ensemble means, (n·k)×(n·k), row i·k + a). */
  async probeKernels(): Promise<{ x: number[][]; initial: number[][]; current: number[][] }> {
    const { spec } = this;
    const N = this.probe.n * spec.model.outputDim;
    const current = await dynamicsKernel(this.net, this.probe.x, this.kernelScales);
    const mean = (members: Float64Array[]) => Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => members.reduce((s, m) => s + m[i * N + j], 0) / members.length));
    return { x: this.probe.data.x, initial: mean(this.ntk0), current: mean(current) };
  }

  /**
   * The state between two records, for a checkpoint (checkpoint.ts): the trainer's, the power
   * iterations', the records' history and the last probe kernel, and train.compare's model beside it
   * (its buffers under "rf."). Call it between records only: the side models' lines are taken then.
   */
  async saveState(buffers: StateBuffers = new Map(), prefix = ''): Promise<SavedState> {
    if (this.diverged) throw new CheckpointError('a diverged network has nothing left to train: its point is over, not checkpointed');
    const trainer = await this.trainer.saveState(buffers, prefix);
    const spectral: number[] = [];
    for (const [l, s] of this.spectral.entries()) spectral.push(await s.saveState(buffers, `${prefix}spectral${l}`));
    if (this.lastProbeKernel) this.lastProbeKernel.members.forEach((m, e) => buffers.set(`${prefix}probeKernel${e}`, new Uint8Array(m.buffer.slice(m.byteOffset, m.byteOffset + m.byteLength))));
    const values: Record<string, unknown> = {
      trainer,
      spectral,
      history: this.history,
      probeKernel: this.lastProbeKernel ? { step: this.lastProbeKernel.step, members: this.lastProbeKernel.members.length } : null,
      finalRecord: this.finalRecord,
    };
    if (this.comparison) values.comparison = await this.comparison.saveState(buffers, `${prefix}rf.`);
    return { values, buffers };
  }

  /** Restores a state saved from an experiment of the same spec and width (a fresh one: Experiment.create). */
  async restoreState(state: SavedState, prefix = ''): Promise<void> {
    const v = state.values as { trainer: Record<string, unknown>; spectral: number[]; history: Experiment['history']; probeKernel: { step: number; members: number } | null; finalRecord: RunRecord | null; comparison?: Record<string, unknown> };
    if (v.spectral?.length !== this.spectral.length) throw new CheckpointError(`the checkpoint is of a network with ${v.spectral?.length ?? 0} layers, this one has ${this.spectral.length}`);
    this.trainer.restoreState(state.buffers, prefix, v.trainer);
    v.spectral.forEach((calls, l) => this.spectral[l].restoreState(state.buffers, `${prefix}spectral${l}`, calls));
    this.history = v.history.map((h) => ({ ...h }));
    this.lastProbeKernel = v.probeKernel
      ? { step: v.probeKernel.step, members: Array.from({ length: v.probeKernel.members }, (_, e) => new Float64Array(state.buffers.get(`${prefix}probeKernel${e}`)!.slice().buffer)) }
      : null;
    this.finalRecord = v.finalRecord;
    if (this.comparison) {
      if (!v.comparison) throw new CheckpointError('the checkpoint has no train.compare model; it was written for another spec');
      await this.comparison.restoreState({ values: v.comparison, buffers: state.buffers }, `${prefix}rf.`);
    }
    await this.rt.sync();
  }

  /** The body of kernels-<width>.json (kernels-file.ts): after a divergence, the last finite Θ_t with its step and `diverged`. */
  async kernelsFile(): Promise<KernelsFile> {
    const N = this.probe.n * this.spec.model.outputDim;
    return kernelsFile({ x: this.probe.data.x, N, step: this.stepIndex, initial: this.ntk0, last: this.lastProbeKernel, diverged: this.diverged, current: () => dynamicsKernel(this.net, this.probe.x, this.kernelScales) });
  }

  /** Ensemble-mean model outputs z on new inputs, of the network and of the linearised and quadratic models (null when not trained or stopped). */
  async predict(points: number[][]): Promise<{ network: number[][]; linearized: number[][] | null; quadratic: number[][] | null }> {
    const { rt, trainer } = this;
    const k = this.spec.model.outputDim;
    const x = Tensor.from(rt, points.flat(), [points.length, this.spec.model.inputDim], 'x_predict');
    const cache0 = trainer.initial.forward(x);
    const cache = trainer.net.forward(x);
    const linear = trainer.delta && trainer.isActive('linearized') ? trainer.linearOutputs(cache0) : null;
    const quadratic = trainer.quadDelta && trainer.isActive('quadratic') ? trainer.quadraticOutputs(cache0) : null;
    const [f0, f, ...side] = await rt.readMany([cache0.output, cache.output, ...(linear ? [linear] : []), ...(quadratic ? [quadratic] : [])]);
    const fLin = linear ? side[0] : null;
    const fQuad = quadratic ? side[linear ? 1 : 0] : null;
    linear?.dispose();
    quadratic?.dispose();
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
    return { network: mean(f), linearized: fLin ? mean(fLin) : null, quadratic: fQuad ? mean(fQuad) : null };
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
    const solve = (r: KernelRegression, test: { kernel: number[][]; f0?: number[][] }) => (mode === 'limit' ? r.limit(test) : r.predict(mode, at, test));
    const emp = average((e) => solve(empirical[e], { kernel: kernelBlock(cross.ntk, e, k, t, n), f0: memberColumn(z0, e, t * k) }).test!);
    let ana: number[][] | null = null;
    if (analytic) {
      const kernel = this.infiniteWidthKernel(points, this.trainSplit.data.x)!;
      ana = average((e) => solve(analytic[e], { kernel, f0: memberColumn(z0, e, t * k) }).test!);
    }
    return { empirical: emp, analytic: ana };
  }

  dispose(): void {
    if (this.testSplit) {
      Mlp.release(this.testSplit.cache0);
      this.testSplit.x.dispose();
    }
    this.spectral.forEach((s) => s.dispose());
    this.comparison?.dispose();
    this.trainer.dispose();
  }
}
