// `widenet selftest`: every kernel version and the structured empirical NTK against their float64
// references on the present adapter (the GPU's correctness check, also after a driver update).
// One case = one run of a kernel on seeded inputs, its output read back and compared with the
// float64 reference beside the kernel's wrapper (src/kernels/*Ref, src/check/reference.ts) under
// the tests' tolerance rule (src/check/tolerance.ts, compared by src/check/compare.ts): the same
// references and tolerances as tests/kernels/*, at sizes that matter on a GPU (full: dispatches
// over 65 535 workgroups, 4096³ products, widths of 2^16) or small ones (quick).
//
// Products too big for a whole float64 reference (over FULL_REFERENCE_MACS multiply-adds) are
// checked on 256 sampled entries (four corners included), each exact in float64.
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { ACTIVATION_NAMES, activationRef } from '../kernels/activations';
import { activate, activateWithDerivative, add, axpy, broadcastProduct, broadcastProductRef, contiguousStrides, elementwiseRef, hadamard, scale, secondOrderAdjoints, secondOrderTangents } from '../kernels/elementwise';
import { GRAM_VERSIONS, gram, gramRef } from '../kernels/gram';
import { rand, randn } from '../kernels/init';
import { LOSS_KINDS, lossCotangent, lossCotangentRef } from '../kernels/loss';
import { MATMUL_VERSIONS, matmul, matmulRef, type MatmulVersion } from '../kernels/matmul';
import { divergenceStatus, sgdUpdate, sgdUpdateRef } from '../kernels/optim';
import { BATCH_MAPS, colSums, dot, normalizeBatches, reduceBatches, reduceRef, reduceVersionsFor, rowSums, sum, sumSquares, type BatchMap } from '../kernels/reduce';
import { randomRef } from '../kernels/rng';
import { Mlp } from '../nets/mlp';
import { empiricalKernels } from '../ntk/empirical';
import { ACTIVATION_TOLERANCE, RANDOM_NORMAL_TOLERANCE, tolerance, treeSumTolerance, type Tolerance } from './tolerance';
import { matmulEntriesRef, ntkRows, sampleEntries, sampleRows, testData } from './reference';
import { checkNtk, combine, compare, rms, type Checked } from './compare';

export type SelftestPreset = 'quick' | 'full';

export interface SelftestResult {
  kernel: string;
  version: string;
  /** the case's shape, e.g. [M, N, K, batch] for a product */
  shape: number[];
  /** e.g. "max rel err 3.1e-7 (full)" */
  checked: string;
  /** set when the result is over its tolerance: the worst element, its value and the reference's */
  mismatch?: string;
  /** wall time of the case (run, readback and reference), for the log only */
  ms: number;
}

export interface SelftestOptions {
  quick?: boolean;
  /** only the cases whose "kernel version" contains one of these strings (case-insensitive) */
  only?: string[];
  log?: (line: string) => void;
  /**
   * Test-only hook: the cases whose "kernel version" contains this string get their GPU output
   * perturbed before the comparison (the first element + 1 + |x|), to exercise the mismatch path
   * without breaking a kernel. The CLI reads it from WIDENET_SELFTEST_INJECT.
   */
  inject?: string;
  /** products and Grams of more multiply-adds than this are checked on 256 sampled entries (default FULL_REFERENCE_MACS; 0 samples all: the tests' way to exercise that path at small sizes) */
  fullReferenceMacs?: number;
}

/** The largest float64 reference computed whole (multiply-adds; a fraction of a second on the CPU); bigger ones are sampled. */
const FULL_REFERENCE_MACS = 2 ** 26;

/** The largest entry (a loop: spreading millions of entries into Math.max overflows the stack). */
function maxOf(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, v[i]);
  return m;
}

interface MatmulCase { m: number; n: number; k: number; batchA?: number; batchB?: number; transA?: boolean; transB?: boolean; epilogue?: boolean }

