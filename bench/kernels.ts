// Kernel benchmark in Node on whatever adapter is present (`npm run bench:kernels`).
// Each case: one run whose result is checked against the kernel's float64 reference (the *Ref
// beside its wrapper in src/kernels/; that run is also the warm-up), then the median of 5
// GPU-timed runs (timestamp queries where offered). A wrong result is not timed (bench/check.ts).
// A case whose predicted time (from the same version's last measured rate) exceeds the budget
// is recorded as skipped, with the reason, rather than left out silently.
import type { Runtime } from '../src/gpu/runtime';
import { Tensor } from '../src/gpu/tensor';
import { activateWithDerivative, broadcastProduct, broadcastProductRef, contiguousStrides, elementwiseCost, elementwiseRef } from '../src/kernels/elementwise';
import { lossCotangent, lossCotangentCost, lossCotangentRef } from '../src/kernels/loss';
import { divergenceStatus, sgdUpdate, sgdUpdateCost, sgdUpdateRef } from '../src/kernels/optim';
import { normalizeBatches, reduceBatches, reduceCost, reduceRef, reduceVersionsFor } from '../src/kernels/reduce';
import { GRAM_VERSIONS, gram, gramCost, gramRef } from '../src/kernels/gram';
import { randn } from '../src/kernels/init';
import { MATMUL_F16_VERSIONS, MATMUL_VERSIONS, matmul, matmulCost, matmulRef, type MatmulVersion } from '../src/kernels/matmul';
import { hasFeature } from '../src/kernels/features';
import type { Cost } from '../src/kernels/common';
import { ACTIVATION_TOLERANCE, f16ProductBound, tolerance } from '../src/check/tolerance';
import { matmulEntriesRef, sampleEntries } from '../src/check/reference';
import { combine, compare, rms, type Checked } from './check';
import type { BenchSizePreset } from '../src/cli/bench-options';

export interface KernelBenchResult {
  kernel: string;
  version: string;
  shape: number[];
  ms: number | null;
  min?: number;
  max?: number;
  runs?: number;
  gflops: number | null;
  gbps: number | null;
  timing?: 'timestamp' | 'wall';
  skipped?: string;
  /** the float64 check made before timing, e.g. "max rel err 3e-7 (full)" */
  checked?: string;
  /** the result was wrong (the worst element): not timed */
  mismatch?: string;
}

/** The size preset of a run (src/cli/bench-options.ts lists them; `--quick` is "quick", the default "full"). */
export type BenchPreset = BenchSizePreset;
export const presetOf = (o: { quick?: boolean; preset?: BenchPreset }): BenchPreset => o.preset ?? (o.quick ? 'quick' : 'full');

/** bench-kernels' sizes per preset */
const KERNEL_SIZES: Record<BenchPreset, { squares: number[]; longK: number; wide: [number, number, number][]; forward: [number, number, number]; gram: [number, number][]; count: number; broadcastN: number; lossN: number }> = {
  tiny: { squares: [64, 128], longK: 1024, wide: [[64, 1024, 16]], forward: [64, 256, 16], gram: [[64, 512]], count: 1 << 14, broadcastN: 32, lossN: 256 },
  quick: { squares: [256, 512, 1024], longK: 1 << 16, wide: [[1024, 16384, 64]], forward: [256, 4096, 64], gram: [[256, 4096]], count: 1 << 22, broadcastN: 256, lossN: 4096 },
  full: { squares: [256, 512, 1024, 2048], longK: 1 << 20, wide: [[1024, 65536, 64]], forward: [1024, 16384, 64], gram: [[256, 16384], [1024, 4096]], count: 1 << 24, broadcastN: 1024, lossN: 65536 },
  gpu: { squares: [1024, 2048, 4096, 8192], longK: 1 << 20, wide: [[1024, 65536, 64], [1024, 1 << 18, 64]], forward: [1024, 1 << 18, 64], gram: [[1024, 65536], [1024, 1 << 18]], count: 1 << 26, broadcastN: 1024, lossN: 1 << 18 },
};

