// The benchmark report's charts (bench/harness/charts.ts, Vega-Lite): one bar per measured result
// of a suite, on a log axis, for a stored report; no browser needed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { suiteChart } from '../../bench/harness/report';
import type { BenchJson } from '../../bench/harness/run';

const stored = JSON.parse(readFileSync(new URL('../../bench/results/google-swiftshader-2026-11-23.json', import.meta.url), 'utf8')) as BenchJson;

describe('benchmark charts', () => {
  it.each(['matmul', 'ntk'] as const)('%s: one bar per measured result, the software note, the series in the legend', async (suite) => {
    const svg = (await suiteChart(stored, suite))!;
    const key = suite === 'matmul' ? 'gflops' : 'ms';
    const measured = stored.results.filter((r) => r.suite === suite && r[key] !== null && r[key]! > 0);
    const bars = [.../<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1].matchAll(/<path aria-label="([^"]*)"[^>]* d="M[\d.e-]+,([\d.e-]+)h[\d.e-]+v([\d.e-]+)/g)];
    expect(bars.length).toBe(measured.length);
    // every bar has a height, and a larger value a taller bar (log axis from the bottom)
    const byValue = bars.map((b) => ({ value: Number(/value: ([\d.e+-]+)/.exec(b[1])![1]), height: Number(b[3]) })).sort((a, b) => a.value - b.value);
    for (const b of byValue) expect(b.height).toBeGreaterThan(0);
    for (let i = 1; i < byValue.length; i++) expect(byValue[i].height).toBeGreaterThanOrEqual(byValue[i - 1].height - 1e-6);
    expect(svg).toContain('not GPU numbers');
    for (const impl of new Set(measured.map((r) => r.impl))) expect(svg).toContain(`>${impl}`);
  });
});
