// Shared test helpers: one Runtime per test file (each file runs in its own process), and the
// tolerance check of DESIGN.md §6: |gpu − ref| ≤ atol + rtol·|ref|, rtol scaled by the reduction length.
import { afterAll, beforeAll, expect } from 'vitest';
import { Runtime } from '../../src/gpu/runtime';

// the tolerance rule lives in src/check/tolerance.ts (the benchmarks use it too)
export { EPS32, tolerance } from '../../src/check/tolerance';

export function useRuntime(): { rt: Runtime } {
  const holder = {} as { rt: Runtime };
  beforeAll(async () => {
    holder.rt = await Runtime.create();
  });
  afterAll(() => {
    holder.rt?.destroy();
  });
  return holder;
}

/** Fails with the worst element's index and values. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number }, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) ? !Number.isNaN(a) : !(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e))) {
      const excess = Number.isNaN(a) || Number.isNaN(e) ? Infinity : Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${tol.atol.toExponential(2)}, rtol ${tol.rtol.toExponential(2)})`);
  }
}

/** Deterministic test data (a small LCG; the values are exactly representable in float32). */
export function testData(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}
