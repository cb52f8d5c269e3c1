// One optimiser step on a parameter tensor, with heavy-ball momentum (μ = 0 is plain GD) and
// weight decay towards an anchor θ₀ (the initialisation; absent: towards 0):
//   g' = g + decay·(θ − θ₀),   v ← μ·v + g',   θ ← θ − η·v     (MOMENTUM = false: θ ← θ − η·g')
// (decay = 0 leaves g unchanged; trainer.ts passes decay = λ·η/η_p, so every group decays at ηλ)
// and a divergence watch: the first step at which an updated θ is NaN or ±Inf is kept in
// status[slot] by atomicMin (0xffffffff means still finite), so a run learns where and when it
// diverged without reading the weights back.
override WG: u32 = 256u;
override MOMENTUM: bool = false;
override ANCHOR: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> theta: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> velocity: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read> anchor: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = linear_group(wg, nwg) * WG + li;
  if (i >= p.n) { return; }
  let current = theta[i];
  var displacement = current;
  if (ANCHOR) { displacement = current - anchor[i]; }
  var step = grad[i] + p.decay * displacement;
  if (MOMENTUM) {
    step = p.momentum * velocity[i] + step;
    velocity[i] = step;
  }
  let updated = current - p.lr * step;
  theta[i] = updated;
  if (!is_finite(updated)) { atomicMin(&status[p.slot], p.step); }
}
