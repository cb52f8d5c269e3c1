// v2: register tiling without workgroup memory. Each invocation computes a 4×4 block of C,
// reading 4 values of A and 4 of B per k for 16 FMAs. With VEC4 (op = identity for both,
// K and N multiples of 4, batch strides multiples of 4) A and B are read as vec4.
// Suits CPU-like adapters (SwiftShader), where workgroup barriers are expensive.
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

#if VEC4
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

fn block(batch: u32, row0: u32, col0: u32) -> array<vec4<f32>, 4> {
  var acc: array<vec4<f32>, 4>;
  let k4 = p.k / 4u;
  let n4 = p.n / 4u;
  let a_base = batch * (p.a_bs / 4u);
  let b_base = batch * (p.b_bs / 4u);
  let col4 = col0 / 4u;
  let col_ok = col0 < p.n;
  for (var kk = 0u; kk < k4; kk++) {
    var b: array<vec4<f32>, 4>;
    for (var s = 0u; s < 4u; s++) {
      b[s] = select(vec4<f32>(0.0), B4[b_base + (kk * 4u + s) * n4 + col4], col_ok);
    }
    for (var r = 0u; r < 4u; r++) {
      let row = row0 + r;
      let a = select(vec4<f32>(0.0), A4[a_base + row * k4 + kk], row < p.m);
      acc[r] += a.x * b[0] + a.y * b[1] + a.z * b[2] + a.w * b[3];
    }
  }
  return acc;
}
#else
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

fn block(batch: u32, row0: u32, col0: u32) -> array<vec4<f32>, 4> {
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k < p.k; k++) {
    let b = vec4<f32>(load_b(batch, k, col0), load_b(batch, k, col0 + 1u), load_b(batch, k, col0 + 2u), load_b(batch, k, col0 + 3u));
    for (var r = 0u; r < 4u; r++) {
      acc[r] += load_a(batch, row0 + r, k) * b;
    }
  }
  return acc;
}
#endif

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }
  let t = tile_coords(g);
  let row0 = (t.y * WG_Y + lid.y) * 4u;
  let col0 = (t.x * WG_X + lid.x) * 4u;
  if (row0 >= p.m || col0 >= p.n) { return; }
  let acc = block(t.z, row0, col0);
  for (var r = 0u; r < 4u; r++) {
    for (var s = 0u; s < 4u; s++) {
      if (row0 + r < p.m && col0 + s < p.n) { store_c(t.z, row0 + r, col0 + s, acc[r][s]); }
    }
  }
}
