// Elementwise kernels: activations (φ, φ', φ'' and the fused φ/φ' pass), add (αx + βy),
// hadamard (α·x⊙y), axpy (y ← αx + βy), scale (x ← αx), the broadcast product, and the quadratic
// model's fused tangent and adjoint passes (secondOrderTangents, secondOrderAdjoints).
import { ShapeError } from '../gpu/errors';
import { ParamLayout } from '../gpu/params';
import type { KernelProgram, Runtime } from '../gpu/runtime';
import type { Tensor } from '../gpu/tensor';
import { activation, activationRef } from './activations';
import { assertLive, assertSameSize, dummyTensor, kernelProgram, groups1d, outputTensor, type Cost } from './common';

const WG = 256;
const PARAMS = new ParamLayout([
  ['n', 'u32'],
  ['alpha', 'f32'],
  ['beta', 'f32'],
] as const);

const COMMON = ['common/indexing', 'common/math', 'common/activations'];

function program(label: string, file: string, storage: KernelProgram['storage'], constants: Record<string, number>): KernelProgram {
  return kernelProgram({ label, shaders: [...COMMON, file], storage, params: PARAMS, constants: { WG, ...constants } });
}

/** y = φ^(order)(x). */
export function activate(rt: Runtime, x: Tensor, name: string, order: 0 | 1 | 2 = 0, out?: Tensor): Tensor {
  const act = activation(name);
  assertLive(x, out);
  const y = outputTensor(rt, `activation ${name}`, x.shape, out, `${name}${order ? `_d${order}` : ''}(${x.name})`);
  rt.dispatch(program(`activation ${name} order ${order}`, 'elementwise/activation', ['read', 'read_write'], { ACT: act.id, ORDER: order }), [x, y], { n: x.size, alpha: 1, beta: 0 }, groups1d(x.size, WG));
  return y;
}

/** φ(h) and φ'(h) in one pass. */
export function activateWithDerivative(rt: Runtime, h: Tensor, name: string, out?: { act?: Tensor; dact?: Tensor }): { act: Tensor; dact: Tensor } {
  const a = activation(name);
  assertLive(h);
  const act = outputTensor(rt, `activation ${name}`, h.shape, out?.act, `${name}(${h.name})`);
  const dact = outputTensor(rt, `activation ${name}`, h.shape, out?.dact, `${name}'(${h.name})`);
  rt.dispatch(program(`activation+derivative ${name}`, 'elementwise/activation_fused', ['read', 'read_write', 'read_write'], { ACT: a.id }), [h, act, dact], { n: h.size, alpha: 1, beta: 0 }, groups1d(h.size, WG));
  return { act, dact };
}

/** z = α·x + β·y. */
export function add(rt: Runtime, x: Tensor, y: Tensor, alpha = 1, beta = 1, out?: Tensor): Tensor {
  assertLive(x, y, out);
  assertSameSize('add', x, y);
  const z = outputTensor(rt, 'add', x.shape, out, `${x.name}+${y.name}`);
  rt.dispatch(program('add', 'elementwise/binary', ['read', 'read', 'read_write'], { OP: 0 }), [x, y, z], { n: x.size, alpha, beta }, groups1d(x.size, WG));
  return z;
}

/** z = α·(x ⊙ y). */
export function hadamard(rt: Runtime, x: Tensor, y: Tensor, alpha = 1, out?: Tensor): Tensor {
  assertLive(x, y, out);
  assertSameSize('hadamard', x, y);
  const z = outputTensor(rt, 'hadamard', x.shape, out, `${x.name}*${y.name}`);
  rt.dispatch(program('hadamard', 'elementwise/binary', ['read', 'read', 'read_write'], { OP: 1 }), [x, y, z], { n: x.size, alpha, beta: 0 }, groups1d(x.size, WG));
  return z;
}

/** In place: y ← α·x + β·y. */
export function axpy(rt: Runtime, alpha: number, x: Tensor, y: Tensor, beta = 1): Tensor {
  assertLive(x, y);
  assertSameSize('axpy', x, y);
  if (x.aliases(y)) throw new Error('axpy: x and y must be different tensors (use scale for y ← αy)');
  rt.dispatch(program('axpy', 'elementwise/axpy', ['read', 'read_write'], {}), [x, y], { n: x.size, alpha, beta }, groups1d(x.size, WG));
  return y;
}

/** In place: x ← α·x. */
export function scale(rt: Runtime, alpha: number, x: Tensor): Tensor {
  assertLive(x);
  rt.dispatch(program('scale', 'elementwise/scale', ['read_write'], {}), [x], { n: x.size, alpha, beta: 0 }, groups1d(x.size, WG));
  return x;
}

