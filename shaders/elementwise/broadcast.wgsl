// Broadcasting product with accumulation, over a row-major index space of rank ≤ 6:
//   z[i] = α · x[ix(i)] · (y[iy(i)] + γ) + β · z[i]
// ix, iy come from a base offset and per-dimension strides (0 broadcasts). β = 0 never reads z.
override WG: u32 = 256u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = linear_group(wg, nwg) * WG + li;
  if (i >= p.n) { return; }
  var r = i;
  let c5 = r % p.d5; r /= p.d5;
  let c4 = r % p.d4; r /= p.d4;
  let c3 = r % p.d3; r /= p.d3;
  let c2 = r % p.d2; r /= p.d2;
  let c1 = r % p.d1; r /= p.d1;
  let c0 = r;
  let ix = p.ox + c0 * p.sx0 + c1 * p.sx1 + c2 * p.sx2 + c3 * p.sx3 + c4 * p.sx4 + c5 * p.sx5;
  let iy = p.oy + c0 * p.sy0 + c1 * p.sy1 + c2 * p.sy2 + c3 * p.sy3 + c4 * p.sy4 + c5 * p.sy5;
  var v = p.alpha * x[ix] * (y[iy] + p.gamma);
  if (p.beta != 0.0) { v += p.beta * z[i]; }
  z[i] = v;
}
