// Gauss quadrature rules in float64, built once and cached.
//
// Every rule comes from its three-term recurrence by Golub & Welsch (Math. Comp. 23, 1969): the
// nodes are the eigenvalues of the Jacobi matrix J (diagonal α_k, off-diagonal √β_k) and the
// weights are μ0 · (first component of each normalised eigenvector)².

export interface QuadratureRule {
  /** nodes, ascending */
  readonly x: Float64Array;
  /** weights; they sum to the measure's total mass μ0 */
  readonly w: Float64Array;
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix (diag, off) and the first component of each
 * eigenvector, by the implicit QL algorithm with Wilkinson shifts (EISPACK tql2, as in Numerical
 * Recipes' tqli), tracking only the first row of the eigenvector matrix.
 */
export function tridiagonalEigen(diag: ArrayLike<number>, off: ArrayLike<number>): { values: Float64Array; first: Float64Array } {
  const n = diag.length;
  if (off.length !== Math.max(0, n - 1)) throw new Error(`tridiagonalEigen: off-diagonal has length ${off.length}, expected ${n - 1}`);
  const d = Float64Array.from(diag);
  const e = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) e[i] = off[i];
  const z = new Float64Array(n);
  if (n > 0) z[0] = 1;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    for (;;) {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (iter++ > 100) throw new Error('tridiagonalEigen: QL iteration did not converge');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i: number;
      let underflow = false;
      for (i = m - 1; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        f = z[i + 1];
        z[i + 1] = s * z[i] + c * f;
        z[i] = c * z[i] - s * f;
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return { values: d, first: z };
}

/** Golub–Welsch: α_0..α_{n−1}, β_1..β_{n−1} (β[0] is ignored) and μ0 = ∫ dμ. */
export function gaussFromRecurrence(alpha: ArrayLike<number>, beta: ArrayLike<number>, mu0: number): QuadratureRule {
  const n = alpha.length;
  const off = new Float64Array(Math.max(0, n - 1));
  for (let k = 1; k < n; k++) off[k - 1] = Math.sqrt(beta[k]);
  const { values, first } = tridiagonalEigen(alpha, off);
  const order = Array.from(values.keys()).sort((i, j) => values[i] - values[j]);
  return {
    x: Float64Array.from(order, (i) => values[i]),
    w: Float64Array.from(order, (i) => mu0 * first[i] * first[i]),
  };
}

const legendreCache = new Map<number, QuadratureRule>();

/** Gauss–Legendre on [−1, 1]: α_k = 0, β_k = k²/(4k² − 1), μ0 = 2. Exact for degree ≤ 2n − 1. */
export function gaussLegendre(n: number): QuadratureRule {
  checkOrder(n);
  let rule = legendreCache.get(n);
  if (!rule) {
    const beta = Float64Array.from({ length: n }, (_, k) => (k === 0 ? 0 : (k * k) / (4 * k * k - 1)));
    rule = gaussFromRecurrence(new Float64Array(n), beta, 2);
    legendreCache.set(n, rule);
  }
  return rule;
}

const radialCache = new Map<number, QuadratureRule>();

/**
 * The largest radial order: the n-point rule's largest node is ≈ √(4n), and beyond r ≈ 38 the
 * weight r·e^(−r²/2) is below float64's range, so from n ≈ 360 on the discretised measure has
 * too few points to support n nodes (the QL iteration then fails).
 */
export const MAX_RADIAL_ORDER = 320;

/**
 * Gauss rule for the radial measure r·e^(−r²/2) dr on [0, ∞) (total mass 1), exact for every
 * polynomial in r (odd powers included) of degree ≤ 2n − 1. With it a bivariate standard normal
 * expectation in polar coordinates (z1, z2) = r(cos t, sin t) reads
 *   E[F(z)] = (1/2π) ∫_0^{2π} dt ∫_0^∞ r e^(−r²/2) F(r cos t, r sin t) dr.
 *
 * The recurrence has no closed form (a half-range Hermite weight), so it is computed by Gautschi's
 * discretised Stieltjes procedure (Gautschi, "Orthogonal Polynomials: Computation and
 * Approximation", 2004, §2.2.3): the measure is replaced by a composite 20-point Gauss–Legendre
 * rule on [0, R] with panels of width ≤ 0.1 — exact to rounding for the smooth integrands
 * p_j p_k r e^(−r²/2) with degree < 2n — and the orthonormal recurrence is run on that discrete
 * measure. R = √(4n) + 12 lies beyond the largest node (≈ √(4n)) by far more than the weight's
 * e^(−72) decay.
 */
export function radialGaussRule(n: number): QuadratureRule {
  checkOrder(n, MAX_RADIAL_ORDER, ' for the radial rule (the weight r·e^(−r²/2) underflows beyond r ≈ 38, where more nodes would sit)');
  let rule = radialCache.get(n);
  if (rule) return rule;
  const panelRule = gaussLegendre(20);
  const R = Math.sqrt(4 * n) + 12;
  const panels = Math.ceil(R / 0.1);
  const h = R / panels;
  const N = panels * panelRule.x.length;
  const xs = new Float64Array(N);
  const ws = new Float64Array(N);
  for (let p = 0, idx = 0; p < panels; p++) {
    for (let i = 0; i < panelRule.x.length; i++, idx++) {
      const r = h * (p + (panelRule.x[i] + 1) / 2);
      xs[idx] = r;
      ws[idx] = (h / 2) * panelRule.w[i] * r * Math.exp(-0.5 * r * r);
    }
  }
  let mu0 = 0;
  for (let i = 0; i < N; i++) mu0 += ws[i];
  // Orthonormal Stieltjes: q_{k+1} = ((r − α_k) q_k − √β_k q_{k−1}) / √β_{k+1}.
  const alpha = new Float64Array(n);
  const beta = new Float64Array(n);
  let qPrev = new Float64Array(N);
  let q = new Float64Array(N).fill(1 / Math.sqrt(mu0));
  let sqrtBetaK = 0;
  for (let k = 0; k < n; k++) {
    let a = 0;
    for (let i = 0; i < N; i++) a += ws[i] * xs[i] * q[i] * q[i];
    alpha[k] = a;
    if (k === n - 1) break;
    const next = new Float64Array(N);
    let norm2 = 0;
    for (let i = 0; i < N; i++) {
      next[i] = (xs[i] - a) * q[i] - sqrtBetaK * qPrev[i];
      norm2 += ws[i] * next[i] * next[i];
    }
    beta[k + 1] = norm2;
    sqrtBetaK = Math.sqrt(norm2);
    for (let i = 0; i < N; i++) next[i] /= sqrtBetaK;
    qPrev = q;
    q = next;
  }
  rule = gaussFromRecurrence(alpha, beta, mu0);
  radialCache.set(n, rule);
  return rule;
}

function checkOrder(n: number, max = 4096, why = ''): void {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`quadrature order must be an integer in [1, ${max}]${why}, got ${n}`);
}
