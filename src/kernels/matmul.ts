// Batched matmul: C[b] = φ(α·op(A[b])·op(B[b]) + β·C[b] + bias), op ∈ {identity, transpose}.
// Operands are row-major tensors [..., rows, cols]; leading dimensions form the batch, and an
// operand with batch 1 is broadcast (batch stride 0).
import { ShapeError } from '../gpu/errors';
import { ParamLayout } from '../gpu/params';
import type { KernelProgram, Runtime } from '../gpu/runtime';
import type { Tensor } from '../gpu/tensor';
import { WidenetError } from '../gpu/errors';
import { hasFeature, requireFeature } from './features';
import { activation } from './activations';
import { assertLive, kernelProgram, dummyTensor, outputTensor, type Cost } from './common';
import { tunedTiles } from './tuning';

export const MATMUL_VERSIONS = ['v1_naive', 'v2_regtile', 'v3_smem', 'v4_splitk', 'v5_bigtile'] as const;
export type MatmulVersion = (typeof MATMUL_VERSIONS)[number];

/**
 * The operands' precision inside the kernel. 'f32' everywhere (the default, and the only one the
 * library itself ever uses: the NTK, training and the observables are f32). 'f16': the operands are
 * rounded to f16 as v5 stages them in workgroup memory (device feature 'shader-f16'), products and
 * accumulation in f32, output f32; error ≤ (2u + u²)·Σ|a||b| for u = 2⁻¹¹ plus the f32
 * accumulation (f16ProductBound in src/check/tolerance.ts). 'f16_emulated': the same rounding
 * (pack2x16float) with f32 workgroup memory, on any adapter: for checking the f16 path's numbers
 * where shader-f16 is absent; it is not faster.
 */
export const MATMUL_PRECISIONS = ['f32', 'f16', 'f16_emulated'] as const;
export type MatmulPrecision = (typeof MATMUL_PRECISIONS)[number];
/** The versions that implement the f16 precisions (without `version`, precision 'f16' takes the first). */
export const MATMUL_F16_VERSIONS = ['v5_bigtile'] as const satisfies readonly MatmulVersion[];

/** The precisions this runtime's device can run (for selftest and benchmarks). */
export const matmulPrecisionsFor = (rt: Runtime): MatmulPrecision[] => MATMUL_PRECISIONS.filter((p) => p !== 'f16' || hasFeature(rt, 'shader-f16'));

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** β ≠ 0 reads `out` (which must then be given). */
  beta?: number;
  out?: Tensor;
  /** fused epilogue: + biasScale·bias[col] (shape [N] or [batch, N]) ... */
  bias?: Tensor;
  biasScale?: number;
  /** ... then φ (default identity) */
  activation?: string;
  /** force a version instead of the automatic choice */
  version?: MatmulVersion;
  /** tile configuration (override constants) for autotuning; defaults per version */
  tile?: Record<string, number>;
  /** the operands' precision in the kernel (default 'f32'; see MATMUL_PRECISIONS): never chosen automatically */
  precision?: MatmulPrecision;
}

export interface MatmulProblem {
  m: number;
  n: number;
  k: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  aBatchStride: number;
  bBatchStride: number;
}

const PARAMS = new ParamLayout([
  ['m', 'u32'], ['n', 'u32'], ['k', 'u32'],
  ['a_rs', 'u32'], ['a_cs', 'u32'], ['b_rs', 'u32'], ['b_cs', 'u32'],
  ['a_bs', 'u32'], ['b_bs', 'u32'], ['c_bs', 'u32'], ['bias_bs', 'u32'],
  ['tiles_m', 'u32'], ['tiles_n', 'u32'], ['groups', 'u32'],
  ['alpha', 'f32'], ['beta', 'f32'], ['bias_scale', 'f32'],
  // v5's Gram mode only (SPLIT_K: z = slice·batch + b; src/kernels/gram.ts); the other versions ignore them
  ['k_chunk', 'u32'], ['batch', 'u32'],
] as const);

