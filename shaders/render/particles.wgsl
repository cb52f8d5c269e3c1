// Neurons of a two-layer network drawn as particles straight from the GPU weight buffers:
// instance j is hidden neuron j of one ensemble member. Its position is its incoming weight
// vector w_j = W1[e, j, :] projected on two input axes; its colour is the sign of its readout
// weight a_j = W2[e, 0, j] and its size grows with |a_j|. Nothing is copied to the CPU.

struct View {
  // data → clip space (gl-matrix, column-major)
  transform: mat4x4<f32>,
  // half size of a particle in clip units, per axis
  pointSize: vec2<f32>,
  // hidden width m
  width: u32,
  // input dimension d (row length of W1)
  fanIn: u32,
  // element offsets of member e in W1 ([E, m, d]) and W2 ([E, k, m])
  offsetW1: u32,
  offsetW2: u32,
  // the two input axes shown
  axis0: u32,
  axis1: u32,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<storage, read> w1: array<f32>;
@group(0) @binding(2) var<storage, read> w2: array<f32>;

struct VertexOut {
  @builtin(position) position: vec4<f32>,
  @location(0) corner: vec2<f32>,
  @location(1) color: vec4<f32>,
}

const CORNERS = array<vec2<f32>, 6>(
  vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(-1.0, 1.0),
  vec2<f32>(-1.0, 1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
);

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, @builtin(instance_index) j: u32) -> VertexOut {
  var out: VertexOut;
  let row = view.offsetW1 + j * view.fanIn;
  let p = vec2<f32>(w1[row + view.axis0], select(0.0, w1[row + view.axis1], view.fanIn > 1u));
  let a = w2[view.offsetW2 + j];
  let corner = CORNERS[vertex];
  let size = clamp(0.6 + 0.6 * abs(a), 0.6, 2.5);
  let center = view.transform * vec4<f32>(p, 0.0, 1.0);
  out.position = vec4<f32>(center.xy + corner * view.pointSize * size, 0.0, 1.0);
  out.corner = corner;
  // a_j > 0: blue, a_j < 0: red (premultiplied alpha)
  let alpha = 0.55;
  let rgb = select(vec3<f32>(0.75, 0.16, 0.12), vec3<f32>(0.12, 0.37, 0.75), a >= 0.0);
  out.color = vec4<f32>(rgb * alpha, alpha);
  return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
  if (dot(in.corner, in.corner) > 1.0) {
    discard;
  }
  return in.color;
}
