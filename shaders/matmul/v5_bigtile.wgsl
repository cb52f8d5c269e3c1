// v5: large block tiles for big GPUs (the shape of fast CUDA SGEMMs). A workgroup of
// (BN/4)×(BM/8) invocations (256 for the default 128×64 tile) computes a BM×BN tile of C; each
// invocation holds an 8×4 register block (32 accumulators), so every value read from workgroup
// memory feeds 4 or 8 FMAs. Each BK-deep step stages op(A)'s BM×BK slice and op(B)'s BK×BN slice
// in workgroup memory as vec4s along M and N, read back as vec4s. Global reads are coalesced
// along whichever dimension is contiguous in memory (K for A and for a transposed B, i.e. the
// x·Wᵀ of a forward pass), and with A_VEC4 / B_VEC4 (contiguous dimension and batch stride
// multiples of 4) they are vec4 loads. No double buffering: published WebGPU work found it a loss
// on Vulkan, and it was not measured here.
// Gram mode (override constants, off for matmul; src/kernels/gram.ts, version 'bigtile'): G = α·A·Bᵀ
// is this kernel with B stored [N, K] (the K-contiguous path) and K = m, the width.
// SPLIT_K: the dispatch's z is slice·batch + b; slice s reduces k ∈ [s·k_chunk, min(+k_chunk, K))
// (k_chunk a multiple of BK, so only the last slice meets K's ragged edge, which the loads
// already bound) and writes its partial to C[z] through the usual c_bs stride, P[slice, b]
// (summed afterwards by colSums). SYMMETRIC (B = A, M = N): a tile wholly below the diagonal
// (every row > every column) returns before any barrier (uniform: it depends on the workgroup
// only); the others write G[i, j] for i ≤ j and its mirror G[j, i], the same float.
override SPLIT_K: bool = false;
override SYMMETRIC: bool = false;

// Precision (flags): by default the tiles hold f32. With F16 (the module enables f16; the device
// needs 'shader-f16') the operands are converted to f16 as they are staged, so the tiles take half
// the workgroup memory and half its traffic; each product of two f16 values is exact in f32 (11+11
// significant bits) and the accumulation stays in f32, so the error is the operands' rounding
// (unit roundoff 2^-11) plus f32 accumulation. F16_EMU rounds to f16 the same way
// (pack2x16float, core WGSL) but keeps f32 tiles: the same numbers on any adapter, for checking.
#if F16
alias SH = f16;
fn rd(v: vec4<f32>) -> vec4<SH> { return vec4<f16>(v); }
#elif F16_EMU
alias SH = f32;
fn rd(v: vec4<f32>) -> vec4<SH> { return vec4<f32>(unpack2x16float(pack2x16float(v.xy)), unpack2x16float(pack2x16float(v.zw))); }
#else
alias SH = f32;
fn rd(v: vec4<f32>) -> vec4<SH> { return v; }
#endif
fn rd1(v: f32) -> SH { return rd(vec4<f32>(v)).x; }

override BM: u32 = 128u;
override BN: u32 = 64u;
override BK: u32 = 16u;
const TM = 8u;
const TN = 4u;

@group(0) @binding(0) var<uniform> p: Params;
#if A_VEC4
@group(0) @binding(1) var<storage, read> A4: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> A: array<f32>;
#endif
#if B_VEC4
@group(0) @binding(2) var<storage, read> B4: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> B: array<f32>;
#endif
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

var<workgroup> As: array<vec4<SH>, BM * BK / 4u>;   // [k][m / 4]
var<workgroup> Bs: array<vec4<SH>, BK * BN / 4u>;   // [k][n / 4]

fn put_a(kk: u32, mm: u32, v: f32) { As[kk * (BM / 4u) + mm / 4u][mm % 4u] = rd1(v); }
fn put_b(kk: u32, nn: u32, v: f32) { Bs[kk * (BN / 4u) + nn / 4u][nn % 4u] = rd1(v); }

// op(A)'s BM×BK slice at (m0, k0) into As.
fn stage_a(batch: u32, m0: u32, k0: u32, li: u32, threads: u32) {
#if A_VEC4
  if (p.a_cs == 1u) {
    // A stored [M, K]: a vec4 holds 4 consecutive k of one row
    for (var i = li; i < BM * BK / 4u; i += threads) {
      let kq = i % (BK / 4u);
      let mm = i / (BK / 4u);
      let row = m0 + mm;
      let k = k0 + 4u * kq;
      var v = vec4<f32>(0.0);
      if (row < p.m && k < p.k) { v = A4[(batch * p.a_bs + row * p.a_rs + k) / 4u]; }
      put_a(4u * kq, mm, v.x); put_a(4u * kq + 1u, mm, v.y); put_a(4u * kq + 2u, mm, v.z); put_a(4u * kq + 3u, mm, v.w);
    }
  } else {
    // A stored [K, M] (transposed): a vec4 holds 4 consecutive rows at one k
    for (var i = li; i < BM * BK / 4u; i += threads) {
      let mq = i % (BM / 4u);
      let kk = i / (BM / 4u);
      let row = m0 + 4u * mq;
      let k = k0 + kk;
      var v = vec4<f32>(0.0);
      if (row < p.m && k < p.k) { v = A4[(batch * p.a_bs + k * p.a_cs + row) / 4u]; }
      As[kk * (BM / 4u) + mq] = rd(v);
    }
  }
#else
  for (var i = li; i < BM * BK; i += threads) {
    // consecutive invocations take consecutive addresses of the contiguous dimension
    var kk = i / BM;
    var mm = i % BM;
    if (p.a_cs == 1u) { kk = i % BK; mm = i / BK; }
    let row = m0 + mm;
    let k = k0 + kk;
    var v = 0.0;
    if (row < p.m && k < p.k) { v = A[batch * p.a_bs + row * p.a_rs + k * p.a_cs]; }
    put_a(kk, mm, v);
  }
#endif
}

