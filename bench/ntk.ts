// eNTK benchmark (`npm run bench:ntk`): time and memory of the structured empirical NTK of
// two-layer and 3-hidden-layer ReLU networks, of the explicit Jacobian contraction at the
// comparison size, and of width streaming (src/ntk/streaming.ts) on a two-layer network too wide
// to hold. Sizes the adapter cannot hold (a storage binding over its limit) are cut and reported
// as such; sizes predicted over the time budget likewise.
//
// Memory is reported twice: the peak of live GPU buffers (rt.peakLiveBytes) and the peak
// resident size of the whole process (getrusage's maxRSS: on SwiftShader GPU buffers are host
// memory, and the pool keeps freed ones). Each case runs in a fresh child process (the same
// `widenet bench-ntk`, told its one case by WIDENET_BENCH_NTK_CASE), so that an earlier case's
// peak cannot mask a later one's.
//
// Every kernel is checked against float64 before it is timed (bench/check.ts): the structured and
// the Jacobian-contraction kernels' warm-up result on 8 sampled rows of Θ (ntkRows, the explicit
// forward and backward pass of the same weights, src/check/reference.ts); the streamed kernel on all
// of Θ (n = 4), its reference streamed over the width too, from the same Philox streams
// (randomRef). The streamed case runs once (a second run at width 5·10⁷ would double the case):
// its one timed result is the one checked, and a wrong one is reported without its time.
//
// Residual case (issue 14): B = 4 and 16 blocks on a stream of width 2^12 (ReLU, ntk, no bias),
// n = 32 (--quick) or 128, checked the same way against ntkRows with the branch multiplier β = 1/√B.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../src/gpu/runtime';
import { LimitExceededError } from '../src/gpu/errors';
import { Tensor } from '../src/gpu/tensor';
import { randn } from '../src/kernels/init';
import { Mlp } from '../src/nets/mlp';
import { empiricalKernels } from '../src/ntk/empirical';
import { jacobianContractionNtk } from '../src/ntk/jacobian';
import { memoryBudget, streamingChunk } from '../src/ntk/memory';
import { streamedKernels } from '../src/ntk/streaming';
import { randomRef } from '../src/kernels/rng';
import { layerScales } from '../src/nets/parameterization';
import { weightStream, type MlpConfig } from '../src/nets/mlp';
import { ntkRows, sampleRows } from '../src/check/reference';
import { type Checked } from './check';
import { presetOf, type BenchPreset } from './kernels';
import { checkNtk } from '../src/check/compare';

export interface NtkBenchResult {
  method: 'structured' | 'jacobian' | 'streamed';
  n: number;
  d: number;
  hidden: number[];
  /** residual blocks B (residual cases only; hidden is then [m], the stream) */
  blocks?: number;
  ms: number | null;
  /** peak of live GPU buffers */
  peakMiB: number | null;
  /** peak resident size of the process that ran the case (maxRSS), and its resident size before the case */
  peakRssMiB?: number | null;
  baselineRssMiB?: number | null;
  /** streamed: hidden neurons per chunk */
  chunk?: number;
  runs?: number;
  skipped?: string;
  /** the float64 check made before timing, e.g. "max rel err 2e-6 (8 of 256 rows)" */
  checked?: string;
  /** the kernel was wrong (the worst element): not timed */
  mismatch?: string;
}

interface BenchCase {
  method: 'structured' | 'streamed';
  n: number;
  d: number;
  hidden: number[];
  /** a residual net of this many blocks, β = 1/√B (hidden = [m]) */
  blocks?: number;
}

const CASE_ENV = 'WIDENET_BENCH_NTK_CASE';
const MiB = 2 ** 20;
const rssMiB = () => (process.resourceUsage().maxRSS * 1024) / MiB;

// checkNtk (Θ against float64 rows) lives in src/check/compare.ts, shared with `widenet selftest`
export { checkNtk };

