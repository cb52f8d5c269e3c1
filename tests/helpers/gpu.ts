// Shared test helpers: one Runtime per test file (each file runs in its own process), and the
// tolerance check of DESIGN.md §6: |gpu − ref| ≤ atol + rtol·|ref|, rtol scaled by the reduction length.
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { Runtime, type KernelProgram } from '../../src/gpu/runtime';
import { worstMismatch } from '../../src/check/tolerance';

// the tolerance rule lives in src/check/tolerance.ts (the benchmarks use it too)
export { EPS32, tolerance } from '../../src/check/tolerance';
// the deterministic inputs live in src/check/reference.ts (widenet selftest uses them too)
export { testData } from '../../src/check/reference';

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

/** Fails with the worst element's index and values (src/check/tolerance.ts's worstMismatch). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number }, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const worst = worstMismatch(actual, expected, tol);
  if (worst) {
    expect.fail(`${what}: element ${worst.index} is ${worst.actual}, expected ${worst.expected} (atol ${tol.atol.toExponential(2)}, rtol ${tol.rtol.toExponential(2)})`);
  }
}


/** The kernel programs `run` dispatches, in order (rt.dispatch watched, the work still done, then restored). */
export async function dispatchedPrograms(rt: Runtime, run: () => unknown): Promise<KernelProgram[]> {
  const programs: KernelProgram[] = [];
  const dispatch = rt.dispatch.bind(rt);
  const spy = vi.spyOn(rt, 'dispatch').mockImplementation((program, ...rest) => {
    programs.push(program);
    dispatch(program, ...rest);
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return programs;
}