// op(B)'s BK×BN slice at (k0, n0) into Bs.
fn stage_b(batch: u32, k0: u32, n0: u32, li: u32, threads: u32) {
#if B_VEC4
  if (p.b_cs == 1u) {
    // B stored [K, N]: a vec4 holds 4 consecutive columns at one k
    for (var i = li; i < BK * BN / 4u; i += threads) {
      let nq = i % (BN / 4u);
      let kk = i / (BN / 4u);
      let col = n0 + 4u * nq;
      let k = k0 + kk;
      var v = vec4<f32>(0.0);
      if (col < p.n && k < p.k) { v = B4[(batch * p.b_bs + k * p.b_rs + col) / 4u]; }
      Bs[kk * (BN / 4u) + nq] = rd(v);
    }
  } else {
    // B stored [N, K] (transposed, a layer's Wᵀ): a vec4 holds 4 consecutive k of one column
    for (var i = li; i < BK * BN / 4u; i += threads) {
      let kq = i % (BK / 4u);
      let nn = i / (BK / 4u);
      let col = n0 + nn;
      let k = k0 + 4u * kq;
      var v = vec4<f32>(0.0);
      if (col < p.n && k < p.k) { v = B4[(batch * p.b_bs + col * p.b_cs + k) / 4u]; }
      put_b(4u * kq, nn, v.x); put_b(4u * kq + 1u, nn, v.y); put_b(4u * kq + 2u, nn, v.z); put_b(4u * kq + 3u, nn, v.w);
    }
  }
#else
  for (var i = li; i < BK * BN; i += threads) {
    var kk = i / BN;
    var nn = i % BN;
    if (p.b_cs != 1u) { kk = i % BK; nn = i / BK; }
    let col = n0 + nn;
    let k = k0 + kk;
    var v = 0.0;
    if (col < p.n && k < p.k) { v = B[batch * p.b_bs + k * p.b_rs + col * p.b_cs]; }
    put_b(kk, nn, v);
  }
#endif
}

@compute @workgroup_size(BN / TN, BM / TM)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }   // uniform: g depends on the workgroup only
  let t = tile_coords(g);
  let threads = (BN / TN) * (BM / TM);
  let m0 = t.y * BM;
  let n0 = t.x * BN;
  if (SYMMETRIC && m0 >= n0 + BN) { return; }   // wholly below the diagonal: uniform
  var batch = t.z;
  var k_begin = 0u;
  var k_end = p.k;
  if (SPLIT_K) {
    batch = t.z % p.batch;
    k_begin = (t.z / p.batch) * p.k_chunk;
    k_end = min(k_begin + p.k_chunk, p.k);
  }
  // rows lid.y·8 … +7, columns lid.x·4 … +3 of the tile; named accumulators stay in registers
  var c0 = vec4<f32>(0.0); var c1 = vec4<f32>(0.0); var c2 = vec4<f32>(0.0); var c3 = vec4<f32>(0.0);
  var c4 = vec4<f32>(0.0); var c5 = vec4<f32>(0.0); var c6 = vec4<f32>(0.0); var c7 = vec4<f32>(0.0);
  for (var k0 = k_begin; k0 < k_end; k0 += BK) {
    stage_a(batch, m0, k0, li, threads);
    stage_b(batch, k0, n0, li, threads);
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      // widened to f32 (exact): the FMAs and the accumulators are f32 in every precision
      let lo = vec4<f32>(As[kk * (BM / 4u) + 2u * lid.y]);
      let hi = vec4<f32>(As[kk * (BM / 4u) + 2u * lid.y + 1u]);
      let b = vec4<f32>(Bs[kk * (BN / 4u) + lid.x]);
      c0 += lo.x * b; c1 += lo.y * b; c2 += lo.z * b; c3 += lo.w * b;
      c4 += hi.x * b; c5 += hi.y * b; c6 += hi.z * b; c7 += hi.w * b;
    }
    workgroupBarrier();
  }
  let row0 = m0 + lid.y * TM;
  let col0 = n0 + lid.x * TN;
  let acc = array<vec4<f32>, 8>(c0, c1, c2, c3, c4, c5, c6, c7);
  for (var r = 0u; r < TM; r++) {
    for (var s = 0u; s < TN; s++) {
      let i = row0 + r;
      let j = col0 + s;
      if (i < p.m && j < p.n && (!SYMMETRIC || i <= j)) {
        store_c(t.z, i, j, acc[r][s]);
        if (SYMMETRIC && i < j) { store_c(t.z, j, i, acc[r][s]); }
      }
    }
  }
}
