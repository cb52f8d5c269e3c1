// In-place normalisation of each of `batches` contiguous vectors of length `inner`:
//   norms[b] = ‖x_b‖₂,  x_b ← x_b / ‖x_b‖₂   (a zero vector stays zero)
// One workgroup per vector: strided partial sums of squares, then a binary tree. Used by the
// power iteration of the spectral norm, which must not leave the GPU between iterations.
override WG: u32 = 256u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let b = linear_group(wg, nwg);
  if (b >= p.batches) { return; }
  let base = b * p.inner;
  var acc = 0.0;
  for (var i = li; i < p.inner; i += WG) { let v = x[base + i]; acc += v * v; }
  partial[li] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (li < stride) { partial[li] += partial[li + stride]; }
    workgroupBarrier();
  }
  let norm = sqrt(partial[0]);
  let inv = select(0.0, 1.0 / norm, norm > 0.0);
  for (var i = li; i < p.inner; i += WG) { x[base + i] *= inv; }
  if (li == 0u) { norms[b] = norm; }
}
