// `widenet selftest` as a user runs it (the built CLI): every kernel version and the structured
// eNTK against float64 at the quick sizes on this adapter, and the mismatch path through the
// test-only hook WIDENET_SELFTEST_INJECT (a perturbed GPU output, no kernel broken).
import { describe, expect, it } from 'vitest';
import { MATMUL_VERSIONS } from '../../src/kernels/matmul';
import { GRAM_VERSIONS } from '../../src/kernels/gram';
import { ACTIVATION_NAMES } from '../../src/kernels/activations';
import { ownStderr, widenet } from '../helpers/cli';

interface Report {
  adapter: { software: boolean; dawnToggles?: { disabled: string[] } };
  passed: boolean;
  cases: number;
  mismatches: string[];
  results: { kernel: string; version: string; checked: string; mismatch?: string }[];
}

describe('widenet selftest', () => {
  it('--quick passes on this adapter, with every matmul version, every activation, each kernel family and the eNTK checked', () => {
    const r = widenet(['selftest', '--quick']);
    expect(r.code, ownStderr(r.stderr)).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.passed).toBe(true);
    expect(report.mismatches).toEqual([]);
    expect(report.cases).toBe(report.results.length);
    for (const v of MATMUL_VERSIONS) expect(report.results.filter((c) => c.kernel === 'matmul' && c.version.startsWith(`${v} `)).length, v).toBeGreaterThanOrEqual(6);
    for (const v of GRAM_VERSIONS) expect(report.results.filter((c) => c.kernel === 'gram' && c.version.startsWith(`${v} `)).length, `gram ${v}`).toBe(3);
    for (const a of ACTIVATION_NAMES) expect(report.results.some((c) => c.kernel === 'activation' && c.version.startsWith(`${a} `)), a).toBe(true);
    expect(new Set(report.results.map((c) => c.kernel))).toEqual(new Set(['matmul', 'gram', 'reduce', 'activation', 'elementwise', 'init', 'loss', 'optim', 'entk']));
    // every case made a real comparison: a finite worst error
    for (const c of report.results) expect(c.checked, `${c.kernel} ${c.version}`).toMatch(/max rel err \d\.\de[-+]\d+/);
    expect(report.adapter.dawnToggles?.disabled).toContain('timestamp_quantization');
  }, 240_000);

  it('a result off its reference exits 1 and names the kernel, the case and the element', () => {
    const r = widenet(['selftest', '--quick', '--only', 'v3_smem', '--only', 'entk'], { env: { WIDENET_SELFTEST_INJECT: 'v3_smem A·Bᵀ' } });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.passed).toBe(false);
    // only the perturbed case fails; the others of the same run pass
    expect(report.mismatches).toHaveLength(1);
    expect(report.mismatches[0]).toMatch(/^matmul v3_smem A·Bᵀ \[29×36×40×1\]: C\(0, 0\) is /);
    expect(report.results.filter((c) => !c.mismatch).length).toBeGreaterThanOrEqual(6);
    expect(ownStderr(r.stderr)).toMatch(/widenet: selftest: 1 of \d+ case\(s\) did not match their float64 reference on [^:]+: matmul v3_smem A·Bᵀ \[29×36×40×1\]: C\(0, 0\)/);
  }, 120_000);

  it('--only with no matching case is refused, not reported as a pass', () => {
    const r = widenet(['selftest', '--quick', '--only', 'no-such-kernel']);
    expect(r.code).toBe(1);
    expect(ownStderr(r.stderr)).toMatch(/selftest: no case matches --only no-such-kernel/);
  }, 60_000);
});
