// v1: one output per invocation, straight from global memory. The baseline.
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }
  let t = tile_coords(g);
  let row = t.y * WG_Y + lid.y;
  let col = t.x * WG_X + lid.x;
  if (row >= p.m || col >= p.n) { return; }
  var acc = 0.0;
  for (var k = 0u; k < p.k; k++) {
    acc += A[t.z * p.a_bs + row * p.a_rs + k * p.a_cs] * B[t.z * p.b_bs + k * p.b_rs + col * p.b_cs];
  }
  store_c(t.z, row, col, acc);
}
