// eNTK benchmark (`npm run bench:ntk`): time and memory of the structured empirical NTK of
// two-layer and 3-hidden-layer ReLU networks, and of the explicit Jacobian contraction at the
// comparison size. Sizes the adapter cannot hold (a storage binding over its limit) are cut and
// reported as such; sizes predicted over the time budget likewise.
import type { Runtime } from '../src/gpu/runtime';
import { LimitExceededError } from '../src/gpu/errors';
import { Tensor } from '../src/gpu/tensor';
import { randn } from '../src/kernels/init';
import { Mlp } from '../src/nets/mlp';
import { empiricalKernels } from '../src/ntk/empirical';
import { jacobianContractionNtk } from '../src/ntk/jacobian';

export interface NtkBenchResult {
  method: 'structured' | 'jacobian';
  n: number;
  d: number;
  hidden: number[];
  ms: number | null;
  peakMiB: number | null;
  runs?: number;
  skipped?: string;
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

export async function benchNtk(rt: Runtime, options: { quick?: boolean; budgetMs?: number; log?: (l: string) => void } = {}): Promise<NtkBenchResult[]> {
  const log = options.log ?? (() => {});
  const budget = options.budgetMs ?? (rt.ctx.adapter.software ? 60_000 : 20_000);
  const d = 64;
  const results: NtkBenchResult[] = [];
  let lastRate: number | null = null; // structured: ms per (n²·m), to predict the next case
  const runs = 3;
  const cases: { n: number; hidden: number[] }[] = [];
  for (const n of options.quick ? [256] : [256, 1024]) for (const m of options.quick ? [1 << 14] : [1 << 14, 1 << 17, 1 << 20]) cases.push({ n, hidden: [m] });
  for (const m of options.quick ? [1 << 10] : [1 << 10, 1 << 12]) cases.push({ n: 256, hidden: [m, m, m] });
  for (const c of cases) {
    const work = c.n * c.n * c.hidden.reduce((a, b) => a + b, 0);
    if (lastRate !== null && lastRate * work > budget) {
      results.push({ method: 'structured', n: c.n, d, hidden: c.hidden, ms: null, peakMiB: null, skipped: `predicted ${((lastRate * work) / 1000).toFixed(0)} s per run, over the ${budget / 1000} s budget` });
      log(`structured n=${c.n} hidden=[${c.hidden}]: skipped (time budget)`);
      continue;
    }
    let net: Mlp | null = null;
    try {
      const x = randn(rt, [c.n, d], { seed: 7, name: 'x' });
      net = new Mlp(rt, { inputDim: d, hidden: c.hidden, outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 0 });
      const m = await timeWall(rt, () => empiricalKernels(rt, net!, x).ntk, runs);
      lastRate = m.ms / work;
      results.push({ method: 'structured', n: c.n, d, hidden: c.hidden, ms: m.ms, peakMiB: m.peak / 2 ** 20, runs });
      log(`structured n=${c.n} hidden=[${c.hidden}]: ${m.ms.toFixed(1)} ms, peak ${(m.peak / 2 ** 20).toFixed(0)} MiB`);
      if (c.n === 256 && c.hidden.length === 1 && c.hidden[0] === 1 << 14) {
        const j = await timeWall(rt, () => jacobianContractionNtk(rt, net!, x, 1024), 1);
        results.push({ method: 'jacobian', n: c.n, d, hidden: c.hidden, ms: j.ms, peakMiB: j.peak / 2 ** 20, runs: 1 });
        log(`jacobian   n=${c.n} hidden=[${c.hidden}]: ${j.ms.toFixed(1)} ms (${(j.ms / m.ms).toFixed(1)}× the structured time)`);
      }
      x.dispose();
    } catch (e) {
      if (!(e instanceof LimitExceededError)) throw e;
      results.push({ method: 'structured', n: c.n, d, hidden: c.hidden, ms: null, peakMiB: null, skipped: `cut: ${e.message}` });
      log(`structured n=${c.n} hidden=[${c.hidden}]: cut (${e.message})`);
    } finally {
      net?.dispose();
      rt.trimPool();
    }
  }
  return results;
}

export function ntkTable(results: NtkBenchResult[]): string {
  const head = ['method', 'n', 'd', 'hidden', 'median ms', 'peak MiB (live buffers)', 'note'];
  const rows = results.map((r) => [r.method, r.n, r.d, `[${r.hidden.map((h) => (Math.log2(h) % 1 === 0 ? `2^${Math.log2(h)}` : h)).join(', ')}]`, r.ms === null ? '—' : r.ms.toFixed(1), r.peakMiB === null ? '—' : r.peakMiB.toFixed(0), r.skipped ?? `${r.runs} run(s), wall time to sync`]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
