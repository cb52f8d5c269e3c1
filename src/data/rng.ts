// A small seeded PRNG for the CPU data module: xoshiro128** (Blackman & Vigna), seeded from a
// 53-bit seed and a 32-bit stream id through a 32-bit avalanche mix, so the same (seed, stream)
// gives the same numbers on every JS engine (only 32-bit integer ops and float64 are used).
import { DataError } from './errors';

const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/** lowbias32 (Wellons): a bijective 32-bit mix with good avalanche. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new DataError(`expected a seed: a non-negative integer ≤ 2^53 − 1; received ${String(seed)}`);
}

/** The two 32-bit halves (lo, hi) of a 53-bit seed. */
function halves(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / TWO_POW_32) >>> 0];
}

/** A new 53-bit seed derived from (seed, stream): use it to give a second data set its own draws. */
export function deriveSeed(seed: number, stream: number): number {
  checkSeed(seed);
  const [lo, hi] = halves(seed);
  const a = mix32(lo ^ mix32(hi ^ mix32((stream + 0x6a09e667) >>> 0)));
  const b = mix32(a ^ mix32((hi + 0xbb67ae85) >>> 0) ^ mix32((stream ^ 0x3c6ef372) >>> 0));
  return (b & 0x1fffff) * TWO_POW_32 + a; // 21 + 32 = 53 bits
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /** `seed`: a non-negative safe integer; `stream`: a 32-bit id giving an independent sequence for the same seed. */
  constructor(seed: number, stream = 0) {
    checkSeed(seed);
    const [lo, hi] = halves(seed);
    const base = mix32(lo ^ mix32(hi ^ mix32(stream >>> 0)));
    this.s0 = mix32((base + 0x9e3779b9) >>> 0);
    this.s1 = mix32((base + 0x3c6ef372) >>> 0 ^ hi);
    this.s2 = mix32((base + 0xdaa66d2b) >>> 0 ^ lo);
    this.s3 = mix32((base + 0x78dde6e4) >>> 0 ^ (stream >>> 0));
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** The generator's whole state (a checkpoint, dynamics/checkpoint.ts): the four words and the kept normal. */
  get state(): { words: [number, number, number, number]; spare: number | null } {
    return { words: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  set state(s: { words: [number, number, number, number]; spare: number | null }) {
    [this.s0, this.s1, this.s2, this.s3] = s.words;
    this.spare = s.spare;
  }

  /** The next 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 2 ** 26 + b) / TWO_POW_53;
  }

  /** Standard normal N(0, 1) by Box–Muller (the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log(u1) is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** d independent N(0, 1) numbers. */
  normals(d: number): number[] {
    return Array.from({ length: d }, () => this.normal());
  }

  /**
   * A direction uniform on the unit sphere S^{d−1}: g/‖g‖ with g ~ N(0, I_d), redrawn in the
   * (measure-zero) case ‖g‖ = 0. The norm is a loop, not Math.hypot(...g): spreading d
   * arguments overflows the call stack for d ≳ 10^5.
   */
  unitVector(d: number): number[] {
    for (;;) {
      const g = this.normals(d);
      let s = 0;
      for (let i = 0; i < d; i++) s += g[i] * g[i];
      const norm = Math.sqrt(s);
      if (norm > 0) {
        for (let i = 0; i < d; i++) g[i] /= norm;
        return g;
      }
    }
  }

  /** An integer uniform on {0, …, k − 1} (k ≤ 2^32). */
  int(k: number): number {
    return Math.floor(this.uniform() * k);
  }
}

/** Stream ids, so that inputs and targets drawn from one seed are independent. */
export const STREAM = { inputs: 1, target: 2, test: 3 } as const;