/** The streamed network's Θ in float64, over chunks of neurons: Θ = Σ_chunks (c/m)·Θ_chunk (ntkRows of a width-c net carries 1/c where the whole net has 1/m). */
export function streamedNtkRef(config: MlpConfig, x: ArrayLike<number>, n: number, d: number): Float64Array[] {
  const m = config.hidden[0];
  const [first, readout] = layerScales(config.parameterization, [d, m, 1], config.weightStd, config.biasStd);
  const rows = Array.from({ length: n }, (_, i) => i);
  const total = rows.map(() => new Float64Array(n));
  const chunk = 1 << 16;
  for (let j0 = 0; j0 < m; j0 += chunk) {
    const c = Math.min(chunk, m - j0);
    // the same streams and offsets as Mlp.initialize() (and streamedKernels)
    const w1 = randomRef('normal', { seed: config.seed, ...weightStream(0, 1) }, j0 * d, c * d, 0, first.initStd);
    const w2 = randomRef('normal', { seed: config.seed, ...weightStream(0, 2) }, j0, c, 0, readout.initStd);
    ntkRows(x, n, d, [w1, w2], rows, config.activation).forEach((r, i) => r.forEach((v, j) => (total[i][j] += (c / m) * v)));
  }
  return total;
}

/**
 * The reference check of a structured Θ: 8 sampled rows (all columns) in float64 (ntkRows), which
 * costs n·Σ_l fan_in·fan_out multiply-adds; over 2^31 of them (the GPU sizes: n = 1024, m = 2^20
 * would take a minute in JavaScript) the 16×16 block of 16 sampled examples instead: Θ(x_i, x_j)
 * depends on x_i, x_j and the weights only, so ntkRows of those 16 inputs is that block, exactly.
 */
export function ntkCheck(x: Float32Array, n: number, d: number, weights: Float32Array[], activation: string, maxWork = 2 ** 31): (got: Float32Array) => Checked {
  const work = weights.reduce((acc, w) => acc + w.length, 0);
  if (n * work <= maxWork) {
    const rows = sampleRows(n);
    const ref = ntkRows(x, n, d, weights, rows, activation);
    return (got) => checkNtk(got, n, rows, ref);
  }
  const examples = sampleRows(n, 16);
  const xs = Float32Array.from(examples.flatMap((i) => Array.from(x.subarray(i * d, (i + 1) * d))));
  const k = examples.length;
  const ref = ntkRows(xs, k, d, weights, examples.map((_, a) => a), activation);
  return (got) => {
    const block = Float32Array.from(examples.flatMap((i) => examples.map((j) => got[i * n + j])));
    const c = checkNtk(block, k, examples.map((_, a) => a), ref);
    const label = (text: string) => text.replace(/Θ\((\d+), (\d+)\)/, (_, a, b) => `Θ(${examples[+a]}, ${examples[+b]})`);
    return { checked: c.checked.replace('(full)', `(${k}×${k} block of sampled examples)`), ...(c.mismatch ? { mismatch: label(c.mismatch) } : {}) };
  };
}

