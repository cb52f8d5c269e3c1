// Observables that tell the kernel regime from the feature-learning regime. GPU parts reduce
// [E, …] tensors to one number per ensemble member; CPU parts (float64) work on read-back
// kernels of the probe set. Formulas:
//   weight change (Frobenius)  ‖W_l(t) − W_l(0)‖_F / ‖W_l(0)‖_F
//   weight change (spectral)   ‖W_l(t) − W_l(0)‖₂ / ‖W_l(0)‖₂, ‖·‖₂ by power iteration
//   NTK change                 ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F on the probe inputs
//   kernel–target alignment    A(Θ, y) = yᵀΘy / (‖Θ‖_F·‖y‖²)  (Cristianini et al. 2002; y = vec of the probe labels)
//   coordinate check (µP)      mean |x_l| and mean |x_l(t) − x_l(0)| over probe points and neurons,
//                              x_l = φ(h_l) for hidden layers and x_{L+1} = f (Yang et al. 2022, arXiv:2203.03466)
//   path norm (two layers)     (1/m) Σ_j |a'_j|·‖w'_j‖ with f(x) = (1/m) Σ_j a'_j φ(w'_j·(x, 1)), i.e.
//                              a'_j = m·mult₂·a_j and w'_j = (mult₁·w_j, biasMult₁·b_j) (E & Ma, arXiv:1810.06397);
//                              |a'_j| is the ℓ2 norm over the k outputs
import { restoreTensor, saveTensor, type StateBuffers } from './checkpoint';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { onesRow } from '../kernels/common';
import { add, axpy, hadamard } from '../kernels/elementwise';
import { randn } from '../kernels/init';
import { matmul } from '../kernels/matmul';
import { normalizeBatches, reduceBatches } from '../kernels/reduce';
import type { ForwardCache, Mlp } from '../nets/mlp';
import { empiricalKernels, toExampleMajor } from '../ntk/empirical';

/** Mean and (sample) standard deviation over ensemble members. */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const E = values.length;
  let mean = 0;
  for (let i = 0; i < E; i++) mean += values[i] / E;
  let variance = 0;
  if (E > 1) for (let i = 0; i < E; i++) variance += (values[i] - mean) ** 2 / (E - 1);
  return { mean, std: Math.sqrt(variance) };
}

/** Power-iteration state of one layer: a row vector v [E, 1, fanIn], warm-started from record to record. */
export class SpectralNorm {
  private v: Tensor;
  private calls = 0;
  constructor(readonly rt: Runtime, readonly E: number, readonly fanOut: number, readonly fanIn: number, readonly seed: number, readonly stream: number) {
    this.v = randn(rt, [E, 1, fanIn], { seed, stream, stream2: 1000, name: 'power iteration v' });
  }

  /** The warm start and the kick counter, for a checkpoint (dynamics/checkpoint.ts). */
  async saveState(buffers: StateBuffers, name: string): Promise<number> {
    await saveTensor(buffers, name, this.v);
    return this.calls;
  }

  restoreState(buffers: StateBuffers, name: string, calls: number): void {
    restoreTensor(buffers, name, this.v);
    this.calls = calls;
  }

  /**
   * ‖D_e‖₂ for D [E, fanOut, fanIn]: u ← v·Dᵀ/‖·‖, v ← u·D/‖·‖, σ = ‖u·D‖ after the last
   * iteration (all on the GPU; the norms are read once). Row vectors keep both products on the
   * matmul's vec4 paths (A·Bᵀ and A·B).
   */
  async norms(D: Tensor, iterations = 16): Promise<Float32Array> {
    const sigma = this.normsTensor(D, iterations);
    const out = await sigma.read();
    sigma.dispose();
    return out;
  }

  /** The same, left on the GPU as an [E] tensor (the caller reads it, with others, and disposes it). */
  normsTensor(D: Tensor, iterations = 16): Tensor {
    const { rt, E } = this;
    // warm start plus a random kick, so that a vector that went to zero (D = 0 at step 0) recovers
    const kick = randn(rt, [E, 1, this.fanIn], { seed: this.seed, stream: this.stream, stream2: 1001 + this.calls++, scale: 0.1 / Math.sqrt(this.fanIn), name: 'power iteration kick' });
    axpy(rt, 1, kick, this.v);
    kick.dispose();
    let sigma: Tensor | null = null;
    for (let i = 0; i < iterations; i++) {
      const u = matmul(rt, this.v, D, { transB: true }); // [E, 1, fanOut]
      normalizeBatches(rt, u, E).dispose();
      const w = matmul(rt, u, D); // [E, 1, fanIn]
      u.dispose();
      sigma?.dispose();
      sigma = normalizeBatches(rt, w, E);
      this.v.dispose();
      this.v = w;
    }
    return sigma!;
  }

