// The shared plumbing of the tests that check a GPU Mlp (plain or residual) against the float64 references
// (tests/helpers/net-f64.ts, tests/helpers/hessian-ref.ts): a test tangent, parameters read back in the
// references' order, Jᵀr and J·v against explicit Jacobian rows, the quadratic model against explicit Hessians.
import { Tensor } from '../../src/gpu/tensor';
import type { Runtime } from '../../src/gpu/runtime';
import { jvp, vjp, type LayerTensors } from '../../src/nets/gradients';
import { Mlp, type ForwardCache } from '../../src/nets/mlp';
import { curvatures, quadraticForward, quadraticVjp, releaseQuadraticForward } from '../../src/nets/second-order';
import { readLayers } from './net-f64';
import { expectClose, testData } from './gpu';
import { outputDerivatives } from './hessian-ref';
import type { RefLayer } from './net-f64';

/** Per-layer tensors of every ensemble member, read back. */
export type ReadLayers = ({ w: Float32Array; b: Float32Array | null } | null)[];

export const readAll = (ts: (LayerTensors | null)[]): Promise<ReadLayers> =>
  Promise.all(ts.map(async (t) => (t ? { w: await t.weight.read(), b: t.bias ? await t.bias.read() : null } : null)));

/** Member e's part of read-back layer tensors as one vector in the references' order (per layer: w row-major, then b); `layers`: only those. */
export function flatMember(net: Mlp, d: ReadLayers, e: number, layers?: number[]): number[] {
  return d.flatMap((layer, l) => {
    if (layers && !layers.includes(l)) return [];
    const { fanIn, fanOut } = net.layers[l].scales;
    const w = Array.from(layer!.w.subarray(e * fanIn * fanOut, (e + 1) * fanIn * fanOut));
    return layer!.b ? [...w, ...Array.from(layer!.b.subarray(e * fanOut, (e + 1) * fanOut))] : w;
  });
}

/**
 * A tangent (or δ) with the parameters' shapes from testData (seeds 100 + l for weights, 200 + l for biases):
 * the raw data, or with `size` that relative size in each layer's own units (init std: mup's readout init is
 * 1/fanIn², so O(1) raw values would not be small there), zero on the layers not in `support`.
 */
export function testTangent(net: Mlp, size?: number, support?: number[]): LayerTensors[] {
  const rt = net.layers[0].weight.rt;
  return net.layers.map((layer, l) => {
    const s = support && !support.includes(l) ? 0 : size;
    const data = (count: number, seed: number, std: number) => (s === undefined ? testData(count, seed) : Array.from(testData(count, seed), (v) => s * v * std));
    return {
      weight: Tensor.from(rt, data(layer.weight.size, 100 + l, layer.scales.initStd), layer.weight.shape),
      bias: layer.bias ? Tensor.from(rt, data(layer.bias.size, 200 + l, layer.scales.biasStd), layer.bias.shape) : null,
    };
  });
}

export interface JacobianProducts { rData: Float32Array; g: ReadLayers; v: ReadLayers; jv: Float32Array; n: number; k: number }

/** The GPU's Jᵀr (vjp) and J·v (jvp) of the cached forward, r = testData(E·n·k, 17), v = testTangent(net), read back. */
export async function gpuJacobianProducts(rt: Runtime, net: Mlp, cache: ForwardCache): Promise<JacobianProducts> {
  const [E, n, k] = [net.ensemble, cache.n, net.config.outputDim];
  const rData = testData(E * n * k, 17);
  const grads = vjp(rt, net, cache, Tensor.from(rt, rData, [E, n, k]));
  const tangent = testTangent(net);
  const jv = await jvp(rt, net, cache, tangent).read();
  return { rData, g: await readAll(grads), v: await readAll(tangent), jv, n, k };
}

/** Member e's Jᵀr and J·v against the float64 rows (rows[i][a] = ∂f_a(x_i)/∂θ, α not included): atol 1e-5·max|ref|, rtol 1e-4. */
export function expectJacobianProducts(net: Mlp, p: JacobianProducts, rows: Float64Array[][], e: number): void {
  const { rData, n, k } = p;
  const g = flatMember(net, p.g, e);
  const v = flatMember(net, p.v, e);
  const gRef = new Float64Array(g.length);
  rows.forEach((perOutput, i) => perOutput.forEach((row, a) => row.forEach((jp, q) => (gRef[q] += jp * rData[(e * n + i) * k + a]))));
  expectClose(g, gRef, { atol: 1e-5 * Math.max(...gRef.map(Math.abs)), rtol: 1e-4 }, `member ${e} gradient Jᵀr`);
  const jvRef = rows.flatMap((perOutput) => perOutput.map((row) => row.reduce((acc, jp, q) => acc + jp * v[q], 0)));
  expectClose(p.jv.subarray(e * n * k, (e + 1) * n * k), jvRef, { atol: 1e-5 * Math.max(...jvRef.map(Math.abs)), rtol: 1e-4 }, `member ${e} J·v`);
}