/** The product shapes of each preset: ragged edges, transposes, batches with broadcast, a fused epilogue, long K. */
export function matmulCases(quick: boolean, version: MatmulVersion): MatmulCase[] {
  if (quick && version === 'v4_splitk') {
    // one workgroup of 256 invocations per output: few outputs keep it quick on a CPU adapter
    return [
      { m: 7, n: 9, k: 71 },
      { m: 5, n: 6, k: 40, transB: true },
      { m: 6, n: 5, k: 37, transA: true },
      { m: 3, n: 4, k: 16, batchA: 3, batchB: 1 },
      { m: 5, n: 8, k: 24, epilogue: true },
      { m: 8, n: 8, k: 4099 },
    ];
  }
  if (quick) {
    return [
      { m: 67, n: 61, k: 71 },
      { m: 64, n: 64, k: 64 },
      { m: 29, n: 36, k: 40, transB: true },
      { m: 31, n: 33, k: 37, transA: true },
      { m: 7, n: 12, k: 16, batchA: 3, batchB: 1 },
      { m: 33, n: 40, k: 24, epilogue: true },
      { m: 8, n: 8, k: 4099 },
    ];
  }
  if (version === 'v4_splitk') {
    // one workgroup per output: its shape (small output, long K) and moderate ones
    return [
      { m: 16, n: 16, k: 1 << 20 },
      { m: 61, n: 67, k: 8191 },
      { m: 256, n: 256, k: 256, batchA: 4, batchB: 1 },
      { m: 130, n: 127, k: 513, transA: true, transB: true },
      { m: 64, n: 64, k: 4096, epilogue: true },
    ];
  }
  return [
    { m: 4096, n: 4096, k: 4096 },
    { m: 1021, n: 1031, k: 1027 },
    { m: 1024, n: 65536, k: 64 }, // inputs [n, d] · first-layer weights [d, m]
    { m: 1024, n: 16384, k: 64, transB: true }, // a layer's forward pass x·Wᵀ
    { m: 1024, n: 1024, k: 1024, transA: true },
    { m: 256, n: 256, k: 256, batchA: 16, batchB: 1 },
    { m: 1024, n: 4096, k: 256, epilogue: true },
    { m: 16, n: 16, k: 1 << 20 },
  ];
}