  dispose(): void {
    this.v.dispose();
  }
}

/** Relative weight changes of every layer and member, Frobenius and spectral. */
export async function weightChanges(rt: Runtime, net: Mlp, initial: Mlp, initialNorms: { frobenius: Float32Array[]; spectral: Float32Array[] }, spectral: SpectralNorm[]): Promise<{ frobenius: Float64Array[]; spectral: Float64Array[] }> {
  const E = net.ensemble;
  // per layer ‖D‖²_F and ‖D‖₂ of D = W(t) − W(0) (formed once for both), all read back together
  const pending = net.layers.map((layer, l) => {
    const D = add(rt, layer.weight, initial.layers[l].weight, 1, -1);
    const squared = reduceBatches(rt, 'sumSquares', D, E);
    const sigma = spectral[l].normsTensor(D);
    D.dispose(); // recorded work that reads D comes before any reuse of its buffer
    return [squared, sigma];
  });
  const values = await rt.readMany(pending.flat());
  pending.flat().forEach((t) => t.dispose());
  return {
    frobenius: net.layers.map((_, l) => Float64Array.from(values[2 * l], (s, e) => Math.sqrt(s) / initialNorms.frobenius[l][e])),
    spectral: net.layers.map((_, l) => Float64Array.from(values[2 * l + 1], (s, e) => s / initialNorms.spectral[l][e])),
  };
}

/** ‖W_l(0)‖_F and ‖W_l(0)‖₂ per layer and member. */
export async function weightNorms(rt: Runtime, net: Mlp, spectral: SpectralNorm[]): Promise<{ frobenius: Float32Array[]; spectral: Float32Array[] }> {
  const frobenius: Float32Array[] = [];
  const norms: Float32Array[] = [];
  for (let l = 0; l < net.layers.length; l++) {
    const W = net.layers[l].weight;
    const squared = await reduceBatches(rt, 'sumSquares', W, net.ensemble).read();
    frobenius.push(squared.map(Math.sqrt));
    norms.push(await spectral[l].norms(W, 32));
  }
  return { frobenius, spectral: norms };
}

/** Coordinate check per layer l = 1..L+1: mean |x_l| and mean |x_l − x_l(0)| per member. */
export async function coordinates(rt: Runtime, cache: ForwardCache, cache0: ForwardCache, E: number): Promise<{ meanAbs: Float32Array; meanAbsChange: Float32Array }[]> {
  const layers = [...cache.inputs.slice(1), cache.output];
  const layers0 = [...cache0.inputs.slice(1), cache0.output];
  // every layer's two reductions, then one readback for all of them
  const sums = layers.flatMap((layer, l) => [reduceBatches(rt, 'abs', layer, E), reduceBatches(rt, 'absDiff', layer, E, layers0[l])]);
  const values = await rt.readMany(sums);
  sums.forEach((t) => t.dispose());
  return layers.map((layer, l) => {
    const count = layer.size / E;
    return { meanAbs: values[2 * l].map((v) => v / count), meanAbsChange: values[2 * l + 1].map((v) => v / count) };
  });
}

/** The path norm of a two-layer network, per member (see the header). */
export async function pathNorm(rt: Runtime, net: Mlp): Promise<Float32Array> {
  if (net.depth !== 1) throw new Error(`pathNorm: defined for two-layer networks (one hidden layer); this one has ${net.depth}`);
  const E = net.ensemble;
  const [first, readout] = net.layers;
  const d = first.scales.fanIn;
  const k = net.config.outputDim;
  // ‖w'_j‖² = mult₁²·Σ_q w_jq² + biasMult₁²·b_j²: [E, m]
  const wSquares = hadamard(rt, first.weight, first.weight, first.scales.mult ** 2);
  const rowNorms = matmul(rt, wSquares, onesRow(rt, d).reshape([d, 1])); // [E, m, 1]: row sums as a matmul: the tree reduction is slow for many short rows
  wSquares.dispose();
  if (first.bias) {
    const bSquares = hadamard(rt, first.bias, first.bias, first.scales.biasMult ** 2);
    axpy(rt, 1, bSquares, rowNorms);
    bSquares.dispose();
  }
  // |a_j|² = Σ_a a_aj²: [E, 1, m]
  const aSquares = hadamard(rt, readout.weight, readout.weight);
  const columnNorms = matmul(rt, onesRow(rt, k), aSquares);
  aSquares.dispose();
  // (1/m)·Σ_j m·mult₂·√(|a_j|²·‖w'_j‖²)
  const sums = await reduceBatches(rt, 'sqrtProduct', columnNorms, E, rowNorms.reshape(columnNorms.shape)).read();
  columnNorms.dispose();
  rowNorms.dispose();
  return sums.map((s) => Math.abs(readout.scales.mult) * s);
}

