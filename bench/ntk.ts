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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

export interface NtkBenchResult {
  method: 'structured' | 'jacobian' | 'streamed';
  n: number;
  d: number;
  hidden: number[];
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
}

interface BenchCase {
  method: 'structured' | 'streamed';
  n: number;
  d: number;
  hidden: number[];
}

const CASE_ENV = 'WIDENET_BENCH_NTK_CASE';
const MiB = 2 ** 20;
const rssMiB = () => (process.resourceUsage().maxRSS * 1024) / MiB;

/** One case in this process: the structured kernel (and the Jacobian contraction at the comparison size), or the streamed one. */
async function runCase(rt: Runtime, c: BenchCase, runs: number, log: (l: string) => void): Promise<NtkBenchResult[]> {
  const baselineRssMiB = process.memoryUsage().rss / MiB;
  const config = { inputDim: c.d, hidden: c.hidden, outputDim: 1, activation: 'relu', parameterization: 'ntk' as const, weightStd: 1, biasStd: 0, seed: 0 };
  const x = randn(rt, [c.n, c.d], { seed: 7, name: 'x' });
  const results: NtkBenchResult[] = [];
  if (c.method === 'streamed') {
    // the chunk `widenet ntk` would take under the default budget
    const chunk = streamingChunk(c.n, c.d, 1, c.hidden[0], memoryBudget(rt.limits, { total: totalmem(), free: freemem() }))!;
    rt.peakLiveBytes = rt.liveBytes;
    const t0 = performance.now();
    await streamedKernels(rt, config, x, { chunk });
    const ms = performance.now() - t0;
    results.push({ method: 'streamed', n: c.n, d: c.d, hidden: c.hidden, ms, peakMiB: rt.peakLiveBytes / MiB, peakRssMiB: rssMiB(), baselineRssMiB, chunk, runs: 1 });
    log(`streamed   n=${c.n} hidden=[${c.hidden}] chunk ${chunk}: ${(ms / 1000).toFixed(1)} s, peak ${(rt.peakLiveBytes / MiB).toFixed(0)} MiB live, ${rssMiB().toFixed(0)} MiB resident`);
    x.dispose();
    return results;
  }
  let net: Mlp | null = null;
  try {
    net = new Mlp(rt, config);
    const m = await timeWall(rt, () => empiricalKernels(rt, net!, x).ntk, runs);
    results.push({ method: 'structured', n: c.n, d: c.d, hidden: c.hidden, ms: m.ms, peakMiB: m.peak / MiB, peakRssMiB: rssMiB(), baselineRssMiB, runs });
    log(`structured n=${c.n} hidden=[${c.hidden}]: ${m.ms.toFixed(1)} ms, peak ${(m.peak / MiB).toFixed(0)} MiB live, ${rssMiB().toFixed(0)} MiB resident`);
    if (c.n === 256 && c.hidden.length === 1 && c.hidden[0] === 1 << 14) {
      const j = await timeWall(rt, () => jacobianContractionNtk(rt, net!, x, 1024), 1);
      results.push({ method: 'jacobian', n: c.n, d: c.d, hidden: c.hidden, ms: j.ms, peakMiB: j.peak / MiB, peakRssMiB: rssMiB(), baselineRssMiB, runs: 1 });
      log(`jacobian   n=${c.n} hidden=[${c.hidden}]: ${j.ms.toFixed(1)} ms (${(j.ms / m.ms).toFixed(1)}× the structured time)`);
    }
  } catch (e) {
    if (!(e instanceof LimitExceededError)) throw e;
    results.push({ method: 'structured', n: c.n, d: c.d, hidden: c.hidden, ms: null, peakMiB: null, skipped: `cut: ${e.message}` });
    log(`structured n=${c.n} hidden=[${c.hidden}]: cut (${e.message})`);
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
    if (r.status !== 0) throw new Error(`bench-ntk: the child process for case ${JSON.stringify(c)} ended with ${r.status ?? r.signal}`);
    return (JSON.parse(readFileSync(report, 'utf8')) as { results: NtkBenchResult[] }).results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeWall(rt: Runtime, fn: () => Tensor, runs: number): Promise<{ ms: number; peak: number }> {
  fn().dispose(); // warm-up: pipelines
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
  return { ms: times[Math.floor(times.length / 2)], peak };
}

export async function benchNtk(rt: Runtime, options: { quick?: boolean; budgetMs?: number; log?: (l: string) => void; isolate?: boolean } = {}): Promise<NtkBenchResult[]> {
  const log = options.log ?? (() => {});
  const runs = 3;
  // the child of an isolated run: only its case
  const only = process.env[CASE_ENV];
  if (only) return runCase(rt, JSON.parse(only) as BenchCase, runs, log);
  const isolate = options.isolate ?? process.argv[1] !== undefined;
  const budget = options.budgetMs ?? (rt.ctx.adapter.software ? 60_000 : 20_000);
  const d = 64;
  const results: NtkBenchResult[] = [];
  let lastRate: number | null = null; // structured: ms per (n²·m), to predict the next case
  const cases: BenchCase[] = [];
  for (const n of options.quick ? [256] : [256, 1024]) for (const m of options.quick ? [1 << 14] : [1 << 14, 1 << 17, 1 << 20]) cases.push({ method: 'structured', n, d, hidden: [m] });
  for (const m of options.quick ? [1 << 10] : [1 << 10, 1 << 12]) cases.push({ method: 'structured', n: 256, d, hidden: [m, m, m] });
  // the `widenet ntk` case of issue 10: two-layer ReLU, n = 4, d = 2, width 5·10^7 (2^20 when quick)
  cases.push({ method: 'streamed', n: 4, d: 2, hidden: [options.quick ? 1 << 20 : 50_000_000] });
  for (const c of cases) {
    const work = c.n * c.n * c.hidden.reduce((a, b) => a + b, 0);
    if (c.method === 'structured' && lastRate !== null && lastRate * work > budget) {
      results.push({ method: 'structured', n: c.n, d: c.d, hidden: c.hidden, ms: null, peakMiB: null, skipped: `predicted ${((lastRate * work) / 1000).toFixed(0)} s per run, over the ${budget / 1000} s budget` });
      log(`structured n=${c.n} hidden=[${c.hidden}]: skipped (time budget)`);
      continue;
    }
    const done = isolate ? runCaseIsolated(c) : await runCase(rt, c, runs, log);
    if (!isolate) rt.trimPool();
    const structured = done.find((r) => r.method === 'structured' && r.ms !== null);
    if (structured) lastRate = structured.ms! / work;
    results.push(...done);
  }
  return results;
}

export function ntkTable(results: NtkBenchResult[]): string {
  const head = ['method', 'n', 'd', 'hidden', 'median ms', 'peak MiB (live buffers)', 'peak RSS MiB (process)', 'note'];
  const mib = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(0));
  const rows = results.map((r) => [
    r.method, r.n, r.d, `[${r.hidden.map((h) => (Math.log2(h) % 1 === 0 ? `2^${Math.log2(h)}` : h)).join(', ')}]`, r.ms === null ? '—' : r.ms.toFixed(1), mib(r.peakMiB), mib(r.peakRssMiB),
    r.skipped ?? `${r.runs} run(s), wall time to sync${r.chunk ? `; chunks of ${r.chunk}` : ''}${r.baselineRssMiB ? `; ${r.baselineRssMiB.toFixed(0)} MiB resident before the case` : ''}`,
  ]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
