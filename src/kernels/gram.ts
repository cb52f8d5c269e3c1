// Gram matrices: G = α·A·Aᵀ (upper-triangle tiles only, mirrored) and cross Grams G = α·A·Bᵀ,
// for row-major A [batch?, n1, m], B [batch?, n2, m]. These are the NTK's building blocks
// (Grams of layer inputs and of back-propagated signals), with m the width.
import { ShapeError, WidenetError } from '../gpu/errors';
import { ParamLayout } from '../gpu/params';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { assertLive, kernelProgram, outputTensor, type Cost } from './common';
import { DEFAULT_TILES, gramOnBigTile } from './matmul';
import { colSums } from './reduce';
import { tunedTiles, type TunedTiles } from './tuning';

/**
 * The Gram's versions. 'tiled' (shaders/gram/tiled.wgsl): 4×4 register blocks read straight from
 * global memory, upper-triangle tiles only. 'bigtile': a mode of matmul v5 (shaders/matmul/v5_bigtile.wgsl,
 * SPLIT_K and SYMMETRIC), 128×64 tiles staged through workgroup memory with 8×4 blocks per invocation.
 */
export const GRAM_VERSIONS = ['tiled', 'bigtile'] as const;
export type GramVersion = (typeof GRAM_VERSIONS)[number];

/**
 * The one place where a Gram version is chosen. CPU adapters (SwiftShader) keep 'tiled' (register
 * tiling without barriers measured fastest there for matmul too). On GPUs, 'bigtile' for Grams big
 * enough to fill its tiles (n1·n2 ≥ 256², every tile then 128×64 full or nearly), when autotuning
 * timed it faster than 'tiled' on this adapter (`tuned.gram.version`), or, where the record has no
 * Gram version, when it found v5 faster for matmul (`tuned.matmulVersion`); else 'tiled'.
 */
export function chooseGramVersion(shape: { n1: number; n2: number }, adapter: { software: boolean }, tuned?: Pick<TunedTiles, 'matmulVersion' | 'gram'>): GramVersion {
  if (adapter.software || shape.n1 * shape.n2 < 256 * 256) return 'tiled';
  const measured = tuned?.gram?.version;
  if (measured) return measured === 'bigtile' ? 'bigtile' : 'tiled';
  return tuned?.matmulVersion === 'v5_bigtile' ? 'bigtile' : 'tiled';
}

const PARAMS = new ParamLayout([
  ['n1', 'u32'], ['n2', 'u32'], ['m', 'u32'],
  ['a_bs', 'u32'], ['b_bs', 'u32'],
  ['tiles', 'u32'], ['tiles_n', 'u32'], ['splits', 'u32'], ['k_chunk', 'u32'], ['batch', 'u32'], ['groups', 'u32'],
  ['alpha', 'f32'],
] as const);

export interface GramOptions {
  alpha?: number;
  out?: Tensor;
  /** force a version instead of the automatic choice (chooseGramVersion) */
  version?: GramVersion;
  /** 'tiled': workgroup edge (tile = 4·WG); default: the autotuned one for this device, else 8 */
  wg?: number;
  /** 'bigtile': v5's tile constants (BM, BN, BK); default: the autotuned v5 tile for this device, else v5's default */
  tile?: Record<string, number>;
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
  const version = options.version ?? chooseGramVersion({ n1, n2 }, rt.ctx.adapter, tunedTiles(rt));
  if (!GRAM_VERSIONS.includes(version)) throw new WidenetError(`gram: unknown version "${version}"; expected one of: ${GRAM_VERSIONS.join(', ')}`);
  const big = version === 'bigtile' ? { ...DEFAULT_TILES.v5_bigtile, ...(options.tile ?? tunedTiles(rt)?.matmul.v5_bigtile) } : null;
  let tiles: number;
  let wg = 0;
  if (big) {
    // the workgroups that are not skipped: all of them, or for A·Aᵀ those not wholly below the diagonal
    const [tilesM, tilesN] = [Math.ceil(n1 / big.BM), Math.ceil(n2 / big.BN)];
    tiles = 0;
    for (let tm = 0; tm < tilesM; tm++) tiles += symmetric ? Math.max(0, tilesN - Math.floor((tm * big.BM) / big.BN)) : tilesN;
  } else {
    wg = options.wg ?? tunedTiles(rt)?.gram?.wg ?? 8;
    const tileEdge = 4 * wg;
    const tilesM = Math.ceil(n1 / tileEdge);
    tiles = symmetric ? (tilesM * (tilesM + 1)) / 2 : tilesM * Math.ceil(n2 / tileEdge);
  }
  const vec4 = m % 4 === 0;
  // split the m-reduction so that a long, thin problem (n ≪ m) still fills the adapter
  const target = options.targetGroups ?? (rt.ctx.adapter.software ? 64 : 1024);
  const maxSplits = Math.max(1, Math.floor(m / 256));
  const splits = Math.max(1, Math.min(options.splits ?? Math.ceil(target / (tiles * batch)), maxSplits));
  // a slice is a whole number of vec4s ('tiled') or of v5's BK-deep steps ('bigtile')
  const align = big ? big.BK : vec4 ? 4 : 1;
  const kChunk = Math.ceil(Math.ceil(m / splits) / align) * align;
  const realSplits = Math.ceil(m / kChunk);
  const outShape = a.shape.length > 2 || bb.shape.length > 2 ? [batch, n1, n2] : [n1, n2];
  const g = outputTensor(rt, 'gram', outShape, options.out, symmetric ? `gram(${a.name})` : `gram(${a.name},${bb.name})`);
  const partial = realSplits === 1 ? g : Tensor.empty(rt, [realSplits, batch * n1 * n2], 'gram partial');
  const [aBs, bBs] = [batchA === 1 ? 0 : n1 * m, batchB === 1 ? 0 : n2 * m];
  const alpha = options.alpha ?? 1;
  if (big) {
    gramOnBigTile(rt, a, bb, partial, { n1, n2, m, batch, aBatchStride: aBs, bBatchStride: bBs, symmetric, splits: realSplits, kChunk, alpha, tile: big });
  } else {
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
      n1, n2, m, a_bs: aBs, b_bs: bBs,
      tiles, tiles_n: Math.ceil(n2 / (4 * wg)), splits: realSplits, k_chunk: kChunk, batch, groups, alpha,
    }, groups);
  }
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
