// Column sums of a row-major [rows × cols] matrix, chunked over rows:
//   out[chunk·cols + c] = Σ_{r in chunk} x[r·cols + c]
// One invocation per (chunk, column), so neighbouring invocations read neighbouring columns
// (coalesced). The wrapper repeats the pass on the chunk sums: a tree of fan-in CHUNK.
override WG: u32 = 256u;
override CHUNK: u32 = 32u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = linear_group(wg, nwg) * WG + li;
  if (t >= p.cols * p.chunks) { return; }
  let c = t % p.cols;
  let chunk = t / p.cols;
  let r_end = min((chunk + 1u) * CHUNK, p.rows);
  var acc = 0.0;
  for (var r = chunk * CHUNK; r < r_end; r++) { acc += x[r * p.cols + c]; }
  out[t] = acc;
}