export interface KernelBenchOptions {
  quick?: boolean;
  preset?: BenchPreset;
  /** skip a case predicted to take longer than this per run (ms) */
  budgetMs?: number;
  log?: (line: string) => void;
}

/**
 * The largest float64 reference computed whole (multiply-adds; about a second on the CPU).
 * Bigger products are checked on 256 sampled entries (i, j), each exact float64 (matmulEntriesRef).
 */
const FULL_REFERENCE_MACS = 2 ** 28;

/** Reads what the check needs before the run (in-place kernels change their inputs), then returns the check of the run's output. */
type Check = () => Promise<() => Promise<Checked>>;

type Measured = { ms: number; min: number; max: number; source: 'timestamp' | 'wall' } & Checked;

export async function measure(rt: Runtime, record: () => void, runs: number, check: Check): Promise<Measured> {
  // one run, checked against float64; it is also the warm-up (compiles the pipeline, touches the buffers)
  const verify = await check();
  await rt.time(record);
  const checked = await verify();
  if (checked.mismatch) return { ms: NaN, min: NaN, max: NaN, source: 'wall', ...checked };
  const times: number[] = [];
  let source: 'timestamp' | 'wall' = 'wall';
  for (let i = 0; i < runs; i++) {
    const t = await rt.time(record);
    times.push(t.ms);
    source = t.source;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], source, ...checked };
}

function result(kernel: string, version: string, shape: number[], cost: Cost, m: Measured, runs: number): KernelBenchResult {
  if (m.mismatch) return { kernel, version, shape, ms: null, gflops: null, gbps: null, checked: m.checked, mismatch: m.mismatch };
  return { kernel, version, shape, ms: m.ms, min: m.min, max: m.max, runs, gflops: cost.flops / m.ms / 1e6, gbps: cost.bytes / m.ms / 1e6, timing: m.source, checked: m.checked };
}

/** What a case's log line says: its speed, or its mismatch. */
const logged = (r: KernelBenchResult, speed: () => string): string => (r.mismatch ? `MISMATCH (${r.mismatch}), not timed` : `${speed()} [checked: ${r.checked}]`);

/**
 * C = A·op(B) (A [M, K], B [K, N], or [N, K] when transB) against matmulRef: whole when it is
 * cheap, else on 256 sampled entries. Tolerance: tolerance(K, scale) with the entries' RMS as scale.
 */
export function checkProduct(a: Tensor, b: Tensor, c: Tensor, M: number, N: number, K: number, transB = false): Check {
  return async () => {
    const [ad, bd] = [await a.read(), await b.read()];
    return async () => {
      const got = await c.read();
      if (M * N * K <= FULL_REFERENCE_MACS) {
        const ref = matmulRef(ad, bd, { m: M, n: N, k: K, batch: 1, transA: false, transB, aBatchStride: 0, bBatchStride: 0 });
        return compare(got, ref, tolerance(K, rms(ref)), 'full', (e) => `C(${Math.floor(e / N)}, ${e % N})`);
      }
      const entries = sampleEntries(M, N);
      const ref = matmulEntriesRef(ad, bd, N, K, entries, transB).value;
      return compare(entries.map(([i, j]) => got[i * N + j]), ref, tolerance(K, rms(ref)), entries.length, (e) => `C(${entries[e][0]}, ${entries[e][1]})`);
    };
  };
}

/**
 * The f16 path's check: C = A·B on 256 sampled entries against the exact float64 product of the
 * unrounded operands, within f16ProductBound (u = 2⁻¹¹ per operand, plus f32 accumulation), the
 * largest bound of the sampled entries as atol.
 */
export function checkProductF16(a: Tensor, b: Tensor, c: Tensor, M: number, N: number, K: number): Check {
  return async () => {
    const [ad, bd] = [await a.read(), await b.read()];
    return async () => {
      const got = await c.read();
      const entries = sampleEntries(M, N);
      const ref = matmulEntriesRef(ad, bd, N, K, entries);
      let atol = 0;
      entries.forEach(([i, j], e) => {
        let operands = 0; // Σ_q (|a_iq| + |b_qj|)
        for (let q = 0; q < K; q++) operands += Math.abs(ad[i * K + q]) + Math.abs(bd[q * N + j]);
        atol = Math.max(atol, f16ProductBound(K, ref.sumAbs[e], operands));
      });
      return compare(entries.map(([i, j]) => got[i * N + j]), ref.value, { atol, rtol: 0 }, entries.length, (e) => `C(${entries[e][0]}, ${entries[e][1]})`);
    };
  };
}

