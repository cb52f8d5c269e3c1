// Seeded random tensors from the counter-based Philox generator (shaders/init/random.wgsl).
// Element g of stream (seed, stream, stream2) is the same on every adapter and in every chunking.
import { ParamLayout } from '../gpu/params';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { assertLive, kernelProgram, groups1d, type Cost } from './common';
import { seedWords, type RandomStream } from './rng';

const WG = 256;
const PARAMS = new ParamLayout([
  ['n', 'u32'], ['offset', 'u32'], ['quads', 'u32'], ['stream', 'u32'], ['stream2', 'u32'],
  ['seed_lo', 'u32'], ['seed_hi', 'u32'], ['mean', 'f32'], ['scale', 'f32'],
] as const);

export interface RandomOptions extends RandomStream {
  /** index of the first element within the stream (to regenerate a chunk) */
  offset?: number;
  /** normal: mean and standard deviation; uniform: low and width (high − low) */
  mean?: number;
  scale?: number;
  out?: Tensor;
  name?: string;
}

function fill(rt: Runtime, dist: 0 | 1, shape: readonly number[], o: RandomOptions): Tensor {
  const t = o.out ?? Tensor.empty(rt, shape, o.name ?? (dist === 0 ? 'randn' : 'rand'));
  assertLive(t);
  const offset = o.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset + t.size > 2 ** 32) throw new RangeError(`random: offset ${offset} + ${t.size} elements must stay within [0, 2^32)`);
  const [seed_lo, seed_hi] = seedWords(o.seed);
  const quads = Math.floor((offset + t.size - 1) / 4) - Math.floor(offset / 4) + 1;
  const program = kernelProgram({
    label: dist === 0 ? 'randn' : 'rand',
    shaders: ['common/indexing', 'common/math', 'common/rng', 'init/random'],
    storage: ['read_write'] as const,
    params: PARAMS,
    constants: { WG, DIST: dist },
  });
  rt.dispatch(program, [t], {
    n: t.size, offset, quads, stream: (o.stream ?? 0) >>> 0, stream2: (o.stream2 ?? 0) >>> 0, seed_lo, seed_hi,
    mean: o.mean ?? 0, scale: o.scale ?? 1,
  }, groups1d(quads, WG));
  return t;
}

/** mean + scale·N(0, 1) (Box–Muller on Philox bits). */
export const randn = (rt: Runtime, shape: readonly number[], o: RandomOptions) => fill(rt, 0, shape, o);
/** mean + scale·U[0, 1). */
export const rand = (rt: Runtime, shape: readonly number[], o: RandomOptions) => fill(rt, 1, shape, o);

/** Philox: 10 rounds of 2 multiplies per 4 values, plus Box–Muller; one write per element. */
export const randomCost = (n: number): Cost => ({ flops: 20 * n, bytes: 4 * n });
