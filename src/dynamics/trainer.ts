// Training on the GPU: full-batch GD or mini-batch SGD, both with optional heavy-ball momentum,
// for all E ensemble members at once, and the linearised model trained side by side.
//
// Objective. The model is z = α·f(θ) (α·(f(θ) − f(θ₀)) when centred) and the optimiser minimises
// L(z)/α², the lazy-training scaling of Chizat, Oyallon & Bach (arXiv:1812.07956): the learning
// rate of parameter group p is η·lrScale_p/α², with lrScale_p from the parameterization
// (nets/parameterization.ts). Records report L itself.
//
// Weight decay (train.weightDecay λ): the objective gets (λ/2)·Σ_p (η/η_p)·‖θ_p − θ_p(0)‖², the
// penalty in the metric of the per-group rates (the norm of implicitBias), so every group decays
// at the base rate: θ_p ← θ_p − η_p·∇_p L − η·λ·(θ_p − θ_p(0)) (the kernel's decay = λ·η/η_p).
// The linearised model (Δ = θ − θ₀, anchor 0) then obeys u ← (1 − ηλ)·u − (η/(nk))·Θ_η·r with
// u = z − z₀, whose limit is kernel ridge regression with Θ_η and ridge n·k·λ (kernel-regression.ts).
//
// Linearised model (Lee et al. 2019, arXiv:1902.06720): f_lin(θ) = f(θ₀) + J(θ₀)·(θ − θ₀). It is
// trained with the same optimiser and batches through the JVP at θ₀ (outputs) and the VJP at θ₀
// (gradients J(θ₀)ᵀ·r); only Δ = θ − θ₀ is stored.
//
// Quadratic model (train.quadratic; nets/second-order.ts): f_quad(θ) = f(θ₀) + J(θ₀)·δ + ½·δᵀH(θ₀)·δ,
// trained the same way with its gradient (J(θ₀) + H(θ₀)·δ)ᵀ·r; only δ = θ − θ₀ is stored.
// The linearised and the quadratic model are side models: when one diverges it stops being trained
// (stopModel) and the network goes on; only the network's divergence ends a run.
//
// One step records forward, cotangent, backward and updates into the runtime's open command
// buffer; nothing is read back. Every update also watches for non-finite parameters
// (kernels/optim.ts), so divergence is found at the next record without reading the weights.
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { DataError } from '../data/errors';
import { Rng, deriveSeed } from '../data/rng';
import { add, axpy } from '../kernels/elementwise';
import { lossCotangent, type LossKind } from '../kernels/loss';
import { divergenceStatus, readDivergenceStatus, sgdUpdate } from '../kernels/optim';
import { jvp, vjp, type LayerTensors } from '../nets/gradients';
import { Mlp, type ForwardCache, type MlpConfig } from '../nets/mlp';
import { dynamicsKernelScales } from '../nets/parameterization';
import { curvatures, quadraticForward, quadraticVjp, releaseQuadraticForward } from '../nets/second-order';
import { outputScale } from '../nets/output-scale';
import { restoreTensor, saveTensor, type StateBuffers } from './checkpoint';

export interface TrainerConfig {
  /** "lstsq": no steps; dynamics/lstsq.ts applies the solution through solveStep */
  optimizer: 'gd' | 'sgd' | 'lstsq';
  /** η */
  lr: number;
  momentum: number;
  /** SGD mini-batch size (each epoch is shuffled; a last partial batch is dropped) */
  batchSize: number | null;
  loss: LossKind;
  /** dense layers that are not trained: 0 = input layer … L = readout */
  frozen: readonly number[];
  /** also train the linearised model */
  linearized: boolean;
  /** λ of (λ/2)·Σ_p (η/η_p)·‖θ_p − θ_p(0)‖² (default 0) */
  weightDecay?: number;
  /** also train the quadratic model (second-order Taylor expansion at θ₀) */
  quadratic?: boolean;
}

/** The models a Trainer trains: the network and its side models. */
export type TrainedModel = 'network' | 'linearized' | 'quadratic';
const MODELS: readonly TrainedModel[] = ['network', 'linearized', 'quadratic'];

/** Inputs [n, d] and labels [n, k] as row arrays. */
export interface LabelledSet {
  x: number[][];
  y: number[][];
}

/** What went non-finite first: the step, the dense layer and which model. */
export interface DivergenceSite {
  step: number;
  layer: number;
  model: TrainedModel;
}

/** Philox-independent stream for SGD's shuffles (data/rng's xoshiro, derived from the seed). */
const SHUFFLE_STREAM = 17;

