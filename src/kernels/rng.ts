// Philox-4x32-10 on the CPU, bit-identical to shaders/common/rng.wgsl, and the float64
// reference of the values the init kernel makes from its bits.

/** (hi, lo) of the 64-bit product of two u32. */
function mulhilo(a: number, b: number): [number, number] {
  const product = BigInt(a >>> 0) * BigInt(b >>> 0);
  return [Number(product >> 32n) >>> 0, Number(product & 0xffffffffn) >>> 0];
}

export function philox4x32(counter: readonly [number, number, number, number], key: readonly [number, number]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    const [hi0, lo0] = mulhilo(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

export interface RandomStream {
  /** 53-bit seed (its low and high 32 bits form the Philox key). */
  seed: number;
  /** two 32-bit stream ids, e.g. (ensemble member, layer) */
  stream?: number;
  stream2?: number;
}

export function seedWords(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** float64 reference of elements [offset, offset + n) of a normal (Box–Muller) or uniform stream. */
export function randomRef(dist: 'normal' | 'uniform', s: RandomStream, offset: number, n: number, mean = 0, scale = 1): Float64Array {
  const out = new Float64Array(n);
  const key = seedWords(s.seed);
  const unit = (u: number) => ((u >>> 8) + 1) / 16777216; // (0, 1]
  let cachedQuad = -1;
  let v: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = offset + i;
    const quad = Math.floor(g / 4);
    if (quad !== cachedQuad) {
      const b = philox4x32([quad, s.stream ?? 0, s.stream2 ?? 0, 0], key);
      if (dist === 'normal') {
        const r0 = Math.sqrt(-2 * Math.log(unit(b[0])));
        const r1 = Math.sqrt(-2 * Math.log(unit(b[2])));
        const a0 = (2 * Math.PI * (b[1] >>> 8)) / 16777216;
        const a1 = (2 * Math.PI * (b[3] >>> 8)) / 16777216;
        v = [r0 * Math.cos(a0), r0 * Math.sin(a0), r1 * Math.cos(a1), r1 * Math.sin(a1)];
      } else v = b.map((u) => (u >>> 8) / 16777216);
      cachedQuad = quad;
    }
    out[i] = mean + scale * v[g % 4];
  }
  return out;
}