/** One case in this process: the structured kernel (and the Jacobian contraction at the comparison size), or the streamed one. */
async function runCase(rt: Runtime, c: BenchCase, runs: number, log: (l: string) => void): Promise<NtkBenchResult[]> {
  const baselineRssMiB = process.memoryUsage().rss / MiB;
  const beta = c.blocks ? 1 / Math.sqrt(c.blocks) : undefined;
  const config: MlpConfig = { inputDim: c.d, hidden: c.hidden, outputDim: 1, activation: 'relu', parameterization: 'ntk' as const, weightStd: 1, biasStd: 0, seed: 0, residual: c.blocks ? { blocks: c.blocks, branchMultiplier: beta! } : null };
  const label = `n=${c.n} hidden=[${c.hidden}]${c.blocks ? ` B=${c.blocks}` : ''}`;
  const blocks = c.blocks ? { blocks: c.blocks } : {};
  const x = randn(rt, [c.n, c.d], { seed: 7, name: 'x' });
  const results: NtkBenchResult[] = [];
  if (c.method === 'streamed') {
    // the chunk `widenet ntk` would take under the default budget
    const chunk = streamingChunk(c.n, c.d, 1, c.hidden[0], memoryBudget(rt.limits, { total: totalmem(), free: freemem() }))!;
    rt.peakLiveBytes = rt.liveBytes;
    const t0 = performance.now();
    const { ntk } = await streamedKernels(rt, config, x, { chunk });
    const ms = performance.now() - t0;
    const peakRssMiB = rssMiB(); // before the reference's own allocations
    const check = checkNtk(ntk, c.n, sampleRows(c.n, c.n), streamedNtkRef(config, await x.read(), c.n, c.d));
    if (check.mismatch) {
      results.push({ method: 'streamed', n: c.n, d: c.d, hidden: c.hidden, ms: null, peakMiB: null, chunk, ...check });
      log(`streamed   n=${c.n} hidden=[${c.hidden}]: MISMATCH (${check.mismatch}), not timed`);
    } else {
      results.push({ method: 'streamed', n: c.n, d: c.d, hidden: c.hidden, ms, peakMiB: rt.peakLiveBytes / MiB, peakRssMiB, baselineRssMiB, chunk, runs: 1, ...check });
      log(`streamed   n=${c.n} hidden=[${c.hidden}] chunk ${chunk}: ${(ms / 1000).toFixed(1)} s, peak ${(rt.peakLiveBytes / MiB).toFixed(0)} MiB live, ${peakRssMiB.toFixed(0)} MiB resident [checked: ${check.checked}]`);
    }
    x.dispose();
    return results;
  }
  let net: Mlp | null = null;
  try {
    net = new Mlp(rt, config);
    // float64 rows of Θ for the same inputs and weights
    const weights: Float32Array[] = [];
    for (const layer of net.layers) weights.push(await layer.weight.read());
    // residual nets: sampled float64 rows through the skips (ntkRows with β); plain nets: ntkCheck (a sampled block at GPU sizes)
    const rows = beta === undefined ? [] : sampleRows(c.n);
    const ref = beta === undefined ? null : ntkRows(await x.read(), c.n, c.d, weights, rows, config.activation, beta);
    const check = ref === null ? ntkCheck(await x.read(), c.n, c.d, weights, config.activation) : (got: Float32Array) => checkNtk(got, c.n, rows, ref);
    const m = await timeWall(rt, () => empiricalKernels(rt, net!, x).ntk, runs, check);
    if ('mismatch' in m) {
      results.push({ method: 'structured', n: c.n, d: c.d, hidden: c.hidden, ...blocks, ms: null, peakMiB: null, ...m });
      log(`structured ${label}: MISMATCH (${m.mismatch}), not timed`);
      return results;
    }
    results.push({ method: 'structured', n: c.n, d: c.d, hidden: c.hidden, ...blocks, ms: m.ms, peakMiB: m.peak / MiB, peakRssMiB: rssMiB(), baselineRssMiB, runs, checked: m.checked });
    log(`structured ${label}: ${m.ms.toFixed(1)} ms, peak ${(m.peak / MiB).toFixed(0)} MiB live, ${rssMiB().toFixed(0)} MiB resident [checked: ${m.checked}]`);
    if (!c.blocks && c.hidden.length === 1 && ((c.n === 256 && c.hidden[0] === 1 << 14) || c.n * c.hidden[0] <= 1 << 15)) {
      const j = await timeWall(rt, () => jacobianContractionNtk(rt, net!, x, 1024), 1, check);
      if ('mismatch' in j) {
        results.push({ method: 'jacobian', n: c.n, d: c.d, hidden: c.hidden, ms: null, peakMiB: null, ...j });
        log(`jacobian   n=${c.n} hidden=[${c.hidden}]: MISMATCH (${j.mismatch}), not timed`);
      } else {
        results.push({ method: 'jacobian', n: c.n, d: c.d, hidden: c.hidden, ms: j.ms, peakMiB: j.peak / MiB, peakRssMiB: rssMiB(), baselineRssMiB, runs: 1, checked: j.checked });
        log(`jacobian   n=${c.n} hidden=[${c.hidden}]: ${j.ms.toFixed(1)} ms (${(j.ms / m.ms).toFixed(1)}× the structured time) [checked: ${j.checked}]`);
      }
    }
  } catch (e) {
    if (!(e instanceof LimitExceededError)) throw e;
    results.push({ method: 'structured', n: c.n, d: c.d, hidden: c.hidden, ...blocks, ms: null, peakMiB: null, skipped: `cut: ${e.message}` });
    log(`structured ${label}: cut (${e.message})`);
  } finally {
    net?.dispose();
    x.dispose();
  }
  return results;
}