interface Batch {
  x: Tensor;
  y: Tensor;
  /** α·f₀ on the batch rows (centred models), [E, B, k] */
  shift: Tensor | null;
}

export class Trainer {
  /** the trained network θ_t */
  readonly net: Mlp;
  /** θ₀, kept for the weight change, the centring and the linearised model */
  readonly initial: Mlp;
  /** θ_lin − θ₀ per layer (linearised model only) */
  readonly delta: LayerTensors[] | null;
  /** θ_quad − θ₀ per layer (quadratic model only) */
  readonly quadDelta: LayerTensors[] | null;
  /** side models still trained (a diverged one is stopped, the network goes on) */
  private readonly active = { linearized: false, quadratic: false };
  /** φ''(h) of θ₀ on the full train batch (quadratic model), computed on first use */
  private trainCurvatures: Tensor[] | null = null;
  private readonly quadraticVelocity: (LayerTensors | null)[];
  /** steps taken */
  stepIndex = 0;
  readonly n: number;
  readonly batchSize: number;
  private readonly velocity: (LayerTensors | null)[];
  private readonly linearVelocity: (LayerTensors | null)[];
  /** slot l: network layer l; slot L+1+l: linearised layer l; slot 2(L+1)+l: quadratic layer l */
  private readonly status: Tensor;
  private readonly rng: Rng;
  /** full batch: the train set itself; SGD: the current epoch's batches */
  private batches: Batch[] = [];
  private batchCursor = 0;
  /** the shuffle generator's state before the current epoch was drawn (a checkpoint redraws it) */
  private epochRngState: Rng['state'] | null = null;
  /** forward pass of θ₀ on the full train set (full-batch linearised training) */
  private initialCache: ForwardCache | null = null;
  /** the train inputs [n, d] on the GPU */
  readonly trainX: Tensor;
  private readonly trainY: Tensor;
  /** α·f₀(X) on the train set [E, n, k] as floats (centred models), for SGD batches */
  private trainShift: Float32Array | null = null;

  constructor(readonly rt: Runtime, readonly netConfig: MlpConfig, readonly data: LabelledSet, readonly config: TrainerConfig) {
    if (!(config.lr > 0) || !Number.isFinite(config.lr)) throw new DataError(`train.lr: expected a finite learning rate > 0; received ${config.lr}`);
    this.n = data.x.length;
    const decay = config.weightDecay ?? 0;
    if (!(decay >= 0) || !Number.isFinite(decay)) throw new DataError(`train.weightDecay: expected a finite weight decay λ ≥ 0; received ${decay}`);
    if (this.n === 0) throw new DataError('data.train: expected at least one training point; received none');
    this.batchSize = config.optimizer === 'sgd' && config.batchSize ? Math.min(config.batchSize, this.n) : this.n;
    this.net = new Mlp(rt, netConfig);
    this.initial = new Mlp(rt, netConfig); // same seed: θ₀ bit for bit
    const L = this.net.depth;
    this.status = divergenceStatus(rt, MODELS.length * (L + 1));
    this.rng = new Rng(deriveSeed(netConfig.seed, SHUFFLE_STREAM));
    const d = netConfig.inputDim;
    const k = netConfig.outputDim;
    this.trainX = Tensor.from(rt, data.x.flat(), [this.n, d], 'x_train');
    this.trainY = Tensor.from(rt, data.y.flat(), [this.n, k], 'y_train');
    const zeroLike = (layer: Mlp['layers'][number]): LayerTensors => ({
      weight: Tensor.zeros(rt, layer.weight.shape, 'Δw'),
      bias: layer.bias ? Tensor.zeros(rt, layer.bias.shape, 'Δb') : null,
    });
    const trainable = (l: number) => !config.frozen.includes(l);
    this.velocity = this.net.layers.map((layer, l) => (config.momentum > 0 && trainable(l) ? zeroLike(layer) : null));
    this.delta = config.linearized ? this.net.layers.map(zeroLike) : null;
    this.linearVelocity = this.net.layers.map((layer, l) => (config.linearized && config.momentum > 0 && trainable(l) ? zeroLike(layer) : null));
    this.quadDelta = config.quadratic ? this.net.layers.map(zeroLike) : null;
    this.quadraticVelocity = this.net.layers.map((layer, l) => (config.quadratic && config.momentum > 0 && trainable(l) ? zeroLike(layer) : null));
    this.active.linearized = config.linearized;
    this.active.quadratic = config.quadratic ?? false;
  }

