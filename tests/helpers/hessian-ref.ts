// The output's explicit Hessian H = ∂²f/∂θ_p∂θ_q of a float64 MLP, exact (no finite differences):
// hyper-dual numbers a + b·ε₁ + c·ε₂ + d·ε₁ε₂ with ε₁² = ε₂² = 0 (Fike & Alonso 2011) seeded with
// ε₁ on θ_p and ε₂ on θ_q carry ∂f/∂θ_p in b and ∂²f/∂θ_p∂θ_q in d, through
// φ(a + bε₁ + cε₂ + dε₁ε₂) = φ(a) + φ'(a)·b·ε₁ + φ'(a)·c·ε₂ + (φ'(a)·d + φ''(a)·b·c)·ε₁ε₂.
// One evaluation per parameter pair: for tiny nets only. The network, its numbering and the parameters'
// order (per layer, the weights row-major, then the biases) are tests/helpers/net-f64.ts's; without `beta`
// the plain MLP, with it the residual net h₀ = Dense_in(x), h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})),
// f = Dense_out(φ(h_B)). This forward is written apart from net-f64.ts's on purpose: it is the independent
// check of that file's chain-rule Jacobian (tests/nets/residual-quadratic.test.ts compares the two).
import { activationRef } from '../../src/kernels/activations';
import { parameterCount, type RefLayer } from './net-f64';

type HD = [number, number, number, number];
const mul = (x: HD, y: HD): HD => [x[0] * y[0], x[0] * y[1] + x[1] * y[0], x[0] * y[2] + x[2] * y[0], x[0] * y[3] + x[1] * y[2] + x[2] * y[1] + x[3] * y[0]];

/** f(x) as hyper-dual numbers with ε₁ on parameter p and ε₂ on parameter q (−1: none); `beta`: residual. */
function forward(layers: RefLayer[], act: string, x: ArrayLike<number>, p: number, q: number, beta?: number): HD[] {
  const [phi, dphi, d2phi] = [0, 1, 2].map((o) => activationRef(act, o as 0 | 1 | 2));
  let index = 0;
  const param = (value: number): HD => {
    const v: HD = [value, index === p ? 1 : 0, index === q ? 1 : 0, 0];
    index++;
    return v;
  };
  const dense = (l: RefLayer, xs: HD[]): HD[] => {
    const w = Array.from(l.w, param);
    const b = l.b ? Array.from(l.b, param) : null;
    const h: HD[] = [];
    for (let o = 0; o < l.fanOut; o++) {
      let s: HD = [0, 0, 0, 0];
      for (let i = 0; i < l.fanIn; i++) {
        const t = mul(w[o * l.fanIn + i], xs[i]);
        s = [s[0] + t[0], s[1] + t[1], s[2] + t[2], s[3] + t[3]];
      }
      s = s.map((v) => l.mult * v) as HD;
      if (b) s = s.map((v, c) => v + l.biasMult * b[o][c]) as HD;
      h.push(s);
    }
    return h;
  };
  const act1 = (h: HD[]): HD[] => h.map(([a, bb, c, d]) => [phi(a), dphi(a) * bb, dphi(a) * c, dphi(a) * d + d2phi(a) * bb * c]);
  const L = layers.length - 1;
  let h = dense(layers[0], Array.from(x, (v) => [v, 0, 0, 0] as HD));
  if (L === 0) return h;
  for (let idx = 1; idx < L; idx++) {
    const u = dense(layers[idx], act1(h));
    // residual: h_b = h_{b−1} + β·u (hyper-dual numbers add componentwise); plain: h_l = u
    h = beta === undefined ? u : h.map((v, o) => v.map((c, j) => c + beta * u[o][j]) as HD);
  }
  return dense(layers[L], act1(h));
}

/** f [k], J [k][P] and H [k][P][P] at one input, exactly in float64 (`beta`: the residual net with that branch multiplier). */
export function outputDerivatives(layers: RefLayer[], act: string, x: ArrayLike<number>, beta?: number): { f: number[]; J: number[][]; H: number[][][] } {
  const P = parameterCount(layers);
  const k = layers[layers.length - 1].fanOut;
  const f = forward(layers, act, x, -1, -1, beta).map((v) => v[0]);
  const J = Array.from({ length: k }, () => new Array<number>(P).fill(0));
  const H = Array.from({ length: k }, () => Array.from({ length: P }, () => new Array<number>(P).fill(0)));
  for (let p = 0; p < P; p++) {
    for (let q = p; q < P; q++) {
      const out = forward(layers, act, x, p, q, beta);
      out.forEach((v, a) => {
        if (q === p) J[a][p] = v[1];
        H[a][p][q] = v[3];
        H[a][q][p] = v[3];
      });
    }
  }
  return { f, J, H };
}