/** Output tile (rows, cols) each workgroup covers, per version and tile constants. */
function tileOf(version: MatmulVersion, c: Record<string, number>): [number, number] {
  switch (version) {
    case 'v1_naive': return [c.WG_Y, c.WG_X];
    case 'v2_regtile': return [c.WG_Y * 4, c.WG_X * 4];
    case 'v3_smem': return [c.BM, c.BN];
    case 'v4_splitk': return [1, 1];
    case 'v5_bigtile': return [c.BM, c.BN];
  }
}

export const DEFAULT_TILES: Record<MatmulVersion, Record<string, number>> = {
  v1_naive: { WG_X: 8, WG_Y: 8 },
  v2_regtile: { WG_X: 8, WG_Y: 8 },
  v3_smem: { BM: 64, BN: 64, BK: 16 },
  v4_splitk: { WG: 256 },
  v5_bigtile: { BM: 128, BN: 64, BK: 16 },
};

/** v2's vec4 paths: 'nn' (no transposes; K, N and batch offsets multiples of 4) or 'nt'
 * (B transposed, both read along K; K and batch offsets multiples of 4); null for the scalar path. */
export function vec4Path(p: MatmulProblem): 'nn' | 'nt' | null {
  if (p.transA || p.k % 4 !== 0 || p.aBatchStride % 4 !== 0 || p.bBatchStride % 4 !== 0) return null;
  if (!p.transB) return p.n % 4 === 0 ? 'nn' : null;
  return 'nt';
}

/** v5's vec4 global loads: an operand's stored rows (its contiguous dimension) and batch stride multiples of 4. */
export function bigTileVec4(p: MatmulProblem, aCols: number, bCols: number): { a: boolean; b: boolean } {
  return { a: aCols % 4 === 0 && p.aBatchStride % 4 === 0, b: bCols % 4 === 0 && p.bBatchStride % 4 === 0 };
}

/**
 * The one place where a version is chosen. CPU adapters (SwiftShader: barriers are costly, few
 * cores) get register tiling for every shape; it measured fastest there even for 16×16×2^20
 * (1.54 GFLOP/s against 0.12 for split-K, see the README). On GPUs, small outputs with a long
 * reduction go to split-K (register tiling would leave most of the GPU idle), the rest to
 * workgroup-memory tiling: v3's 64×64 tiles, or v5's large ones when autotuning found them faster
 * on this adapter (`tiled`, from rt.tuning). v5 only pays when the output has enough tiles to fill
 * the GPU, so small outputs stay on v3.
 */
export function chooseMatmulVersion(p: MatmulProblem, adapter: { software: boolean }, tiled: MatmulVersion = 'v3_smem'): MatmulVersion {
  if (adapter.software) return 'v2_regtile';
  const outputs = p.m * p.n * p.batch;
  if (outputs <= 4096 && p.k >= 1024) return 'v4_splitk';
  return tiled === 'v5_bigtile' && outputs >= 256 * 256 ? 'v5_bigtile' : 'v3_smem';
}

function batchOf(t: Tensor): number {
  return t.shape.slice(0, -2).reduce((a, b) => a * b, 1);
}

/** Shapes → problem, with every mismatch named. */
export function matmulProblem(a: Tensor, b: Tensor, transA = false, transB = false): MatmulProblem {
  for (const t of [a, b]) if (t.shape.length < 2) throw new ShapeError(`matmul: "${t.name}" has shape [${t.shape}], expected at least 2 dimensions [..., rows, cols]`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) throw new ShapeError(`matmul: inner dimensions differ: op(A) "${a.name}" is ${m}×${k} but op(B) "${b.name}" is ${kb}×${n} (transA=${transA}, transB=${transB})`);
  const ba = batchOf(a);
  const bb = batchOf(b);
  if (ba !== bb && ba !== 1 && bb !== 1) throw new ShapeError(`matmul: batch sizes ${ba} ("${a.name}") and ${bb} ("${b.name}") differ; expected equal, or 1 to broadcast`);
  return { m, n, k, batch: Math.max(ba, bb), transA, transB, aBatchStride: ba === 1 ? 0 : ar * ac, bBatchStride: bb === 1 ? 0 : br * bc };
}