  /** Prepares the batches (and the centring shift). Call once before the first step. */
  async start(): Promise<void> {
    const { rt, net } = this;
    const { alpha } = outputScale(net.config);
    const fullBatch = this.batchSize === this.n;
    let shift: Tensor | null = null;
    if (net.config.centered) {
      const f0 = this.initialTrainCache().output;
      shift = add(rt, f0, f0, alpha, 0); // α·f₀
      if (!fullBatch) this.trainShift = await shift.read();
    }
    if (fullBatch) this.batches = [{ x: this.trainX, y: this.trainY, shift }];
    else {
      shift?.dispose();
      this.newEpoch();
    }
  }

  /**
   * The forward pass of θ₀ on the train inputs, computed on first use and kept until dispose():
   * the linearised model's full batch, the centring shift and the records all read it.
   */
  initialTrainCache(): ForwardCache {
    this.initialCache ??= this.initial.forward(this.trainX);
    return this.initialCache;
  }

  get L(): number {
    return this.net.depth;
  }

  /** Learning rates of weights and biases per layer: η·lrScale/α² (0 when frozen). */
  get learningRates(): { weight: number[]; bias: number[] } {
    const { lr } = this.config;
    const scales = this.kernelScales;
    return { weight: scales.weight.map((s) => lr * s), bias: scales.bias.map((s) => lr * s) };
  }

  /** η_p/η per layer: the weights of Θ_η, the kernel these updates follow (nets/parameterization.ts). */
  get kernelScales(): { weight: number[]; bias: number[] } {
    return dynamicsKernelScales(this.net.layers.map((layer) => layer.scales), outputScale(this.net.config).alpha, this.config.frozen);
  }

  /**
   * Records `count` optimiser steps; nothing is read back. Each step is submitted as one command
   * buffer (short buffers keep the GPU busy while the next step is recorded); `submit: false`
   * leaves them open, for timing a step inside one compute pass.
   */
  step(count = 1, submit = true): void {
    if (this.config.optimizer === 'lstsq' && count > 0) throw new Error('train.optimizer "lstsq" takes no optimiser steps: its one step is solveLeastSquares (dynamics/lstsq.ts)');
    for (let s = 0; s < count; s++) {
      const batch = this.nextBatch();
      this.stepIndex++;
      this.networkStep(batch);
      if (this.delta && this.active.linearized) this.linearStep(batch);
      if (this.quadDelta && this.active.quadratic) this.quadraticStep(batch);
      if (submit) this.rt.flush();
    }
  }

  private networkStep(batch: Batch): void {
    const { rt, net, config } = this;
    const cache = net.forward(batch.x);
    const r = lossCotangent(rt, config.loss, cache.output, batch.y, { alpha: outputScale(net.config).alpha, shift: batch.shift ?? undefined });
    const grads = vjp(rt, net, cache, r, config.frozen);
    Mlp.release(cache);
    r.dispose();
    this.apply(net.layers, grads, this.velocity, 0, this.initial.layers);
  }

  private linearStep(batch: Batch): void {
    const { rt, config } = this;
    const fullBatch = this.batchSize === this.n;
    const cache0 = fullBatch ? this.initialTrainCache() : this.initial.forward(batch.x);
    const out = this.linearOutputs(cache0);
    const r = lossCotangent(rt, config.loss, out, batch.y, { alpha: outputScale(this.net.config).alpha, shift: batch.shift ?? undefined });
    out.dispose();
    const grads = vjp(rt, this.initial, cache0, r, config.frozen);
    r.dispose();
    if (!fullBatch) Mlp.release(cache0);
    this.apply(this.delta!, grads, this.linearVelocity, this.L + 1, null);
  }

  private quadraticStep(batch: Batch): void {
    const { rt, config } = this;
    const fullBatch = this.batchSize === this.n;
    const cache0 = fullBatch ? this.initialTrainCache() : this.initial.forward(batch.x);
    const curv = fullBatch ? this.curvaturesOf(cache0) : curvatures(rt, this.initial, cache0);
    const fwd = quadraticForward(rt, this.initial, cache0, curv, this.quadDelta!);
    const r = lossCotangent(rt, config.loss, fwd.output, batch.y, { alpha: outputScale(this.net.config).alpha, shift: batch.shift ?? undefined });
    fwd.output.dispose();
    const grads = quadraticVjp(rt, this.initial, cache0, fwd, this.quadDelta!, r, config.frozen);
    r.dispose();
    releaseQuadraticForward(fwd);
    if (!fullBatch) {
      curv.forEach((t) => t.dispose());
      Mlp.release(cache0);
    }
    this.apply(this.quadDelta!, grads, this.quadraticVelocity, 2 * (this.L + 1), null);
  }

