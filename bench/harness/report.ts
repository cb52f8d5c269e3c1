// The human-readable report of a benchmark run: Markdown tables per suite, the targets with their
// measured ratios, the autotuning choice, and one SVG chart per suite (./charts.ts).
import type { BenchResult, SuiteName } from '../page/types';
import { groupedBarChart, type BarGroup } from './charts';
import type { BenchJson } from './run';

/** How a result is labelled in tables and charts: the implementation plus its variant (tfjs's two Grams). */
export const label = (r: BenchResult) => `${r.impl}${r.params.variant ? ` (${r.params.variant})` : ''}`;

const fmt = (v: number | null, digits = 2) => (v === null ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(digits));

/** The figure of merit per suite: throughput where the cost is known, else time. */
function metric(suite: SuiteName): { key: 'gflops' | 'gbps' | 'ms'; name: string } {
  if (suite === 'matmul' || suite === 'gram') return { key: 'gflops', name: 'GFLOP/s' };
  if (suite === 'activation') return { key: 'gbps', name: 'GB/s' };
  return { key: 'ms', name: 'median ms' };
}

export interface Target { name: string; needed: number; ratio: number | null; met: boolean | null; detail: string }

function find(results: BenchResult[], suite: SuiteName, impl: string, c: string): BenchResult | undefined {
  return results.find((r) => r.suite === suite && label(r) === impl && r.case === c && r.ms !== null);
}

/** The issue's targets, measured in this run (null where a case is missing from it). */
export function targets(json: BenchJson): Target[] {
  const r = json.results;
  const w = find(r, 'matmul', 'widenet', '1024x1024x1024');
  const t = find(r, 'matmul', 'tfjs', '1024x1024x1024');
  const need = json.software ? 4 : 1.5;
  const mm = w && t ? w.gflops! / t.gflops! : null;
  const ntkCase = 'n=256 d=16 hidden=[4096]';
  const wn = find(r, 'ntk', 'widenet', ntkCase);
  const jn = find(r, 'ntk', 'jax-js', ntkCase);
  const nt = wn && jn ? jn.ms! / wn.ms! : null;
  return [
    { name: `matmul 1024³: widenet GFLOP/s ≥ ${need}× tfjs-backend-webgpu (${json.software ? 'software adapter' : 'GPU'})`, needed: need, ratio: mm, met: mm === null ? null : mm >= need, detail: w && t ? `${fmt(w.gflops)} vs ${fmt(t.gflops)} GFLOP/s` : 'case not in this run' },
    { name: 'empirical NTK, two-layer ReLU, n = 256, d = 16, m = 4096: widenet ≥ 20× faster than jax-js autodiff', needed: 20, ratio: nt, met: nt === null ? null : nt >= 20, detail: wn && jn ? `${fmt(wn.ms)} ms vs ${fmt(jn.ms)} ms` : 'case not in this run' },
  ];
}

