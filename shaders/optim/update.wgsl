// One optimiser step on a parameter tensor, with heavy-ball momentum (μ = 0 is plain GD):
//   v ← μ·v + g,   θ ← θ − η·v          (MOMENTUM = false: θ ← θ − η·g, no velocity kept)
// and a divergence watch: the first step at which an updated θ is NaN or ±Inf is kept in
// status[slot] by atomicMin (0xffffffff means still finite), so a run learns where and when it
// diverged without reading the weights back.
override WG: u32 = 256u;
override MOMENTUM: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> theta: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> velocity: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = linear_group(wg, nwg) * WG + li;
  if (i >= p.n) { return; }
  var step = grad[i];
  if (MOMENTUM) {
    step = p.momentum * velocity[i] + step;
    velocity[i] = step;
  }
  let updated = theta[i] - p.lr * step;
  theta[i] = updated;
  if (!is_finite(updated)) { atomicMin(&status[p.slot], p.step); }
}