  /** φ''(h) of θ₀ on a forward cache of θ₀: kept for the train batch, new (the caller's to dispose) otherwise. */
  curvaturesOf(cache0: ForwardCache): Tensor[] {
    if (cache0 === this.initialCache) return (this.trainCurvatures ??= curvatures(this.rt, this.initial, cache0));
    return curvatures(this.rt, this.initial, cache0);
  }

  /** f_quad = f(θ₀) + J(θ₀)·δ + ½·δᵀH(θ₀)·δ on the inputs of a forward cache of θ₀, [E, n, k]. */
  quadraticOutputs(cache0: ForwardCache): Tensor {
    if (!this.quadDelta) throw new Error('quadraticOutputs: the quadratic model is not trained (train.quadratic is false)');
    const curv = this.curvaturesOf(cache0);
    const out = quadraticForward(this.rt, this.initial, cache0, curv, this.quadDelta, false).output;
    if (curv !== this.trainCurvatures) curv.forEach((t) => t.dispose());
    return out;
  }

  /** Whether a side model is still trained (false once stopped, or when it was never asked for). */
  isActive(model: 'linearized' | 'quadratic'): boolean {
    return this.active[model];
  }

  /** Stops training a side model (after its divergence); its parameters stay as they are. */
  stopModel(model: 'linearized' | 'quadratic'): void {
    this.active[model] = false;
  }

  /** f_lin = f(θ₀) + J(θ₀)·Δ on the inputs of a forward cache of θ₀, [E, n, k]. */
  linearOutputs(cache0: ForwardCache): Tensor {
    if (!this.delta) throw new Error('linearOutputs: the linearised model is not trained (train.linearized is false)');
    const jv = jvp(this.rt, this.initial, cache0, this.delta);
    return axpy(this.rt, 1, cache0.output, jv);
  }

  /**
   * One step of every group, θ_p ← θ_p − η_p·(g_p + λ·(η/η_p)·(θ_p − anchor_p)) (anchor: θ₀ for the
   * network, absent for Δ, which decays towards 0); `decay: false` for the lstsq step.
   */
  private apply(params: LayerTensors[], grads: (LayerTensors | null)[], velocity: (LayerTensors | null)[], slotBase: number, anchors: LayerTensors[] | null, o: { decay?: boolean; keep?: boolean } = {}): void {
    const { rt } = this;
    const rates = this.learningRates;
    const momentum = this.config.momentum;
    const lambda = o.decay === false ? 0 : (this.config.weightDecay ?? 0);
    const decayOf = (rate: number) => (lambda > 0 && rate > 0 ? (lambda * this.config.lr) / rate : 0);
    grads.forEach((g, l) => {
      if (!g) return;
      const common = { momentum, status: this.status, slot: slotBase + l, step: this.stepIndex };
      sgdUpdate(rt, params[l].weight, g.weight, { ...common, lr: rates.weight[l], velocity: velocity[l]?.weight, decay: decayOf(rates.weight[l]), anchor: anchors?.[l].weight });
      if (g.bias && params[l].bias) sgdUpdate(rt, params[l].bias!, g.bias, { ...common, lr: rates.bias[l], velocity: velocity[l]?.bias ?? undefined, decay: decayOf(rates.bias[l]), anchor: anchors?.[l].bias ?? undefined });
      if (o.keep) return;
      g.weight.dispose();
      g.bias?.dispose();
    });
  }

  /**
   * The lstsq solve's one step (dynamics/lstsq.ts): θ_p ← θ_p − η_p·g_p with the given g, to the
   * network and to the linearised model alike, without decay (the ridge is in the solve).
   */
  solveStep(grads: (LayerTensors | null)[]): void {
    this.stepIndex++;
    this.apply(this.net.layers, grads, this.velocity, 0, null, { decay: false, keep: this.delta !== null });
    if (this.delta) this.apply(this.delta, grads, this.linearVelocity, this.L + 1, null, { decay: false });
    this.rt.flush();
  }

  private nextBatch(): Batch {
    if (this.batchSize === this.n) return this.batches[0];
    if (this.batchCursor >= this.batches.length) this.newEpoch();
    return this.batches[this.batchCursor++];
  }