export function targetTable(json: BenchJson): string {
  const rows = targets(json).map((t) => `| ${t.name} | ${t.detail} | ${t.ratio === null ? '—' : `${t.ratio.toFixed(1)}×`} | ${t.met === null ? 'not measured' : t.met ? '**met**' : '**not met**'} |`);
  return ['| target | measured | ratio | |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function suiteTable(results: BenchResult[]): string {
  const head = '| case | implementation | median ms | min | max | GFLOP/s | GB/s | timing | checked against float64 |';
  const rows = results.map((r) => `| ${r.case} | ${label(r)} | ${fmt(r.ms)} | ${fmt(r.min)} | ${fmt(r.max)} | ${fmt(r.gflops)} | ${fmt(r.gbps)} | ${r.skipped ? `skipped: ${r.skipped}` : `${r.timing}, ${r.runs} runs`} | ${r.validation ? `${r.validation.checked}: max err ${r.validation.maxErr.toExponential(1)} ≤ ${r.validation.tol.toExponential(1)}` : '—'} |`);
  return [head, '| --- | --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

export async function suiteChart(json: BenchJson, suite: SuiteName): Promise<string | null> {
  const results = json.results.filter((r) => r.suite === suite);
  if (results.length === 0) return null;
  const m = metric(suite);
  const groups: BarGroup[] = [];
  for (const r of results) {
    let g = groups.find((x) => x.label === r.case);
    if (!g) groups.push((g = { label: r.case, bars: [] }));
    g.bars.push({ series: label(r), value: r[m.key] });
  }
  const note = json.software ? 'software adapter (SwiftShader on the CPU): not GPU numbers' : '';
  return groupedBarChart(`${suite}: ${m.name}${m.key === 'ms' ? ' (lower is better)' : ' (higher is better)'}`, m.name, groups, note);
}

export function markdownReport(json: BenchJson, charts: Record<string, string>): string {
  const a = json.adapter as Record<string, unknown>;
  const lines = [
    `# widenet benchmark, ${json.date}`,
    '',
    `Adapter: **${a.vendor} / ${a.architecture} / ${a.description}** — ${json.software ? '**software adapter** (SwiftShader, a CPU implementation of Vulkan, through headless Chromium: these numbers measure the CPU, they are **not GPU numbers**)' : 'hardware (GPU)'}.`,
    `Browser: ${json.browser.version}, mode \`${json.browser.mode}\` (${json.browser.detection}). Preset \`${json.preset}\`; the whole run took ${(json.ms / 1000).toFixed(0)} s.`,
    `Peers in the same page, on the same adapter: ${Object.entries(json.peers).map(([k, v]) => `${k} (${v})`).join('; ')}.`,
    '',
    `Timing: a warm-up run (the one checked against float64), then the median of ≥ 5 runs (min and max shown), the implementations of a case taking turns run by run so that load from other processes falls on all of them alike. \`timestamp\`: GPU timestamp queries (${json.timing.fullResolution ? 'full resolution, --enable-webgpu-developer-features' : 'as quantised by the browser'}); \`wall\`: wall time to the end of the GPU queue (jax-js has no GPU timer; the NTK and the training step span several passes). Every result was checked against a float64 CPU reference before it was timed.`,
    '',
    '## Targets',
    '',
    targetTable(json),
    '',
    '## Autotuning',
    '',
    autotuneText(json.autotune),
  ];
  for (const suite of ['matmul', 'gram', 'activation', 'ntk', 'training'] as SuiteName[]) {
    const rs = json.results.filter((r) => r.suite === suite);
    if (rs.length === 0) continue;
    lines.push('', `## ${suite}`, '', SUITE_NOTES[suite], '', suiteTable(rs));
    if (charts[suite]) lines.push('', `![${suite}](${charts[suite]})`);
  }
  return lines.join('\n') + '\n';
}

const SUITE_NOTES: Record<SuiteName, string> = {
  matmul: 'C = A·B, float32. Square sizes, then the wide shapes n×d·d×m of a first layer (case M×N×K). tfjs: `tf.matMul`; jax-js: `jit(np.matmul)`.',
  gram: 'G = A·Aᵀ for features A [n, m] (case n×m). widenet computes the upper triangle only. tfjs twice: `tf.matMul(A, A, false, true)` (transposeB, which leaves its vec4 path) and `tf.matMul(A, tf.transpose(A))`; jax-js: `jit(A ↦ A·Aᵀ)`. GFLOP/s count the n(n+1)/2 distinct dot products for every implementation.',
  activation: 'ReLU forward and derivative of n values: widenet in one fused pass (`activateWithDerivative`), tfjs `relu` + `step`, jax-js `jit(maximum, greater)`. Bandwidth counts 4 bytes read and 8 written per value.',
  ntk: 'Empirical NTK Θ (n×n) of bias-free ReLU MLPs in the ntk parameterization, one output, d = 16. widenet: the structured kernel (Grams of back-propagated signals and layer inputs); jax-js: `jit(θ ↦ J·Jᵀ)` with `J = jacrev(f)(θ)`, for the two-layer network (same weights). Wall time.',
  training: 'One full-batch GD step of a two-layer ReLU net (MSE, η = 1, n × d inputs) against width, through the library\'s `Trainer` (forward, MSE cotangent, vjp, update with its divergence watch). widenet only. Wall time; GFLOP/s count 6·n·m·(d + 1) (forward 2, backward 4 per weight and example).',
};

function autotuneText(t: BenchJson['autotune']): string {
  if (!t) return 'not run';
  const cand = (c: { config: Record<string, number>; ms: number; gramVersion?: string }[]) => c.map((x) => `${x.gramVersion ? `${x.gramVersion} ` : ''}${JSON.stringify(x.config)} ${x.ms.toFixed(2)} ms`).join('; ');
  return [
    `Source: **${t.source}** (cache: ${t.cache}; key \`${t.key}\`${t.source === 'search' ? `; search took ${(t.searchMs / 1000).toFixed(1)} s` : ''}).`,
    `- matmul ${t.matmul.version} on ${t.matmul.shape.join('×')}: chose \`${JSON.stringify(t.matmul.chosen)}\`${t.matmul.candidates.length ? ` — candidates: ${cand(t.matmul.candidates)}` : ''}`,
    `- Gram on ${t.gram.shape.join('×')}: chose ${t.gram.chosen.version ?? 'tiled'}, tiled WG = ${t.gram.chosen.wg}${t.gram.candidates.length ? ` — candidates: ${cand(t.gram.candidates)}` : ''}`,
  ].join('\n');
}