/** PREFETCH (v5's register prefetch, an autotune candidate) holds at most 4 vec4 (16 floats) per
 * operand and invocation (shaders/matmul/v5_bigtile.wgsl, A_PF and B_PF): it needs 2·BK ≤ min(BM, BN). */
export const prefetchFits = (tile: Record<string, number>): boolean => {
  const t = { ...DEFAULT_TILES.v5_bigtile, ...tile };
  return !t.PREFETCH || 2 * t.BK <= Math.min(t.BM, t.BN);
};

/** The program matmul (and the Gram on v5) dispatches for these choices: pure, no device needed
 * (tests/kernels/wgsl-naga.test.ts validates every variant, f16 included, without an adapter). */
export function matmulProgram(version: MatmulVersion, vec4: 'nn' | 'nt' | null, big: { a: boolean; b: boolean }, act: number, hasBias: boolean, tile: Record<string, number>, precision: MatmulPrecision, gramMode: { splitK: boolean; symmetric: boolean } | null = null): KernelProgram {
  if (version === 'v5_bigtile' && !prefetchFits(tile)) throw new WidenetError(`matmul v5_bigtile: tile ${JSON.stringify(tile)} with PREFETCH needs 2·BK ≤ min(BM, BN) (its registers hold at most 4 vec4 per operand)`);
  const constants = { ...tile, ACT: act, HAS_BIAS: hasBias ? 1 : 0, ...(gramMode ? { SPLIT_K: gramMode.splitK ? 1 : 0, SYMMETRIC: gramMode.symmetric ? 1 : 0 } : {}) };
  // v2 and v5 declare their own bindings (vec4 views of A and B) and loads
  const ownBindings = version === 'v2_regtile' || version === 'v5_bigtile';
  const own = ownBindings ? [] : ['matmul/bindings'];
  const loads = (version === 'v2_regtile' && vec4) || version === 'v5_bigtile' ? [] : ['matmul/loads'];
  const bigLabel = version === 'v5_bigtile' && (big.a || big.b) ? ` vec4 ${big.a ? 'A' : ''}${big.b ? 'B' : ''}` : '';
  return kernelProgram({
    label: `${gramMode ? `gram ${gramMode.symmetric ? 'symmetric ' : ''}${gramMode.splitK ? 'split-K ' : ''}on ` : ''}matmul ${version}${vec4 ? ` vec4 ${vec4}` : ''}${bigLabel}${precision === 'f32' ? '' : ` ${precision}`}`,
    shaders: ['common/indexing', 'common/math', 'common/activations', ...own, ...loads, 'matmul/epilogue', `matmul/${version}`],
    flags: { VEC4: vec4 === 'nn', VEC4_NT: vec4 === 'nt', VEC4_ANY: vec4 !== null, A_VEC4: version === 'v5_bigtile' && big.a, B_VEC4: version === 'v5_bigtile' && big.b, F16: precision === 'f16', F16_EMU: precision === 'f16_emulated' },
    enables: precision === 'f16' ? ['f16'] : [],
    storage: ['read', 'read', 'read', 'read_write'],
    params: PARAMS,
    constants,
  });
}

/** The version of an f16 precision: checked against MATMUL_F16_VERSIONS and the device's features. */
function f16Version(rt: Runtime, precision: MatmulPrecision, version: MatmulVersion | undefined): MatmulVersion {
  if (!MATMUL_PRECISIONS.includes(precision)) throw new WidenetError(`matmul: unknown precision "${precision}"; expected one of: ${MATMUL_PRECISIONS.join(', ')}`);
  const v = version ?? MATMUL_F16_VERSIONS[0];
  if (!(MATMUL_F16_VERSIONS as readonly string[]).includes(v)) throw new WidenetError(`matmul: precision '${precision}' is implemented by ${MATMUL_F16_VERSIONS.join(', ')} only, not by ${v}`);
  if (precision === 'f16') requireFeature(rt, 'shader-f16', "matmul precision 'f16'");
  return v;
}

