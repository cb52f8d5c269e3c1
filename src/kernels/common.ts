// Helpers shared by the kernel wrappers.
import { ShapeError } from '../gpu/errors';
import type { ParamLayout } from '../gpu/params';
import type { KernelProgram, Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { assemble, type WgslExtension } from './shaders';

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

/** Everything a kernel program is assembled from: its final WGSL text is assemble(shaders, flags). */
export interface ProgramSource {
  label: string;
  /** shaders/ files, concatenated in this order */
  shaders: readonly string[];
  /** wgsl-preprocessor #if flags */
  flags?: Record<string, boolean>;
  storage: KernelProgram['storage'];
  params?: ParamLayout;
  constants?: Record<string, number>;
  entryPoint?: string;
  /** WGSL extensions, written as `enable X;` at the top of the module (the device must have the feature) */
  enables?: readonly WgslExtension[];
}

/** `k=v` pairs of a small record, in its own key order. */
function pairs(record: Record<string, number | boolean> | undefined): string {
  let text = '';
  if (record) for (const k in record) text += `${k}=${record[k]}\u0001`;
  return text;
}

/** The memo key's text, one part per field of ProgramSource (the type makes the list complete, so
 * a new field cannot be left out of the key); the uniform layout is keyed by identity instead. */
const KEY_PARTS: { [K in Exclude<keyof ProgramSource, 'params'>]-?: (value: ProgramSource[K]) => string } = {
  label: (v) => v,
  shaders: (v) => v.join('\u0001'),
  flags: pairs,
  storage: (v) => v.join('\u0001'),
  constants: pairs,
  entryPoint: (v) => v ?? '',
  enables: (v) => (v ?? []).join('\u0001'),
};
const KEY_FIELDS = Object.keys(KEY_PARTS) as (keyof typeof KEY_PARTS)[];

/**
 * The program of a source, assembled once (assembling costs about as much as a dispatch). The memo
 * key is derived from every field of the source, never written by hand, so sources that differ in
 * anything get their own programs; the uniform layout (an immutable object) is keyed by identity.
 * The runtime then finds the pipeline by the program's identity before hashing its final WGSL.
 */
const NO_PARAMS = {};
const programs = new WeakMap<ParamLayout | typeof NO_PARAMS, Map<string, KernelProgram>>();
export function kernelProgram(source: ProgramSource): KernelProgram {
  let byKey = programs.get(source.params ?? NO_PARAMS);
  if (!byKey) programs.set(source.params ?? NO_PARAMS, (byKey = new Map()));
  let key = '';
  for (const field of KEY_FIELDS) key += `${(KEY_PARTS[field] as (v: unknown) => string)(source[field])}\u0000`;
  let p = byKey.get(key);
  if (!p) {
    p = { label: source.label, code: assemble(source.shaders, source.flags, source.enables), storage: source.storage, params: source.params, constants: source.constants, entryPoint: source.entryPoint };
    byKey.set(key, p);
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