/** One case in a fresh child process (this same command), its results read back from a JSON report. */
function runCaseIsolated(c: BenchCase): NtkBenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'widenet-bench-ntk-'));
  const report = join(dir, 'case.json');
  try {
    const r = spawnSync(process.execPath, [process.argv[1], 'bench-ntk', '--json', report], { env: { ...process.env, [CASE_ENV]: JSON.stringify(c) }, stdio: ['ignore', 'ignore', 'inherit'] });
    // a child whose kernel mismatched exits 1 after writing its report: that result is the answer
    if (r.status === 1 && existsSync(report)) {
      const results = (JSON.parse(readFileSync(report, 'utf8')) as { results: NtkBenchResult[] }).results;
      if (results.some((x) => x.mismatch)) return results;
    }
    if (r.status !== 0) throw new Error(`bench-ntk: the child process for case ${JSON.stringify(c)} ended with ${r.status ?? r.signal}`);
    return (JSON.parse(readFileSync(report, 'utf8')) as { results: NtkBenchResult[] }).results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median wall time of `runs` runs after a warm-up whose result is checked first; a wrong result is not timed. */
async function timeWall(rt: Runtime, fn: () => Tensor, runs: number, check: (got: Float32Array) => Checked): Promise<({ ms: number; peak: number } & Checked) | (Checked & { mismatch: string })> {
  const first = fn(); // warm-up (pipelines), and the result that is checked
  const checked = check(await first.read());
  first.dispose();
  if (checked.mismatch) return checked as Checked & { mismatch: string };
  await rt.sync();
  const times: number[] = [];
  let peak = 0;
  for (let i = 0; i < runs; i++) {
    rt.peakLiveBytes = rt.liveBytes;
    const t0 = performance.now();
    const out = fn();
    await rt.sync();
    times.push(performance.now() - t0);
    peak = Math.max(peak, rt.peakLiveBytes);
    out.dispose();
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], peak, ...checked };
}

/** bench-ntk's sizes per preset (d = 64 but for tiny; "gpu" = "full": the sizes of issue 16) */
const NTK_SIZES: Record<BenchPreset, { n: number[]; m: number[]; d: number; deep: number[]; deepN: number; streamed: number }> = {
  tiny: { n: [32], m: [1024], d: 16, deep: [128], deepN: 32, streamed: 1 << 14 },
  quick: { n: [256], m: [1 << 14], d: 64, deep: [1 << 10], deepN: 256, streamed: 1 << 20 },
  full: { n: [256, 1024], m: [1 << 14, 1 << 17, 1 << 20], d: 64, deep: [1 << 10, 1 << 12], deepN: 256, streamed: 50_000_000 },
  gpu: { n: [256, 1024], m: [1 << 14, 1 << 17, 1 << 20], d: 64, deep: [1 << 10, 1 << 12], deepN: 256, streamed: 50_000_000 },
};

