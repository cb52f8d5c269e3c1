// Optimiser updates (shaders/optim): θ ← θ − η·(μ·v + g') with the velocity v kept in place,
// g' = g + decay·(θ − θ₀) with weight decay towards an anchor θ₀ (train.weightDecay), and
// the divergence watch (status slots that record the first step with a non-finite θ).
import { ParamLayout } from '../gpu/params';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { assertLive, assertSameSize, kernelProgram, dummyTensor, groups1d, type Cost } from './common';

const WG = 256;
const PARAMS = new ParamLayout([['n', 'u32'], ['lr', 'f32'], ['momentum', 'f32'], ['step', 'u32'], ['slot', 'u32'], ['decay', 'f32']] as const);
/** A status slot that never saw a non-finite parameter. */
export const STILL_FINITE = 0xffffffff;

const program = (momentum: boolean, anchor: boolean) =>
  kernelProgram({
    label: `optimizer update${momentum ? ' with momentum' : ''}${anchor ? ' and an anchor' : ''}`,
    shaders: ['common/indexing', 'optim/update'],
    storage: ['read_write', 'read', 'read_write', 'read_write', 'read'] as const,
    params: PARAMS,
    constants: { WG, MOMENTUM: momentum ? 1 : 0, ANCHOR: anchor ? 1 : 0 },
  });

export interface UpdateOptions {
  lr: number;
  /** μ; requires `velocity` when > 0 */
  momentum?: number;
  velocity?: Tensor;
  /** status buffer (u32 slots, see divergenceStatus) and the slot and step to record */
  status: Tensor;
  slot: number;
  step: number;
  /** weight decay: the gradient gets + decay·(θ − anchor) (≥ 0; default 0) */
  decay?: number;
  /** θ₀ of the decay, same size as θ; absent: decay towards 0 */
  anchor?: Tensor;
}

/** θ ← θ − η·v with v ← μ·v + g + decay·(θ − θ₀) (μ = 0: θ ← θ − η·(g + decay·(θ − θ₀))). */
export function sgdUpdate(rt: Runtime, theta: Tensor, grad: Tensor, o: UpdateOptions): void {
  const momentum = o.momentum ?? 0;
  const decay = o.decay ?? 0;
  assertLive(theta, grad, o.velocity, o.anchor);
  assertSameSize('sgdUpdate', theta, grad);
  if (momentum > 0) {
    if (!o.velocity) throw new Error('sgdUpdate: momentum > 0 needs a velocity tensor');
    assertSameSize('sgdUpdate velocity', theta, o.velocity);
  }
  if (!(decay >= 0) || !Number.isFinite(decay)) throw new Error(`sgdUpdate: expected a finite decay ≥ 0; received ${decay}`);
  if (o.anchor) assertSameSize('sgdUpdate anchor', theta, o.anchor);
  const velocity = momentum > 0 ? o.velocity! : dummyTensor(rt);
  const anchor = decay > 0 && o.anchor ? o.anchor : null;
  rt.dispatch(program(momentum > 0, anchor !== null), [theta, grad, velocity, o.status, anchor ?? grad /* unread without ANCHOR; read-only like grad */], { n: theta.size, lr: o.lr, momentum, step: o.step, slot: o.slot, decay }, groups1d(theta.size, WG));
}

/** A status tensor of `slots` u32 entries (bit patterns in an f32 buffer), all STILL_FINITE. */
export function divergenceStatus(rt: Runtime, slots: number): Tensor {
  const status = Tensor.empty(rt, [Math.max(slots, 4)], 'divergence status');
  rt.write(status, new Uint32Array(status.size).fill(STILL_FINITE));
  return status;
}

/** Reads the status slots back: the first non-finite step per slot, or null. */
export async function readDivergenceStatus(rt: Runtime, status: Tensor, slots: number): Promise<(number | null)[]> {
  const raw = await rt.read(status, slots * 4);
  const bits = new Uint32Array(raw.buffer, raw.byteOffset, slots);
  return Array.from(bits, (b) => (b === STILL_FINITE ? null : b));
}

// ---- float64 reference and cost model

/** One heavy-ball step in float64 (with decay towards `anchor`, or 0): returns the new θ and v. */
export function sgdUpdateRef(theta: ArrayLike<number>, grad: ArrayLike<number>, velocity: ArrayLike<number> | null, lr: number, momentum: number, decay = 0, anchor: ArrayLike<number> | null = null): { theta: Float64Array; velocity: Float64Array } {
  const v = Float64Array.from(grad, (g, i) => momentum * (velocity ? velocity[i] : 0) + g + decay * (theta[i] - (anchor ? anchor[i] : 0)));
  return { theta: Float64Array.from(theta, (t, i) => t - lr * v[i]), velocity: v };
}

export const sgdUpdateCost = (n: number, momentum: boolean): Cost => ({ flops: (momentum ? 4 : 2) * n, bytes: 4 * n * (momentum ? 5 : 3) });