export async function benchKernels(rt: Runtime, options: KernelBenchOptions = {}): Promise<KernelBenchResult[]> {
  const log = options.log ?? (() => {});
  const budget = options.budgetMs ?? (rt.ctx.adapter.software ? 20_000 : 10_000);
  const runs = 5;
  const results: KernelBenchResult[] = [];
  const S = KERNEL_SIZES[presetOf(options)];
  const rate = new Map<string, number>(); // last GFLOP/s per version, to predict the next size's time

  const matmulCase = async (version: MatmulVersion, m: number, n: number, k: number) => {
    const cost = matmulCost({ m, n, k, batch: 1 });
    const known = rate.get(version);
    if (known && cost.flops / known / 1e6 > budget) {
      results.push({ kernel: 'matmul', version, shape: [m, n, k, 1], ms: null, gflops: null, gbps: null, skipped: `predicted ${(cost.flops / known / 1e9).toFixed(0)} s per run at ${known.toFixed(2)} GFLOP/s, over the ${budget / 1000} s budget` });
      log(`matmul ${version} ${m}x${n}x${k}: skipped (over budget)`);
      return;
    }
    const a = randn(rt, [m, k], { seed: 1, name: 'A' });
    const b = randn(rt, [k, n], { seed: 2, name: 'B' });
    const c = Tensor.empty(rt, [m, n], 'C');
    const r = result('matmul', version, [m, n, k, 1], cost, await measure(rt, () => matmul(rt, a, b, { version, out: c }), runs, checkProduct(a, b, c, m, n, k)), runs);
    if (r.gflops !== null) rate.set(version, r.gflops);
    results.push(r);
    log(`matmul ${version} ${m}x${n}x${k}: ${logged(r, () => `${r.ms!.toFixed(2)} ms, ${r.gflops!.toFixed(2)} GFLOP/s`)}`);
    [a, b, c].forEach((t) => t.dispose());
  };

  const sizes = S.squares;
  for (const size of sizes) for (const version of MATMUL_VERSIONS) {
    if (version === 'v4_splitk') continue; // one workgroup per output: benchmarked on its own shape below
    await matmulCase(version, size, size, size);
  }
  // the optional f16 path (operands rounded to f16 in workgroup memory, f32 accumulation), where the device has shader-f16
  for (const version of MATMUL_F16_VERSIONS) {
    const label = `${version} f16`;
    if (!hasFeature(rt, 'shader-f16')) {
      results.push({ kernel: 'matmul', version: label, shape: [sizes[sizes.length - 1], sizes[sizes.length - 1], sizes[sizes.length - 1], 1], ms: null, gflops: null, gbps: null, skipped: "the device has no 'shader-f16'" });
      log(`matmul ${label}: skipped (no shader-f16)`);
      continue;
    }
    for (const size of sizes) {
      const cost = matmulCost({ m: size, n: size, k: size, batch: 1 });
      const a = randn(rt, [size, size], { seed: 1, name: 'A' });
      const b = randn(rt, [size, size], { seed: 2, name: 'B' });
      const c = Tensor.empty(rt, [size, size], 'C');
      const r = result('matmul', label, [size, size, size, 1], cost, await measure(rt, () => matmul(rt, a, b, { version, precision: 'f16', out: c }), runs, checkProductF16(a, b, c, size, size, size)), runs);
      results.push(r);
      log(`matmul ${label} ${size}³: ${logged(r, () => `${r.ms!.toFixed(2)} ms, ${r.gflops!.toFixed(2)} GFLOP/s`)}`);
      [a, b, c].forEach((t) => t.dispose());
    }
  }
  // small output, long reduction (K ≫ M·N): the split-K version's shape
  const longK = S.longK;
  for (const version of MATMUL_VERSIONS) await matmulCase(version, 16, 16, longK);
  // the wide shape of this project: inputs [n, d] times first-layer weights [d, m]
  for (const wide of S.wide) for (const version of ['v1_naive', 'v2_regtile', 'v3_smem', 'v5_bigtile'] as const) await matmulCase(version, wide[0], wide[1], wide[2]);

  // a layer's forward pass x·Wᵀ: A [n, d], B = W [m, d] transposed (v2's vec4 'nt' path)
  {
    const [n, m, d] = S.forward;
    const x = randn(rt, [n, d], { seed: 5, name: 'x' });
    const w = randn(rt, [m, d], { seed: 6, name: 'W' });
    const h = Tensor.empty(rt, [n, m], 'h');
    const r = result('matmul', 'v2_regtile (A·Bᵀ)', [n, m, d, 1], matmulCost({ m: n, n: m, k: d, batch: 1 }), await measure(rt, () => matmul(rt, x, w, { transB: true, version: 'v2_regtile', out: h }), runs, checkProduct(x, w, h, n, m, d, true)), runs);
    results.push(r);
    log(`matmul v2_regtile x·Wᵀ ${n}x${m}x${d}: ${logged(r, () => `${r.ms!.toFixed(2)} ms, ${r.gflops!.toFixed(2)} GFLOP/s`)}`);
    [x, w, h].forEach((t) => t.dispose());
  }

  // Gram of a layer's features: A [n, m], G = A·Aᵀ, every version (the GPU kit compares tiled and bigtile)
  for (const [n, m] of S.gram) for (const version of GRAM_VERSIONS) {
    const cost = gramCost(n, n, m, 1, true);
    // predicted from this version's last Gram, else from the matmul version it resembles (bigtile is v5's Gram mode)
    const known = rate.get(`gram ${version}`) ?? rate.get(version === 'bigtile' ? 'v5_bigtile' : 'v2_regtile');
    if (known && cost.flops / known / 1e6 > budget) {
      results.push({ kernel: 'gram', version, shape: [n, n, m, 1], ms: null, gflops: null, gbps: null, skipped: `predicted ${(cost.flops / known / 1e9).toFixed(0)} s per run at ${known.toFixed(2)} GFLOP/s, over the ${budget / 1000} s budget` });
      log(`gram ${version} ${n}x${m}: skipped (over budget)`);
      continue;
    }
    const a = randn(rt, [n, m], { seed: 3, name: 'features' });
    let g: Tensor | null = null; // the last run's output (gram allocates it)
    const check: Check = async () => {
      const ad = await a.read();
      return async () => {
        const got = await g!.read();
        if (n * n * m <= FULL_REFERENCE_MACS) {
          const ref = gramRef(ad, ad, n, n, m);
          return compare(got, ref, tolerance(m, rms(ref)), 'full', (e) => `G(${Math.floor(e / n)}, ${e % n})`);
        }
        const entries = sampleEntries(n, n);
        const ref = matmulEntriesRef(ad, ad, n, m, entries, true).value; // G = A·Aᵀ
        return compare(entries.map(([i, j]) => got[i * n + j]), ref, tolerance(m, rms(ref)), entries.length, (e) => `G(${entries[e][0]}, ${entries[e][1]})`);
      };
    };
    const r = result('gram', version, [n, n, m, 1], cost, await measure(rt, () => { g?.dispose(); g = gram(rt, a, undefined, { version }); }, runs, check), runs);
    if (r.gflops !== null) rate.set(`gram ${version}`, r.gflops);
    results.push(r);
    log(`gram ${version} ${n}x${m}: ${logged(r, () => `${r.ms!.toFixed(2)} ms, ${r.gflops!.toFixed(2)} GFLOP/s`)}`);
    [a, g as Tensor | null].forEach((t) => t?.dispose());
  }

  // activation forward + derivative in one pass, as bandwidth
  const count = S.count;
  const h = randn(rt, [count], { seed: 4, name: 'h' });
  const act = Tensor.empty(rt, [count]);
  const dact = Tensor.empty(rt, [count]);
  for (const name of ['relu', 'gelu']) {
    const check: Check = async () => {
      const hd = await h.read();
      return async () => combine({
        'φ': compare(await act.read(), elementwiseRef.activate(hd, name, 0), ACTIVATION_TOLERANCE, 'full'),
        "φ'": compare(await dact.read(), elementwiseRef.activate(hd, name, 1), ACTIVATION_TOLERANCE, 'full'),
      });
    };
    const r = result('activation', `fused_${name}`, [count], elementwiseCost.activate(count, true), await measure(rt, () => activateWithDerivative(rt, h, name, { act, dact }), runs, check), runs);
    results.push(r);
    log(`activation ${name} φ+φ' ${count}: ${logged(r, () => `${r.ms!.toFixed(2)} ms, ${r.gbps!.toFixed(2)} GB/s`)}`);
  }
  // the broadcast product of the NTK: Θ += G_δ ⊙ (G_x + γ) over [k, n, k, n] with G_x broadcast
  {
    const [k, n] = [4, S.broadcastN];
    const shape = [k, n, k, n];
    const gd = randn(rt, [k * n * k * n], { seed: 8, name: 'G_delta' });
    const gx = randn(rt, [n * n], { seed: 9, name: 'G_x' });
    const theta = Tensor.zeros(rt, [k * n * k * n], 'theta');
    const count = k * n * k * n;
    const cost = { flops: 3 * count, bytes: 4 * 3 * count };
    // Θ accumulates (β = 1) over the runs: the check is of the first, from Θ = 0
    const check: Check = async () => {
      const [gdd, gxd, z] = [await gd.read(), await gx.read(), await theta.read()];
      return async () => {
        const ref = broadcastProductRef(shape, gdd, contiguousStrides(shape), gxd, [0, n, 0, 1], { gamma: 0.5, beta: 1, z });
        return compare(await theta.read(), ref, tolerance(3, rms(ref)), 'full');
      };
    };
    const r = result('broadcast', 'broadcast', shape, cost, await measure(rt, () => broadcastProduct(rt, shape, { tensor: gd, strides: contiguousStrides(shape) }, { tensor: gx, strides: [0, n, 0, 1] }, { gamma: 0.5, beta: 1, out: theta }), runs, check), runs);
    results.push(r);
    log(`broadcast ${shape.join('x')}: ${logged(r, () => `${r.ms!.toFixed(2)} ms, ${r.gbps!.toFixed(2)} GB/s`)}`);
    [gd, gx, theta].forEach((t) => t.dispose());
  }
  // training kernels: the momentum update of a weight tensor, per-member reductions and
  // normalisation (observables), the loss cotangent of the outputs
  {
    const theta = randn(rt, [count], { seed: 5, name: 'theta' });
    const velocity = Tensor.zeros(rt, [count], 'velocity');
    const status = divergenceStatus(rt, 1);
    // θ and v are updated in place: the check is of the first run, from what they held before it
    const checkUpdate: Check = async () => {
      const [t0, g, v0] = [await theta.read(), await h.read(), await velocity.read()];
      return async () => {
        const ref = sgdUpdateRef(t0, g, v0, 1e-6, 0.9);
        return combine({ 'θ': compare(await theta.read(), ref.theta, tolerance(2, rms(ref.theta)), 'full'), v: compare(await velocity.read(), ref.velocity, tolerance(2, rms(ref.velocity)), 'full') });
      };
    };
    const r = result('optim', 'update (momentum)', [count], sgdUpdateCost(count, true), await measure(rt, () => sgdUpdate(rt, theta, h, { lr: 1e-6, momentum: 0.9, velocity, status, slot: 0, step: 1 }), runs, checkUpdate), runs);
    results.push(r);
    log(`optim update ${count}: ${logged(r, () => `${r.ms!.toFixed(2)} ms, ${r.gbps!.toFixed(2)} GB/s`)}`);
    const E = 8;
    const inner = count / E;
    const sums = Tensor.empty(rt, [E]);
    // a sum of `inner` terms: tolerance(inner, the mean term)
    const checkReduce: Check = async () => {
      const [xd, yd] = [await theta.read(), await h.read()];
      return async () => {
        const ref = reduceRef.batches('absDiff', xd, E, yd);
        return compare(await sums.read(), ref, tolerance(inner, rms(ref) / inner), 'full');
      };
    };
    // every version this device can run (tree; tree_subgroup where it has subgroups)
    for (const version of reduceVersionsFor(rt)) {
      const reduced = result('reduce', `${version} (absDiff per member)`, [E, inner], reduceCost(count, 2), await measure(rt, () => reduceBatches(rt, 'absDiff', theta, E, h, sums, { version }), runs, checkReduce), runs);
      results.push(reduced);
      log(`reduce ${version} |x − y| ${E}×${inner}: ${logged(reduced, () => `${reduced.ms!.toFixed(2)} ms, ${reduced.gbps!.toFixed(2)} GB/s`)}`);
    }
    // normalises θ in place: the norms ‖x_e‖ and the vectors x_e/‖x_e‖ of the first run
    const checkNormalize: Check = async () => {
      const xd = await theta.read();
      return async () => {
        const norms = Float64Array.from(reduceRef.batches('sumSquares', xd, E), Math.sqrt);
        const vectors = Float64Array.from(xd, (v, i) => v / norms[Math.floor(i / inner)]);
        return combine({ norms: compare(await sums.read(), norms, tolerance(inner, rms(norms)), 'full'), vectors: compare(await theta.read(), vectors, tolerance(inner, rms(vectors)), 'full') });
      };
    };
    const normalized = result('reduce', 'normalize', [E, inner], { flops: 3 * count, bytes: 4 * 3 * count }, await measure(rt, () => normalizeBatches(rt, theta, E, sums), runs, checkNormalize), runs);
    results.push(normalized);
    log(`normalize ${E}×${inner}: ${logged(normalized, () => `${normalized.ms!.toFixed(2)} ms, ${normalized.gbps!.toFixed(2)} GB/s`)}`);
    [theta, velocity, status, sums].forEach((t) => t.dispose());
  }
  for (const [loss, k] of [['mse', 1], ['softmax', 10]] as const) {
    const [E, n] = [16, S.lossN];
    const f = randn(rt, [E, n, k], { seed: 6, name: 'f' });
    const y = randn(rt, [n, k], { seed: 7, name: 'y' });
    const out = Tensor.empty(rt, [E, n, k], 'r');
    const check: Check = async () => {
      const [fd, yd] = [await f.read(), await y.read()];
      return async () => {
        const ref = lossCotangentRef(loss, fd, yd, n, k);
        return compare(await out.read(), ref, tolerance(k, rms(ref)), 'full');
      };
    };
    const r = result('loss', `cotangent ${loss}`, [E, n, k], lossCotangentCost(E * n, k), await measure(rt, () => lossCotangent(rt, loss, f, y, { out }), runs, check), runs);
    results.push(r);
    log(`loss cotangent ${loss} ${E}×${n}×${k}: ${logged(r, () => `${r.ms!.toFixed(2)} ms, ${r.gbps!.toFixed(2)} GB/s`)}`);
    [f, y, out].forEach((t) => t.dispose());
  }
  [h, act, dact].forEach((t) => t.dispose());
  return results;
}

export function kernelTable(results: KernelBenchResult[]): string {
  const rows = results.map((r) => [r.kernel, r.version, r.shape.join('×'), r.ms === null ? '—' : r.ms.toFixed(2), r.gflops === null ? '—' : r.gflops.toFixed(2), r.gbps === null ? '—' : r.gbps.toFixed(2), r.checked ?? '—', r.skipped ? `skipped: ${r.skipped}` : r.mismatch ? `mismatch: ${r.mismatch}` : `${r.runs} runs, ${r.timing}`]);
  const head = ['kernel', 'version', 'shape (M×N×K×batch)', 'median ms', 'GFLOP/s', 'GB/s', 'checked', 'note'];
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The cases whose float64 check failed, one line each (the command exits 1 on any). */
export const kernelMismatches = (results: KernelBenchResult[]): string[] => results.filter((r) => r.mismatch).map((r) => `${r.kernel} ${r.version} ${r.shape.join('×')}: ${r.mismatch}`);
