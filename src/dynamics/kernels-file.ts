// The body of `widenet run --out`'s kernels-<width>.json: Θ_η on the probe inputs at initialisation
// and at the end of the run (ensemble means, (n·k)×(n·k), row i·k + a), with the step Θ_t is from.
// After a divergence the network's parameters are non-finite, so Θ at the end would be a matrix of
// NaN (written as null by JSON): the file carries the last finite Θ_t the records saw instead, with
// that record's own step, and a `diverged` field {step, reason} naming the divergence; `current` is
// null (and `step` null) only where no finite Θ_t was ever recorded. No NaN is ever written.

/** What kernels-<width>.json holds besides width, point and probe (run.ts adds those). */
export interface KernelsFile {
  /** the step of `current` (null where current is null) */
  step: number | null;
  x: number[][];
  /** Θ₀, or null where it is non-finite (the divergence then happened at initialisation) */
  initial: number[][] | null;
  /** Θ_t at `step`, or null with `diverged` saying why */
  current: number[][] | null;
  /** present only after the network diverged: the divergence line's step and reason */
  diverged?: { step: number; reason: string };
}

/** The ensemble mean of N×N members (flat, row-major), or null where any entry is non-finite. */
export function ensembleMeanKernel(members: readonly Float64Array[], N: number): number[][] | null {
  if (!members.every((m) => m.every(Number.isFinite))) return null;
  return Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => members.reduce((s, m) => s + m[i * N + j], 0) / members.length));
}

/**
 * The kernels file of a run at `step`: `current` computes Θ_t now (only called when the network did
 * not diverge); `last` is the last finite Θ_t a record saw, with its step.
 */
export async function kernelsFile(o: {
  x: number[][];
  N: number;
  step: number;
  initial: readonly Float64Array[];
  last: { step: number; members: readonly Float64Array[] } | null;
  diverged: { step: number; reason: string } | null;
  current: () => Promise<readonly Float64Array[]>;
}): Promise<KernelsFile> {
  const initial = ensembleMeanKernel(o.initial, o.N);
  let diverged = o.diverged ? { step: o.diverged.step, reason: o.diverged.reason } : null;
  if (!diverged) {
    const current = ensembleMeanKernel(await o.current(), o.N);
    if (current) return { step: o.step, x: o.x, initial, current };
    // a safety net: the last record checks Θ_t, so a finite run has a finite one
    diverged = { step: o.step, reason: 'the kernel Θ_η on the probe is non-finite (float32 overflow)' };
  }
  const last = o.last ? ensembleMeanKernel(o.last.members, o.N) : null;
  if (last) return { step: o.last!.step, x: o.x, initial, current: last, diverged };
  return { step: null, x: o.x, initial, current: null, diverged: { ...diverged, reason: `${diverged.reason}; no finite Θ_t was recorded before it` } };
}
