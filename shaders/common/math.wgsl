// sin and cos to float32 accuracy. WGSL only promises an absolute error of 2^-11 for the
// built-ins on [−π, π] (SwiftShader is that coarse), far from float32's 6e-8.
// Cody–Waite reduction x = q·π/2 + r with π/2 split in three parts (Cephes' sinf constants,
// doubled; the first two have trailing zero bits, so q·PIO2_HI and q·PIO2_MID are exact for
// |q| < 2^13), |r| ≤ π/4, then Taylor polynomials (truncation < 1e-9) and the quadrant's identity.
const PIO2_HI = 1.5703125;
const PIO2_MID = 4.837512969970703125e-4;
const PIO2_LO = 7.54978995489188216e-8;

fn sin_poly(r: f32) -> f32 {
  let z = r * r;
  return r * (1.0 + z * (-1.0 / 6.0 + z * (1.0 / 120.0 + z * (-1.0 / 5040.0 + z * (1.0 / 362880.0 + z * (-1.0 / 39916800.0))))));
}
fn cos_poly(r: f32) -> f32 {
  let z = r * r;
  return 1.0 + z * (-0.5 + z * (1.0 / 24.0 + z * (-1.0 / 720.0 + z * (1.0 / 40320.0 + z * (-1.0 / 3628800.0 + z * (1.0 / 479001600.0))))));
}

// (sin x, cos x). Accurate to float32 while |x| < 8192 (pre-activations are O(1)).
fn sincos_f32(x: f32) -> vec2<f32> {
  let q = round(x * 0.6366197723675814);   // x · 2/π
  let r = ((x - q * PIO2_HI) - q * PIO2_MID) - q * PIO2_LO;
  let s = sin_poly(r);
  let c = cos_poly(r);
  switch (i32(q) & 3) {
    case 0: { return vec2<f32>(s, c); }
    case 1: { return vec2<f32>(c, -s); }
    case 2: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}