/** The first `count` neurons of member 0 as particles (a'_j, w'_j) with the path norm's scaling. */
export async function particles(rt: Runtime, net: Mlp, count: number): Promise<{ a: number[]; w: number[][] }> {
  if (net.depth !== 1) throw new Error(`particles: defined for two-layer networks; this one has ${net.depth} hidden layers`);
  const [first, readout] = net.layers;
  const { fanOut: m, fanIn: d } = first.scales;
  const c = Math.min(count, m);
  const w = await rt.read(first.weight, c * d * 4);
  const a = await rt.read(readout.weight, c * 4); // output 0
  const b = first.bias ? await rt.read(first.bias, c * 4) : null;
  return {
    a: Array.from(a, (v) => m * readout.scales.mult * v),
    w: Array.from({ length: c }, (_, j) => [...Array.from(w.subarray(j * d, (j + 1) * d), (v) => first.scales.mult * v), ...(b ? [first.scales.biasMult * b[j]] : [])]),
  };
}

// ---------------------------------------------------------------- float64, on read-back kernels

/** ‖A − B‖_F / ‖B‖_F. */
export function relativeChange(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] * b[i];
  }
  // ‖b‖ = 0: a change relative to nothing is undefined (0/0 when a = b = 0)
  return den > 0 ? Math.sqrt(num / den) : null;
}

/** Kernel–target alignment yᵀΘy / (‖Θ‖_F·‖y‖²) for an N×N kernel and a vector y of length N; null (0/0) for y = 0 or Θ = 0. */
export function alignment(kernel: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const N = y.length;
  let quad = 0;
  let fro = 0;
  let yy = 0;
  for (let i = 0; i < N; i++) {
    yy += y[i] * y[i];
    for (let j = 0; j < N; j++) {
      const v = kernel[i * N + j];
      quad += y[i] * v * y[j];
      fro += v * v;
    }
  }
  return fro > 0 && yy > 0 ? quad / (Math.sqrt(fro) * yy) : null;
}

/** The `count` largest eigenvalues of a symmetric N×N kernel, descending. */
export function topEigenvalues(kernel: ArrayLike<number>, N: number, count: number): number[] {
  if (count <= 0) return [];
  const m = new Matrix(N, N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) m.set(i, j, 0.5 * (kernel[i * N + j] + kernel[j * N + i]));
  const values = new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues;
  return values.sort((p, q) => q - p).slice(0, count);
}

/** Least-squares slope of log y against log x (the summary's width exponents). */
export function logLogSlope(x: readonly number[], y: readonly number[]): number | null {
  const points = x.map((xi, i) => [Math.log(xi), Math.log(y[i])]).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  if (points.length < 2) return null;
  const mx = points.reduce((s, [a]) => s + a, 0) / points.length;
  const my = points.reduce((s, [, b]) => s + b, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const [a, b] of points) {
    sxy += (a - mx) * (b - my);
    sxx += (a - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : null;
}

/**
 * Θ_η of a network on inputs x [n, d], one example-major (n·k)×(n·k) matrix per member: every kernel
 * observable uses it, the kernel the dynamics follow (DESIGN.md §5; `scales` from
 * nets/parameterization.ts's dynamicsKernelScales). `cache`: the network's forward pass on x, when
 * the caller has made it.
 */
export async function dynamicsKernel(net: Mlp, x: Tensor, scales: { weight: readonly number[]; bias: readonly number[] }, cache?: ForwardCache): Promise<Float64Array[]> {
  const kernels = empiricalKernels(net.rt, net, x, { parameterScales: scales, cache });
  const ntk = toExampleMajor(await kernels.ntk.read(), net.ensemble, net.config.outputDim, x.shape[0]);
  kernels.ntk.dispose();
  kernels.nngp.dispose();
  return ntk;
}
