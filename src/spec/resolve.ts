// Spec resolution: a validated spec turned into what the rest of widenet needs — the network at
// each width, the seeded data sets, the loss, and the infinite-width kernels of the theory in the
// units they are compared in. The CLI, the pages and the dynamics all ask here, so a spec means the
// same thing everywhere.
import { buildDataSet, type DataSet } from '../data';
import type { LossKind } from '../kernels/loss';
import type { MlpConfig } from '../nets/mlp';
import { modelKernelFactor } from '../nets/output-scale';
import { THEORY_ACTIVATIONS, analyticKernels, type KernelSpecTheory } from '../theory';
import type { ExperimentSpec } from './schema';

/** The network of a spec at one width. */
export function mlpConfig(spec: ExperimentSpec, hidden: readonly number[]): MlpConfig {
  const m = spec.model;
  const beta = branchMultiplier(spec);
  return {
    // 'depth-mup' (spec vocabulary) is a nets/parameterization.ts scheme once residual networks land there
    inputDim: m.inputDim, hidden: [...hidden], outputDim: m.outputDim, activation: m.activation, parameterization: m.parameterization as MlpConfig['parameterization'],
    weightStd: m.weightStd, biasStd: m.biasStd, alpha: m.alpha, centered: m.centered, ensemble: m.ensemble, seed: spec.seed,
    ...(m.residual && beta !== null ? { residual: { blocks: m.residual.blocks, branchMultiplier: beta } } : {}),
  };
}

/**
 * The branch multiplier β of a residual spec as a number: the number given, 1/√B for
 * "1/sqrt(blocks)" (the default; Tensor Programs VI) or 1/B for "1/blocks"; null for a plain MLP.
 */
export function branchMultiplier(spec: Pick<ExperimentSpec, 'model'>): number | null {
  const residual = spec.model.residual;
  if (!residual) return null;
  const rule = residual.branchMultiplier;
  return typeof rule === 'number' ? rule : rule === '1/blocks' ? 1 / residual.blocks : 1 / Math.sqrt(residual.blocks);
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

/**
 * The theory's kernel config at one width: src/theory follows neural-tangents' NTK
 * parameterization, so it applies to `ntk` networks (plain or residual) with an activation of the
 * theory table; null elsewhere.
 */
export function theoryKernelConfig(spec: ExperimentSpec, hidden: readonly number[]): KernelSpecTheory | null {
  const m = spec.model;
  if (m.parameterization !== 'ntk' || !THEORY_ACTIVATIONS.includes(m.activation)) return null;
  const beta = branchMultiplier(spec);
  // A residual spec: the recursion of src/theory/residual.ts (one stream width, depth 1).
  const residual = m.residual && beta !== null ? { residual: { blocks: m.residual.blocks, branchMultiplier: beta } } : {};
  return { depth: hidden.length, weightStd: m.weightStd, biasStd: m.biasStd, activation: m.activation, ...residual };
}

/**
 * The infinite-width NTK and NNGP of the spec's network at one width, on X1 (× X2), in one of two units:
 * - 'model': the kernels of the model z = α·f, as `widenet ntk` prints them (α² applied here);
 * - 'dynamics': Θ_η, the kernel GD follows (lrScale 1 under `ntk`, and α² from z cancels 1/α² from
 *   the rates), which a network with frozen layers does not follow: null then.
 * null where the theory does not apply (theoryKernelConfig).
 */
export function analyticSpecKernels(spec: ExperimentSpec, hidden: readonly number[], units: 'model' | 'dynamics', x1: number[][], x2?: number[][]): { ntk: number[][]; nngp: number[][] } | null {
  const config = theoryKernelConfig(spec, hidden);
  if (!config || (units === 'dynamics' && spec.model.frozen.length > 0)) return null;
  const kernels = analyticKernels(config, x1, x2);
  if (units === 'dynamics') return kernels;
  const a2 = modelKernelFactor(spec.model);
  const scale = (K: number[][]) => K.map((row) => row.map((v) => a2 * v));
  return { ntk: scale(kernels.ntk), nngp: scale(kernels.nngp) };
}
