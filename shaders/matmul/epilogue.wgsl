// Shared by every matmul version: C = φ(α·acc + β·C + bias_scale·bias[col]).
// β = 0 never reads C, so stale memory (even NaN) in C cannot leak into the result.
override HAS_BIAS: bool = false;

fn store_c(batch: u32, row: u32, col: u32, acc: f32) {
  let idx = batch * p.c_bs + row * p.n + col;
  var v = p.alpha * acc;
  if (p.beta != 0.0) { v += p.beta * C[idx]; }
  if (HAS_BIAS) { v += p.bias_scale * bias[batch * p.bias_bs + col]; }
  C[idx] = phi(v);
}

// Tile decomposition of the linear workgroup index: (tile_n fastest, then tile_m, then batch).
fn tile_coords(g: u32) -> vec3<u32> {
  let tn = g % p.tiles_n;
  let rest = g / p.tiles_n;
  return vec3<u32>(tn, rest % p.tiles_m, rest / p.tiles_m);
}
