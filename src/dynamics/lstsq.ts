// `train.optimizer: "lstsq"`: the minimum-norm least-squares solution (ridge with train.weightDecay)
// in one step, for models linear in their trainable parameters: random features (every layer but
// the readout frozen) and the linearised model (train.linearized).
//
// With z = z₀ + Σ_p J_p·Δ_p (J_p = ∂z/∂θ_p at θ₀, exact for random features) and the objective
// 1/(2nk)·‖z − y‖² + (λ/2)·Σ_p (η/η_p)·‖Δ_p‖² (trainer.ts), the minimiser is
//   Δ_p = (η_p/η)·J_pᵀ·w,   w = (Θ_η + n·k·λ·I)⁻¹ (y − z₀),   Θ_η = Σ_p (η_p/η)·J_p J_pᵀ,
// the t → ∞ limit of GD on the linearised model with weight decay (kernel-regression.ts); for λ = 0
// the pseudo-inverse Θ_η⁺ gives the minimum-norm interpolant (the minimum of Σ_p (η/η_p)·‖Δ_p‖²
// among the least-squares solutions). Θ_η comes from the structured empirical NTK on the GPU
// (ntk/empirical.ts, no Jacobian formed); the (n·k)×(n·k) solve is float64 on the CPU (ml-matrix,
// one eigendecomposition per member); Jᵀw is one VJP at θ₀ on the GPU with the cotangent α·w/η·(−1),
// applied as one optimiser step θ_p ← θ_p − η_p·g_p (Trainer.solveStep).
import { DataError } from '../data/errors';
import { Tensor } from '../gpu/tensor';
import { empiricalKernels, kernelBlock } from '../ntk/empirical';
import { vjp } from '../nets/gradients';
import { modelOutputs, outputScale } from '../nets/output-scale';
import { NonFiniteKernelError, memberColumn } from './closed-forms';
import { KernelRegression } from './kernel-regression';
import type { Trainer } from './trainer';

/** The trainable layers that make a model non-linear in its parameters (none: lstsq applies). */
export function nonLinearLayers(depth: number, frozen: readonly number[], linearized: boolean): number[] {
  return linearized ? [] : Array.from({ length: depth }, (_, l) => l).filter((l) => !frozen.includes(l));
}

/**
 * Solves for every ensemble member and applies the solution as the trainer's step 1 (to the network
 * and to the linearised model). Returns the dual coefficients w per member, (n·k) each, row i·k + a.
 */
export async function solveLeastSquares(trainer: Trainer): Promise<Float64Array[]> {
  const { rt, config } = trainer;
  const net = trainer.initial;
  const L = net.depth;
  if (config.loss !== 'mse') throw new DataError(`train.loss: expected "mse" with optimizer "lstsq" (least squares); received ${JSON.stringify(config.loss)}`);
  const bad = nonLinearLayers(L, config.frozen, config.linearized);
  if (bad.length > 0) throw new DataError(`train.optimizer: expected a model linear in its trainable parameters for "lstsq" (random features: model.frozen with every layer but the readout; or train.linearized: true); received trainable non-readout layers [${bad.join(', ')}]`);
  if (trainer.stepIndex !== 0) throw new Error(`lstsq: the solve starts from θ₀; this trainer has taken ${trainer.stepIndex} steps`);
  const E = net.ensemble;
  const k = net.config.outputDim;
  const n = trainer.n;
  const N = n * k;
  const cache0 = trainer.initialTrainCache();
  const kernels = empiricalKernels(rt, net, trainer.trainX, { cache: cache0, parameterScales: trainer.kernelScales });
  const [all, f0] = await rt.readMany([kernels.ntk, cache0.output]);
  kernels.ntk.dispose();
  kernels.nngp.dispose();
  if (!all.every(Number.isFinite)) throw new NonFiniteKernelError('lstsq: the kernel Θ_η at initialisation on the train inputs is non-finite (float32 overflow)');
  const z0 = modelOutputs(net.config, f0, f0);
  const y = trainer.data.y.flat().map((v) => [v]);
  const { alpha } = outputScale(net.config);
  const w = Array.from({ length: E }, (_, e) => {
    const regression = new KernelRegression({ kernel: kernelBlock(all, e, k, n, n), y, f0: memberColumn(z0, e, N), lr: config.lr, weightDecay: config.weightDecay ?? 0 });
    // coefficients(∞) = (Θ + ρI)⁺ (z₀ − y) = −w
    return Float64Array.from(regression.coefficients('flow', Infinity), (row) => -row[0]);
  });
  // g_p = −(α/η)·(∂f/∂θ_p)ᵀ w, so that θ_p − η_p·g_p = θ_p + (η_p/η)·J_pᵀ w with J_p = α·∂f/∂θ_p
  const cotangent = new Float32Array(E * N);
  w.forEach((we, e) => we.forEach((v, i) => (cotangent[e * N + i] = (-alpha * v) / config.lr)));
  const r = Tensor.from(rt, cotangent, [E, n, k], 'lstsq cotangent');
  const grads = vjp(rt, net, cache0, r, config.frozen);
  r.dispose();
  trainer.solveStep(grads);
  return w;
}