/**
 * The quadratic model's forward tangents of a hidden layer (nets/second-order.ts), one pass over
 * same-shaped tensors: ẋ = φ'⊙ḣ, t = φ''⊙ḣ, ẍ = t⊙ḣ + φ'⊙ḧ (ḧ null: 0, the input layer's).
 */
export function secondOrderTangents(rt: Runtime, dphi: Tensor, d2phi: Tensor, dh: Tensor, ddh: Tensor | null): { dx: Tensor; t: Tensor; ddx: Tensor } {
  assertLive(dphi, d2phi, dh, ...(ddh ? [ddh] : []));
  for (const other of [d2phi, dh, ...(ddh ? [ddh] : [])]) assertSameSize('secondOrderTangents', dphi, other);
  const [dx, t, ddx] = ['dx', 't', 'ddx'].map((name) => outputTensor(rt, 'secondOrderTangents', dh.shape, undefined, `${name}(${dh.name})`));
  const prog = kernelProgram({ label: `second-order tangents${ddh ? '' : ' (no ḧ)'}`, shaders: ['common/indexing', 'elementwise/second_order_tangents'], storage: ['read', 'read', 'read', 'read', 'read_write', 'read_write', 'read_write'], params: PARAMS, constants: { WG, HAS_DDH: ddh ? 1 : 0 } });
  rt.dispatch(prog, [dphi, d2phi, dh, ddh ?? dummyTensor(rt), dx, t, ddx], { n: dh.size, alpha: 1, beta: 0 }, groups1d(dh.size, WG));
  return { dx, t, ddx };
}

/** The quadratic model's backward adjoints through a hidden layer, one pass: δ = φ'⊙back, g = φ'⊙a + t⊙back. */
export function secondOrderAdjoints(rt: Runtime, dphi: Tensor, t: Tensor, back: Tensor, a: Tensor): { d: Tensor; g: Tensor } {
  assertLive(dphi, t, back, a);
  for (const other of [t, back, a]) assertSameSize('secondOrderAdjoints', dphi, other);
  const [d, g] = ['delta', 'g'].map((name) => outputTensor(rt, 'secondOrderAdjoints', back.shape, undefined, `${name}(${back.name})`));
  const prog = kernelProgram({ label: 'second-order adjoints', shaders: ['common/indexing', 'elementwise/second_order_adjoints'], storage: ['read', 'read', 'read', 'read', 'read_write', 'read_write'], params: PARAMS, constants: { WG } });
  rt.dispatch(prog, [dphi, t, back, a, d, g], { n: back.size, alpha: 1, beta: 0 }, groups1d(back.size, WG));
  return { d, g };
}

// ---- float64 references and cost models

export const elementwiseRef = {
  activate: (x: ArrayLike<number>, name: string, order: 0 | 1 | 2 = 0) => Float64Array.from(x, activationRef(name, order)),
  add: (x: ArrayLike<number>, y: ArrayLike<number>, alpha = 1, beta = 1) => Float64Array.from(x, (v, i) => alpha * v + beta * y[i]),
  hadamard: (x: ArrayLike<number>, y: ArrayLike<number>, alpha = 1) => Float64Array.from(x, (v, i) => alpha * v * y[i]),
  secondOrderTangents: (dphi: ArrayLike<number>, d2phi: ArrayLike<number>, dh: ArrayLike<number>, ddh: ArrayLike<number> | null) => ({
    dx: Float64Array.from(dh, (v, i) => dphi[i] * v),
    t: Float64Array.from(dh, (v, i) => d2phi[i] * v),
    ddx: Float64Array.from(dh, (v, i) => d2phi[i] * v * v + (ddh ? dphi[i] * ddh[i] : 0)),
  }),
  secondOrderAdjoints: (dphi: ArrayLike<number>, t: ArrayLike<number>, back: ArrayLike<number>, a: ArrayLike<number>) => ({
    d: Float64Array.from(back, (b, i) => dphi[i] * b),
    g: Float64Array.from(back, (b, i) => dphi[i] * a[i] + t[i] * b),
  }),
};

export const elementwiseCost = {
  /** one read and one write per element (two writes for the fused φ/φ' pass); flops not counted */
  activate: (n: number, fused = false): Cost => ({ flops: n, bytes: 4 * n * (fused ? 3 : 2) }),
  binary: (n: number): Cost => ({ flops: 2 * n, bytes: 12 * n }),
  axpy: (n: number): Cost => ({ flops: 3 * n, bytes: 12 * n }),
  scale: (n: number): Cost => ({ flops: n, bytes: 8 * n }),
  /** four reads, three writes (three without ḧ) */
  secondOrderTangents: (n: number, withDdh = true): Cost => ({ flops: 5 * n, bytes: 4 * n * (withDdh ? 7 : 6) }),
  secondOrderAdjoints: (n: number): Cost => ({ flops: 4 * n, bytes: 24 * n }),
};

