// Gram matrices: G = α·A·Aᵀ (upper-triangle tiles only, mirrored) and cross Grams G = α·A·Bᵀ,
// for row-major A [batch?, n1, m], B [batch?, n2, m]. These are the NTK's building blocks
// (Grams of layer inputs and of back-propagated signals), with m the width.
import { ShapeError } from '../gpu/errors';
import { ParamLayout } from '../gpu/params';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { assertLive, kernelProgram, outputTensor, type Cost } from './common';
import { colSums } from './reduce';
import { tunedTiles } from './tuning';

const PARAMS = new ParamLayout([
  ['n1', 'u32'], ['n2', 'u32'], ['m', 'u32'],
  ['a_bs', 'u32'], ['b_bs', 'u32'],
  ['tiles', 'u32'], ['tiles_n', 'u32'], ['splits', 'u32'], ['k_chunk', 'u32'], ['batch', 'u32'], ['groups', 'u32'],
  ['alpha', 'f32'],
] as const);

export interface GramOptions {
  alpha?: number;
  out?: Tensor;
  /** workgroup edge (tile = 4·WG); default: the autotuned one for this device, else 8 */
  wg?: number;
  /** slices of the reduction over m; default: enough to give the adapter ~`targetGroups` workgroups */
  splits?: number;
  targetGroups?: number;
}

function dims(kernel: string, t: Tensor): [number, number, number] {
  if (t.shape.length < 2) throw new ShapeError(`${kernel}: "${t.name}" has shape [${t.shape}], expected [..., rows, width]`);
  const [rows, m] = t.shape.slice(-2);
  return [t.size / (rows * m), rows, m];
}

/** G = α·A·Bᵀ; with B omitted (or B === A), G = α·A·Aᵀ computed on the upper triangle only. Shape [batch?, n1, n2]. */
export function gram(rt: Runtime, a: Tensor, b?: Tensor, options: GramOptions = {}): Tensor {
  assertLive(a, b, options.out);
  const symmetric = !b || b === a;
  const bb = b ?? a;
  const [batchA, n1, m] = dims('gram', a);
  const [batchB, n2, mb] = dims('gram', bb);
  if (m !== mb) throw new ShapeError(`gram: "${a.name}" rows have width ${m} but "${bb.name}" rows have width ${mb}; expected equal`);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) throw new ShapeError(`gram: batch sizes ${batchA} and ${batchB} differ; expected equal, or 1 to broadcast`);
  const batch = Math.max(batchA, batchB);
  const wg = options.wg ?? tunedTiles(rt)?.gram?.wg ?? 8;
  const tileEdge = 4 * wg;
  const tilesM = Math.ceil(n1 / tileEdge);
  const tilesN = Math.ceil(n2 / tileEdge);
  const tiles = symmetric ? (tilesM * (tilesM + 1)) / 2 : tilesM * tilesN;
  const vec4 = m % 4 === 0;
  // split the m-reduction so that a long, thin problem (n ≪ m) still fills the adapter
  const target = options.targetGroups ?? (rt.ctx.adapter.software ? 64 : 1024);
  const maxSplits = Math.max(1, Math.floor(m / 256));
  const splits = Math.max(1, Math.min(options.splits ?? Math.ceil(target / (tiles * batch)), maxSplits));
  let kChunk = Math.ceil(m / splits);
  if (vec4) kChunk = Math.ceil(kChunk / 4) * 4;
  const realSplits = Math.ceil(m / kChunk);
  const outShape = a.shape.length > 2 || bb.shape.length > 2 ? [batch, n1, n2] : [n1, n2];
  const g = outputTensor(rt, 'gram', outShape, options.out, symmetric ? `gram(${a.name})` : `gram(${a.name},${bb.name})`);
  const partial = realSplits === 1 ? g : Tensor.empty(rt, [realSplits, batch * n1 * n2], 'gram partial');
  const groups = tiles * realSplits * batch;
  const program = kernelProgram({
    label: `gram${symmetric ? ' symmetric' : ''}${vec4 ? ' vec4' : ''}`,
    shaders: ['common/indexing', 'gram/tiled'],
    flags: { VEC4: vec4 },
    storage: ['read', 'read', 'read_write'] as const,
    params: PARAMS,
    constants: { WG: wg, SYMMETRIC: symmetric ? 1 : 0 },
  });
  rt.dispatch(program, [a, bb, partial], {
    n1, n2, m,
    a_bs: batchA === 1 ? 0 : n1 * m, b_bs: batchB === 1 ? 0 : n2 * m,
    tiles, tiles_n: tilesN, splits: realSplits, k_chunk: kChunk, batch, groups,
    alpha: options.alpha ?? 1,
  }, groups);
  if (partial !== g) {
    colSums(rt, partial, g.reshape([batch * n1 * n2]));
    partial.dispose();
  }
  return g;
}

/** float64 reference: G[b] = α·A[b]·B[b]ᵀ. */
export function gramRef(a: ArrayLike<number>, b: ArrayLike<number>, n1: number, n2: number, m: number, batch = 1, alpha = 1, aBatchStride = n1 * m, bBatchStride = n2 * m): Float64Array {
  const out = new Float64Array(batch * n1 * n2);
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < n1; i++)
      for (let j = 0; j < n2; j++) {
        let s = 0;
        for (let q = 0; q < m; q++) s += a[t * aBatchStride + i * m + q] * b[t * bBatchStride + j * m + q];
        out[t * n1 * n2 + i * n2 + j] = alpha * s;
      }
  return out;
}

/** Symmetric: n(n+1)/2 dot products of length m; cross: n1·n2. */
export function gramCost(n1: number, n2: number, m: number, batch = 1, symmetric = false): Cost {
  const pairs = symmetric ? (n1 * (n1 + 1)) / 2 : n1 * n2;
  return { flops: 2 * pairs * m * batch, bytes: 4 * batch * ((symmetric ? n1 : n1 + n2) * m + n1 * n2) };
}
