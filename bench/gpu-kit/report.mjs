// The GPU kit's side-by-side report (run by run.sh with the kit's Node): reads the stage reports in
// OUT (info.json, selftest.json, bench-*.json, peer-*.json, stages.jsonl, nvidia-smi.csv) and writes
// OUT/summary.json and OUT/summary.md: the adapter, driver and date; every stage's status; widenet
// and the same-machine peers side by side (matmul, empirical NTK, training steps) with issue 16's
// targets; and the peers' agreement with widenet's eNTK on the shared case.
//   node report.mjs OUT [quick|gpu] [stop reason]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [out, preset = 'gpu', stopped] = process.argv.slice(2);
const read = (name) => {
  const path = join(out, name);
  if (!existsSync(path)) return null;
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch { return null; }
};
const stages = existsSync(join(out, 'stages.jsonl')) ? readFileSync(join(out, 'stages.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const info = read('info.json');
const selftest = read('selftest.json');
const kernels = read('bench-kernels.json');
const ntk = read('bench-ntk.json');
const train = read('bench-train.json');
const peers = ['peer-numpy.json', 'peer-torch.json', 'peer-jax.json'].map(read).filter(Boolean);
const smi = existsSync(join(out, 'nvidia-smi.csv')) ? readFileSync(join(out, 'nvidia-smi.csv'), 'utf8').trim() : null;
const f = (v, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '—' : Number(v).toFixed(digits));
const table = (head, rows) => [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const peerResults = (kind) => peers.flatMap((p) => (p.results ?? []).filter((r) => r.kind === kind).map((r) => ({ ...r, peer: p.peer })));
const pow2 = (v) => (Math.log2(v) % 1 === 0 && v >= 1024 ? `2^${Math.log2(v)}` : String(v));

const summary = { date: new Date().toISOString(), preset, stopped: stopped ?? null, adapter: info, nvidiaSmi: smi, stages, targets: {} };
const md = [];
md.push(`# widenet GPU kit report (${preset === 'quick' ? 'quick: tiny sizes' : 'full sizes'})`, '');
md.push(`- date: ${summary.date}`);
if (info) md.push(`- adapter: ${info.vendor} ${info.architecture} — ${info.description} (${info.software ? '**software**: not GPU numbers' : 'hardware'}), driver file ${info.driver ?? 'default search'}`);
else md.push('- adapter: none (widenet info failed; see info.log)');
if (smi) md.push(`- nvidia-smi: ${smi.split('\n').slice(1).join('; ')}`);
if (info?.dawnToggles) md.push(`- Dawn toggles: enabled [${info.dawnToggles.enabled.join(', ')}], disabled [${info.dawnToggles.disabled.join(', ')}] — the GPU times of bench-kernels and bench-train are timestamp queries at full resolution; bench-ntk and the steps/s are wall time`);
if (stopped) md.push('', `**Stopped:** ${stopped}`);
md.push('', '## Stages', '', table(['stage', 'status', 'exit', 'seconds', 'budget'], stages.map((s) => [s.stage, s.status, s.exitCode ?? '—', s.seconds, s.budget ?? '—'])));

if (selftest) {
  md.push('', '## selftest (every kernel version and the structured eNTK against float64)', '');
  md.push(`${selftest.passed ? 'passed' : '**FAILED**'}: ${selftest.cases} cases (${selftest.preset} sizes), ${selftest.mismatches.length} mismatch(es), ${f(selftest.seconds, 1)} s`);
  for (const m of selftest.mismatches) md.push(`- ${m}`);
  summary.selftest = { passed: selftest.passed, cases: selftest.cases, mismatches: selftest.mismatches };
}

// ---- matmul: widenet's versions against cuBLAS (torch.matmul) at the same n³
{
  const wn = (kernels?.results ?? []).filter((r) => r.kernel === 'matmul' && r.shape[0] === r.shape[1] && r.shape[1] === r.shape[2]);
  const torch = peerResults('matmul');
  const sizes = [...new Set([...wn.map((r) => r.shape[0]), ...torch.map((r) => r.shape[0])])].sort((a, b) => a - b);
  const versions = [...new Set(wn.map((r) => r.version))];
  const gf = (r) => (r && r.gflops !== null && r.gflops !== undefined ? r.gflops / 1000 : null);
  const rows = sizes.map((n) => {
    const best = Math.max(0, ...wn.filter((r) => r.shape[0] === n).map((r) => gf(r) ?? 0)) || null;
    const off = torch.find((r) => r.shape[0] === n && /TF32 off/.test(r.impl));
    const on = torch.find((r) => r.shape[0] === n && /TF32 on/.test(r.impl));
    return [`${n}³`, ...versions.map((v) => f(gf(wn.find((r) => r.shape[0] === n && r.version === v)), 3)), f(best, 3), f(off?.tflops, 3), f(on?.tflops, 3), off?.tflops && best ? f(best / off.tflops) : '—'];
  });
  md.push('', '## fp32 matmul, TFLOP/s (widenet bench-kernels; PyTorch torch.matmul = cuBLAS)', '');
  md.push(rows.length ? table(['n³', ...versions.map((v) => `widenet ${v}`), 'widenet best', 'torch fp32 (TF32 off)', 'torch TF32 on', 'widenet best / cuBLAS fp32'], rows) : 'no matmul results');
  const at = (n) => ({ widenet: Math.max(0, ...wn.filter((r) => r.shape[0] === n).map((r) => gf(r) ?? 0)) || null, cublas: torch.find((r) => r.shape[0] === n && /TF32 off/.test(r.impl))?.tflops ?? null });
  const t = at(4096);
  summary.targets.matmul4096 = { target: '≥ 27 TFLOP/s and ≥ half of cuBLAS fp32', ...t, met: t.widenet !== null ? t.widenet >= 27 && (t.cublas === null || t.widenet >= t.cublas / 2) : null };
  // the Gram's versions side by side (tiled: 4×4 register blocks; bigtile: matmul v5's Gram mode), per shape n×n×m
  const grams = (kernels?.results ?? []).filter((r) => r.kernel === 'gram');
  if (grams.length) {
    const gramVersions = [...new Set(grams.map((r) => r.version))];
    const shapes = [...new Set(grams.map((r) => r.shape.join('×')))];
    md.push('', '### Gram G = A·Aᵀ, GFLOP/s per version (widenet bench-kernels; n(n+1)/2 dot products of length m)', '');
    md.push(table(['n×n×m×batch', ...gramVersions], shapes.map((sh) => [sh, ...gramVersions.map((v) => {
      const r = grams.find((x) => x.shape.join('×') === sh && x.version === v);
      return !r ? '—' : r.mismatch ? 'mismatch' : r.skipped ? 'skipped' : f(r.gflops, 1);
    })])));
    summary.gram = grams.map((r) => ({ version: r.version, shape: r.shape, gflops: r.gflops, skipped: r.skipped ?? null, mismatch: r.mismatch ?? null }));
  }
  const other = (kernels?.results ?? []).filter((r) => !(r.kernel === 'matmul' && r.shape[0] === r.shape[1] && r.shape[1] === r.shape[2]));
  if (other.length) {
    md.push('', '### the other kernel cases (widenet bench-kernels)', '');
    md.push(table(['kernel', 'version', 'shape', 'median ms', 'GFLOP/s', 'GB/s', 'checked / note'], other.map((r) => [r.kernel, r.version, r.shape.join('×'), f(r.ms, 3), f(r.gflops), f(r.gbps), r.mismatch ? `mismatch: ${r.mismatch}` : r.skipped ? `skipped: ${r.skipped}` : r.checked])));
  }
}

// ---- the empirical NTK of the two-layer ReLU network: widenet's structured kernel and the peers
{
  const wn = (ntk?.results ?? []).filter((r) => r.hidden.length === 1 && r.method !== 'streamed');
  const pr = peerResults('ntk');
  const key = (n, d, m) => `${n}/${d}/${m}`;
  const shapes = new Map();
  for (const r of wn) shapes.set(key(r.n, r.d, r.hidden[0]), [r.n, r.d, r.hidden[0]]);
  for (const r of pr) shapes.set(key(...r.shape), r.shape);
  const impls = [...new Set(pr.map((r) => `${r.impl}`))];
  const cell = (r) => (!r ? '—' : r.ms !== null && r.ms !== undefined ? f(r.ms, 1) : r.skipped ? `skipped (${r.skipped})` : r.mismatch ? `mismatch (${r.mismatch})` : '—');
  const rows = [...shapes.values()].sort((a, b) => a[0] - b[0] || a[2] - b[2]).map(([n, d, m]) => {
    const w = wn.find((r) => r.method === 'structured' && r.n === n && r.d === d && r.hidden[0] === m);
    const j = wn.find((r) => r.method === 'jacobian' && r.n === n && r.d === d && r.hidden[0] === m);
    const peerCells = impls.map((i) => cell(pr.find((r) => r.impl === i && key(...r.shape) === key(n, d, m))));
    const jac = pr.filter((r) => key(...r.shape) === key(n, d, m) && /jacrev/.test(r.impl) && r.ms);
    const fastestJac = jac.length ? Math.min(...jac.map((r) => r.ms)) : null;
    return [n, d, pow2(m), cell(w), cell(j), ...peerCells, fastestJac && w?.ms ? f(fastestJac / w.ms, 1) : '—'];
  });
  md.push('', '## empirical NTK, two-layer ReLU, median ms (widenet bench-ntk; peers on the same GPU)', '');
  md.push(rows.length ? table(['n', 'd', 'm', 'widenet structured', 'widenet Jacobian contraction', ...impls, 'fastest Jacobian peer / widenet'], rows) : 'no eNTK results');
  const target = wn.find((r) => r.method === 'structured' && r.n === 1024 && r.d === 64 && r.hidden[0] === 2 ** 20);
  const jac = pr.filter((r) => key(...r.shape) === key(1024, 64, 2 ** 20) && /jacrev/.test(r.impl) && r.ms);
  summary.targets.ntk = { target: 'n = 1024, d = 64, m = 2^20: ≤ 150 ms and ≥ 3× faster than the fastest Jacobian-based peer', widenetMs: target?.ms ?? null, fastestJacobianPeerMs: jac.length ? Math.min(...jac.map((r) => r.ms)) : null };
  const deep = (ntk?.results ?? []).filter((r) => r.hidden.length > 1 || r.method === 'streamed');
  if (deep.length) md.push('', table(['widenet', 'n', 'd', 'hidden', 'ms', 'checked / note'], deep.map((r) => [r.method, r.n, r.d, `[${r.hidden.map(pow2).join(', ')}]`, f(r.ms, 1), r.mismatch ? `mismatch: ${r.mismatch}` : r.skipped ?? r.checked])));
}

// ---- training steps
if (train) {
  md.push('', '## training steps, two-layer ReLU, GD (widenet bench-train)', '');
  md.push(table(['n', 'd', 'm', 'steps/s', 'wall ms/step', 'GPU ms/step', 'scheduler share', 'note'], train.results.map((r) => [r.n, r.d, pow2(r.m), f(r.stepsPerSecond), f(r.wallMs), f(r.gpuMs), r.overhead === null ? '—' : `${f(100 * r.overhead, 1)}%`, r.skipped ?? r.mismatch ?? r.checked])));
  const t = train.results.find((r) => r.m === 2 ** 20 && r.wallMs !== null);
  summary.targets.train = { target: 'n = 1024, m = 2^20: ≤ 10 ms per step, scheduler share < 10%', wallMs: t?.wallMs ?? null, overhead: t?.overhead ?? null, n: t?.n ?? null, d: t?.d ?? null };
}

// ---- the peers: availability and the shared case
md.push('', '## same-machine peers', '');
md.push(table(['peer', 'available', 'versions', 'device', 'note'], peers.map((p) => [p.peer, p.available ? 'yes' : 'no', Object.entries(p.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', '), p.device ? Object.values(p.device).join(', ') : '—', p.reason ?? p.error ?? ''])));
const shared = peerResults('ntk-shared-case');
if (shared.length) {
  md.push('', "### widenet's eNTK on the shared case (its weights and inputs) against the peers", '');
  md.push(table(['peer', 'implementation', 'n×d×m', 'max abs(Θ_peer − Θ_widenet) / max abs(Θ_widenet)', 'agrees (≤ 1e-3)'], shared.map((r) => [r.peer, r.impl, r.shape.join('×'), r.maxRelDiffToWidenet.toExponential(2), r.agrees ? 'yes' : '**no**'])));
}
summary.peers = peers;
summary.sharedCase = shared;
md.push('', '## targets (issue 16)', '', '```json', JSON.stringify(summary.targets, null, 2), '```', '');
writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
writeFileSync(join(out, 'summary.md'), md.join('\n'));
console.log(md.join('\n'));
