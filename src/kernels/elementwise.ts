// Elementwise kernels: activations (φ, φ', φ'' and the fused φ/φ' pass), add (αx + βy),
// hadamard (α·x⊙y), axpy (y ← αx + βy) and scale (x ← αx).
import { ParamLayout } from '../gpu/params';
import type { KernelProgram, Runtime } from '../gpu/runtime';
import type { Tensor } from '../gpu/tensor';
import { activation, activationRef } from './activations';
import { assertLive, assertSameSize, cachedProgram, groups1d, outputTensor, type Cost } from './common';
import { assemble } from './shaders';

const WG = 256;
const PARAMS = new ParamLayout([
  ['n', 'u32'],
  ['alpha', 'f32'],
  ['beta', 'f32'],
] as const);

const COMMON = ['common/indexing', 'common/math', 'common/activations'];

function program(label: string, file: string, storage: KernelProgram['storage'], constants: Record<string, number>): KernelProgram {
  return cachedProgram(`${file}|${JSON.stringify(constants)}`, () => ({ label, code: assemble([...COMMON, file]), storage, params: PARAMS, constants: { WG, ...constants } }));
}

/** y = φ^(order)(x). */
export function activate(rt: Runtime, x: Tensor, name: string, order: 0 | 1 | 2 = 0, out?: Tensor): Tensor {
  const act = activation(name);
  assertLive(x, out);
  const y = outputTensor(rt, `activation ${name}`, x.shape, out, `${name}${order ? `_d${order}` : ''}(${x.name})`);
  rt.dispatch(program(`activation ${name} order ${order}`, 'elementwise/v1_activation', ['read', 'read_write'], { ACT: act.id, ORDER: order }), [x.buffer, y.buffer], { n: x.size, alpha: 1, beta: 0 }, groups1d(x.size, WG));
  return y;
}

/** φ(h) and φ'(h) in one pass. */
export function activateWithDerivative(rt: Runtime, h: Tensor, name: string, out?: { act?: Tensor; dact?: Tensor }): { act: Tensor; dact: Tensor } {
  const a = activation(name);
  assertLive(h);
  const act = outputTensor(rt, `activation ${name}`, h.shape, out?.act, `${name}(${h.name})`);
  const dact = outputTensor(rt, `activation ${name}`, h.shape, out?.dact, `${name}'(${h.name})`);
  rt.dispatch(program(`activation+derivative ${name}`, 'elementwise/v1_activation_fused', ['read', 'read_write', 'read_write'], { ACT: a.id }), [h.buffer, act.buffer, dact.buffer], { n: h.size, alpha: 1, beta: 0 }, groups1d(h.size, WG));
  return { act, dact };
}

/** z = α·x + β·y. */
export function add(rt: Runtime, x: Tensor, y: Tensor, alpha = 1, beta = 1, out?: Tensor): Tensor {
  assertLive(x, y, out);
  assertSameSize('add', x, y);
  const z = outputTensor(rt, 'add', x.shape, out, `${x.name}+${y.name}`);
  rt.dispatch(program('add', 'elementwise/v1_binary', ['read', 'read', 'read_write'], { OP: 0 }), [x.buffer, y.buffer, z.buffer], { n: x.size, alpha, beta }, groups1d(x.size, WG));
  return z;
}

/** z = α·(x ⊙ y). */
export function hadamard(rt: Runtime, x: Tensor, y: Tensor, alpha = 1, out?: Tensor): Tensor {
  assertLive(x, y, out);
  assertSameSize('hadamard', x, y);
  const z = outputTensor(rt, 'hadamard', x.shape, out, `${x.name}*${y.name}`);
  rt.dispatch(program('hadamard', 'elementwise/v1_binary', ['read', 'read', 'read_write'], { OP: 1 }), [x.buffer, y.buffer, z.buffer], { n: x.size, alpha, beta: 0 }, groups1d(x.size, WG));
  return z;
}

/** In place: y ← α·x + β·y. */
export function axpy(rt: Runtime, alpha: number, x: Tensor, y: Tensor, beta = 1): Tensor {
  assertLive(x, y);
  assertSameSize('axpy', x, y);
  if (x.buffer === y.buffer) throw new Error('axpy: x and y must be different tensors (use scale for y ← αy)');
  rt.dispatch(program('axpy', 'elementwise/v1_axpy', ['read', 'read_write'], {}), [x.buffer, y.buffer], { n: x.size, alpha, beta }, groups1d(x.size, WG));
  return y;
}

/** In place: x ← α·x. */
export function scale(rt: Runtime, alpha: number, x: Tensor): Tensor {
  assertLive(x);
  rt.dispatch(program('scale', 'elementwise/v1_scale', ['read_write'], {}), [x.buffer], { n: x.size, alpha, beta: 0 }, groups1d(x.size, WG));
  return x;
}

// ---- float64 references and cost models

export const elementwiseRef = {
  activate: (x: ArrayLike<number>, name: string, order: 0 | 1 | 2 = 0) => Float64Array.from(x, activationRef(name, order)),
  add: (x: ArrayLike<number>, y: ArrayLike<number>, alpha = 1, beta = 1) => Float64Array.from(x, (v, i) => alpha * v + beta * y[i]),
  hadamard: (x: ArrayLike<number>, y: ArrayLike<number>, alpha = 1) => Float64Array.from(x, (v, i) => alpha * v * y[i]),
};

export const elementwiseCost = {
  /** one read and one write per element (two writes for the fused φ/φ' pass); flops not counted */
  activate: (n: number, fused = false): Cost => ({ flops: n, bytes: 4 * n * (fused ? 3 : 2) }),
  binary: (n: number): Cost => ({ flops: 2 * n, bytes: 12 * n }),
  axpy: (n: number): Cost => ({ flops: 3 * n, bytes: 12 * n }),
  scale: (n: number): Cost => ({ flops: n, bytes: 8 * n }),
};
