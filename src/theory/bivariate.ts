// Expectations over a bivariate normal (u, v) ~ N(0, [[s11, s12], [s12, s22]]) by quadrature.
//
// Method. Factor Σ = L Lᵀ (Cholesky, L lower triangular), so (u, v) = L z with z ~ N(0, I₂), and
// write z in polar coordinates z = r (cos t, sin t):
//   u = r·a(t),  a(t) = L11 cos t
//   v = r·b(t),  b(t) = L21 cos t + L22 sin t
//   E[F(u, v)] = (1/2π) ∫_0^{2π} dt ∫_0^∞ r e^(−r²/2) F(r a(t), r b(t)) dr.
// The radial integral uses the Gauss rule of the weight r e^(−r²/2) on [0, ∞) (gauss.ts), exact
// for polynomials in r. The angular integral is split at the zeros of a(t) and b(t) (at most 4)
// and each arc gets a Gauss–Legendre rule. On a zero of a(t) the argument r·a(t) of φ crosses 0
// for every r: that is where relu's kink sits, and where a smooth φ such as tanh(σ r cos t)
// changes fastest in t (over a width ~ 1/(σ r)); Gauss–Legendre clusters its nodes at the arc
// ends, so it resolves both. Within an arc φ(r a)φ(r b) is smooth in t and, for a positively
// homogeneous φ (relu, leaky_relu), a polynomial in r, so the rule is exact there to rounding.
// A tensor-product Gauss–Hermite rule in Cartesian coordinates converges only algebraically on
// relu's kink (at 64 nodes per axis its error is ~1e-3 on E[relu·relu] and ~1e-2 on
// E[step·step]); this one reaches ~1e-14 on every closed form in the tests. (Without the split,
// the trapezoidal rule on the circle needed about twice the angular nodes for tanh at σ = 3.)
//
// Degenerate covariances need no special case: if s11 = 0 then L = [[0, 0], [0, √s22]] and
// a(t) ≡ 0, i.e. u ≡ 0 and the rule gives the exact limit E[φ(0)φ(v)] = φ(0)·E[φ(v)] (and
// φ'(0)·E[φ'(v)], with the table's φ'(0)); if |ρ| = 1 then L22 = 0, v = (L21/L11)·u and the
// zeros of a and b merge. L is formed from √s11, √s22 and ρ (cholesky2), never from s11·s22, so
// variances of 1e-300 (deep nets with small σ_w) or 1e300 neither under- nor overflow.
// The node counts grow with σ = √max(s11, s22), since φ(r σ cos t) varies faster as σ grows.

import { gaussLegendre, radialGaussRule, MAX_RADIAL_ORDER } from './gauss';

export interface QuadratureOptions {
  /** Gauss–Legendre nodes per angular arc (≤ 4 arcs; default 8·⌈(6σ + 16)/8⌉, 24 at σ ≤ 1) */
  perArc?: number;
  /** radial Gauss nodes (default 8·⌈(4σ + 24)/8⌉, 32 at σ ≤ 2, at most MAX_RADIAL_ORDER) */
  radial?: number;
}

/** E[φ(u)φ(v)] and E[φ'(u)φ'(v)]: the maps that take one layer's kernel to the next's. */
export interface KernelMapValue {
  /** E[φ(u)φ(v)] (the NNGP map, before the next Dense scales by σ_w² and adds σ_b²) */
  nngp: number;
  /** E[φ'(u)φ'(v)] (neural-tangents' dot_sigma, Σ̇ in Arora et al. 2019) */
  dotSigma: number;
}

/**
 * Below this ratio min(s11, s22)/max(s11, s22) is no longer a normal float64 and √(s11·s22) is
 * taken as √s11·√s22 instead of max·√(min/max).
 */
const MIN_NORMAL = 2 ** -1022;

/**
 * Slack on |s12| ≤ √(s11·s22) for variances that underflowed: each rounding in the subnormal range
 * has absolute error up to 2^-1075, which moves √(s11·s22) by up to 2^-537·√(other variance);
 * 2^-530 allows about 16 000 of them.
 */