/** C = φ(α·op(A)·op(B) + β·C + bias); returns C, shape [batch, M, N] (or [M, N] without batch). */
export function matmul(rt: Runtime, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  assertLive(a, b, options.out, options.bias);
  const p = matmulProblem(a, b, options.transA ?? false, options.transB ?? false);
  const beta = options.beta ?? 0;
  if (beta !== 0 && !options.out) throw new ShapeError('matmul: beta ≠ 0 needs the existing C passed as `out`');
  const outShape = a.shape.length > 2 || b.shape.length > 2 ? [p.batch, p.m, p.n] : [p.m, p.n];
  const c = outputTensor(rt, 'matmul', outShape, options.out, `${a.name}@${b.name}`);
  let biasBatchStride = 0;
  if (options.bias) {
    const bs = options.bias.size;
    if (bs !== p.n && bs !== p.n * p.batch) throw new ShapeError(`matmul: bias "${options.bias.name}" has ${bs} elements, expected N = ${p.n} or batch·N = ${p.batch * p.n}`);
    biasBatchStride = bs === p.n ? 0 : p.n;
  }
  const act = activation(options.activation ?? 'identity').id;
  const precision = options.precision ?? 'f32';
  const version = precision === 'f32' ? options.version ?? chooseMatmulVersion(p, rt.ctx.adapter, tunedTiles(rt)?.matmulVersion as MatmulVersion | undefined) : f16Version(rt, precision, options.version);
  const vec4 = version === 'v2_regtile' ? vec4Path(p) : null;
  // an explicit tile, else the autotuned one for this device (src/kernels/autotune.ts), else the default
  const tile = options.tile ?? tunedTiles(rt)?.matmul[version] ?? DEFAULT_TILES[version];
  const [tm, tn] = tileOf(version, { ...DEFAULT_TILES[version], ...tile });
  const ac = a.shape[a.shape.length - 1];
  const bc = b.shape[b.shape.length - 1];
  launch(rt, matmulProgram(version, vec4, bigTileVec4(p, ac, bc), act, !!options.bias, tile, precision), [a, b, options.bias ?? dummyTensor(rt), c], p, ac, bc, {
    tile: [tm, tn], alpha: options.alpha ?? 1, beta, biasScale: options.biasScale ?? 1, biasBatchStride, splits: 1, kChunk: p.k,
  });
  return c;
}

interface Launch {
  /** the output tile (rows, cols) of one workgroup */
  tile: [number, number];
  alpha: number;
  beta: number;
  biasScale: number;
  biasBatchStride: number;
  /** v5's Gram mode: slices of the K-reduction (1: none), each k_chunk long */
  splits: number;
  kChunk: number;
}

/** One dispatch of a product program: the uniforms of op(A), op(B) and C, and one workgroup per tile, slice and batch. */
function launch(rt: Runtime, program: KernelProgram, buffers: [Tensor, Tensor, Tensor, Tensor], p: MatmulProblem, ac: number, bc: number, l: Launch): void {
  const tilesM = Math.ceil(p.m / l.tile[0]);
  const tilesN = Math.ceil(p.n / l.tile[1]);
  const groups = tilesM * tilesN * l.splits * p.batch;
  rt.dispatch(
    program,
    buffers,
    {
      m: p.m, n: p.n, k: p.k,
      // op(A)(i, k) = A[i·a_rs + k·a_cs]: row-major A is [M, K]; transposed it is stored [K, M]
      a_rs: p.transA ? 1 : ac, a_cs: p.transA ? ac : 1,
      b_rs: p.transB ? 1 : bc, b_cs: p.transB ? bc : 1,
      a_bs: p.aBatchStride, b_bs: p.bBatchStride, c_bs: p.m * p.n, bias_bs: l.biasBatchStride,
      tiles_m: tilesM, tiles_n: tilesN, groups,
      alpha: l.alpha, beta: l.beta, bias_scale: l.biasScale,
      k_chunk: l.kChunk, batch: p.batch,
    },
    groups,
  );
}

