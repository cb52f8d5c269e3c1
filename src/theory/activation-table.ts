// THE activation table: the one home of every activation (DESIGN.md §3, "one home per concept").
// Each entry keeps side by side its name (the spec's vocabulary), its GPU id (the ACT_<NAME>
// constants of shaders/common/activations.wgsl are generated from it, src/kernels/activations.ts),
// φ, φ' and φ'' in float64, its infinite-width kernel map (E[φ(u)φ(v)], E[φ'(u)φ'(v)]) for
// (u, v) ~ N(0, [[s11, s12], [s12, s22]]) and the paper the map comes from. Pure math, no GPU
// imports: src/theory, src/kernels, src/spec and the shaders all read it.
//
// φ'(0) convention for the kinks (stated here once; the WGSL and every reader follow it): φ'(0) is
// the slope on the negative side, relu'(0) = 0 and leaky_relu'(0) = LEAKY_SLOPE (in WGSL
// `select(…, x > 0.0)`). It matters only at a zero variance (u ≡ 0, e.g. x = 0 with σ_b = 0), where
// E[φ'(u)φ'(v)] = φ'(0)·E[φ'(v)]. For relu it keeps the empirical Θ(x, −x) = 0 exact:
// φ'(w·x)·φ'(−w·x) = 0 even for a neuron with w·x = 0 (φ'(0) = ½ would give ¼ there).
//
// Notation for the closed forms: q = s11·s22, ρ = s12/√q, θ = arccos ρ ∈ [0, π], computed as
// θ = atan2(√((1 − ρ)(1 + ρ)), ρ), which is exact at ρ = ±1; √q is never formed as a product
// (bivariate.ts: geometricMean, correlation), so deep nets whose variances reach 1e-300 work.
// Activations without a closed form use the polar Gauss quadrature of bivariate.ts
// (src/theory/activations.ts: kernelMap).

import { checkCovariance, correlation, geometricMean, type KernelMapValue } from './bivariate';
import { erf, normalCdf, normalPdf } from './special';

/** negative-side slope of leaky_relu (φ(x) = x for x ≥ 0, 0.01·x below) */
export const LEAKY_SLOPE = 0.01;

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export interface Activation {
  /** the spec's name (model.activation, data.target.activation) */
  readonly name: string;
  /** the GPU id: the `ACT` override constant of shaders/common/activations.wgsl, named there ACT_<NAME> */
  readonly id: number;
  readonly phi: (x: number) => number;
  readonly dphi: (x: number) => number;
  readonly d2phi: (x: number) => number;
  /** φ odd or even (then φ' is even or odd): the quadrature integrates half the circle */
  readonly parity: 'odd' | 'even' | null;
  /** closed-form kernel map; absent means quadrature */
  readonly closedForm?: (s11: number, s12: number, s22: number) => KernelMapValue;
  /** where the kernel map comes from */
  readonly reference: string;
}

/**
 * Kernel map of φ(x) = α·min(x, 0) + β·max(x, 0) (neural-tangents' ABRelu), from the arc-cosine
 * kernels of Cho & Saul, "Kernel Methods for Deep Learning", NIPS 2009 (degree 1 for E[φφ],
 * degree 0 for E[φ'φ']), combined over the four sign quadrants (the leaky form of Tsuchida,
 * Roosta & Gallagher, arXiv:1711.09090, which neural-tangents' ABRelu cites):
 *   E[φ'(u)φ'(v)] = (α² + β²)/2 − (α − β)²·θ/(2π)
 *   E[φ(u)φ(v)]   = (α − β)²/(2π) · √(s11·s22)·sin θ + E[φ'(u)φ'(v)] · s12
 * For relu (α = 0, β = 1): E[φφ] = √q (sin θ + (π − θ) cos θ)/(2π), E[φ'φ'] = (π − θ)/(2π).
 * θ = atan2(√((1 − ρ)(1 + ρ)), ρ) with ρ = s12/√(s11·s22) from `correlation` (no product s11·s22
 * is formed, so tiny and huge variances are fine). A variance of exactly 0 makes that input the
 * constant u ≡ 0, and the exact limit is E[φ(0)φ(v)] = 0 and E[φ'(0)φ'(v)] = φ'(0)·E[φ'(v)], with
 * the convention φ'(0) = α of the table (the slope on the negative side; see the top of this file).
 */
