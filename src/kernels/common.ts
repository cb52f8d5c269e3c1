// Helpers shared by the kernel wrappers.
import { ShapeError } from '../gpu/errors';
import type { KernelProgram, Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';

/** A kernel's cost: floating-point operations and bytes moved to and from global memory. */
export interface Cost {
  flops: number;
  bytes: number;
}

export function assertSameSize(kernel: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new ShapeError(`${kernel}: "${a.name}" has ${a.size} elements [${a.shape}] but "${b.name}" has ${b.size} [${b.shape}]; expected equal sizes`);
}

export function assertLive(...tensors: (Tensor | undefined)[]): void {
  for (const t of tensors) t?.assertLive();
}

/** The output tensor: `out` if given (checked for size), else a new one. */
export function outputTensor(rt: Runtime, kernel: string, shape: readonly number[], out: Tensor | undefined, name: string): Tensor {
  if (!out) return Tensor.empty(rt, shape, name);
  const size = shape.reduce((a, b) => a * b, 1);
  if (out.size !== size) throw new ShapeError(`${kernel}: output "${out.name}" has ${out.size} elements [${out.shape}], expected [${shape}] (${size})`);
  return out;
}

/** Workgroups for a 1-D kernel of n elements with `wg` invocations each. */
export const groups1d = (n: number, wg: number) => Math.ceil(n / wg);

/** A one-element buffer bound where a shader's optional input is absent. */
const dummies = new WeakMap<Runtime, Tensor>();
export function dummyTensor(rt: Runtime): Tensor {
  let t = dummies.get(rt);
  if (!t) {
    t = Tensor.zeros(rt, [4], 'unused');
    dummies.set(rt, t);
  }
  return t;
}

/** Kernel programs are built once per configuration: the runtime then finds their pipeline by object identity before hashing. */
const programs = new Map<string, KernelProgram>();
export function cachedProgram(key: string, build: () => KernelProgram): KernelProgram {
  let p = programs.get(key);
  if (!p) {
    p = build();
    programs.set(key, p);
  }
  return p;
}

/** The k×k identity (the δ_ab of the NTK's readout term). */
export function identityMatrix(rt: Runtime, k: number): Tensor {
  return Tensor.from(rt, Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0)), [k, k], `I_${k}`);
}

/** A cached one-element tensor holding 1, for broadcast products used as scale-and-shift
 * (α·1·(y + γ)). Shared per runtime: callers must not dispose it. Creating one per use would
 * also flush the recorded work (an upload flushes first). */
const scalarOnes = new WeakMap<Runtime, Tensor>();
export function scalarOne(rt: Runtime): Tensor {
  let t = scalarOnes.get(rt);
  if (!t) {
    t = Tensor.from(rt, [1], [1], 'one');
    scalarOnes.set(rt, t);
  }
  return t;
}

/** A cached [1, n] row of ones (Σ over rows as a matmul, e.g. bias gradients 1ᵀδ). Shared per
 * runtime and length: callers must not dispose it. */
const onesRows = new WeakMap<Runtime, Map<number, Tensor>>();
export function onesRow(rt: Runtime, n: number): Tensor {
  let byLength = onesRows.get(rt);
  if (!byLength) onesRows.set(rt, (byLength = new Map()));
  let t = byLength.get(n);
  if (!t) {
    t = Tensor.from(rt, new Float32Array(n).fill(1), [1, n], `ones(${n})`);
    byLength.set(n, t);
  }
  return t;
}