/** What gram()'s 'bigtile' version asks of v5: G = α·A·Bᵀ for A [batch?, n1, m], B [batch?, n2, m]. */
export interface BigTileGram {
  n1: number;
  n2: number;
  m: number;
  batch: number;
  /** batch strides of A and B (0 broadcasts) */
  aBatchStride: number;
  bBatchStride: number;
  /** B = A and n1 = n2: tiles below the diagonal skipped, the upper triangle mirrored */
  symmetric: boolean;
  /** slices of the m-reduction (1: none); kChunk a multiple of the tile's BK */
  splits: number;
  kChunk: number;
  alpha: number;
  tile: Record<string, number>;
}

/**
 * The Gram as a mode of v5 (shaders/matmul/v5_bigtile.wgsl, SPLIT_K and SYMMETRIC): op(B) = Bᵀ with
 * B stored [n2, m], so both operands are read along the width, as vec4s where m and the strides
 * allow. Writes `out` as [splits, batch, n1, n2] (the partials, one per slice; with one slice the Gram itself).
 */
export function gramOnBigTile(rt: Runtime, a: Tensor, b: Tensor, out: Tensor, g: BigTileGram): void {
  const tile = { ...DEFAULT_TILES.v5_bigtile, ...g.tile };
  if (g.kChunk % tile.BK !== 0) throw new WidenetError(`gram bigtile: k_chunk ${g.kChunk} is not a multiple of BK = ${tile.BK}`);
  if (g.symmetric && g.n1 !== g.n2) throw new ShapeError(`gram bigtile: symmetric needs n1 = n2, got ${g.n1} and ${g.n2}`);
  const p: MatmulProblem = { m: g.n1, n: g.n2, k: g.m, batch: g.batch, transA: false, transB: true, aBatchStride: g.aBatchStride, bBatchStride: g.bBatchStride };
  const program = matmulProgram('v5_bigtile', null, bigTileVec4(p, g.m, g.m), activation('identity').id, false, tile, 'f32', { splitK: g.splits > 1, symmetric: g.symmetric });
  launch(rt, program, [a, b, dummyTensor(rt), out], p, g.m, g.m, { tile: [tile.BM, tile.BN], alpha: g.alpha, beta: 0, biasScale: 1, biasBatchStride: 0, splits: g.splits, kChunk: g.kChunk });
}

/** float64 reference of the same operation (row-major operands, batch strides 0 to broadcast). */
export function matmulRef(
  a: ArrayLike<number>, b: ArrayLike<number>, p: MatmulProblem,
  options: { alpha?: number; beta?: number; c?: ArrayLike<number>; bias?: ArrayLike<number>; biasScale?: number; activation?: (x: number) => number } = {},
): Float64Array {
  const { m, n, k, batch } = p;
  const out = new Float64Array(batch * m * n);
  const alpha = options.alpha ?? 1;
  const beta = options.beta ?? 0;
  const aCols = p.transA ? m : k;
  const bCols = p.transB ? k : n;
  for (let t = 0; t < batch; t++) {
    const ao = t * p.aBatchStride;
    const bo = t * p.bBatchStride;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) {
          const av = p.transA ? a[ao + q * aCols + i] : a[ao + i * aCols + q];
          const bv = p.transB ? b[bo + j * bCols + q] : b[bo + q * bCols + j];
          acc += av * bv;
        }
        const idx = t * m * n + i * n + j;
        let v = alpha * acc;
        if (beta !== 0) v += beta * options.c![idx];
        if (options.bias) v += (options.biasScale ?? 1) * (options.bias.length === n ? options.bias[j] : options.bias[t * n + j]);
        out[idx] = options.activation ? options.activation(v) : v;
      }
    }
  }
  return out;
}

/** 2·M·N·K flops per batch; bytes: each operand read once and C written (the ideal, cache-perfect traffic). */
export function matmulCost(p: Pick<MatmulProblem, 'm' | 'n' | 'k' | 'batch'>): Cost {
  return { flops: 2 * p.m * p.n * p.k * p.batch, bytes: 4 * p.batch * (p.m * p.k + p.k * p.n + p.m * p.n) };
}
