// Size budget for what a spec makes the CPU build (float64 arrays: the data sets x and y, the
// target's weights, the probe's empirical NTK read back from the GPU). A spec that asks for
// more is refused up front, by field path (src/spec/schema.ts), instead of running out of heap
// after minutes; src/data checks it again as a safety net. No imports: schema.ts and data/
// both read it.

/** At most 2^27 numbers (1 GiB of float64) in any one array built on the CPU from a spec. */
export const MAX_CPU_ARRAY_NUMBERS = 2 ** 27;

/** `≤ 2^27 = 134217728 <what> (the CPU budget per array: 1 GiB of float64)`, for messages. */
export const withinBudget = (what: string) => `≤ 2^27 = ${MAX_CPU_ARRAY_NUMBERS} ${what} (the CPU budget per array: 1 GiB of float64)`;

/** The largest magnitude a float32 holds (the GPU's precision): inputs and labels beyond it overflow to ±Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** A count for messages: exact when small, else in exponent form (1e9, 1.5e8). */
export function formatCount(v: number): string {
  return v < 1e6 ? String(v) : v.toExponential().replace(/\.?0*e\+?/, 'e');
}