const UNDERFLOW_SLACK = 2 ** -530;

/**
 * √(s11·s22) without under- or overflow, exact when s11 = s22: max·√(min/max) (the ratio is a
 * normal number unless the two variances differ by more than float64's range, then √s11·√s22).
 */
export function geometricMean(s11: number, s22: number): number {
  const m = Math.max(s11, s22);
  if (m === 0) return 0;
  const r = Math.min(s11, s22) / m;
  return r >= MIN_NORMAL ? m * Math.sqrt(r) : Math.sqrt(s11) * Math.sqrt(s22);
}

/**
 * Checks that (s11, s12, s22) is a finite positive semidefinite 2×2 covariance and returns s12
 * clamped to |s12| ≤ √(s11 s22) (rounding in a kernel recursion can push it past by an ulp).
 * √(s11·s22) comes from geometricMean, so variances of 1e-200 (whose product underflows) or
 * 1e200 (whose product overflows) are fine; a variance that is 0 forces s12 = 0.
 */
export function checkCovariance(s11: number, s12: number, s22: number): number {
  if (!Number.isFinite(s11) || !Number.isFinite(s12) || !Number.isFinite(s22)) {
    throw new Error(`covariance [[${s11}, ${s12}], [${s12}, ${s22}]] has a non-finite entry`);
  }
  if (s11 < 0 || s22 < 0) throw new Error(`covariance [[${s11}, ${s12}], [${s12}, ${s22}]] has a negative variance`);
  const bound = geometricMean(s11, s22);
  if (Math.abs(s12) > bound * (1 + 1e-9) + UNDERFLOW_SLACK * (Math.sqrt(s11) + Math.sqrt(s22))) {
    throw new Error(`covariance [[${s11}, ${s12}], [${s12}, ${s22}]] is not positive semidefinite (|s12| > √(s11·s22))`);
  }
  return Math.max(-bound, Math.min(bound, s12));
}

/**
 * Correlation ρ = s12/√(s11·s22) ∈ [−1, 1] of a checked covariance (s12 from checkCovariance),
 * computed from geometricMean so that nothing under- or overflows (exactly 1 when x = x', where
 * s11 = s12 = s22); 0 when a variance is 0 (then u or v is the constant 0).
 */
export function correlation(s11: number, c12: number, s22: number): number {
  const g = geometricMean(s11, s22);
  if (g === 0) return 0;
  return Math.max(-1, Math.min(1, c12 / g));
}

/**
 * Lower Cholesky factor [L11, L21, L22] of a PSD 2×2 covariance (semidefinite allowed), in the
 * scaled form L11 = √s11, L21 = ρ√s22, L22 = √s22·√((1 − ρ)(1 + ρ)), so that tiny or huge
 * variances neither under- nor overflow; L22 is exactly 0 when ρ = ±1 (e.g. x = x').
 */
export function cholesky2(s11: number, s12: number, s22: number): [number, number, number] {
  if (s11 > 0) {
    const rho = correlation(s11, s12, s22);
    const r22 = Math.sqrt(s22);
    return [Math.sqrt(s11), rho * r22, r22 * Math.sqrt((1 - rho) * (1 + rho))];
  }
  return [0, 0, Math.sqrt(s22)];
}

interface AngularRule {
  /** a(t_m), b(t_m) */
  a: Float64Array;
  b: Float64Array;
  /** weights, summing to 1 (the 1/2π is folded in) */
  w: Float64Array;
}

/** Default node counts for σ = √max(s11, s22); the tests check them against closed forms and high-order references. */
export function defaultQuadratureCounts(sigma: number): { perArc: number; radial: number } {
  const perArc = 8 * Math.ceil((6 * sigma + 16) / 8);
  const radial = 8 * Math.ceil((4 * sigma + 24) / 8);
  return { perArc: Math.min(perArc, 1024), radial: Math.min(radial, MAX_RADIAL_ORDER) };
}

