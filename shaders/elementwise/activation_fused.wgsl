// One pass writes both φ(h) and φ'(h) (what a forward pass that will be back-propagated needs).
override WG: u32 = 256u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read_write> act: array<f32>;
@group(0) @binding(3) var<storage, read_write> dact: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = linear_group(wg, nwg) * WG + li;
  if (i >= p.n) { return; }
  let v = h[i];
  act[i] = phi(v);
  dact[i] = dphi(v);
}
