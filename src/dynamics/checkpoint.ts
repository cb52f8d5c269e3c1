// The state of a point between two records (`widenet run --checkpoint`, src/cli/resume.ts): every
// buffer that training changes (the weights, the velocities, the side models' displacements, the
// divergence flags, the power iterations' vectors) as raw bytes, and the few CPU values beside them
// (the step, the SGD shuffle's generator, the records' history). Restored into an Experiment created
// afresh from the same spec, it continues bit for bit as the uninterrupted run: θ₀, the data, Θ₀ and
// every closed form are functions of the spec and are rebuilt, not stored.
//
// One file: the bytes "widenet-checkpoint 1\n", an 8-byte little-endian header length, the JSON
// header (the CPU values and the list of buffers with their byte lengths), then the buffers' bytes.
import { WidenetError } from '../gpu/errors';
import type { Tensor } from '../gpu/tensor';

/** A checkpoint that cannot be read or does not fit the experiment it is restored into. */
export class CheckpointError extends WidenetError {}

/** The GPU buffers of a state, by name ("net.W0", "rf.velocity.b1", …), as raw bytes. */
export type StateBuffers = Map<string, Uint8Array>;

/** A saved state: JSON-safe CPU values and the buffers. */
export interface SavedState {
  values: Record<string, unknown>;
  buffers: StateBuffers;
}

const MAGIC = 'widenet-checkpoint 1\n';

/** Reads a tensor's bytes into `buffers` under `name` (the bytes as they are: no float round trip). */
export async function saveTensor(buffers: StateBuffers, name: string, t: Tensor): Promise<void> {
  const f = await t.read();
  buffers.set(name, new Uint8Array(f.buffer, f.byteOffset, f.byteLength).slice());
}

/** Writes the saved bytes of `name` back into a tensor of the same size. */
export function restoreTensor(buffers: StateBuffers, name: string, t: Tensor): void {
  const bytes = buffers.get(name);
  if (!bytes) throw new CheckpointError(`the checkpoint holds no buffer "${name}"; it was written for another model`);
  if (bytes.byteLength !== t.bytes) throw new CheckpointError(`the checkpoint's buffer "${name}" has ${bytes.byteLength} bytes, the model's ${t.bytes}; it was written for another model`);
  t.rt.write(t, bytes);
}

/** The file's bytes. */
export function encodeState(state: SavedState): Uint8Array {
  const names = [...state.buffers.keys()];
  const header = new TextEncoder().encode(JSON.stringify({ values: state.values, buffers: names.map((name) => ({ name, bytes: state.buffers.get(name)!.byteLength })) }));
  const magic = new TextEncoder().encode(MAGIC);
  const total = magic.length + 8 + header.length + names.reduce((s, n) => s + state.buffers.get(n)!.byteLength, 0);
  const out = new Uint8Array(total);
  out.set(magic, 0);
  new DataView(out.buffer).setBigUint64(magic.length, BigInt(header.length), true);
  out.set(header, magic.length + 8);
  let at = magic.length + 8 + header.length;
  for (const n of names) {
    out.set(state.buffers.get(n)!, at);
    at += state.buffers.get(n)!.byteLength;
  }
  return out;
}

/** The state in a file's bytes; `where` names the file in errors. */
export function decodeState(file: Uint8Array, where: string): SavedState {
  // a plain copy: a Node Buffer's slice() is a view into a shared pool, not a copy
  const bytes = new Uint8Array(file);
  const magic = new TextEncoder().encode(MAGIC);
  const bad = (why: string) => new CheckpointError(`${where} is not a widenet checkpoint (${why})`);
  if (bytes.length < magic.length + 8 || !magic.every((b, i) => bytes[i] === b)) throw bad('it does not start with "widenet-checkpoint 1"');
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(magic.length, true));
  const start = magic.length + 8;
  if (start + headerLength > bytes.length) throw bad('its header runs past its end: the file was cut');
  let header: { values: Record<string, unknown>; buffers: { name: string; bytes: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + headerLength)));
  } catch {
    throw bad('its header is not JSON');
  }
  const buffers: StateBuffers = new Map();
  let at = start + headerLength;
  for (const b of header.buffers) {
    if (at + b.bytes > bytes.length) throw bad(`buffer "${b.name}" runs past its end: the file was cut`);
    buffers.set(b.name, bytes.slice(at, at + b.bytes));
    at += b.bytes;
  }
  if (at !== bytes.length) throw bad(`${bytes.length - at} bytes after its last buffer`);
  return { values: header.values, buffers };
}