export async function benchNtk(rt: Runtime, options: { quick?: boolean; preset?: BenchPreset; budgetMs?: number; log?: (l: string) => void; isolate?: boolean } = {}): Promise<NtkBenchResult[]> {
  const log = options.log ?? (() => {});
  const runs = 3;
  // the child of an isolated run: only its case
  const only = process.env[CASE_ENV];
  if (only) return runCase(rt, JSON.parse(only) as BenchCase, runs, log);
  const isolate = options.isolate ?? process.argv[1] !== undefined;
  const budget = options.budgetMs ?? (rt.ctx.adapter.software ? 60_000 : 20_000);
  const results: NtkBenchResult[] = [];
  let lastRate: number | null = null; // structured: ms per (n²·m), to predict the next case
  const cases: BenchCase[] = [];
  const S = NTK_SIZES[presetOf(options)];
  for (const n of S.n) for (const m of S.m) cases.push({ method: 'structured', n, d: S.d, hidden: [m] });
  for (const m of S.deep) cases.push({ method: 'structured', n: S.deepN, d: S.d, hidden: [m, m, m] });
  // the `widenet ntk` case of issue 10: two-layer ReLU, n = 4, d = 2, width 5·10^7 (2^20 when quick)
  cases.push({ method: 'streamed', n: 4, d: 2, hidden: [S.streamed] });
  // residual nets (issue 14): B = 4 and 16 blocks at width 2^12 (their cost ∝ n·B·m², not the plain cases' n²·m: always run)
  // (the tiny preset, the GPU kit's --quick run on a CPU adapter, takes them at width 2^8)
  const preset = presetOf(options);
  const [residualN, residualM] = preset === 'tiny' ? [16, 1 << 8] : preset === 'quick' ? [32, 1 << 12] : [128, 1 << 12];
  for (const B of [4, 16]) cases.push({ method: 'structured', n: residualN, d: S.d, hidden: [residualM], blocks: B });
  for (const c of cases) {
    const work = c.n * c.n * c.hidden.reduce((a, b) => a + b, 0);
    if (c.method === 'structured' && !c.blocks && lastRate !== null && lastRate * work > budget) {
      results.push({ method: 'structured', n: c.n, d: c.d, hidden: c.hidden, ms: null, peakMiB: null, skipped: `predicted ${((lastRate * work) / 1000).toFixed(0)} s per run, over the ${budget / 1000} s budget` });
      log(`structured n=${c.n} hidden=[${c.hidden}]: skipped (time budget)`);
      continue;
    }
    const done = isolate ? runCaseIsolated(c) : await runCase(rt, c, runs, log);
    if (!isolate) rt.trimPool();
    const structured = done.find((r) => r.method === 'structured' && r.ms !== null && !r.blocks);
    if (structured) lastRate = structured.ms! / work;
    results.push(...done);
  }
  return results;
}

export function ntkTable(results: NtkBenchResult[]): string {
  const head = ['method', 'n', 'd', 'hidden', 'median ms', 'peak MiB (live buffers)', 'peak RSS MiB (process)', 'checked', 'note'];
  const mib = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(0));
  const rows = results.map((r) => [
    r.method, r.n, r.d, `[${r.hidden.map((h) => (Math.log2(h) % 1 === 0 ? `2^${Math.log2(h)}` : h)).join(', ')}]${r.blocks ? `, residual B = ${r.blocks}` : ''}`, r.ms === null ? '—' : r.ms.toFixed(1), mib(r.peakMiB), mib(r.peakRssMiB), r.checked ?? '—',
    r.skipped ?? (r.mismatch ? `mismatch: ${r.mismatch}` : undefined) ?? `${r.runs} run(s), wall time to sync${r.chunk ? `; chunks of ${r.chunk}` : ''}${r.baselineRssMiB ? `; ${r.baselineRssMiB.toFixed(0)} MiB resident before the case` : ''}`,
  ]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The cases whose float64 check failed, one line each (the command exits 1 on any). */
export const ntkMismatches = (results: NtkBenchResult[]): string[] => results.filter((r) => r.mismatch).map((r) => `${r.method} n=${r.n} hidden=[${r.hidden}]${r.blocks ? ` B=${r.blocks}` : ''}: ${r.mismatch}`);