  /** Shuffles the train set (seeded) and uploads this epoch's batches in one go. */
  private newEpoch(): void {
    const { rt, n, batchSize: B } = this;
    const { inputDim: d, outputDim: k } = this.net.config;
    const E = this.net.ensemble;
    this.epochRngState = this.rng.state;
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.rng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const count = Math.floor(n / B);
    if (this.batches.length === 0) {
      for (let b = 0; b < count; b++) {
        this.batches.push({ x: Tensor.empty(rt, [B, d], `x batch ${b}`), y: Tensor.empty(rt, [B, k], `y batch ${b}`), shift: this.trainShift ? Tensor.empty(rt, [E, B, k], `shift batch ${b}`) : null });
      }
    }
    this.batches.forEach((batch, b) => {
      const rows = order.slice(b * B, (b + 1) * B);
      rt.write(batch.x, Float32Array.from(rows.flatMap((i) => this.data.x[i])));
      rt.write(batch.y, Float32Array.from(rows.flatMap((i) => this.data.y[i])));
      if (batch.shift && this.trainShift) {
        const s = new Float32Array(E * B * k);
        for (let e = 0; e < E; e++) rows.forEach((i, r) => s.set(this.trainShift!.subarray((e * n + i) * k, (e * n + i + 1) * k), (e * B + r) * k));
        rt.write(batch.shift, s);
      }
    });
    this.batchCursor = 0;
  }

  /** Every tensor training changes, by name, for a checkpoint (dynamics/checkpoint.ts); θ₀ is redrawn from the seed. */
  private stateTensors(): [string, Tensor][] {
    const out: [string, Tensor][] = [['status', this.status]];
    const groups: [string, (LayerTensors | null)[] | null][] = [
      ['net', this.net.layers],
      ['velocity', this.velocity],
      ['delta', this.delta],
      ['linearVelocity', this.linearVelocity],
      ['quadDelta', this.quadDelta],
      ['quadraticVelocity', this.quadraticVelocity],
    ];
    for (const [group, layers] of groups) {
      layers?.forEach((p, l) => {
        if (!p) return;
        out.push([`${group}.W${l}`, p.weight]);
        if (p.bias) out.push([`${group}.b${l}`, p.bias]);
      });
    }
    return out;
  }

  /** Saves the training state into `buffers` (names prefixed by `prefix`) and returns its CPU values. */
  async saveState(buffers: StateBuffers, prefix: string): Promise<Record<string, unknown>> {
    for (const [name, t] of this.stateTensors()) await saveTensor(buffers, prefix + name, t);
    return { stepIndex: this.stepIndex, active: { ...this.active }, rng: this.rng.state, epochRng: this.epochRngState, batchCursor: this.batchCursor };
  }

  /** Restores a state saved from a trainer of the same spec (after start()). */
  restoreState(buffers: StateBuffers, prefix: string, values: Record<string, unknown>): void {
    for (const [name, t] of this.stateTensors()) restoreTensor(buffers, prefix + name, t);
    const v = values as { stepIndex: number; active: { linearized: boolean; quadratic: boolean }; rng: Rng['state']; epochRng: Rng['state'] | null; batchCursor: number };
    this.stepIndex = v.stepIndex;
    Object.assign(this.active, v.active);
    // SGD: redraw the current epoch's batches from the generator's state before it, then go on from there
    if (this.batchSize !== this.n && v.epochRng) {
      this.rng.state = v.epochRng;
      this.newEpoch();
      this.batchCursor = v.batchCursor;
    }
    this.rng.state = v.rng;
  }

  /** The network's first non-finite parameter, if any: the divergence that ends a run. */
  async divergence(): Promise<DivergenceSite | null> {
    return (await this.divergences()).find((s) => s.model === 'network') ?? null;
  }

  /** Each model's first non-finite parameter (at most one site per model; reads 3(L+1) integers). */
  async divergences(): Promise<DivergenceSite[]> {
    const L = this.L;
    const steps = await readDivergenceStatus(this.rt, this.status, MODELS.length * (L + 1));
    const first = new Map<TrainedModel, DivergenceSite>();
    steps.forEach((step, slot) => {
      const model = MODELS[Math.floor(slot / (L + 1))];
      const site = first.get(model);
      if (step === null || (site && site.step <= step)) return;
      first.set(model, { step, layer: slot % (L + 1), model });
    });
    return MODELS.flatMap((m) => (first.has(m) ? [first.get(m)!] : []));
  }

  dispose(): void {
    const all = [this.trainX, this.trainY, this.status];
    for (const b of this.batches) all.push(b.x, b.y, ...(b.shift ? [b.shift] : []));
    this.trainCurvatures?.forEach((t) => all.push(t));
    for (const group of [this.velocity, this.linearVelocity, this.delta ?? [], this.quadraticVelocity, this.quadDelta ?? []]) for (const p of group) if (p) all.push(p.weight, ...(p.bias ? [p.bias] : []));
    new Set(all).forEach((t) => t.dispose());
    if (this.initialCache) Mlp.release(this.initialCache);
    this.net.dispose();
    this.initial.dispose();
  }
}