/** Runs the self-test on `rt`; every case's result (mismatches included, in order). */
export async function selftest(rt: Runtime, options: SelftestOptions = {}): Promise<SelftestResult[]> {
  const quick = options.quick ?? false;
  const log = options.log ?? (() => {});
  const only = (options.only ?? []).map((s) => s.toLowerCase());
  const results: SelftestResult[] = [];
  const fullMacs = options.fullReferenceMacs ?? FULL_REFERENCE_MACS;
  const wanted = (kernel: string, version: string) => only.length === 0 || only.some((s) => `${kernel} ${version}`.toLowerCase().includes(s));
  const injected = (kernel: string, version: string) => options.inject !== undefined && options.inject !== '' && `${kernel} ${version}`.toLowerCase().includes(options.inject.toLowerCase());

  /** One case: `body` runs the kernel and returns its check; `read` is what every check reads the GPU through (perturbed under `inject`). */
  const run = async (kernel: string, version: string, shape: number[], body: (read: (t: Tensor) => Promise<Float32Array>) => Promise<Checked>) => {
    if (!wanted(kernel, version)) return;
    const perturb = injected(kernel, version);
    const read = async (t: Tensor) => {
      const v = await t.read();
      if (perturb && v.length) v[0] += 1 + Math.abs(v[0]);
      return v;
    };
    const t0 = performance.now();
    const c = await body(read);
    rt.trimPool();
    const r: SelftestResult = { kernel, version, shape, checked: c.checked, ...(c.mismatch ? { mismatch: c.mismatch } : {}), ms: performance.now() - t0 };
    results.push(r);
    log(`${kernel} ${version} [${shape.join('×')}]: ${r.mismatch ? `MISMATCH ${r.mismatch}` : `ok, ${r.checked}`} (${(r.ms / 1000).toFixed(2)} s)`);
  };

  // ---- matmul: every registered version
  for (const version of MATMUL_VERSIONS) {
    for (const c of matmulCases(quick, version)) {
      const [ba, bb] = [c.batchA ?? 1, c.batchB ?? 1];
      const batch = Math.max(ba, bb);
      const name = `${c.transA ? 'Aᵀ' : 'A'}·${c.transB ? 'Bᵀ' : 'B'}${batch > 1 ? ` batch ${ba}/${bb}` : ''}${c.epilogue ? ' +bias, relu' : ''}`;
      await run('matmul', `${version} ${name}`, [c.m, c.n, c.k, batch], async (read) => {
        const aShape = c.transA ? [c.k, c.m] : [c.m, c.k];
        const bShape = c.transB ? [c.n, c.k] : [c.k, c.n];
        const batched = ba > 1 || bb > 1;
        // Philox inputs for the big cases (no host upload of 64 MiB), CPU data for the small
        const a = randn(rt, batched ? [ba, ...aShape] : aShape, { seed: 11 + c.m, name: 'A' });
        const b = randn(rt, batched ? [bb, ...bShape] : bShape, { seed: 29 + c.n, name: 'B' });
        const bias = c.epilogue ? Tensor.from(rt, testData(c.n, 3), [c.n], 'bias') : undefined;
        const out = matmul(rt, a, b, { transA: c.transA, transB: c.transB, version, ...(bias ? { bias, biasScale: 0.5, activation: 'relu' } : {}) });
        const [ad, bd, got] = [await a.read(), await b.read(), await read(out)];
        const biasData = bias ? await bias.read() : undefined;
        [a, b, out, bias].forEach((t) => t?.dispose());
        const tol = (ref: ArrayLike<number>) => tolerance(c.k, rms(ref));
        const p = { m: c.m, n: c.n, k: c.k, batch, transA: c.transA ?? false, transB: c.transB ?? false, aBatchStride: ba === 1 ? 0 : c.m * c.k, bBatchStride: bb === 1 ? 0 : c.n * c.k };
        const epilogue = biasData ? { bias: biasData, biasScale: 0.5, activation: activationRef('relu', 0) } : {};
        const where = (t: number, i: number, j: number) => `C(${batch > 1 ? `${t}, ` : ''}${i}, ${j})`;
        if (c.m * c.n * c.k * batch <= fullMacs) {
          const ref = matmulRef(ad, bd, p, epilogue);
          return compare(got, ref, tol(ref), 'full', (e) => where(Math.floor(e / (c.m * c.n)), Math.floor(e / c.n) % c.m, e % c.n));
        }
        // 256 sampled entries (t, i, j), each through matmulRef on row i of op(A[t]) and column j of op(B[t]), with the epilogue
        const entries = sampleEntries(batch * c.m, c.n).map(([r, j]) => [Math.floor(r / c.m), r % c.m, j] as const);
        const row = new Float64Array(c.k);
        const col = new Float64Array(c.k);
        const ref = Float64Array.from(entries, ([t, i, j]) => {
          for (let q = 0; q < c.k; q++) {
            row[q] = p.transA ? ad[t * p.aBatchStride + q * c.m + i] : ad[t * p.aBatchStride + i * c.k + q];
            col[q] = p.transB ? bd[t * p.bBatchStride + j * c.k + q] : bd[t * p.bBatchStride + q * c.n + j];
          }
          const one = { m: 1, n: 1, k: c.k, batch: 1, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
          return matmulRef(row, col, one, biasData ? { ...epilogue, bias: [biasData[j]] } : {})[0];
        });
        return compare(entries.map(([t, i, j]) => got[(t * c.m + i) * c.n + j]), ref, tol(ref), entries.length, (e) => where(...entries[e]));
      });
    }
  }

  // ---- Gram, every registered version: symmetric (upper triangle, mirrored) and cross, batched
  for (const version of GRAM_VERSIONS) for (const [n1, n2, m, batch] of quick ? [[37, 37, 300, 1], [5, 7, 12, 2], [6, 6, 1000, 3]] : [[1024, 1024, 16384, 1], [256, 256, 1 << 18, 1], [500, 700, 4096, 1], [128, 128, 1024, 4]]) {
    const symmetric = n1 === n2;
    await run('gram', symmetric ? `${version} A·Aᵀ${batch > 1 ? ` batch ${batch}` : ''}` : `${version} A·Bᵀ`, [n1, n2, m, batch], async (read) => {
      const a = randn(rt, batch > 1 ? [batch, n1, m] : [n1, m], { seed: 3, name: 'A' });
      const b = symmetric ? a : randn(rt, batch > 1 ? [batch, n2, m] : [n2, m], { seed: 4, name: 'B' });
      const g = gram(rt, a, symmetric ? undefined : b, { alpha: 0.25, version });
      const [ad, bd, got] = [await a.read(), await b.read(), await read(g)];
      [a, b, g].forEach((t) => t.dispose());
      if (n1 * n2 * m * batch <= fullMacs || batch > 1) {
        const ref = gramRef(ad, bd, n1, n2, m, batch, 0.25);
        return compare(got, ref, tolerance(m, rms(ref)), 'full', (e) => `G(${Math.floor(e / n2) % n1}, ${e % n2})`);
      }
      const entries = sampleEntries(n1, n2);
      const ref = matmulEntriesRef(ad, bd, n2, m, entries, true).value.map((v) => 0.25 * v); // G = α·A·Bᵀ
      return compare(entries.map(([i, j]) => got[i * n2 + j]), ref, tolerance(m, rms(ref)), entries.length, (e) => `G(${entries[e][0]}, ${entries[e][1]})`);
    });
  }

  // ---- reductions (tree sums) against float64, within the tree-sum bound ⌈log2 L⌉·u·Σ|terms|
  {
    const n = quick ? 65537 : (1 << 24) + 1;
    const xd = testData(n, 1);
    const yd = testData(n, 2);
    const [x, y] = [Tensor.from(rt, xd, [n], 'x'), Tensor.from(rt, yd, [n], 'y')];
    // every version this device runs (the plain tree, and the subgroup tree where subgroups are offered)
    for (const rv of reduceVersionsFor(rt)) for (const [version, fn, ref] of [
      ['sum', () => sum(rt, x, undefined, { version: rv }), [reduceRef.sum(xd)]],
      ['sumSquares', () => sumSquares(rt, x, undefined, { version: rv }), [reduceRef.sumSquares(xd)]],
      ['dot', () => dot(rt, x, y, undefined, { version: rv }), [reduceRef.dot(xd, yd)]],
    ] as const) {
      await run('reduce', `${version} (${rv})`, [n], async (read) => {
        const out = fn();
        const got = await read(out);
        out.dispose();
        let terms = 0; // Σ|terms| of the sum
        for (let i = 0; i < n; i++) terms += version === 'sum' ? Math.abs(xd[i]) : version === 'sumSquares' ? xd[i] * xd[i] : Math.abs(xd[i] * yd[i]);
        return compare(got, ref, treeSumTolerance(n, terms), 'full');
      });
    }
    for (const map of Object.keys(BATCH_MAPS) as BatchMap[]) {
      const E = 8;
      await run('reduce', `batches ${map}`, [E, n / E | 0], async (read) => {
        const m = Math.floor(n / E) * E;
        const [xs, ys] = [Tensor.from(rt, xd.subarray(0, m), [m], 'x'), Tensor.from(rt, yd.subarray(0, m), [m], 'y')];
        const out = reduceBatches(rt, map, xs, E, ys);
        const got = await read(out);
        [xs, ys, out].forEach((t) => t.dispose());
        const ref = reduceRef.batches(map, xd.subarray(0, m), E, yd.subarray(0, m));
        // Σ|terms| per batch: the same map on |x|, |y| (every map's |term| is the map of the absolute values, bar absDiff: |x|+|y| bounds it)
        const bound = map === 'absDiff' ? reduceRef.batches('abs', Float32Array.from(xd.subarray(0, m), (v, i) => Math.abs(v) + Math.abs(yd[i])), E) : reduceRef.batches(map, xd.subarray(0, m).map(Math.abs), E, yd.subarray(0, m).map(Math.abs));
        return compare(got, ref, treeSumTolerance(m / E, maxOf(bound)), 'full');
      });
    }
    await run('reduce', 'normalize', [8, Math.floor(n / 8)], async (read) => {
      const m = Math.floor(n / 8) * 8;
      const xs = Tensor.from(rt, xd.subarray(0, m), [m], 'x');
      const normsT = normalizeBatches(rt, xs, 8);
      const [norms, vectors] = [await read(normsT), await read(xs)];
      [xs, normsT].forEach((t) => t.dispose());
      const normsRef = Float64Array.from(reduceRef.batches('sumSquares', xd.subarray(0, m), 8), Math.sqrt);
      const vectorsRef = Float64Array.from(xd.subarray(0, m), (v, i) => v / normsRef[Math.floor(i / (m / 8))]);
      return combine({ norms: compare(norms, normsRef, tolerance(m / 8, rms(normsRef)), 'full'), vectors: compare(vectors, vectorsRef, tolerance(m / 8, rms(vectorsRef)), 'full') });
    });
    [x, y].forEach((t) => t.dispose());
  }
  for (const [rows, cols] of quick ? [[31, 33], [129, 5], [3, 5000]] : [[4097, 4099], [65537, 17], [3, 1 << 22]]) {
    const xd = testData(rows * cols, 7);
    await run('reduce', 'rowSums', [rows, cols], async (read) => {
      const x = Tensor.from(rt, xd, [rows, cols], 'x');
      const out = rowSums(rt, x);
      const got = await read(out);
      [x, out].forEach((t) => t.dispose());
      const ref = reduceRef.rowSums(xd, rows, cols);
      return compare(got, ref, treeSumTolerance(cols, maxOf(reduceRef.rowSums(xd.map(Math.abs), rows, cols))), 'full');
    });
    await run('reduce', 'colSums', [rows, cols], async (read) => {
      const x = Tensor.from(rt, xd, [rows, cols], 'x');
      const out = colSums(rt, x);
      const got = await read(out);
      [x, out].forEach((t) => t.dispose());
      const ref = reduceRef.colSums(xd, rows, cols);
      return compare(got, ref, treeSumTolerance(rows, maxOf(reduceRef.colSums(xd.map(Math.abs), rows, cols))), 'full');
    });
  }

  // ---- activations φ, φ′, φ″ (every one in the table) and the fused φ/φ′ pass
  {
    // a dense grid over [−6, 6] plus the edge values; big enough on a GPU for a 2-D dispatch (> 65 535 workgroups)
    const n = quick ? 4093 : (1 << 24) + 3;
    const grid = testData(n, 5, -6, 6);
    grid.set([0, -0, 1e-8, -1e-8, 20, -20, 88, -88], 0);
    const x = Tensor.from(rt, grid, [n], 'x');
    // the whole grid is checked for the ReLU (cheap references); the others on its first 2^20 points
    const part = Math.min(n, 1 << 20);
    for (const name of ACTIVATION_NAMES) {
      const size = name === 'relu' ? n : part;
      const xs = size === n ? x : Tensor.from(rt, grid.subarray(0, size), [size], 'x');
      const xd = grid.subarray(0, size);
      await run('activation', `${name} φ, φ′, φ″`, [size], async (read) => {
        const parts: Record<string, Checked> = {};
        for (const order of [0, 1, 2] as const) {
          const out = activate(rt, xs, name, order);
          parts[['φ', 'φ′', 'φ″'][order]] = compare(await read(out), elementwiseRef.activate(xd, name, order), ACTIVATION_TOLERANCE, 'full');
          out.dispose();
        }
        return combine(parts);
      });
      await run('activation', `${name} fused φ+φ′`, [size], async (read) => {
        const { act, dact } = activateWithDerivative(rt, xs, name);
        const c = combine({ 'φ': compare(await read(act), elementwiseRef.activate(xd, name, 0), ACTIVATION_TOLERANCE, 'full'), 'φ′': compare(await read(dact), elementwiseRef.activate(xd, name, 1), ACTIVATION_TOLERANCE, 'full') });
        [act, dact].forEach((t) => t.dispose());
        return c;
      });
      if (xs !== x) xs.dispose();
    }
    x.dispose();
  }

  // ---- elementwise binary maps (3 roundings at most: tolerance(2, scale)) and the NTK's broadcast product
  {
    const n = quick ? 100003 : (1 << 24) + 5;
    const [xd, yd] = [testData(n, 1), testData(n, 2)];
    const elementTol = (ref: ArrayLike<number>): Tolerance => tolerance(2, rms(ref));
    for (const [version, fn, ref] of [
      ['add α·x + β·y', (x: Tensor, y: Tensor) => add(rt, x, y, 1.5, -0.5), () => elementwiseRef.add(xd, yd, 1.5, -0.5)],
      ['hadamard α·x⊙y', (x: Tensor, y: Tensor) => hadamard(rt, x, y, 0.75), () => elementwiseRef.hadamard(xd, yd, 0.75)],
      ['axpy y ← α·x + y', (x: Tensor, y: Tensor) => axpy(rt, -2, x, y), () => elementwiseRef.add(xd, yd, -2, 1)],
      ['scale x ← α·x', (x: Tensor) => scale(rt, 0.3, x), () => elementwiseRef.add(xd, yd, 0.3, 0)],
    ] as const) {
      await run('elementwise', version, [n], async (read) => {
        const [x, y] = [Tensor.from(rt, xd, [n], 'x'), Tensor.from(rt, yd, [n], 'y')];
        const out = fn(x, y);
        const got = await read(out);
        [x, y, out].forEach((t) => t.dispose());
        const r = ref();
        return compare(got, r, elementTol(r), 'full');
      });
    }
    // the quadratic model's fused passes (three roundings at most a value)
    const n2 = quick ? 100003 : (1 << 22) + 5;
    const [a, c, v, w] = [11, 12, 13, 14].map((seed) => testData(n2, seed));
    await run('elementwise', 'second-order tangents ẋ, φ″⊙ḣ, ẍ', [n2], async (read) => {
      const ts = [a, c, v, w].map((d, i) => Tensor.from(rt, d, [n2], `operand${i}`));
      const out = secondOrderTangents(rt, ts[0], ts[1], ts[2], ts[3]);
      const got = { dx: await read(out.dx), t: await read(out.t), ddx: await read(out.ddx) };
      [...ts, out.dx, out.t, out.ddx].forEach((t) => t.dispose());
      const ref = elementwiseRef.secondOrderTangents(a, c, v, w);
      return combine({ 'ẋ': compare(got.dx, ref.dx, tolerance(3, rms(ref.dx)), 'full'), 'φ″⊙ḣ': compare(got.t, ref.t, tolerance(3, rms(ref.t)), 'full'), 'ẍ': compare(got.ddx, ref.ddx, tolerance(3, rms(ref.ddx)), 'full') });
    });
    await run('elementwise', 'second-order adjoints δ, g', [n2], async (read) => {
      const ts = [a, c, v, w].map((d, i) => Tensor.from(rt, d, [n2], `operand${i}`));
      const out = secondOrderAdjoints(rt, ts[0], ts[1], ts[2], ts[3]);
      const got = { d: await read(out.d), g: await read(out.g) };
      [...ts, out.d, out.g].forEach((t) => t.dispose());
      const ref = elementwiseRef.secondOrderAdjoints(a, c, v, w);
      return combine({ 'δ': compare(got.d, ref.d, tolerance(3, rms(ref.d)), 'full'), g: compare(got.g, ref.g, tolerance(3, rms(ref.g)), 'full') });
    });
    const [k, m] = quick ? [2, 33] : [4, 1024];
    const shape = [k, m, k, m];
    await run('elementwise', 'broadcast Θ += G_δ ⊙ (G_x + γ)', shape, async (read) => {
      const count = k * m * k * m;
      const [gdd, gxd, zd] = [testData(count, 8), testData(m * m, 9), testData(count, 10)];
      const [gd, gx, z] = [Tensor.from(rt, gdd, [count], 'G_delta'), Tensor.from(rt, gxd, [m * m], 'G_x'), Tensor.from(rt, zd, [count], 'theta')];
      broadcastProduct(rt, shape, { tensor: gd, strides: contiguousStrides(shape) }, { tensor: gx, strides: [0, m, 0, 1] }, { alpha: 1.5, gamma: 0.5, beta: -0.5, out: z });
      const got = await read(z);
      [gd, gx, z].forEach((t) => t.dispose());
      const ref = broadcastProductRef(shape, gdd, contiguousStrides(shape), gxd, [0, m, 0, 1], { alpha: 1.5, gamma: 0.5, beta: -0.5, z: zd });
      return compare(got, ref, tolerance(3, rms(ref)), 'full');
    });
  }

  // ---- random initialisation: Philox bits identical to the CPU generator; normals via Box–Muller
  {
    const n = quick ? 4099 : (1 << 22) + 7; // over 65 535 workgroups of 64
    await run('init', 'rand (uniform, bit-exact)', [n], async (read) => {
      const t = rand(rt, [n], { seed: 2 ** 40 + 17, stream: 3, stream2: 9 });
      const got = await read(t);
      t.dispose();
      return compare(got, Float64Array.from(randomRef('uniform', { seed: 2 ** 40 + 17, stream: 3, stream2: 9 }, 0, n), Math.fround), { atol: 0, rtol: 0 }, 'full');
    });
    await run('init', 'randn (normal)', [n], async (read) => {
      const t = randn(rt, [n], { seed: 5, mean: 1, scale: 2 });
      const got = await read(t);
      t.dispose();
      return compare(got, randomRef('normal', { seed: 5 }, 0, n, 1, 2), RANDOM_NORMAL_TOLERANCE, 'full');
    });
  }

  // ---- loss cotangents (MSE, logistic, softmax) with an output scale α
  for (const loss of LOSS_KINDS) {
    const k = loss === 'softmax' ? 10 : 1;
    const [E, n] = quick ? [2, 257] : [16, 65536];
    await run('loss', `cotangent ${loss}`, [E, n, k], async (read) => {
      const [fd, yd] = [testData(E * n * k, 6, -3, 3), loss === 'mse' ? testData(n * k, 7) : Float32Array.from({ length: n * k }, (_, i) => (loss === 'softmax' ? (i % k === (Math.floor(i / k) * 7) % k ? 1 : 0) : i % 3 === 0 ? 1 : 0))];
      const [f, y] = [Tensor.from(rt, fd, [E, n, k], 'f'), Tensor.from(rt, yd, [n, k], 'y')];
      const out = lossCotangent(rt, loss, f, y, { alpha: 2 });
      const got = await read(out);
      [f, y, out].forEach((t) => t.dispose());
      const ref = lossCotangentRef(loss, fd, yd, n, k, 2);
      return compare(got, ref, tolerance(k, rms(ref)), 'full');
    });
  }

  // ---- the optimiser's update θ ← θ − η·v, v ← μ·v + g (plain GD: μ = 0)
  for (const momentum of [0, 0.9]) {
    const n = quick ? 10007 : (1 << 24) + 9;
    await run('optim', momentum ? 'update (momentum)' : 'update (gd)', [n], async (read) => {
      const [td, gd, vd] = [testData(n, 1), testData(n, 2), testData(n, 3)];
      const [theta, g, v] = [Tensor.from(rt, td, [n], 'theta'), Tensor.from(rt, gd, [n], 'grad'), Tensor.from(rt, vd, [n], 'velocity')];
      const status = divergenceStatus(rt, 1);
      sgdUpdate(rt, theta, g, { lr: 0.3, momentum, velocity: momentum ? v : undefined, status, slot: 0, step: 1 });
      const [gotT, gotV] = [await read(theta), await read(v)];
      [theta, g, v, status].forEach((t) => t.dispose());
      const ref = sgdUpdateRef(td, gd, momentum ? vd : null, 0.3, momentum);
      return momentum
        ? combine({ 'θ': compare(gotT, ref.theta, tolerance(2, rms(ref.theta)), 'full'), v: compare(gotV, ref.velocity, tolerance(2, rms(ref.velocity)), 'full') })
        : compare(gotT, ref.theta, tolerance(2, rms(ref.theta)), 'full');
    });
  }

  // ---- the structured empirical NTK (src/ntk/empirical.ts) against the explicit forward and backward pass (ntkRows)
  const ntkCases: { n: number; d: number; hidden: number[] }[] = quick
    ? [{ n: 16, d: 8, hidden: [256] }, { n: 8, d: 4, hidden: [32, 32, 32] }]
    : [{ n: 1024, d: 64, hidden: [1 << 14] }, { n: 256, d: 64, hidden: [1 << 16] }, { n: 128, d: 64, hidden: [2048, 2048, 2048] }];
  for (const c of ntkCases) {
    await run('entk', `structured ${c.hidden.length === 1 ? 'two-layer' : `${c.hidden.length + 1}-layer`} relu`, [c.n, c.d, ...c.hidden], async (read) => {
      const net = new Mlp(rt, { inputDim: c.d, hidden: c.hidden, outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 0 });
      const x = randn(rt, [c.n, c.d], { seed: 7, name: 'x' });
      try {
        const ntk = empiricalKernels(rt, net, x).ntk;
        const got = await read(ntk);
        ntk.dispose();
        const weights: Float32Array[] = [];
        for (const layer of net.layers) weights.push(await layer.weight.read());
        const rows = sampleRows(c.n);
        return checkNtk(got, c.n, rows, ntkRows(await x.read(), c.n, c.d, weights, rows, 'relu'));
      } finally {
        net.dispose();
        x.dispose();
      }
    });
  }
  return results;
}

/** The failed cases, one line each ("matmul v3_smem A·B [4096×4096×4096×1]: C(0, 1) is …"). */
export const selftestMismatches = (results: SelftestResult[]): string[] => results.filter((r) => r.mismatch).map((r) => `${r.kernel} ${r.version} [${r.shape.join('×')}]: ${r.mismatch}`);

/**
 * widenet's eNTK on a small shared case, for other implementations to check against (the GPU kit's
 * Python peers, bench/peers/): a two-layer ReLU network in the ntk parameterization, f(x) =
 * w2·relu(W1 x/√d)/√m, with its Philox weights and inputs, the structured eNTK Θ (n×n, float32 on
 * this adapter; the plain kernel J Jᵀ over W1 and w2) and its float64 check (ntkRows).
 */
export async function entkSharedCase(rt: Runtime, shape: { n: number; d: number; m: number } = { n: 16, d: 8, m: 512 }): Promise<{ n: number; d: number; m: number; x: number[]; W1: number[]; w2: number[]; ntk: number[]; checked: string; mismatch?: string; adapter: unknown; network: string }> {
  const { n, d, m } = shape;
  const net = new Mlp(rt, { inputDim: d, hidden: [m], outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 3 });
  const x = randn(rt, [n, d], { seed: 4, name: 'x' });
  try {
    const t = empiricalKernels(rt, net, x).ntk;
    const ntk = await t.read();
    t.dispose();
    const [xd, w1, w2] = [await x.read(), await net.layers[0].weight.read(), await net.layers[1].weight.read()];
    const rows = Array.from({ length: n }, (_, i) => i);
    const c = checkNtk(ntk, n, rows, ntkRows(xd, n, d, [w1, w2], rows, 'relu'));
    return { n, d, m, network: 'f(x) = w2·relu(W1 x/√d)/√m (ntk parameterization, no biases); ntk = J Jᵀ over W1 [m, d] and w2 [m]', x: Array.from(xd), W1: Array.from(w1), w2: Array.from(w2), ntk: Array.from(ntk), ...c, adapter: rt.ctx.adapter };
  } finally {
    net.dispose();
    x.dispose();
  }
}
