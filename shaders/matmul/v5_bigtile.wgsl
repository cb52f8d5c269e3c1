// v5: large block tiles for big GPUs (the shape of fast CUDA SGEMMs). A workgroup of
// (BN/4)×(BM/8) invocations (256 for the default 128×64 tile) computes a BM×BN tile of C; each
// invocation holds an 8×4 register block (32 accumulators), so every value read from workgroup
// memory feeds 4 or 8 FMAs. Each BK-deep step stages op(A)'s BM×BK slice and op(B)'s BK×BN slice
// in workgroup memory as vec4s along M and N, read back as vec4s. Global reads are coalesced
// along whichever dimension is contiguous in memory (K for A and for a transposed B, i.e. the
// x·Wᵀ of a forward pass), and with A_VEC4 / B_VEC4 (contiguous dimension and batch stride
// multiples of 4) they are vec4 loads. No double buffering by default: published WebGPU work found
// it a loss on Vulkan; PREFETCH (register prefetch of the next slice) is an autotune candidate
// only, adopted where autotuning measures it faster.
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
override PREFETCH: bool = false;

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

// Staging, cut into units: a vec4 with A_VEC4 / B_VEC4, else one float. Unit i of a slice starts at
// (kk, mm) of op(A) (unit_a) or (kk, nn) of op(B) (unit_b); consecutive invocations take consecutive
// units, i.e. consecutive addresses of the operand's contiguous dimension. load_* reads a unit
// from global memory (zero outside the matrix), store_* writes it to workgroup memory.
#if A_VEC4
alias AU = vec4<f32>;
const A_PF = 4u;    // PREFETCH registers: A_UNITS / threads = 8·BK/BN ≤ 4 (autotune.ts, fits)
override A_UNITS: u32 = BM * BK / 4u;
fn unit_a(i: u32) -> vec2<u32> {
  // A stored [M, K]: a vec4 holds 4 consecutive k of one row; stored [K, M]: 4 consecutive rows at one k
  if (p.a_cs == 1u) { return vec2<u32>(4u * (i % (BK / 4u)), i / (BK / 4u)); }
  return vec2<u32>(i / (BM / 4u), 4u * (i % (BM / 4u)));
}
#else
alias AU = f32;
const A_PF = 16u;   // 32·BK/BN ≤ 16
override A_UNITS: u32 = BM * BK;
fn unit_a(i: u32) -> vec2<u32> {
  if (p.a_cs == 1u) { return vec2<u32>(i % BK, i / BK); }
  return vec2<u32>(i / BM, i % BM);
}
#endif
#if B_VEC4
alias BU = vec4<f32>;
const B_PF = 4u;    // 8·BK/BM ≤ 4
override B_UNITS: u32 = BK * BN / 4u;
fn unit_b(i: u32) -> vec2<u32> {
  // B stored [K, N]: a vec4 holds 4 consecutive columns at one k; stored [N, K] (a layer's Wᵀ, the Gram's B): 4 consecutive k of one column
  if (p.b_cs == 1u) { return vec2<u32>(i / (BN / 4u), 4u * (i % (BN / 4u))); }
  return vec2<u32>(4u * (i % (BK / 4u)), i / (BK / 4u));
}
#else
alias BU = f32;
const B_PF = 16u;   // 32·BK/BM ≤ 16
override B_UNITS: u32 = BK * BN;
fn unit_b(i: u32) -> vec2<u32> {
  if (p.b_cs != 1u) { return vec2<u32>(i % BK, i / BK); }
  return vec2<u32>(i / BN, i % BN);
}
#endif

// op(A)(row, k) = A[batch·a_bs + row·a_rs + k·a_cs]; a unit of the slice at (m0, k0)
fn load_a(batch: u32, m0: u32, k0: u32, i: u32) -> AU {
  let u = unit_a(i);
  let row = m0 + u.y;
  let k = k0 + u.x;
  if (row >= p.m || k >= p.k) { return AU(0.0); }
#if A_VEC4
  return A4[(batch * p.a_bs + row * p.a_rs + k * p.a_cs) / 4u];
#else
  return A[batch * p.a_bs + row * p.a_rs + k * p.a_cs];
#endif
}