/**
 * Member e's quadratic model f₀ + J·δ + ½·δᵀHδ (fq, all members) and its gradient (J + Hδ)ᵀr (g, member e's,
 * flat) against the explicit float64 H of hessian-ref.ts at the inputs X: atol 2e-5·max|ref|, rtol 1e-4.
 */
export function expectQuadraticModel(layers: RefLayer[], act: string, X: number[][], delta: number[], rData: ArrayLike<number>, fq: Float32Array, g: number[], e: number, beta?: number): void {
  const n = X.length;
  const k = layers[layers.length - 1].fanOut;
  const P = delta.length;
  const fRef: number[] = [];
  const gRef = new Float64Array(P);
  X.forEach((row, i) => {
    const { f, J, H } = outputDerivatives(layers, act, row, beta);
    for (let a = 0; a < k; a++) {
      const Hv = H[a].map((hrow) => hrow.reduce((s, h, q) => s + h * delta[q], 0));
      fRef.push(f[a] + J[a].reduce((s, j, q) => s + j * delta[q], 0) + 0.5 * Hv.reduce((s, h, q) => s + h * delta[q], 0));
      const ri = rData[(e * n + i) * k + a];
      for (let q = 0; q < P; q++) gRef[q] += (J[a][q] + Hv[q]) * ri;
    }
  });
  expectClose(fq.subarray(e * n * k, (e + 1) * n * k), fRef, { atol: 2e-5 * Math.max(...fRef.map(Math.abs)), rtol: 1e-4 }, `member ${e} f_quad`);
  expectClose(g, gRef, { atol: 2e-5 * Math.max(...gRef.map(Math.abs)), rtol: 1e-4 }, `member ${e} (J + Hδ)ᵀr`);
}

/**
 * The GPU quadratic model of `net` on the inputs X (row-major, as given) with δ = testTangent(net, 0.4) and
 * r = testData(E·n·k, 17), checked member by member with expectQuadraticModel; returns what a test needs for
 * further checks, and `release` for all of it.
 */
export async function checkQuadraticModel(rt: Runtime, net: Mlp, X: number[][], act: string, beta?: number) {
  const [E, n, k] = [net.ensemble, X.length, net.config.outputDim];
  const x = Tensor.from(rt, X.flat(), [n, X[0].length]);
  const cache = net.forward(x);
  const curv = curvatures(rt, net, cache);
  const delta = testTangent(net, 0.4);
  const r = Tensor.from(rt, testData(E * n * k, 17), [E, n, k]);
  const fwd = quadraticForward(rt, net, cache, curv, delta);
  const grads = quadraticVjp(rt, net, cache, fwd, delta, r);
  const fq = await fwd.output.read();
  const gData = await readAll(grads);
  const vData = await readAll(delta);
  const rData = testData(E * n * k, 17);
  for (let e = 0; e < E; e++) expectQuadraticModel(await readLayers(net, e), act, X, flatMember(net, vData, e), rData, fq, flatMember(net, gData, e), e, beta);
  const release = () => {
    for (const g of grads) if (g) [g.weight, g.bias].forEach((t) => t?.dispose());
    releaseQuadraticForward(fwd);
    fwd.output.dispose();
    Mlp.release(cache);
    curv.forEach((t) => t.dispose());
    delta.forEach((t) => [t.weight, t.bias].forEach((u) => u?.dispose()));
  };
  return { cache, fwd, delta, r, gData, release };
}

/**
 * How far an ensemble's empirical kernels θ (E members, each flattened like `exact`) are from the infinite-width
 * kernel, relative to ‖exact‖_F: the RMS over members of ‖Θ_e − Θ∞‖_F (the per-network error, O(1/√m)) and
 * ‖mean_e Θ_e − Θ∞‖_F (the ensemble mean's, whose fluctuations average out: what remains is the O(1/m) bias).
 */
export function kernelErrors(theta: ArrayLike<number>, exact: readonly number[], E: number): { rms: number; mean: number } {
  const norm = Math.sqrt(exact.reduce((a, v) => a + v * v, 0));
  const size = exact.length;
  let sq = 0;
  const mean = new Float64Array(size);
  for (let e = 0; e < E; e++) for (let i = 0; i < size; i++) {
    sq += (theta[e * size + i] - exact[i]) ** 2;
    mean[i] += theta[e * size + i] / E;
  }
  return { rms: Math.sqrt(sq / E) / norm, mean: Math.sqrt(mean.reduce((a, v, i) => a + (v - exact[i]) ** 2, 0)) / norm };
}
