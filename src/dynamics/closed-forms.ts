// Closed forms beside the training: kernel regression with Θ_η (the linearised model) and Θ∞ for
// every ensemble member, its losses at the run's clock, and the stable learning rate from λ_max.
import type { LossKind } from '../kernels/loss';
import { lossRef } from '../kernels/loss';
import type { KernelRegression } from './kernel-regression';
import { meanStd } from './observables';

/** The closed form is solved for at most this many ensemble members (one eigendecomposition each). */
export const KERNEL_REGRESSION_MEMBERS = 8;

/** Loss curvature bound c (ℓ'' ≤ c per output row): MSE 1/k, logistic 1/4, softmax 1/2. */
const curvature = (loss: LossKind, k: number) => (loss === 'mse' ? 1 / k : loss === 'logistic' ? 1 / 4 : 1 / 2);

/**
 * 2(1 + μ)·n/(c·λ_max): the step size above which GD (heavy ball μ) on the linearised model
 * diverges, with λ_max of Θ_η on the n train points and c the loss curvature (2nk/λ_max for MSE);
 * null where λ_max is not a positive finite number (a zero kernel).
 */
export function suggestedMaxLr(lambdaMax: number, o: { n: number; k: number; momentum: number; loss: LossKind; weightDecay?: number }): number | null {
  if (!(lambdaMax > 0) || !Number.isFinite(lambdaMax)) return null;
  // with weight decay λ the step's contraction is 1 − η·(c·λ_max/n + λ): 2(1 + μ)/(c·λ_max/n + λ)
  const lr = (2 * (1 + o.momentum)) / ((curvature(o.loss, o.k) * lambdaMax) / o.n + (o.weightDecay ?? 0));
  return Number.isFinite(lr) ? lr : null;
}

/** Θ_η overflowed float32, so no closed form or stable learning rate can be computed from it. */
export class NonFiniteKernelError extends Error {
  override readonly name = 'NonFiniteKernelError';
}

/** K ⊗ I_k, example-major (row i·k + a): an n×n kernel per output as the (n·k)×(n·k) kernel of k outputs. */
export function perOutput(K: number[][], k: number): number[][] {
  return Array.from({ length: K.length * k }, (_, r) => Array.from({ length: K[0].length * k }, (_, c) => (r % k === c % k ? K[Math.floor(r / k)][Math.floor(c / k)] : 0)));
}

/** Member e's slice of a flat [E, rows] array, as a column (rows × 1). */
export function memberColumn(values: ArrayLike<number>, e: number, rows: number): number[][] {
  return Array.from({ length: rows }, (_, i) => [values[e * rows + i]]);
}

/** The closed form's clock: discrete GD steps, gradient-flow time, or the t → ∞ limit (the lstsq solve). */
export type ClosedFormMode = 'gd' | 'flow' | 'limit';

/**
 * The closed form's clock after `steps` optimiser steps. lstsq: the t → ∞ limit once solved. Plain
 * full-batch GD, the exact discrete recursion f_t − f* = (I − ηΘ/n)^t·(f_0 − f*): "gd" at `steps`. "sgd"
 * whose batch is the whole train set (batchSize null or n) takes the same steps as "gd", so it gets the
 * same closed form. Minibatches or momentum: gradient flow at time η·steps/(1 − μ) ("flow").
 */
export function closedFormClock(train: { optimizer: string; momentum: number; batchSize: number | null; lr: number }, n: number, steps: number): { mode: ClosedFormMode; at: number } {
  if (train.optimizer === 'lstsq') return steps > 0 ? { mode: 'limit', at: Infinity } : { mode: 'gd', at: 0 };
  const fullBatch = train.optimizer === 'gd' || train.batchSize === null || train.batchSize >= n;
  return fullBatch && train.momentum === 0 ? { mode: 'gd', at: steps } : { mode: 'flow', at: (train.lr * steps) / (1 - train.momentum) };
}

/** Ensemble-mean MSE losses of the members' closed-form predictions at one time (test loss where test labels exist). */
export function closedFormLosses(predictors: KernelRegression[], mode: ClosedFormMode, at: number, testY: number[][] | null, k: number): { trainLoss: number; testLoss: number | null } {
  const predictions = predictors.map((p) => (mode === 'limit' ? p.limit() : p.predict(mode, at)));
  const testLoss = (test: number[][] | null) => (test && testY ? lossRef('mse', test.flat(), testY.flat(), testY.length, k)[0] : null);
  const test = predictions.map((p) => testLoss(p.test));
  return {
    trainLoss: meanStd(predictions.map((p) => p.trainLoss)).mean,
    testLoss: test.every((t) => t !== null) ? meanStd(test as number[]).mean : null,
  };
}
