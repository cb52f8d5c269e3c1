// G[b] = α · A[b] · B[b]ᵀ for row-major A [n1 × m] and B [n2 × m] (rows contiguous along m).
// SYMMETRIC (B = A): only tiles on or above the diagonal are computed, each written twice
// (G[i,j] and its mirror G[j,i]). Each invocation holds a 4×4 block; the reduction over m is
// split into `splits` slices whose partial Grams land in P[slice] (summed afterwards by a tree
// reduction), so that a long m still fills the GPU. VEC4 reads rows as vec4 (m % 4 = 0).
override WG: u32 = 8u;
override SYMMETRIC: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
#if VEC4
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> P: array<f32>;

// Tile t of the upper triangle (row tile ≤ column tile), from the lower-triangle enumeration
// t = i(i+1)/2 + j, j ≤ i; returned as (row tile, column tile) = (j, i).
fn triangle_tile(t: u32) -> vec2<u32> {
  var i = u32((sqrt(8.0 * f32(t) + 1.0) - 1.0) * 0.5);
  if ((i + 1u) * (i + 2u) / 2u <= t) { i += 1u; }   // f32 rounding fix-ups
  if (i * (i + 1u) / 2u > t) { i -= 1u; }
  return vec2<u32>(t - i * (i + 1u) / 2u, i);
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }
  let tile = g % p.tiles;
  let slice = (g / p.tiles) % p.splits;
  let batch = g / (p.tiles * p.splits);
  var ti: u32;
  var tj: u32;
  if (SYMMETRIC) {
    let t = triangle_tile(tile);
    ti = t.x;
    tj = t.y;
  } else {
    ti = tile / p.tiles_n;
    tj = tile % p.tiles_n;
  }
  let row0 = (ti * WG + lid.y) * 4u;
  let col0 = (tj * WG + lid.x) * 4u;
  if (row0 >= p.n1 || col0 >= p.n2) { return; }
  let k_begin = slice * p.k_chunk;
  let k_end = min(k_begin + p.k_chunk, p.m);
  var acc: array<vec4<f32>, 4>;
#if VEC4
  let m4 = p.m / 4u;
  var a_rows: array<u32, 4>;
  var b_rows: array<u32, 4>;
  for (var r = 0u; r < 4u; r++) {
    a_rows[r] = batch * (p.a_bs / 4u) + min(row0 + r, p.n1 - 1u) * m4;
    b_rows[r] = batch * (p.b_bs / 4u) + min(col0 + r, p.n2 - 1u) * m4;
  }
  for (var k4 = k_begin / 4u; k4 < k_end / 4u; k4++) {
    let b = array<vec4<f32>, 4>(B[b_rows[0] + k4], B[b_rows[1] + k4], B[b_rows[2] + k4], B[b_rows[3] + k4]);
    for (var r = 0u; r < 4u; r++) {
      let a = A[a_rows[r] + k4];
      acc[r] += vec4<f32>(dot(a, b[0]), dot(a, b[1]), dot(a, b[2]), dot(a, b[3]));
    }
  }
#else
  for (var k = k_begin; k < k_end; k++) {
    var b: vec4<f32>;
    for (var s = 0u; s < 4u; s++) {
      b[s] = B[batch * p.b_bs + min(col0 + s, p.n2 - 1u) * p.m + k];
    }
    for (var r = 0u; r < 4u; r++) {
      acc[r] += A[batch * p.a_bs + min(row0 + r, p.n1 - 1u) * p.m + k] * b;
    }
  }
#endif
  let base = (slice * p.batch + batch) * p.n1 * p.n2;   // P is [splits, batch, n1, n2]
  for (var r = 0u; r < 4u; r++) {
    for (var s = 0u; s < 4u; s++) {
      let i = row0 + r;
      let j = col0 + s;
      if (i < p.n1 && j < p.n2) {
        let v = p.alpha * acc[r][s];
        P[base + i * p.n2 + j] = v;
        if (SYMMETRIC && ti != tj) { P[base + j * p.n2 + i] = v; }
      }
    }
  }
}