export function abReluKernelMap(alpha: number, beta: number, s11: number, s12: number, s22: number): KernelMapValue {
  const c12 = checkCovariance(s11, s12, s22);
  if (s11 === 0 || s22 === 0) {
    // u ≡ 0 (or v ≡ 0): E[φ'(v)] = (α + β)/2 for a nonzero variance, φ'(0) = α for a zero one
    const other = s11 === 0 && s22 === 0 ? alpha : (alpha + beta) / 2;
    return { nngp: 0, dotSigma: alpha * other };
  }
  const rho = correlation(s11, c12, s22);
  const sinTheta = Math.sqrt((1 - rho) * (1 + rho));
  const theta = Math.atan2(sinTheta, rho);
  const diff2 = (alpha - beta) ** 2;
  const dotSigma = (alpha * alpha + beta * beta) / 2 - (diff2 * theta) / (2 * Math.PI);
  return { nngp: (diff2 / (2 * Math.PI)) * geometricMean(s11, s22) * sinTheta + dotSigma * c12, dotSigma };
}

/**
 * Kernel map of erf, the arcsine kernel of Williams, "Computing with infinite networks",
 * NIPS 1997 (no bias term in φ's argument here):
 *   E[erf(u) erf(v)] = (2/π) · arcsin(2 s12 / √((1 + 2 s11)(1 + 2 s22)))
 *   E[erf'(u) erf'(v)] = 4 / (π · √((1 + 2 s11)(1 + 2 s22) − 4 s12²))
 * (the second is ∂/∂s12 of the first, as E[φ'(u)φ'(v)] = ∂E[φ(u)φ(v)]/∂s12 by Price's theorem).
 * The root is computed as √(1 + 2 s11 + 2 s22 + 4 (s11 s22 − s12²)), the last term as
 * (2√(s11 s22)·sin θ)², so huge variances do not overflow and ρ ≈ 1 does not cancel.
 */
