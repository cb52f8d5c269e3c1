// Reductions: sum, sum of squares, dot, row sums, column sums, per-batch reductions (Σ|x|,
// Σ|x − y|, Σ√|x·y| per member) and the in-place normalisation of batched vectors. All reduce as trees (see
// shaders/reduce/*.wgsl) so that float32 error grows like log(n)·ε. The strided reductions (sum, sumSquares,
// dot, rowSums, reduceBatches) have two versions, REDUCE_VERSIONS: `tree` (workgroup memory only) and
// `tree_subgroup` (subgroupAdd within each subgroup, then a tree over the subgroups' sums), chosen by
// chooseReduceVersion or forced with `{ version }`.
import { ShapeError } from '../gpu/errors';
import { ParamLayout } from '../gpu/params';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { assertLive, assertSameSize, kernelProgram, groups1d, outputTensor, type Cost } from './common';
import { hasFeature, requireFeature } from './features';

const WG = 256;
const ITEMS = 8;
const CHUNK = 32;

const TREE_PARAMS = new ParamLayout([
  ['inner', 'u32'], ['so', 'u32'], ['si', 'u32'], ['blocks', 'u32'], ['groups', 'u32'],
] as const);
const COLSUM_PARAMS = new ParamLayout([['rows', 'u32'], ['cols', 'u32'], ['chunks', 'u32']] as const);

type MapKind = 0 | 1 | 2 | 3 | 4 | 5; // x, x², x·y, |x|, |x − y|, √|x·y|

/** The versions of the strided tree reduction; `tree_subgroup` needs the device feature 'subgroups'. */
export const REDUCE_VERSIONS = ['tree', 'tree_subgroup'] as const;
export type ReduceVersion = (typeof REDUCE_VERSIONS)[number];
/** The device feature each version needs (null: none). */
export const REDUCE_VERSION_FEATURE: Record<ReduceVersion, string | null> = { tree: null, tree_subgroup: 'subgroups' };

export interface ReduceOptions {
  /** force a version instead of chooseReduceVersion's (a version whose feature the device lacks throws FeatureUnavailableError) */
  version?: ReduceVersion;
}

/** The one place where the version is chosen: subgroups where the device has them (fewer barriers), else the plain tree. */
export const chooseReduceVersion = (rt: Runtime): ReduceVersion => (hasFeature(rt, 'subgroups') ? 'tree_subgroup' : 'tree');

/** The versions this runtime's device can run (for selftest and benchmarks: every one of them is checked). */
export const reduceVersionsFor = (rt: Runtime): ReduceVersion[] => REDUCE_VERSIONS.filter((v) => REDUCE_VERSION_FEATURE[v] === null || hasFeature(rt, REDUCE_VERSION_FEATURE[v]!));

function resolveVersion(rt: Runtime, options: ReduceOptions): ReduceVersion {
  const version = options.version ?? chooseReduceVersion(rt);
  if (!REDUCE_VERSIONS.includes(version)) throw new ShapeError(`reduce: unknown version "${version}"; expected one of: ${REDUCE_VERSIONS.join(', ')}`);
  const feature = REDUCE_VERSION_FEATURE[version];
  if (feature) requireFeature(rt, feature, `reduce version ${version}`);
  return version;
}

const treeProgram = (version: ReduceVersion, map: MapKind) =>
  kernelProgram({
    label: `reduce ${version} map ${map}`,
    shaders: ['common/indexing', 'reduce/tree_map', `reduce/${version}`],
    enables: version === 'tree_subgroup' ? ['subgroups'] : [],
    storage: ['read', 'read', 'read_write'] as const,
    params: TREE_PARAMS,
    constants: { WG, ITEMS, MAP: map },
  });

const NORMALIZE_PARAMS = new ParamLayout([['inner', 'u32'], ['batches', 'u32']] as const);
const normalizeProgram = () =>
  kernelProgram({
    label: 'normalize batched vectors',
    shaders: ['common/indexing', 'reduce/normalize'],
    storage: ['read_write', 'read_write'] as const,
    params: NORMALIZE_PARAMS,
    constants: { WG },
  });

const colsumProgram = () =>
  kernelProgram({
    label: 'reduce column sums',
    shaders: ['common/indexing', 'reduce/colsum'],
    storage: ['read', 'read_write'] as const,
    params: COLSUM_PARAMS,
    constants: { WG, CHUNK },
  });

/**
 * out[o] = Σ_i map(x[o·so + i·si]) for o < outer, i < inner; passes repeat on the partial sums.
 */
function reduceStrided(rt: Runtime, x: Tensor, y: Tensor, map: MapKind, outer: number, inner: number, so: number, si: number, out: Tensor | undefined, name: string, options: ReduceOptions): Tensor {
  const version = resolveVersion(rt, options);
  let src = x;
  let src2 = y;
  let m: MapKind = map;
  for (;;) {
    const blocks = Math.ceil(inner / (WG * ITEMS));
    const last = blocks === 1;
    const dst = last ? outputTensor(rt, name, [outer], out, name) : Tensor.empty(rt, [outer * blocks], `${name} partial`);
    const groups = outer * blocks;
    rt.dispatch(treeProgram(version, m), [src, src2, dst], { inner, so, si, blocks, groups }, groups);
    if (src !== x) src.dispose();
    if (last) return dst;
    src = dst;
    src2 = dst;
    m = 0;
    inner = blocks;
    so = blocks;
    si = 1;
  }
}

