// Width streaming: the empirical NTK and NNGP at initialisation of a two-layer network too wide
// to hold, accumulated chunk by chunk of hidden neurons. Each chunk's parameters are generated
// again from the seed (the same Philox streams and offsets as Mlp, so the result equals the
// in-memory kernel), its contributions to the two Grams that the kernel needs are added, and
// the chunk is dropped. For f = mult₂·w₂ φ(h) + biasMult₂·b₂, h = mult₁·w₁ x + biasMult₁·b₁:
//   Θ[(a,i),(b,j)] = α² [ δ_ab·(mult₂²·Σ_p φ_i,p φ_j,p + biasMult₂²)
//                       + mult₂²·Σ_p w₂[a,p] w₂[b,p] φ'_i,p φ'_j,p · (mult₁²·x_i·x_j + biasMult₁²) ]
// Peak memory (bytes) ≈ 4·[c·(d + 1 + k) + (3 + k)·n·c + 2·(k·n)² + 3·n²] for chunk width c —
// independent of the total width m (×2 at most for the pool's size classes). An ensemble streams
// member by member (streamedEnsembleKernels), at the same peak. src/ntk/memory.ts chooses c.
import { ShapeError } from '../gpu/errors';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { activateWithDerivative, axpy, broadcastProduct, contiguousStrides } from '../kernels/elementwise';
import { identityMatrix, scalarOne } from '../kernels/common';
import { gram } from '../kernels/gram';
import { randn } from '../kernels/init';
import { matmul } from '../kernels/matmul';
import type { MlpConfig } from '../nets/mlp';
import { weightStream, biasStream } from '../nets/mlp';
import { layerScales } from '../nets/parameterization';
import { modelKernelFactor } from '../nets/output-scale';

export interface StreamOptions {
  /** hidden neurons per chunk (default 2^16) */
  chunk?: number;
  /** ensemble member (default 0); each member streams separately */
  member?: number;
}

/** Peak bytes of streamedKernels for chunk width c (the bound quoted in the README). */
export function streamingPeakBytes(n: number, d: number, k: number, c: number): number {
  return 4 * (c * (d + 1 + k) + (3 + k) * n * c + 2 * (k * n) ** 2 + 3 * n * n);
}

