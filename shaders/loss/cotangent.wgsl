// The cotangent r = ∂L/∂f of a loss of the model output z = α·f − s, where s = α·f₀ for a
// centred model (HAS_SHIFT) and 0 otherwise. f and s are [E, n, k]; the labels y [n, k] are
// shared by the E members. One invocation per row (e, i).
//   LOSS 0, MSE        L = 1/(2nk) Σ (z − y)²                r = α·(z − y)/(n·k)
//   LOSS 1, logistic   L = (1/n) Σ log(1 + e^{−y·z}), y = ±1  r = −α·y·σ(−y·z)/n     (k = 1)
//   LOSS 2, softmax    L = −(1/n) Σ y·log softmax(z), y one-hot  r = α·(softmax(z) − y)/n
override WG: u32 = 64u;
override LOSS: u32 = 0u;
override HAS_SHIFT: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read_write> r: array<f32>;

fn model_output(idx: u32) -> f32 {
  var z = p.alpha * f[idx];
  if (HAS_SHIFT) { z -= shift[idx]; }
  return z;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = linear_group(wg, nwg) * WG + li;
  if (row >= p.rows) { return; }
  let base = row * p.k;
  let label_base = (row % p.n) * p.k;
  if (LOSS == 0u) {
    for (var a = 0u; a < p.k; a++) {
      r[base + a] = p.alpha * (model_output(base + a) - y[label_base + a]) * p.scale;
    }
  } else if (LOSS == 1u) {
    let label = y[label_base];
    let margin = label * model_output(base);
    // σ(−m) = 1/(1 + e^m), written so that neither branch overflows
    var s: f32;
    if (margin >= 0.0) { let e = exp(-margin); s = e / (1.0 + e); } else { s = 1.0 / (1.0 + exp(margin)); }
    r[base] = -p.alpha * label * s * p.scale;
  } else {
    var top = model_output(base);
    for (var a = 1u; a < p.k; a++) { top = max(top, model_output(base + a)); }
    var total = 0.0;
    for (var a = 0u; a < p.k; a++) { total += exp(model_output(base + a) - top); }
    for (var a = 0u; a < p.k; a++) {
      let prob = exp(model_output(base + a) - top) / total;
      r[base + a] = p.alpha * (prob - y[label_base + a]) * p.scale;
    }
  }
}
