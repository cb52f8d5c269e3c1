// Activations φ, φ' and φ'' side by side. ACT is an override constant, so the switch is folded
// away when the pipeline is compiled. The ids ACT_<NAME> and LEAKY_SLOPE are not written here:
// they are generated from the activation table (src/theory/activation-table.ts) and put in front
// of this file (src/kernels/shaders.ts); every switch on ACT names every activation of the table
// (tests/kernels/activation-table.test.ts checks it).
// NaN in gives NaN out for every activation and derivative (never a silent 0).
override ACT: u32 = ACT_IDENTITY;

const INV_SQRT_PI_2 = 1.1283791670955126;   // 2/√π
const INV_SQRT_2PI = 0.3989422804014327;    // 1/√(2π)
const INV_SQRT_2 = 0.7071067811865476;

// erf(x) with |error| ≤ 1e-6 over the reals (WGSL has none).
// |x| < 1: Maclaurin series 2/√π Σ (-1)^n x^(2n+1) / (n!(2n+1)), n ≤ 10 (truncation < 2e-9);
// |x| ≥ 1: Abramowitz & Stegun 7.1.26, erf = 1 − t(a1 + t(a2 + …)) e^(−x²), t = 1/(1 + p|x|), |ε| ≤ 1.5e-7.
fn erf_f32(x: f32) -> f32 {
  let a = abs(x);
  if (a < 1.0) {
    let z = x * x;
    var p = 1.0 / 76204800.0;          // n = 10: 1/(10!·21)
    p = p * z - 1.0 / 6894720.0;       // n = 9:  1/(9!·19)
    p = p * z + 1.0 / 685440.0;        // n = 8
    p = p * z - 1.0 / 75600.0;         // n = 7
    p = p * z + 1.0 / 9360.0;          // n = 6
    p = p * z - 1.0 / 1320.0;          // n = 5
    p = p * z + 1.0 / 216.0;           // n = 4
    p = p * z - 1.0 / 42.0;            // n = 3
    p = p * z + 1.0 / 10.0;            // n = 2
    p = p * z - 1.0 / 3.0;             // n = 1
    p = p * z + 1.0;                   // n = 0
    return INV_SQRT_PI_2 * x * p;
  }
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let r = 1.0 - poly * exp(-min(a * a, 88.0));
  return select(r, -r, x < 0.0);
}

fn sigmoid_f32(x: f32) -> f32 {
  let e = exp(-abs(x));                // stable for both signs
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

fn normal_pdf(x: f32) -> f32 {
  return INV_SQRT_2PI * exp(-0.5 * min(x * x, 176.0));
}

// φ
fn phi(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  switch ACT {
    case ACT_RELU: { return select(x, 0.0, x < 0.0); }                           // relu
    case ACT_LEAKY_RELU: { return select(x, LEAKY_SLOPE * x, x < 0.0); }         // leaky_relu
    case ACT_TANH: { return tanh(clamp(x, -15.0, 15.0)); }                       // tanh
    case ACT_ERF: { return erf_f32(x); }                                         // erf
    case ACT_GELU: { return 0.5 * x * (1.0 + erf_f32(x * INV_SQRT_2)); }         // gelu = x Φ(x)
    case ACT_SIGMOID: { return sigmoid_f32(x); }                                 // sigmoid
    case ACT_SOFTPLUS: { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }         // softplus
    case ACT_SIN: { return sincos_f32(x).x; }                                    // sin (see math.wgsl)
    case ACT_COS: { return sincos_f32(x).y; }                                    // cos
    case ACT_QUADRATIC: { return 0.5 * x * x; }                                  // quadratic
    case ACT_IDENTITY, default: { return x; }
  }
}

// φ'
fn dphi(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  switch ACT {
    case ACT_RELU: { return select(0.0, 1.0, x > 0.0); }
    case ACT_LEAKY_RELU: { return select(LEAKY_SLOPE, 1.0, x > 0.0); }
    case ACT_TANH: { let t = tanh(clamp(x, -15.0, 15.0)); return 1.0 - t * t; }
    case ACT_ERF: { return INV_SQRT_PI_2 * exp(-min(x * x, 88.0)); }
    case ACT_GELU: { return 0.5 * (1.0 + erf_f32(x * INV_SQRT_2)) + x * normal_pdf(x); } // Φ(x) + x φ_N(x)
    case ACT_SIGMOID: { let s = sigmoid_f32(x); return s * (1.0 - s); }
    case ACT_SOFTPLUS: { return sigmoid_f32(x); }
    case ACT_SIN: { return sincos_f32(x).y; }
    case ACT_COS: { return -sincos_f32(x).x; }
    case ACT_QUADRATIC: { return x; }
    case ACT_IDENTITY, default: { return 1.0; }
  }
}

// φ''  (relu and leaky_relu: 0 away from the kink)
fn d2phi(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  switch ACT {
    case ACT_TANH: { let t = tanh(clamp(x, -15.0, 15.0)); return -2.0 * t * (1.0 - t * t); }
    case ACT_ERF: { return -2.0 * x * INV_SQRT_PI_2 * exp(-min(x * x, 88.0)); }
    case ACT_GELU: { return normal_pdf(x) * (2.0 - x * x); }
    case ACT_SIGMOID: { let s = sigmoid_f32(x); return s * (1.0 - s) * (1.0 - 2.0 * s); }
    case ACT_SOFTPLUS: { let s = sigmoid_f32(x); return s * (1.0 - s); }
    case ACT_SIN: { return -sincos_f32(x).x; }
    case ACT_COS: { return -sincos_f32(x).y; }
    case ACT_QUADRATIC: { return 1.0; }
    case ACT_IDENTITY, ACT_RELU, ACT_LEAKY_RELU, default: { return 0.0; }
  }
}

// φ^(order)
fn phi_order(x: f32, order: u32) -> f32 {
  switch order {
    case 1u: { return dphi(x); }
    case 2u: { return d2phi(x); }
    default: { return phi(x); }
  }
}
