// The activations: WGSL id (shaders/common/activations.wgsl) and float64 references of φ, φ', φ''.
// Pure math, no GPU imports, so that theory/ and tests can use it too.
import { UnknownActivationError } from '../gpu/errors';
import { erf } from '../theory/special';

export const LEAKY_SLOPE = 0.01;
const SQRT_2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf in float64 to ~1e-15 (JavaScript has no Math.erf): one implementation, in theory/special.ts. */
export const erf64 = erf;

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const normalPdf = (x: number) => INV_SQRT_2PI * Math.exp(-0.5 * x * x);

export interface Activation {
  readonly name: string;
  /** the `ACT` override constant of shaders/common/activations.wgsl */
  readonly id: number;
  readonly phi: (x: number) => number;
  readonly dphi: (x: number) => number;
  readonly d2phi: (x: number) => number;
}

// φ'(0) convention for the kinks: the slope on the negative side, relu'(0) = 0 and
// leaky_relu'(0) = LEAKY_SLOPE (as in activations.wgsl, `select(…, x > 0.0)`), so that the empirical
// relu NTK has Θ(x, −x) = 0 exactly. The theory table (src/theory/activations.ts) uses the same.
const table: Activation[] = [
  { name: 'identity', id: 0, phi: (x) => x, dphi: () => 1, d2phi: () => 0 },
  { name: 'relu', id: 1, phi: (x) => (x < 0 ? 0 : x), dphi: (x) => (x > 0 ? 1 : 0), d2phi: () => 0 },
  { name: 'leaky_relu', id: 2, phi: (x) => (x < 0 ? LEAKY_SLOPE * x : x), dphi: (x) => (x > 0 ? 1 : LEAKY_SLOPE), d2phi: () => 0 },
  { name: 'tanh', id: 3, phi: Math.tanh, dphi: (x) => 1 - Math.tanh(x) ** 2, d2phi: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2) },
  { name: 'erf', id: 4, phi: erf64, dphi: (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x), d2phi: (x) => -2 * x * TWO_OVER_SQRT_PI * Math.exp(-x * x) },
  // gelu, exact form: x·Φ(x); φ' = Φ(x) + x·N(x); φ'' = N(x)·(2 − x²)
  { name: 'gelu', id: 5, phi: (x) => 0.5 * x * (1 + erf64(x / SQRT_2)), dphi: (x) => 0.5 * (1 + erf64(x / SQRT_2)) + x * normalPdf(x), d2phi: (x) => normalPdf(x) * (2 - x * x) },
  { name: 'sigmoid', id: 6, phi: sigmoid, dphi: (x) => sigmoid(x) * (1 - sigmoid(x)), d2phi: (x) => sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x)) },
  { name: 'softplus', id: 7, phi: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), dphi: sigmoid, d2phi: (x) => sigmoid(x) * (1 - sigmoid(x)) },
  { name: 'sin', id: 8, phi: Math.sin, dphi: Math.cos, d2phi: (x) => -Math.sin(x) },
  { name: 'cos', id: 9, phi: Math.cos, dphi: (x) => -Math.sin(x), d2phi: (x) => -Math.cos(x) },
  { name: 'quadratic', id: 10, phi: (x) => 0.5 * x * x, dphi: (x) => x, d2phi: () => 1 },
];

export const ACTIVATION_NAMES: readonly string[] = table.map((a) => a.name);

export function activation(name: string): Activation {
  const found = table.find((a) => a.name === name);
  if (!found) throw new UnknownActivationError(String(name), ACTIVATION_NAMES);
  return found;
}

/** φ^(order) in float64; NaN in, NaN out. */
export function activationRef(name: string, order: 0 | 1 | 2): (x: number) => number {
  const a = activation(name);
  const f = order === 0 ? a.phi : order === 1 ? a.dphi : a.d2phi;
  return (x) => (Number.isNaN(x) ? NaN : f(x));
}
