// y = φ^(ORDER)(x): the activation (ORDER 0) or its first or second derivative.
override WG: u32 = 256u;
override ORDER: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = linear_group(wg, nwg) * WG + li;
  if (i >= p.n) { return; }
  y[i] = phi_order(x[i], ORDER);
}
