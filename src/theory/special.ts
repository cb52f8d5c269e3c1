// Special functions in float64 (JavaScript has no Math.erf).

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
export const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) to ~1e-15 by its series erf(x) = 2/√π · e^(−x²) · Σ_n 2^n x^(2n+1) / (1·3·…·(2n+1))
 * (Abramowitz & Stegun 7.1.6; every term is positive, so nothing cancels); ±1 for |x| ≥ 6,
 * where erfc(6) ≈ 2e-17. Slow (up to ~100 terms): the reference for `erf`.
 */
export function erfSeries(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  let term = a;
  let sum = a;
  for (let n = 1; n < 300 && term > 1e-17 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
}

// erf on [0, 6) as 48 Chebyshev series of degree 10 (used from 0.5 on), one per interval of width 1/8,
// interpolating erfSeries at Chebyshev points; built on first use. On so short an interval the
// degree-11 coefficient of the entire function erf is below 1e-20: truncation is far below rounding.
const CHEB_DEGREE = 10;
const CHEB_WIDTH = 0.125;
const CHEB_PIECES = 48;
let chebTable: Float64Array | null = null;

function buildChebTable(): Float64Array {
  const n = CHEB_DEGREE + 1;
  const table = new Float64Array(CHEB_PIECES * n);
  const f = new Float64Array(n);
  for (let p = 0; p < CHEB_PIECES; p++) {
    const lo = p * CHEB_WIDTH;
    for (let k = 0; k < n; k++) {
      const t = Math.cos((Math.PI * (k + 0.5)) / n);
      f[k] = erfSeries(lo + (CHEB_WIDTH * (t + 1)) / 2);
    }
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += f[k] * Math.cos((Math.PI * j * (k + 0.5)) / n);
      table[p * n + j] = ((j === 0 ? 1 : 2) / n) * s;
    }
  }
  return table;
}

/** erf(x) to ~1e-15 absolute (relative below 0.5), fast: piecewise Chebyshev (Clenshaw), checked against erfSeries in the tests. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 0.5) return erfSeries(x); // relative accuracy near 0, and exactly odd
  if (a >= CHEB_WIDTH * CHEB_PIECES) return x > 0 ? 1 : -1;
  const table = chebTable ?? (chebTable = buildChebTable());
  const p = Math.floor(a / CHEB_WIDTH);
  const t = (2 * (a - p * CHEB_WIDTH)) / CHEB_WIDTH - 1;
  const base = p * (CHEB_DEGREE + 1);
  let b1 = 0;
  let b2 = 0;
  for (let j = CHEB_DEGREE; j >= 1; j--) {
    const b0 = 2 * t * b1 - b2 + table[base + j];
    b2 = b1;
    b1 = b0;
  }
  const y = t * b1 - b2 + table[base];
  return x > 0 ? y : -y;
}

/**
 * erfc(x), accurate relative to its value in the upper tail: for x ≥ 3 the continued fraction
 * erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) (A&S 7.1.14), else 1 − erf(x).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 3) return 1 - erf(x);
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (x + f);
  return (INV_SQRT_PI * Math.exp(-x * x)) / (x + f);
}

/** Standard normal cdf Φ(x) = erfc(−x/√2)/2. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Standard normal density N(x) = e^(−x²/2)/√(2π). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
