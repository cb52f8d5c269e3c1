// Shared by reduce/tree and reduce/tree_subgroup: the bindings, the map, and each invocation's
// partial sum. Partial reductions along the inner axis of a strided 2-D view:
//   out[o·blocks + blk] = Σ_{i in block blk} map(x[o·so + i·si], y[o·so + i·si])
// Each workgroup owns a contiguous block of WG·ITEMS inner elements; invocation t sums elements
// t, t+WG, … (ITEMS of them). The wrapper repeats the pass on the partials until one value per
// row is left, so the rounding error grows like log(n)·ε rather than n·ε.
// MAP: 0 x, 1 x², 2 x·y, 3 |x|, 4 |x − y|, 5 √|x·y|.
override WG: u32 = 256u;
override ITEMS: u32 = 8u;
override MAP: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn mapped(idx: u32) -> f32 {
  let v = x[idx];
  if (MAP == 1u) { return v * v; }
  if (MAP == 2u) { return v * y[idx]; }
  if (MAP == 3u) { return abs(v); }
  if (MAP == 4u) { return abs(v - y[idx]); }
  if (MAP == 5u) { return sqrt(abs(v * y[idx])); }
  return v;
}

// Σ of invocation li's ITEMS elements of workgroup g's block.
fn invocation_partial(g: u32, li: u32) -> f32 {
  let o = g / p.blocks;
  let blk = g % p.blocks;
  let begin = blk * WG * ITEMS;
  var acc = 0.0;
  for (var j = 0u; j < ITEMS; j++) {
    let i = begin + j * WG + li;
    if (i < p.inner) { acc += mapped(o * p.so + i * p.si); }
  }
  return acc;
}
