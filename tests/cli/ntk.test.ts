// `widenet ntk SPEC.json` as a user runs it (the built CLI; `npm test` builds it first).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyticKernels } from '../../src/theory';
import { CLI, specFolder, widenet } from '../helpers/cli';

const { dir, specFile } = specFolder('widenet-cli-');

const X = [[1, 0], [0, 1], [0.6, 0.8], [-0.8, 0.6]];

describe('widenet ntk', () => {
  it('the CLI is built', () => expect(existsSync(CLI), `${CLI} (run npm run build:cli)`).toBe(true));

  it('prints one JSON object per width with the DESIGN.md §5 fields, close to the analytic kernel', () => {
    const path = specFile('sweep.json', {
      seed: 1,
      model: { inputDim: 2, hidden: [[64], [4096]], activation: 'erf', parameterization: 'ntk', weightStd: 1.5, biasStd: 0.2, ensemble: 8 },
      data: { train: { kind: 'points', x: X } },
    });
    const r = widenet(['ntk', path]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.width)).toEqual([[64], [4096]]);
    const exact = analyticKernels({ depth: 1, weightStd: 1.5, biasStd: 0.2, activation: 'erf' }, X);
    for (const out of lines) {
      expect(out.adapter.software).toBe(true);
      expect(out.empirical).toHaveLength(4);
      expect(out.empiricalStd).toHaveLength(4);
      expect(out.nngp).toHaveLength(4);
      expect(out.analytic.ntk).toEqual(exact.ntk);
      expect(out.analytic.nngp).toEqual(exact.nngp);
    }
    // the wider ensemble mean is close to Θ∞; its spread is smaller than at width 64
    const err = (out: { empirical: number[][] }) => Math.max(...out.empirical.flatMap((row, i) => row.map((v, j) => Math.abs(v - exact.ntk[i][j]))));
    expect(err(lines[1])).toBeLessThan(0.05 * Math.max(...exact.ntk.flat()));
    expect(lines[1].empiricalStd[0][0]).toBeLessThan(lines[0].empiricalStd[0][0]);
    expect(r.stdout).not.toMatch(/NaN|Infinity/);
  });

  it('gives the full (n·k)×(n·k) kernel and the trace form for k > 1, and no analytic kernel outside the ntk parameterization', () => {
    const path = specFile('k3.json', { model: { inputDim: 2, hidden: [32], outputDim: 3, parameterization: 'mup' }, data: { train: { kind: 'points', x: X } } });
    const r = widenet(['ntk', path]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.empiricalFull).toHaveLength(12);
    expect(out.analytic).toBeNull();
    expect(out.empiricalStd).toBeNull();
    // trace form = mean of the k diagonal output blocks of the full kernel
    const full: number[][] = out.empiricalFull;
    const t01 = (full[0 * 3 + 0][1 * 3 + 0] + full[0 * 3 + 1][1 * 3 + 1] + full[0 * 3 + 2][1 * 3 + 2]) / 3;
    expect(out.empirical[0][1]).toBeCloseTo(t01, 5);
  });

  it('takes generated data sets: the kernel on seeded circle points', () => {
    const path = specFile('circle.json', { seed: 4, model: { inputDim: 2, hidden: [256], parameterization: 'ntk' }, data: { train: { kind: 'circle', n: 5 } } });
    const r = widenet(['ntk', path]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.empirical).toHaveLength(5);
    // points on the unit circle: the analytic diagonal is the same for every point
    const diag = out.analytic.ntk.map((row: number[], i: number) => row[i]);
    for (const v of diag) expect(v).toBeCloseTo(diag[0], 10);
  });

  it('refuses a malformed spec with every problem by path and exit code 2', () => {
    const cases: [unknown, RegExp[]][] = [
      [{ model: { inputDim: 2, hidden: [-4], activation: 'swish' }, data: { train: { kind: 'points', x: [[1, 2]] } } }, [/model\.hidden\[0\]/, /model\.activation: expected one of .*received "swish"/]],
      [{ data: { train: { kind: 'points', x: [[1, 2]] } } }, [/model: required field is missing/]],
      [{ model: { inputDim: 2, hidden: [8] }, data: { train: { kind: 'points', x: [[1, 2], [3]] } } }, [/data\.train\.x\[1\]/]],
      ['{"model": {"inputDim": 2,, }', [/invalid JSON at line 1, column/]],
      [{ model: { inputDim: 2, hidden: [8], widht: 3 }, data: { train: { kind: 'points', x: [[1, 2]] } } }, [/model\.widht: unknown field/]],
    ];
    cases.forEach(([spec, patterns], i) => {
      const r = widenet(['ntk', specFile(`bad${i}.json`, spec)]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      for (const p of patterns) expect(r.stderr).toMatch(p);
    });
    const missing = widenet(['ntk', join(dir, 'no-such-file.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the spec file/);
  });

  it('widenet info prints the adapter', () => {
    const r = widenet(['info']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(typeof info.software).toBe('boolean');
  });
});
