// The comparison of a float32 result with its float64 reference under the project's tolerance
// rule (src/check/tolerance.ts), as the benchmarks (bench/check.ts) and `widenet selftest`
// (src/check/selftest.ts) report it: the worst relative error, and the worst element when a
// result is over its tolerance. Moved here from bench/check.ts so that src/ can use it (src/
// imports nothing from bench/).
import { ntkTolerance, worstMismatch, type Tolerance } from './tolerance';

export interface Checked {
  /** e.g. "max rel err 3.1e-7 (full)" or "max rel err 2.0e-6 (256 sampled)" */
  checked: string;
  /** set when a result is over its tolerance: the worst element, its value and the reference's */
  mismatch?: string;
}

/** A result that carries its check (every benchmark's result type extends this). */
export interface CheckedResult { checked?: string; mismatch?: string }

/** Root mean square of the reference: the scale of its entries (the `scale` of tolerance()). */
export function rms(ref: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < ref.length; i++) s += ref[i] * ref[i];
  return Math.sqrt(s / Math.max(ref.length, 1)) || 1;
}

/**
 * got[i] against ref[i] (both in the order of `where`, when given: the sampled indices' labels).
 * The reported error is relative to |ref| + atol/rtol (the entries' scale), so that entries near
 * zero do not dominate: max_i |got − ref| / (|ref| + atol/rtol).
 */
export function compare(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance, sample: 'full' | number, where?: (index: number) => string): Checked {
  if (got.length !== ref.length) return { checked: `length ${got.length}, expected ${ref.length}`, mismatch: `result has ${got.length} elements, the reference ${ref.length}` };
  const floor = tol.rtol > 0 ? tol.atol / tol.rtol : tol.atol;
  let maxRel = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(got[i] - ref[i]) / (Math.abs(ref[i]) + floor);
    maxRel = Number.isNaN(e) ? Infinity : Math.max(maxRel, e);
  }
  const checked = `max rel err ${maxRel.toExponential(1)} (${sample === 'full' ? 'full' : `${sample} sampled`})`;
  const bad = worstMismatch(got, ref, tol);
  if (!bad) return { checked };
  const at = where ? where(bad.index) : `element ${bad.index}`;
  return { checked, mismatch: `${at} is ${bad.actual}, float64 reference ${bad.expected} (atol ${tol.atol.toExponential(2)}, rtol ${tol.rtol.toExponential(2)})` };
}

/** Several checks of one case (e.g. φ and φ′) as one: the worst error, the first mismatch. */
export function combine(parts: Record<string, Checked>): Checked {
  const names = Object.keys(parts);
  const bad = names.find((k) => parts[k].mismatch);
  const checked = names.map((k) => `${k}: ${parts[k].checked}`).join('; ');
  return bad ? { checked, mismatch: `${bad}: ${parts[bad].mismatch}` } : { checked };
}

/** Θ (n×n, one output) against float64 rows `rows` of the reference, within ntkTolerance. */
export function checkNtk(got: ArrayLike<number>, n: number, rows: number[], ref: Float64Array[]): Checked {
  let scale = 0;
  ref.forEach((r) => r.forEach((v) => (scale = Math.max(scale, Math.abs(v)))));
  const picked = rows.flatMap((i) => Array.from({ length: n }, (_, j) => got[i * n + j]));
  const flat = Float64Array.from(ref.flatMap((r) => Array.from(r)));
  const c = compare(picked, flat, ntkTolerance(scale), rows.length === n ? 'full' : rows.length, (e) => `Θ(${rows[Math.floor(e / n)]}, ${e % n})`);
  return rows.length === n ? c : { ...c, checked: c.checked.replace(`(${rows.length} sampled)`, `(${rows.length} of ${n} rows)`) };
}
