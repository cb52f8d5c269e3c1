// The quadratic model's backward adjoints through one hidden layer in one pass (nets/second-order.ts):
//   δ = φ'(h)⊙back,   g = φ'(h)⊙a + t⊙back   (t = φ''(h)⊙ḣ from the forward pass)
// Three broadcast products before: this reads each operand once and writes each result once.
override WG: u32 = 256u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dphi: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read> back: array<f32>;
@group(0) @binding(4) var<storage, read> a: array<f32>;
@group(0) @binding(5) var<storage, read_write> d: array<f32>;
@group(0) @binding(6) var<storage, read_write> g: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = linear_group(wg, nwg) * WG + li;
  if (i >= p.n) { return; }
  let s = dphi[i];
  let b = back[i];
  d[i] = s * b;
  g[i] = s * a[i] + t[i] * b;
}
