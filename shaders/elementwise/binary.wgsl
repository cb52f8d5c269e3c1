// z = α·x + β·y (OP 0, "add") or z = α·(x ⊙ y) (OP 1, "hadamard").
override WG: u32 = 256u;
override OP: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = linear_group(wg, nwg) * WG + li;
  if (i >= p.n) { return; }
  if (OP == 1u) { z[i] = p.alpha * x[i] * y[i]; }
  else { z[i] = p.alpha * x[i] + p.beta * y[i]; }
}