export function erfKernelMap(s11: number, s12: number, s22: number): KernelMapValue {
  const c12 = checkCovariance(s11, s12, s22);
  const rho = correlation(s11, c12, s22);
  const det = 2 * geometricMean(s11, s22) * Math.sqrt((1 - rho) * (1 + rho)); // 2√(s11 s22 − s12²)
  const root = Math.hypot(Math.sqrt(1 + 2 * s11 + 2 * s22), det); // ≥ 1
  return { nngp: (2 / Math.PI) * Math.atan2(2 * c12, root), dotSigma: 4 / (Math.PI * root) };
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const QUADRATURE = 'polar Gauss quadrature over the bivariate normal (src/theory/bivariate.ts)';

/** Keeps the names' literal types (the spec's ActivationName) while checking every entry. */
function defineTable<const T extends readonly Activation[]>(table: T): T {
  return table;
}

/** The table, in id order (id = index; tests/kernels/activation-table.test.ts checks it). */
export const ACTIVATION_TABLE = defineTable([
  {
    name: 'identity',
    id: 0,
    parity: 'odd',
    phi: (x) => x,
    dphi: () => 1,
    d2phi: () => 0,
    // E[uv] = s12, E[1·1] = 1: the deep linear network's kernel.
    closedForm: (s11, s12, s22) => ({ nngp: checkCovariance(s11, s12, s22), dotSigma: 1 }),
    reference: 'linear: E[uv] = s12',
  },
  {
    name: 'relu',
    id: 1,
    parity: null,
    phi: (x) => (x < 0 ? 0 : x),
    // φ'(0) = 0 (the convention at the top of this file)
    dphi: (x) => (x > 0 ? 1 : 0),
    d2phi: () => 0,
    closedForm: (s11, s12, s22) => abReluKernelMap(0, 1, s11, s12, s22),
    reference: 'arc-cosine kernels of degree 1 and 0, Cho & Saul, NIPS 2009',
  },
  {
    name: 'leaky_relu',
    id: 2,
    parity: null,
    phi: (x) => (x < 0 ? LEAKY_SLOPE * x : x),
    // φ'(0) = LEAKY_SLOPE (the convention at the top of this file)
    dphi: (x) => (x > 0 ? 1 : LEAKY_SLOPE),
    d2phi: () => 0,
    closedForm: (s11, s12, s22) => abReluKernelMap(LEAKY_SLOPE, 1, s11, s12, s22),
    reference: 'arc-cosine kernels (Cho & Saul, NIPS 2009) combined over sign quadrants, arXiv:1711.09090',
  },
  {
    // φ' = 1/cosh²(x) and φ'' = −2 tanh(x)/cosh²(x), not 1 − tanh²(x), which cancels in the tails
    name: 'tanh',
    id: 3,
    parity: 'odd',
    phi: Math.tanh,
    dphi: (x) => {
      const c = Math.cosh(x);
      return 1 / (c * c);
    },
    d2phi: (x) => {
      const c = Math.cosh(x);
      return (-2 * Math.tanh(x)) / (c * c);
    },
    reference: QUADRATURE,
  },
  {
    name: 'erf',
    id: 4,
    parity: 'odd',
    phi: erf,
    dphi: (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x),
    d2phi: (x) => -2 * x * TWO_OVER_SQRT_PI * Math.exp(-x * x),
    closedForm: erfKernelMap,
    reference: 'arcsine kernel, Williams, NIPS 1997',
  },
  {
    // exact gelu x·Φ(x); φ' = Φ(x) + x·N(x); φ'' = N(x)·(2 − x²). (A closed form of the kernel
    // map exists, arXiv:2002.08517; the quadrature is checked against it in tests/theory.)
    name: 'gelu',
    id: 5,
    parity: null,
    phi: (x) => x * normalCdf(x),
    dphi: (x) => normalCdf(x) + x * normalPdf(x),
    d2phi: (x) => normalPdf(x) * (2 - x * x),
    reference: QUADRATURE,
  },
  {
    name: 'sigmoid',
    id: 6,
    parity: null,
    phi: sigmoid,
    dphi: (x) => {
      const s = sigmoid(x);
      return s * (1 - s);
    },
    d2phi: (x) => {
      const s = sigmoid(x);
      return s * (1 - s) * (1 - 2 * s);
    },
    reference: QUADRATURE,
  },
  {
    // log(1 + e^x), written to neither overflow nor lose the small tail
    name: 'softplus',
    id: 7,
    parity: null,
    phi: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
    dphi: sigmoid,
    d2phi: (x) => {
      const s = sigmoid(x);
      return s * (1 - s);
    },
    reference: QUADRATURE,
  },
  { name: 'sin', id: 8, parity: 'odd', phi: Math.sin, dphi: Math.cos, d2phi: (x) => -Math.sin(x), reference: QUADRATURE },
  { name: 'cos', id: 9, parity: 'even', phi: Math.cos, dphi: (x) => -Math.sin(x), d2phi: (x) => -Math.cos(x), reference: QUADRATURE },
  { name: 'quadratic', id: 10, parity: 'even', phi: (x) => 0.5 * x * x, dphi: (x) => x, d2phi: () => 1, reference: QUADRATURE },
]);

export type ActivationName = (typeof ACTIVATION_TABLE)[number]['name'];

/**
 * The activations' names in table order: the spec's vocabulary (src/spec/schema.ts ACTIVATIONS),
 * THEORY_ACTIVATIONS and the kernels' ACTIVATION_NAMES are this one frozen array.
 * (A map over a tuple is typed as an array, hence the cast to the non-empty tuple z.enum wants.)
 */
export const ACTIVATION_NAMES = Object.freeze(ACTIVATION_TABLE.map((a) => a.name)) as unknown as readonly [ActivationName, ...ActivationName[]];

/** The entry for `name`, or undefined; the readers throw their own error (they name their context). */
export function findActivation(name: string): Activation | undefined {
  return ACTIVATION_TABLE.find((a) => a.name === name);
}