/** Θ as [k, n, k, n] and the NNGP [n, n] of member `member` of a two-layer network, streamed over the width. */
export async function streamedKernels(rt: Runtime, config: MlpConfig, x: Tensor, options: StreamOptions = {}): Promise<{ ntk: Float32Array; nngp: Float32Array; chunks: number; peakBytes: number }> {
  if (config.residual) throw new ShapeError(`width streaming is for two-layer networks; a residual network (${config.residual.blocks} blocks) is not streamed: its blocks' m×m weights couple every neuron of the stream to every other, so the kernel does not split into chunks of neurons`);
  if (config.hidden.length !== 1) throw new ShapeError(`width streaming is for two-layer networks (one hidden layer); got hidden [${config.hidden}]`);
  const [n, d] = x.shape;
  if (x.shape.length !== 2 || d !== config.inputDim) throw new ShapeError(`streaming: inputs "${x.name}" have shape [${x.shape}], expected [n, ${config.inputDim}]`);
  const m = config.hidden[0];
  const k = config.outputDim;
  const e = options.member ?? 0;
  const chunk = Math.min(options.chunk ?? 1 << 16, m);
  const [first, readout] = layerScales(config.parameterization, [d, m, k], config.weightStd, config.biasStd);
  const alpha2 = modelKernelFactor(config);
  const seed = config.seed;
  const before = rt.peakLiveBytes;
  rt.peakLiveBytes = rt.liveBytes;

  const gx0 = gram(rt, x); // [n, n]
  const gPhi = Tensor.zeros(rt, [n, n], 'Σ φφ');
  const gDelta = Tensor.zeros(rt, [k * n, k * n], 'Σ δδ');
  let chunks = 0;
  for (let j0 = 0; j0 < m; j0 += chunk) {
    const c = Math.min(chunk, m - j0);
    // a narrower last chunk needs other size classes: free the pooled full-width ones first, so
    // the pool never holds both (the bound below stays true for the resident size too)
    if (c !== chunk && chunks > 0) {
      await rt.sync();
      rt.trimPool();
    }
    // the chunk's parameters, from the same streams and offsets as Mlp.initialize()
    const w1 = randn(rt, [1, c, d], { seed, ...weightStream(e, 1), offset: j0 * d, scale: first.initStd, name: 'w1 chunk' });
    const b1 = first.biasMult !== 0 ? randn(rt, [1, c], { seed, ...biasStream(e, 1), offset: j0, scale: first.biasStd, name: 'b1 chunk' }) : null;
    const w2 = Tensor.empty(rt, [k, c], 'w2 chunk');
    for (let a = 0; a < k; a++) {
      const row = randn(rt, [c], { seed, ...weightStream(e, 2), offset: a * m + j0, scale: readout.initStd, name: 'w2 row' });
      rt.copy(row, w2, row.bytes, 0, a * c * 4);
      row.dispose();
    }
    const h = matmul(rt, x, w1, { transB: true, alpha: first.mult, bias: b1 ?? undefined, biasScale: first.biasMult });
    const { act, dact } = activateWithDerivative(rt, h, config.activation);
    // Σ φφ over the chunk
    const gp = gram(rt, act.reshape([n, c]));
    axpy(rt, 1, gp, gPhi);
    // δ[a,i,p] = mult₂·w₂[a,p]·φ'(h)[i,p]
    const delta = broadcastProduct(rt, [k, n, c], { tensor: w2, strides: [c, 0, 1] }, { tensor: dact, strides: [0, c, 1] }, { alpha: readout.mult });
    const gd = gram(rt, delta.reshape([k * n, c]));
    axpy(rt, 1, gd, gDelta);
    [w1, b1, w2, h, act, dact, gp, delta, gd].forEach((t) => t?.dispose());
    chunks++;
    if (chunks % 8 === 0) await rt.sync(); // bound the queued work (and let a page breathe)
  }
  const shape = [k, n, k, n];
  const identity = identityMatrix(rt, k);
  // layer 1: G_δ ⊙ (mult₁²·G_x0 + biasMult₁²)
  const ntk = broadcastProduct(rt, shape, { tensor: gDelta, strides: contiguousStrides(shape) }, { tensor: gx0, strides: [0, n, 0, 1] },
    { alpha: alpha2 * first.mult ** 2, gamma: first.biasMult ** 2 / first.mult ** 2 });
  // readout: δ_ab·(mult₂²·Σφφ + biasMult₂²)
  broadcastProduct(rt, shape, { tensor: identity, strides: [k, 0, 1, 0] }, { tensor: gPhi, strides: [0, n, 0, 1] },
    { alpha: alpha2 * readout.mult ** 2, gamma: readout.biasMult ** 2 / readout.mult ** 2, beta: 1, out: ntk });
  const nngp = broadcastProduct(rt, [n, n], { tensor: scalarOne(rt), strides: [0, 0] }, { tensor: gPhi, strides: [n, 1] },
    { alpha: alpha2 * (readout.mult * readout.initStd) ** 2, gamma: (readout.biasMult * readout.biasStd) ** 2 / (readout.mult * readout.initStd) ** 2 });
  const result = { ntk: await ntk.read(), nngp: await nngp.read(), chunks, peakBytes: rt.peakLiveBytes };
  [gx0, gPhi, gDelta, identity, ntk, nngp].forEach((t) => t.dispose());
  rt.peakLiveBytes = Math.max(before, result.peakBytes);
  return result;
}

/** Θ as [E, k, n, k, n] and the NNGP as [E, n, n] for every member (the layout of empiricalKernels), streamed one member at a time. */
export async function streamedEnsembleKernels(rt: Runtime, config: MlpConfig, x: Tensor, options: { chunk?: number } = {}): Promise<{ ntk: Float32Array; nngp: Float32Array; chunks: number; peakBytes: number }> {
  const E = config.ensemble ?? 1;
  const [n] = x.shape;
  const kn = config.outputDim * n;
  const ntk = new Float32Array(E * kn * kn);
  const nngp = new Float32Array(E * n * n);
  let chunks = 0;
  let peakBytes = 0;
  for (let e = 0; e < E; e++) {
    const member = await streamedKernels(rt, config, x, { chunk: options.chunk, member: e });
    ntk.set(member.ntk, e * kn * kn);
    nngp.set(member.nngp, e * n * n);
    chunks += member.chunks;
    peakBytes = Math.max(peakBytes, member.peakBytes);
  }
  return { ntk, nngp, chunks, peakBytes };
}
