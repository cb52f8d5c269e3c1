// The subgroup version (the module starts with `enable subgroups;`, put there by the wrapper).
// WebGPU fixes neither the subgroup size (4…128) nor how subgroups map onto
// local_invocation_index, so nothing here assumes either:
//   1. each subgroup adds its invocations' partial sums with subgroupAdd;
//   2. its leader, the invocation with the smallest local index (subgroupMin), marks itself in a
//      bit mask; after a barrier each leader's slot is its rank among the leaders (popcounts of
//      the mask below it), so the slots are dense, 0 … S−1 for S subgroups, and ordered by local
//      index: the same summation order on every run (an atomic counter would hand out slots in
//      arrival order and make the result vary from run to run);
//   3. a pairwise tree over the S slots, ⌈log2 S⌉ barriers (instead of log2 WG).
// Rounding: subgroupAdd's order is the implementation's (a tree on GPUs; at worst sequential over
// ≤ 128 values), then the tree: the error stays ~(log2 n + subgroup size)·ε in the worst case.
// one bit per invocation, zero at the start of each workgroup (WGSL zero-initialises workgroup memory)
override MASK_WORDS: u32 = (WG + 31u) / 32u;
var<workgroup> leaders: array<atomic<u32>, MASK_WORDS>;
var<workgroup> slots: array<f32, WG>;
var<workgroup> slot_count: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }   // uniform: g depends on the workgroup only
  let s = subgroupAdd(invocation_partial(g, li));
  let leader = subgroupMin(li) == li;
  if (leader) { atomicOr(&leaders[li / 32u], 1u << (li % 32u)); }
  workgroupBarrier();
  if (leader) {
    var rank = countOneBits(atomicLoad(&leaders[li / 32u]) & ((1u << (li % 32u)) - 1u));
    for (var w = 0u; w < li / 32u; w++) { rank += countOneBits(atomicLoad(&leaders[w])); }
    slots[rank] = s;
  }
  if (li == 0u) {
    var count = 0u;
    for (var w = 0u; w < MASK_WORDS; w++) { count += countOneBits(atomicLoad(&leaders[w])); }
    slot_count = count;
  }
  // a barrier, then the count, uniform across the workgroup (the tree's loop bound)
  var width = workgroupUniformLoad(&slot_count);
  while (width > 1u) {
    // slot i takes slot i + half for i < width − half: a balanced pairwise sum of any width
    let half = (width + 1u) / 2u;
    if (li < width - half) { slots[li] += slots[li + half]; }
    workgroupBarrier();
    width = half;
  }
  if (li == 0u) { out[g] = slots[0]; }
}
