// v4: for small outputs with a long reduction (K ≫ M·N): one workgroup per output element; its
// invocations stride over K and combine their partial sums by a tree in workgroup memory.
override WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let g = linear_group(wg, nwg);
  if (g >= p.groups) { return; }
  let col = g % p.n;
  let row = (g / p.n) % p.m;
  let batch = g / (p.n * p.m);
  var acc = 0.0;
  for (var k = li; k < p.k; k += WG) {
    acc += A[batch * p.a_bs + row * p.a_rs + k * p.a_cs] * B[batch * p.b_bs + k * p.b_rs + col * p.b_cs];
  }
  partial[li] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (li < stride) { partial[li] += partial[li + stride]; }
    workgroupBarrier();
  }
  if (li == 0u) { store_c(batch, row, col, partial[0]); }
}
