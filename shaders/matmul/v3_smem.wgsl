// v3: classic shared-memory tiling for GPUs. A workgroup of (BN/4)×(BM/4) invocations computes a
// BM×BN tile of C; each step stages a BM×BK slice of A and a BK×BN slice of B in workgroup memory
// (bounds-checked and stride-aware, so transposes and ragged edges cost nothing extra), then every
// invocation accumulates a 4×4 register block.
override BM: u32 = 64u;
override BN: u32 = 64u;
override BK: u32 = 16u;
const TM = 4u;
const TN = 4u;

var<workgroup> As: array<f32, BM * BK>;   // [k][m]
var<workgroup> Bs: array<f32, BK * BN>;   // [k][n]

@compute @workgroup_size(BN / TN, BM / TM)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }   // uniform: g depends on the workgroup only
  let t = tile_coords(g);
  let threads = (BN / TN) * (BM / TM);
  let m0 = t.y * BM;
  let n0 = t.x * BN;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < p.k; k0 += BK) {
    for (var i = li; i < BM * BK; i += threads) {
      let kk = i / BM;
      let mm = i % BM;
      As[i] = load_a(t.z, m0 + mm, k0 + kk);
    }
    for (var i = li; i < BK * BN; i += threads) {
      let kk = i / BN;
      let nn = i % BN;
      Bs[i] = load_b(t.z, k0 + kk, n0 + nn);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let b = vec4<f32>(Bs[kk * BN + lid.x * TN], Bs[kk * BN + lid.x * TN + 1u], Bs[kk * BN + lid.x * TN + 2u], Bs[kk * BN + lid.x * TN + 3u]);
      for (var r = 0u; r < TM; r++) {
        acc[r] += As[kk * BM + lid.y * TM + r] * b;
      }
    }
    workgroupBarrier();
  }
  let row0 = m0 + lid.y * TM;
  let col0 = n0 + lid.x * TN;
  for (var r = 0u; r < TM; r++) {
    for (var s = 0u; s < TN; s++) {
      if (row0 + r < p.m && col0 + s < p.n) { store_c(t.z, row0 + r, col0 + s, acc[r][s]); }
    }
  }
}