/** Σ x (shape [1]). */
export function sum(rt: Runtime, x: Tensor, out?: Tensor, options: ReduceOptions = {}): Tensor {
  assertLive(x);
  return reduceStrided(rt, x, x, 0, 1, x.size, 0, 1, out, `sum(${x.name})`, options);
}

/** Σ x² (shape [1]). */
export function sumSquares(rt: Runtime, x: Tensor, out?: Tensor, options: ReduceOptions = {}): Tensor {
  assertLive(x);
  return reduceStrided(rt, x, x, 1, 1, x.size, 0, 1, out, `sumsq(${x.name})`, options);
}

/** Σ x·y (shape [1]). */
export function dot(rt: Runtime, x: Tensor, y: Tensor, out?: Tensor, options: ReduceOptions = {}): Tensor {
  assertLive(x, y);
  assertSameSize('dot', x, y);
  return reduceStrided(rt, x, y, 2, 1, x.size, 0, 1, out, `dot(${x.name},${y.name})`, options);
}

function rowsCols(kernel: string, x: Tensor): [number, number] {
  if (x.shape.length < 2) throw new ShapeError(`${kernel}: "${x.name}" has shape [${x.shape}], expected [..., rows, cols]`);
  const cols = x.shape[x.shape.length - 1];
  return [x.size / cols, cols];
}

/** Row sums of [..., rows, cols] → [rows·(leading dims)]. */
export function rowSums(rt: Runtime, x: Tensor, out?: Tensor, options: ReduceOptions = {}): Tensor {
  assertLive(x);
  const [rows, cols] = rowsCols('rowSums', x);
  return reduceStrided(rt, x, x, 0, rows, cols, cols, 1, out, `rowsum(${x.name})`, options);
}

/** Column sums of [rows, cols] (all leading dims count as rows) → [cols]. */
export function colSums(rt: Runtime, x: Tensor, out?: Tensor): Tensor {
  assertLive(x);
  let [rows, cols] = rowsCols('colSums', x);
  let src = x;
  for (;;) {
    const chunks = Math.ceil(rows / CHUNK);
    const last = chunks === 1;
    const dst = last ? outputTensor(rt, 'colSums', [cols], out, `colsum(${x.name})`) : Tensor.empty(rt, [chunks, cols], `colsum(${x.name}) partial`);
    rt.dispatch(colsumProgram(), [src, dst], { rows, cols, chunks }, groups1d(chunks * cols, WG));
    if (src !== x) src.dispose();
    if (last) return dst;
    src = dst;
    rows = chunks;
  }
}

/** What a per-batch reduction sums: x, x², x·y, |x|, |x − y| or √|x·y|. */
export const BATCH_MAPS = { sum: 0, sumSquares: 1, dot: 2, abs: 3, absDiff: 4, sqrtProduct: 5 } as const;
export type BatchMap = keyof typeof BATCH_MAPS;

/**
 * One sum per batch: x (and y) are viewed as [batches, size/batches] and each row is reduced,
 * e.g. Σ_i |x_e,i − y_e,i| for every ensemble member e. Result [batches].
 */
export function reduceBatches(rt: Runtime, map: BatchMap, x: Tensor, batches: number, y: Tensor = x, out?: Tensor, options: ReduceOptions = {}): Tensor {
  assertLive(x, y);
  assertSameSize(`reduceBatches(${map})`, x, y);
  if (!Number.isInteger(batches) || batches < 1 || x.size % batches !== 0) throw new ShapeError(`reduceBatches: "${x.name}" has ${x.size} elements, which do not split into ${batches} equal batches`);
  const inner = x.size / batches;
  return reduceStrided(rt, x, y, BATCH_MAPS[map], batches, inner, inner, 1, out, `${map}(${x.name}) per batch`, options);
}

/** x_b ← x_b/‖x_b‖₂ in place for each of `batches` equal parts of x; returns the norms [batches]. */
export function normalizeBatches(rt: Runtime, x: Tensor, batches: number, norms?: Tensor): Tensor {
  assertLive(x, norms);
  if (!Number.isInteger(batches) || batches < 1 || x.size % batches !== 0) throw new ShapeError(`normalizeBatches: "${x.name}" has ${x.size} elements, which do not split into ${batches} equal batches`);
  const out = outputTensor(rt, 'normalizeBatches', [batches], norms, `norms(${x.name})`);
  rt.dispatch(normalizeProgram(), [x, out], { inner: x.size / batches, batches }, batches);
  return out;
}

// ---- float64 references and cost models

export const reduceRef = {
  sum: (x: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    return s;
  },
  sumSquares: (x: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    return s;
  },
  dot: (x: ArrayLike<number>, y: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * y[i];
    return s;
  },
  rowSums: (x: ArrayLike<number>, rows: number, cols: number) => Float64Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c];
    return s;
  }),
  batches: (map: BatchMap, x: ArrayLike<number>, batches: number, y: ArrayLike<number> = x) => {
    const f = [(a: number) => a, (a: number) => a * a, (a: number, b: number) => a * b, (a: number) => Math.abs(a), (a: number, b: number) => Math.abs(a - b), (a: number, b: number) => Math.sqrt(Math.abs(a * b))][BATCH_MAPS[map]];
    const inner = x.length / batches;
    return Float64Array.from({ length: batches }, (_, b) => {
      let s = 0;
      for (let i = b * inner; i < (b + 1) * inner; i++) s += f(x[i], y[i]);
      return s;
    });
  },
  colSums: (x: ArrayLike<number>, rows: number, cols: number) => {
    const out = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += x[r * cols + c];
    return out;
  },
};

export const reduceCost = (n: number, inputs = 1): Cost => ({ flops: n * inputs, bytes: 4 * n * inputs });