// ---- broadcasting product

const BROADCAST_PARAMS = new ParamLayout([
  ['n', 'u32'], ['d1', 'u32'], ['d2', 'u32'], ['d3', 'u32'], ['d4', 'u32'], ['d5', 'u32'],
  ['sx0', 'u32'], ['sx1', 'u32'], ['sx2', 'u32'], ['sx3', 'u32'], ['sx4', 'u32'], ['sx5', 'u32'],
  ['sy0', 'u32'], ['sy1', 'u32'], ['sy2', 'u32'], ['sy3', 'u32'], ['sy4', 'u32'], ['sy5', 'u32'],
  ['ox', 'u32'], ['oy', 'u32'],
  ['alpha', 'f32'], ['beta', 'f32'], ['gamma', 'f32'],
] as const);

export interface BroadcastOperand {
  tensor: Tensor;
  /** element strides per dimension of the output index space (0 broadcasts) */
  strides: readonly number[];
  /** index of the first element read (default 0) */
  offset?: number;
}

function checkOperand(kernel: string, shape: readonly number[], o: BroadcastOperand): void {
  if (o.strides.length !== shape.length) throw new ShapeError(`${kernel}: "${o.tensor.name}" has ${o.strides.length} strides for a rank-${shape.length} index space`);
  const last = (o.offset ?? 0) + shape.reduce((acc, d, i) => acc + (d - 1) * o.strides[i], 0);
  if (last >= o.tensor.size) throw new ShapeError(`${kernel}: "${o.tensor.name}" (${o.tensor.size} elements) is too small for index space [${shape}] with strides [${o.strides}]`);
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * z = α · x · (y + γ) + β · z over the index space `shape` (rank ≤ 6, z contiguous), where x and y
 * are read through their own strides (0 broadcasts). With β ≠ 0, z must be given and is accumulated into.
 */
export function broadcastProduct(rt: Runtime, shape: readonly number[], x: BroadcastOperand, y: BroadcastOperand, o: { alpha?: number; beta?: number; gamma?: number; out?: Tensor } = {}): Tensor {
  if (shape.length < 1 || shape.length > 6) throw new ShapeError(`broadcastProduct: rank ${shape.length} index space, expected 1 to 6`);
  assertLive(x.tensor, y.tensor, o.out);
  checkOperand('broadcastProduct', shape, x);
  checkOperand('broadcastProduct', shape, y);
  const beta = o.beta ?? 0;
  if (beta !== 0 && !o.out) throw new ShapeError('broadcastProduct: β ≠ 0 needs the accumulator passed as `out`');
  if (o.out && (o.out.aliases(x.tensor) || o.out.aliases(y.tensor))) throw new ShapeError('broadcastProduct: the output must not alias an input');
  const z = outputTensor(rt, 'broadcastProduct', shape, o.out, `${x.tensor.name}*${y.tensor.name}`);
  const pad = 6 - shape.length;
  const dims = [...new Array<number>(pad).fill(1), ...shape];
  const sx = [...new Array<number>(pad).fill(0), ...x.strides];
  const sy = [...new Array<number>(pad).fill(0), ...y.strides];
  const n = z.size;
  const params: Record<string, number> = { n, ox: x.offset ?? 0, oy: y.offset ?? 0, alpha: o.alpha ?? 1, beta, gamma: o.gamma ?? 0 };
  for (let i = 1; i < 6; i++) params[`d${i}`] = dims[i];
  for (let i = 0; i < 6; i++) {
    params[`sx${i}`] = sx[i];
    params[`sy${i}`] = sy[i];
  }
  const program = kernelProgram({
    label: 'broadcast product',
    shaders: ['common/indexing', 'elementwise/broadcast'],
    storage: ['read', 'read', 'read_write'] as const,
    params: BROADCAST_PARAMS,
    constants: { WG },
  });
  rt.dispatch(program, [x.tensor, y.tensor, z], params, groups1d(n, WG));
  return z;
}

/** float64 reference of broadcastProduct. */
export function broadcastProductRef(shape: readonly number[], x: ArrayLike<number>, xs: readonly number[], y: ArrayLike<number>, ys: readonly number[], o: { alpha?: number; beta?: number; gamma?: number; z?: ArrayLike<number>; ox?: number; oy?: number } = {}): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      coord[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    const ix = coord.reduce((a, c, d) => a + c * xs[d], o.ox ?? 0);
    const iy = coord.reduce((a, c, d) => a + c * ys[d], o.oy ?? 0);
    out[i] = (o.alpha ?? 1) * x[ix] * (y[iy] + (o.gamma ?? 0)) + ((o.beta ?? 0) !== 0 ? (o.beta ?? 0) * o.z![i] : 0);
  }
  return out;
}
