// The quadratic model's forward tangents of one hidden layer in one pass (nets/second-order.ts):
//   ẋ = φ'(h)⊙ḣ,   t = φ''(h)⊙ḣ,   ẍ = t⊙ḣ + φ'(h)⊙ḧ   (ḧ = 0 without HAS_DDH, the input layer's)
// Four broadcast products before: this reads each operand once and writes each result once.
override WG: u32 = 256u;
override HAS_DDH: u32 = 1u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dphi: array<f32>;
@group(0) @binding(2) var<storage, read> d2phi: array<f32>;
@group(0) @binding(3) var<storage, read> dh: array<f32>;
@group(0) @binding(4) var<storage, read> ddh: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> t: array<f32>;
@group(0) @binding(7) var<storage, read_write> ddx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = linear_group(wg, nwg) * WG + li;
  if (i >= p.n) { return; }
  let a = dphi[i];
  let v = dh[i];
  let c = d2phi[i] * v;
  dx[i] = a * v;
  t[i] = c;
  var s = c * v;
  if (HAS_DDH == 1u) { s += a * ddh[i]; }
  ddx[i] = s;
}