fn store_a(i: u32, v: AU) {
  let u = unit_a(i);
#if A_VEC4
  if (p.a_cs == 1u) { put_a(u.x, u.y, v.x); put_a(u.x + 1u, u.y, v.y); put_a(u.x + 2u, u.y, v.z); put_a(u.x + 3u, u.y, v.w); }
  else { As[u.x * (BM / 4u) + u.y / 4u] = rd(v); }
#else
  put_a(u.x, u.y, v);
#endif
}

// op(B)(k, col) = B[batch·b_bs + k·b_rs + col·b_cs]; a unit of the slice at (k0, n0)
fn load_b(batch: u32, k0: u32, n0: u32, i: u32) -> BU {
  let u = unit_b(i);
  let k = k0 + u.x;
  let col = n0 + u.y;
  if (col >= p.n || k >= p.k) { return BU(0.0); }
#if B_VEC4
  return B4[(batch * p.b_bs + k * p.b_rs + col * p.b_cs) / 4u];
#else
  return B[batch * p.b_bs + k * p.b_rs + col * p.b_cs];
#endif
}

fn store_b(i: u32, v: BU) {
  let u = unit_b(i);
#if B_VEC4
  if (p.b_cs == 1u) { Bs[u.x * (BN / 4u) + u.y / 4u] = rd(v); }
  else { put_b(u.x, u.y, v.x); put_b(u.x + 1u, u.y, v.y); put_b(u.x + 2u, u.y, v.z); put_b(u.x + 3u, u.y, v.w); }
#else
  put_b(u.x, u.y, v);
#endif
}

// op(A)'s BM×BK slice at (m0, k0) into As, op(B)'s BK×BN slice at (k0, n0) into Bs.
fn stage(batch: u32, m0: u32, n0: u32, k0: u32, li: u32, threads: u32) {
  for (var i = li; i < A_UNITS; i += threads) { store_a(i, load_a(batch, m0, k0, i)); }
  for (var i = li; i < B_UNITS; i += threads) { store_b(i, load_b(batch, k0, n0, i)); }
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
  // PREFETCH (an autotune candidate, off by default): the next slice's units are read from global
  // memory into registers (ra, rb) before the current slice is computed, and written to workgroup
  // memory after it, so the loads' latency overlaps the FMAs ("register double buffering").
  var ra: array<AU, A_PF>;
  var rb: array<BU, B_PF>;
  stage(batch, m0, n0, k_begin, li, threads);
  workgroupBarrier();
  for (var k0 = k_begin; k0 < k_end; k0 += BK) {
    let next = k0 + BK;
    if (PREFETCH && next < k_end) {
      for (var j = 0u; j < A_PF; j++) { let i = li + j * threads; if (i < A_UNITS) { ra[j] = load_a(batch, m0, next, i); } }
      for (var j = 0u; j < B_PF; j++) { let i = li + j * threads; if (i < B_UNITS) { rb[j] = load_b(batch, next, n0, i); } }
    }
    for (var kk = 0u; kk < BK; kk++) {
      // widened to f32 (exact): the FMAs and the accumulators are f32 in every precision
      let lo = vec4<f32>(As[kk * (BM / 4u) + 2u * lid.y]);
      let hi = vec4<f32>(As[kk * (BM / 4u) + 2u * lid.y + 1u]);
      let b = vec4<f32>(Bs[kk * (BN / 4u) + lid.x]);
      c0 += lo.x * b; c1 += lo.y * b; c2 += lo.z * b; c3 += lo.w * b;
      c4 += hi.x * b; c5 += hi.y * b; c6 += hi.z * b; c7 += hi.w * b;
    }
    workgroupBarrier();
    if (next < k_end) {   // uniform: k0 and k_end depend on the workgroup only
      if (PREFETCH) {
        for (var j = 0u; j < A_PF; j++) { let i = li + j * threads; if (i < A_UNITS) { store_a(i, ra[j]); } }
        for (var j = 0u; j < B_PF; j++) { let i = li + j * threads; if (i < B_UNITS) { store_b(i, rb[j]); } }
      } else {
        stage(batch, m0, n0, next, li, threads);
      }
      workgroupBarrier();
    }
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
