// Smoke test of the benchmark harness at tiny sizes: the page builds and runs in headless
// Chromium, the peers load on the same adapter, every result passed its float64 check, and the
// JSON, Markdown and SVG report come out. No assertion about speed (DESIGN.md §6).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../../bench/harness/run';
import { SUITES } from '../../bench/page/types';

const dir = mkdtempSync(join(tmpdir(), 'widenet-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('widenet bench (tiny preset)', () => {
  it('runs every suite with every peer, validates, and writes JSON, Markdown and SVG', async () => {
    const lines: string[] = [];
    const { json, files } = await runBench({ preset: 'tiny', outDir: dir, jsonPath: join(dir, 'copy.json'), autotuneCache: join(dir, 'autotune.json'), log: (l) => { lines.push(l); if (process.env.WIDENET_BENCH_VERBOSE) process.stderr.write(l + '\n'); } });
    // the adapter is recorded, and a software one is labelled as such
    expect(json.adapter.vendor).toBeTypeOf('string');
    expect(['gpu', 'swiftshader']).toContain(json.browser.mode);
    // GPU mode is kept only with a hardware adapter; SwiftShader is always labelled software
    expect(json.software).toBe(json.browser.mode === 'swiftshader');
    // every suite ran; matmul and NTK have their peers
    for (const suite of SUITES) expect(json.results.some((r) => r.suite === suite), suite).toBe(true);
    const impls = (suite: string) => new Set(json.results.filter((r) => r.suite === suite).map((r) => r.impl));
    expect([...impls('matmul')].sort()).toEqual(['jax-js', 'tfjs', 'widenet']);
    expect([...impls('ntk')].sort()).toEqual(['jax-js', 'widenet']);
    expect(json.results.filter((r) => r.suite === 'gram' && r.impl === 'tfjs').map((r) => r.params.variant).sort()).toEqual(['transpose', 'transposeB']);
    // every timed result was validated first and has median ≤ max, min ≤ median, ≥ 5 runs
    for (const r of json.results.filter((x) => !x.skipped)) {
      expect(r.validation, `${r.suite} ${r.impl} ${r.case}`).not.toBeNull();
      expect(r.validation!.maxErr).toBeLessThanOrEqual(r.validation!.tol);
      expect(r.runs).toBeGreaterThanOrEqual(5);
      expect(r.min!).toBeLessThanOrEqual(r.ms!);
      expect(r.ms!).toBeLessThanOrEqual(r.max!);
    }
    expect(json.results.find((r) => r.suite === 'matmul' && r.impl === 'widenet')!.case).toMatch(/^\d+x\d+x\d+$/);
    // autotuning ran (or came from the injected cache) and is reported
    expect(['search', 'cache']).toContain(json.autotune!.source);
    // the files: JSON (also at --json), Markdown with the tables, an SVG per suite
    const [jsonFile, mdFile] = files;
    expect(jsonFile).toMatch(/-\d{4}-\d{2}-\d{2}\.json$/);
    expect(JSON.parse(readFileSync(jsonFile, 'utf8')).results.length).toBe(json.results.length);
    expect(JSON.parse(readFileSync(join(dir, 'copy.json'), 'utf8')).adapter).toEqual(json.adapter);
    const md = readFileSync(mdFile, 'utf8');
    expect(md).toContain('## Targets');
    expect(md).toContain('| case | implementation |');
    if (json.software) expect(md).toContain('not GPU numbers');
    const svgs = files.filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBe(SUITES.length);
    // each chart draws one bar per timed result of its suite (Vega's rect marks are paths)
    for (const suite of SUITES) {
      const svg = readFileSync(svgs.find((f) => f.endsWith(`-${suite}.svg`))!, 'utf8');
      expect(svg).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>$/);
      const bars = /<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg);
      expect((bars?.[1].match(/<path /g) ?? []).length, suite).toBe(json.results.filter((r) => r.suite === suite && r[suite === 'activation' ? 'gbps' : suite === 'matmul' || suite === 'gram' ? 'gflops' : 'ms'] !== null).length);
    }
  }, 240_000);
});
