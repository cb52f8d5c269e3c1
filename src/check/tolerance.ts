// The tolerance rule of DESIGN.md §6, shared by the tests (tests/helpers/gpu.ts re-exports it)
// and the benchmarks (bench/check.ts, bench/page/reference.ts): a float32 result g matches its
// float64 reference r where |g − r| ≤ atol + rtol·|r|, with rtol scaled by the reduction length.

/** float32 unit roundoff */
export const EPS32 = 2 ** -24;

export interface Tolerance { atol: number; rtol: number }

/** Tolerance for a sum of `length` products: rounding grows like √length typically, length at worst. */
export function tolerance(length: number, scale = 1): Tolerance {
  return { atol: 8 * EPS32 * Math.sqrt(Math.max(length, 1)) * scale, rtol: 8 * EPS32 * Math.sqrt(Math.max(length, 1)) };
}

/**
 * The rigorous float32 bound of a dot product of length K in any summation order (Higham's
 * γ_K ≈ K·u, with u = 2⁻²⁴ the unit roundoff): |fl(Σ a_q b_q) − Σ a_q b_q| ≤ γ_K·Σ|a_q||b_q| ≤ 2·K·u·Σ|a_q||b_q|.
 * For results of other libraries, whose summation order is unknown.
 */
export const dotProductBound = (K: number, sumAbs: number): number => 2 * K * EPS32 * sumAbs + 1e-30;

export interface Mismatch {
  /** index of the worst element (the one furthest over its tolerance) */
  index: number;
  actual: number;
  expected: number;
}

/**
 * The element furthest over atol + rtol·|ref| (NaN in one but not the other counts as infinitely
 * far), or null when every element is within tolerance.
 */
export function worstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): Mismatch | null {
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
  return worst < 0 ? null : { index: worst, actual: actual[worst], expected: expected[worst] };
}

/** Activations φ, φ′ (DESIGN.md §6 for elementwise maps): the WGSL erf is accurate to ≤ 1e-6, hence not float32 rounding alone. */
export const ACTIVATION_TOLERANCE: Tolerance = { atol: 2e-6, rtol: 4e-6 };

/**
 * An empirical NTK against float64 (bench page and bench-ntk): 10⁻³ of its largest entry. Float32
 * sums over the width, and a ReLU unit whose pre-activation is within rounding of 0 may take the
 * other side of the step (a change of O(1/width) per such unit); a missing or wrong layer term is
 * off by far more.
 */
export const ntkTolerance = (largest: number): Tolerance => ({ atol: 1e-3 * largest, rtol: 0 });

/**
 * A tree (pairwise) sum of `length` float32 terms: |fl(Σ t) − Σ t| ≤ ⌈log2 length⌉·u·Σ|t| (Higham §4.2),
 * with a factor 4 for the float32 rounding of the terms themselves (products, squares). `sumAbs` = Σ|t|.
 */
export const treeSumTolerance = (length: number, sumAbs: number): Tolerance => ({ atol: 4 * Math.log2(length + 1) * EPS32 * sumAbs, rtol: 0 });

/** Normal deviates (Box–Muller in WGSL: log, sqrt, cos in float32) against the float64 Box–Muller of the same Philox bits. */
export const RANDOM_NORMAL_TOLERANCE: Tolerance = { atol: 2e-6, rtol: 2e-6 };

/** f16 unit roundoff (11 significant bits, round to nearest) */
export const EPS16 = 2 ** -11;
/** Half the spacing of f16's subnormals (2⁻²⁴): the absolute rounding error below 2⁻¹⁴. */
export const F16_SUBNORMAL_HALF_SPACING = 2 ** -25;

/**
 * The bound of one entry of the f16 matmul path (operands rounded to f16, products and sums in
 * f32), against the exact float64 product of the unrounded operands, over a reduction of length K:
 *   â = a(1 + δ) + η with |δ| ≤ u₁₆ = 2⁻¹¹, |η| ≤ 2⁻²⁵ (subnormals), so per term
 *   |â·b̂ − a·b| ≤ (2u₁₆ + u₁₆²)|a||b| + η(1 + u₁₆)(|a| + |b|) + η²;
 * the f16 products are exact in f32 (11 + 11 bits ≤ 24), and the f32 sum adds at most
 * γ_K·Σ|â||b̂| ≤ 2·K·u₃₂·(1 + u₁₆)²·Σ|a||b| (+ the η terms, negligible). sumAbs = Σ|a||b|,
 * sumAbsOperands = Σ(|a| + |b|). Operands must lie in f16's range (|x| ≤ 65504).
 */
export function f16ProductBound(K: number, sumAbs: number, sumAbsOperands: number): number {
  const u = EPS16;
  const eta = F16_SUBNORMAL_HALF_SPACING;
  const rounding = (2 * u + u * u) * sumAbs + eta * (1 + u) * sumAbsOperands + K * eta * eta;
  const accumulation = 2 * K * EPS32 * (1 + u) ** 2 * (sumAbs + eta * sumAbsOperands + K * eta * eta);
  return rounding + accumulation + 1e-30;
}

/**
 * How far a least-squares log-log slope can move when each point's log value is only known to
 * lie in an interval of width `spread` (a grid's resolution: the largest stable lr of a grid with
 * ratio r lies within a factor r below the true edge, spread = log r; a crossover α* interpolated
 * between neighbours α_i < α_{i+1} = ρ·α_i shares that bracket with the true crossing, spread = 2·log ρ).
 * The slope is Σ c_i y_i with c_i = (x_i − x̄)/Σ(x_j − x̄)², x_i = log width, and Σ c_i = 0, so a
 * common shift cancels and the worst case puts every error at an end of its interval:
 *   |Δslope| ≤ spread · Σ_i max(c_i, 0).
 * Three widths a factor 4 apart (x spaced by Δ = log 4): Σ max(c, 0) = 1/(2Δ), so a lr grid of
 * ratio 2 bounds the error by log 2/(2 log 4) = 1/4.
 */
export function gridSlopeBound(widths: readonly number[], spread: number): number {
  if (widths.length < 2 || !(spread >= 0)) throw new RangeError(`gridSlopeBound: expected two widths or more and a spread ≥ 0; received ${widths.length} widths, spread ${spread}`);
  const x = widths.map(Math.log);
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const sxx = x.reduce((s, v) => s + (v - mean) ** 2, 0);
  if (!(sxx > 0)) throw new RangeError('gridSlopeBound: expected at least two different widths');
  return (spread * x.reduce((s, v) => s + Math.max(v - mean, 0), 0)) / sxx;
}
