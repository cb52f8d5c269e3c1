// The plain version (reduce/tree_map has the bindings and the per-invocation sums): the
// workgroup adds its WG partial sums as a binary tree in workgroup memory, log2(WG) barriers.
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }
  partial[li] = invocation_partial(g, li);
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (li < stride) { partial[li] += partial[li + stride]; }
    workgroupBarrier();
  }
  if (li == 0u) { out[g] = partial[0]; }
}
