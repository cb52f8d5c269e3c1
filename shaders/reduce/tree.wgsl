// Partial reductions along the inner axis of a strided 2-D view:
//   out[o·blocks + blk] = Σ_{i in block blk} map(x[o·so + i·si], y[o·so + i·si])
// Each workgroup owns a contiguous block of WG·ITEMS inner elements; invocation t sums elements
// t, t+WG, … (ITEMS of them), then the workgroup adds its WG sums as a binary tree. The
// wrapper repeats the pass on the partials until one value per row is left, so the rounding
// error grows like log(n)·ε rather than n·ε.
// MAP: 0 x, 1 x², 2 x·y, 3 |x|, 4 |x − y|, 5 √|x·y|.
override WG: u32 = 256u;
override ITEMS: u32 = 8u;
override MAP: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> partial: array<f32, WG>;

fn mapped(idx: u32) -> f32 {
  let v = x[idx];
  if (MAP == 1u) { return v * v; }
  if (MAP == 2u) { return v * y[idx]; }
  if (MAP == 3u) { return abs(v); }
  if (MAP == 4u) { return abs(v - y[idx]); }
  if (MAP == 5u) { return sqrt(abs(v * y[idx])); }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }
  let o = g / p.blocks;
  let blk = g % p.blocks;
  let begin = blk * WG * ITEMS;
  var acc = 0.0;
  for (var j = 0u; j < ITEMS; j++) {
    let i = begin + j * WG + li;
    if (i < p.inner) { acc += mapped(o * p.so + i * p.si); }
  }
  partial[li] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (li < stride) { partial[li] += partial[li + stride]; }
    workgroupBarrier();
  }
  if (li == 0u) { out[g] = partial[0]; }
}
