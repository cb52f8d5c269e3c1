// train.compare: random features (RF), the linearised network (NT) and the network (NN) trained
// side by side on the same data, seed and initial weights (Ghorbani, Mei, Misiakiewicz & Montanari,
// arXiv:1904.12191 and arXiv:2006.13409; E, Ma & Wu's random-feature model, arXiv:1904.04326).
//   NN: the spec's network, any parameterization (the main Experiment);
//   NT: its linearised model f(θ₀) + J(θ₀)(θ − θ₀), trained by the same Trainer (train.compare implies
//       train.linearized: the record's linearTrainLoss/linearTestLoss);
//   RF: a second Experiment of the same spec with every layer but the readout frozen (model.frozen =
//       [0, …, L−1]): the same θ₀ bit for bit (the initialisation depends on the seed only), so the same
//       f(θ₀), and only the readout moves: f = a·φ(features fixed at θ₀), linear in its parameters.
// Each record gets `models: {rf, nt, nn, population}` (records.ts ModelComparisonRecord). `population`
// holds the closed-form population risks of theory/quadratic-risk.ts where they apply: the
// "quadratic" target with the quadratic activation, one hidden layer, no bias, MSE, and sphere data
// without noise (the test set's sphere, else the train set's), from each member's own first-layer weights.
import type { SavedState, StateBuffers } from './checkpoint';
import { quadraticTargetMatrices } from '../data';
import type { Runtime } from '../gpu/runtime';
import type { ExperimentSpec } from '../spec';
import { bestRankQuadraticRisk, linearizedQuadraticRisk, randomFeaturesQuadraticRisk } from '../theory';
import { Experiment } from './experiment';
import type { DivergenceRecord, ModelComparisonRecord, RunRecord } from './records';

/** The spec of the random-features model: every layer but the readout frozen, no linearised or compared model of its own. */
export function randomFeaturesSpec(spec: ExperimentSpec, depth: number): ExperimentSpec {
  return {
    ...spec,
    model: { ...spec.model, frozen: Array.from({ length: depth }, (_, l) => l) },
    train: { ...spec.train, linearized: false, compare: false },
  };
}

/** Why the population risks do not apply to a spec (null: they do). */
export function populationUnavailable(spec: ExperimentSpec, depth: number): string | null {
  const { model, data } = spec;
  if (data.target?.kind !== 'quadratic') return 'needs data.target.kind "quadratic"';
  if (model.activation !== 'quadratic') return 'needs model.activation "quadratic"';
  if (depth !== 1) return 'needs one hidden layer';
  if (model.biasStd !== 0) return 'needs model.biasStd 0 (no bias)';
  if (spec.train.loss !== 'mse') return 'needs the MSE loss';
  if (!populationSphere(spec)) return 'needs sphere data without noise (data.test, or data.train)';
  return null;
}

/** The sphere the population risk is over: data.test's if it is a noiseless sphere, else data.train's. */
function populationSphere(spec: ExperimentSpec): { radius: number } | null {
  for (const set of [spec.data.test, spec.data.train]) {
    if (set?.kind === 'sphere' && !(set.noise ?? 0)) return { radius: set.radius ?? Math.sqrt(spec.model.inputDim) };
  }
  return null;
}

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

export class ModelComparison {
  private rfDiverged: DivergenceRecord | null = null;

  private constructor(
    /** the random-features model: the same network with layers 0 … L−1 frozen */
    readonly rf: Experiment,
    readonly population: ModelComparisonRecord['population'],
  ) {}

  /** The random-features model beside `main` (one width of `spec`), and the population risks where they apply. */
  static async create(rt: Runtime, spec: ExperimentSpec, main: Experiment): Promise<ModelComparison> {
    const depth = main.net.depth; // hidden layers: B + 1 dense layers below the readout for a residual net
    const rf = await Experiment.create(rt, randomFeaturesSpec(spec, depth), { hidden: main.width });
    try {
      return new ModelComparison(rf, await ModelComparison.populationRisks(spec, main));
    } catch (e) {
      rf.dispose();
      throw e;
    }
  }

  /**
   * RF, NT and NN population risks for the quadratic target (theory/quadratic-risk.ts), each the mean over
   * ensemble members of the risk from that member's first-layer weights W (the NN's, of its N = m neurons,
   * does not depend on W; null for k > 1 outputs, whose best networks share their neurons, and when centred).
   */
  static async populationRisks(spec: ExperimentSpec, main: Experiment): Promise<ModelComparisonRecord['population']> {
    if (populationUnavailable(spec, main.width.length) !== null) return null;
    const { radius } = populationSphere(spec)!;
    const { inputDim: d, outputDim: k } = spec.model;
    const m = main.width[0];
    const targets = quadraticTargetMatrices(d, k, spec.seed);
    const weights = await main.trainer.initial.layers[0].weight.read(); // [E, m, d]
    const E = main.net.ensemble;
    const members = Array.from({ length: E }, (_, e) => Array.from({ length: m }, (_, i) => Array.from(weights.subarray((e * m + i) * d, (e * m + i + 1) * d))));
    const perOutput = (risk: (W: number[][], B: number[][]) => number) => mean(members.map((W) => mean(targets.map((B) => risk(W, B)))));
    return {
      radius,
      rf: perOutput((W, B) => randomFeaturesQuadraticRisk(W, B, radius).risk),
      nt: perOutput((W, B) => linearizedQuadraticRisk(W, B, radius).risk),
      nn: k === 1 && !spec.model.centered ? bestRankQuadraticRisk(targets[0], m, radius).risk : null,
    };
  }

  /** The random-features model's state and divergence, for a checkpoint (checkpoint.ts). */
  async saveState(buffers: StateBuffers, prefix: string): Promise<Record<string, unknown>> {
    return { rfDiverged: this.rfDiverged, rf: this.rfDiverged ? null : (await this.rf.saveState(buffers, prefix)).values };
  }

  async restoreState(state: SavedState, prefix: string): Promise<void> {
    const v = state.values as { rfDiverged: DivergenceRecord | null; rf: Record<string, unknown> | null };
    this.rfDiverged = v.rfDiverged;
    if (v.rf) await this.rf.restoreState({ values: v.rf, buffers: state.buffers }, prefix);
  }

  /** One optimiser step of the random-features model (the network's and NT's are the main Trainer's). */
  step(count = 1): void {
    if (!this.rfDiverged) this.rf.trainer.step(count);
  }

  /** Adds the `models` block to a record of the main experiment (a divergence line passes unchanged). */
  static async merge<L extends RunRecord | { diverged: DivergenceRecord }>(comparison: ModelComparison | null, line: L): Promise<L> {
    if (!comparison || 'diverged' in line) return line;
    const record = line as RunRecord;
    record.models = await comparison.block(record);
    return line;
  }

  private async block(record: RunRecord): Promise<ModelComparisonRecord> {
    let rf: ModelComparisonRecord['rf'];
    if (!this.rfDiverged) {
      const line = await this.rf.record();
      if ('diverged' in line) this.rfDiverged = line.diverged;
      else rf = { trainLoss: line.trainLoss, testLoss: line.testLoss, weightChange: line.weightChange };
    }
    rf ??= { trainLoss: null, testLoss: null, weightChange: null, diverged: this.rfDiverged! };
    return {
      rf,
      nt: { trainLoss: record.linearTrainLoss ?? null, testLoss: record.linearTestLoss ?? null },
      nn: { trainLoss: record.trainLoss, testLoss: record.testLoss },
      population: this.population,
    };
  }

  dispose(): void {
    this.rf.dispose();
  }
}
