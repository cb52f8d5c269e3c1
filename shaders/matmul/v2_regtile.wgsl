// v2: register tiling without workgroup memory. Each invocation computes a 4×4 block of C,
// reading 4 values of A and 4 of B per k for 16 FMAs. With VEC4 (op = identity for both,
// K and N multiples of 4, batch strides multiples of 4) A and B are read as vec4.
// With VEC4_NT (A untransposed, B transposed: both read along K, K a multiple of 4) the block
// is sixteen vec4 dot products per step, the layout of a layer's forward pass x·Wᵀ.
// Suits CPU-like adapters (SwiftShader), where workgroup barriers are expensive.
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;
#if VEC4_ANY
@group(0) @binding(1) var<storage, read> A4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B4: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
#endif

#if VEC4

fn block(batch: u32, row0: u32, col0: u32) -> array<vec4<f32>, 4> {
  // Fully unrolled with named accumulators: JIT compilers of CPU adapters keep these in
  // registers, while an indexed local array is often spilled to memory.
  let k4 = p.k / 4u;
  let n4 = p.n / 4u;
  // rows past M are clamped to a valid row and their results discarded at the store
  let a0 = batch * (p.a_bs / 4u) + min(row0, p.m - 1u) * k4;
  let a1 = batch * (p.a_bs / 4u) + min(row0 + 1u, p.m - 1u) * k4;
  let a2 = batch * (p.a_bs / 4u) + min(row0 + 2u, p.m - 1u) * k4;
  let a3 = batch * (p.a_bs / 4u) + min(row0 + 3u, p.m - 1u) * k4;
  var bi = batch * (p.b_bs / 4u) + col0 / 4u;
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var kk = 0u; kk < k4; kk++) {
    let b0 = B4[bi];
    let b1 = B4[bi + n4];
    let b2 = B4[bi + 2u * n4];
    let b3 = B4[bi + 3u * n4];
    bi += 4u * n4;
    let x0 = A4[a0 + kk];
    let x1 = A4[a1 + kk];
    let x2 = A4[a2 + kk];
    let x3 = A4[a3 + kk];
    c0 += x0.x * b0 + x0.y * b1 + x0.z * b2 + x0.w * b3;
    c1 += x1.x * b0 + x1.y * b1 + x1.z * b2 + x1.w * b3;
    c2 += x2.x * b0 + x2.y * b1 + x2.z * b2 + x2.w * b3;
    c3 += x3.x * b0 + x3.y * b1 + x3.z * b2 + x3.w * b3;
  }
  return array<vec4<f32>, 4>(c0, c1, c2, c3);
}
#elif VEC4_NT

fn block(batch: u32, row0: u32, col0: u32) -> array<vec4<f32>, 4> {
  let k4 = p.k / 4u;
  let a_base = batch * (p.a_bs / 4u);
  let b_base = batch * (p.b_bs / 4u);
  let a0 = a_base + min(row0, p.m - 1u) * k4;
  let a1 = a_base + min(row0 + 1u, p.m - 1u) * k4;
  let a2 = a_base + min(row0 + 2u, p.m - 1u) * k4;
  let a3 = a_base + min(row0 + 3u, p.m - 1u) * k4;
  let b0 = b_base + min(col0, p.n - 1u) * k4;
  let b1 = b_base + min(col0 + 1u, p.n - 1u) * k4;
  let b2 = b_base + min(col0 + 2u, p.n - 1u) * k4;
  let b3 = b_base + min(col0 + 3u, p.n - 1u) * k4;
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var kk = 0u; kk < k4; kk++) {
    let y0 = B4[b0 + kk];
    let y1 = B4[b1 + kk];
    let y2 = B4[b2 + kk];
    let y3 = B4[b3 + kk];
    let x0 = A4[a0 + kk];
    let x1 = A4[a1 + kk];
    let x2 = A4[a2 + kk];
    let x3 = A4[a3 + kk];
    c0 += vec4<f32>(dot(x0, y0), dot(x0, y1), dot(x0, y2), dot(x0, y3));
    c1 += vec4<f32>(dot(x1, y0), dot(x1, y1), dot(x1, y2), dot(x1, y3));
    c2 += vec4<f32>(dot(x2, y0), dot(x2, y1), dot(x2, y2), dot(x2, y3));
    c3 += vec4<f32>(dot(x3, y0), dot(x3, y1), dot(x3, y2), dot(x3, y3));
  }
  return array<vec4<f32>, 4>(c0, c1, c2, c3);
}
#else

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