/**
 * Angular nodes on [0, period), period 2π or (for a symmetric integrand) π, split at the zeros of
 * a(t) = L11 cos t (π/2, 3π/2) and of b(t) = R cos(t − ψ), R e^{iψ} = L21 + i L22 (ψ ± π/2).
 * Between consecutive breakpoints the signs of a and b are constant. Weights sum to 1.
 */
function angularRule(L11: number, L21: number, L22: number, perArc: number, period: number): AngularRule {
  const wrap = (z: number) => ((z % period) + period) % period;
  const breaks = [0, period];
  if (L11 > 0) breaks.push(wrap(Math.PI / 2), wrap((3 * Math.PI) / 2));
  if (L21 !== 0 || L22 !== 0) {
    const psi = Math.atan2(L22, L21);
    breaks.push(wrap(psi + Math.PI / 2), wrap(psi + (3 * Math.PI) / 2));
  }
  breaks.sort((x, y) => x - y);
  const gl = gaussLegendre(perArc);
  const ts: number[] = [];
  const ws: number[] = [];
  for (let k = 0; k + 1 < breaks.length; k++) {
    const lo = breaks[k];
    const hi = breaks[k + 1];
    if (hi - lo < 1e-15) continue; // coincident breakpoints (ρ = ±1, or period π)
    const half = (hi - lo) / 2;
    for (let i = 0; i < gl.x.length; i++) {
      ts.push(lo + half * (gl.x[i] + 1));
      ws.push((half * gl.w[i]) / period);
    }
  }
  const a = new Float64Array(ts.length);
  const b = new Float64Array(ts.length);
  for (let m = 0; m < ts.length; m++) {
    const c = Math.cos(ts[m]);
    const s = Math.sin(ts[m]);
    a[m] = L11 * c;
    b[m] = L21 * c + L22 * s;
  }
  return { a, b, w: Float64Array.from(ws) };
}

/**
 * E[φ(u)φ(v)] and E[φ'(u)φ'(v)] for (u, v) ~ N(0, [[s11, s12], [s12, s22]]) by polar Gauss
 * quadrature (see the top of this file). φ may have kinks at 0 (relu), nowhere else.
 * `parity`: if φ is odd or even, φ(−x)φ(−y) = φ(x)φ(y) (and likewise for φ'), so the point
 * r(cos t, sin t) and its mirror at t + π contribute alike and half the circle suffices.
 */
export function gaussianKernelMap(
  phi: (x: number) => number,
  dphi: (x: number) => number,
  s11: number,
  s12: number,
  s22: number,
  options: QuadratureOptions = {},
  parity: 'odd' | 'even' | null = null,
): KernelMapValue {
  const c12 = checkCovariance(s11, s12, s22);
  // E[φ(u)φ(v)] is symmetric in (u, v): order the variances so that the rule, and hence every
  // rounding, is the same for (x, x') and (x', x).
  if (s11 < s22) return gaussianKernelMap(phi, dphi, s22, c12, s11, options, parity);
  const [L11, L21, L22] = cholesky2(s11, c12, s22);
  const defaults = defaultQuadratureCounts(Math.sqrt(Math.max(s11, s22)));
  const ang = angularRule(L11, L21, L22, options.perArc ?? defaults.perArc, parity ? Math.PI : 2 * Math.PI);
  const rad = radialGaussRule(options.radial ?? defaults.radial);
  let nngp = 0;
  let dotSigma = 0;
  for (let m = 0; m < ang.w.length; m++) {
    const am = ang.a[m];
    const bm = ang.b[m];
    let sPhi = 0;
    let sDphi = 0;
    for (let k = 0; k < rad.x.length; k++) {
      const r = rad.x[k];
      const wk = rad.w[k];
      sPhi += wk * phi(r * am) * phi(r * bm);
      sDphi += wk * dphi(r * am) * dphi(r * bm);
    }
    nngp += ang.w[m] * sPhi;
    dotSigma += ang.w[m] * sDphi;
  }
  return { nngp, dotSigma };
}
