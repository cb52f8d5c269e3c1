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

  it('says which kernel it prints and which path it took; a tiny --max-memory streams over the width and gives the in-memory kernel (E = 2)', () => {
    const spec = { seed: 3, model: { inputDim: 2, hidden: [300], activation: 'tanh', parameterization: 'ntk', biasStd: 0.3, alpha: 1.7, ensemble: 2 }, data: { train: { kind: 'points', x: X } } };
    const path = specFile('stream.json', spec);
    const memory = widenet(['ntk', path]);
    expect(memory.code, memory.stderr).toBe(0);
    const inMemory = JSON.parse(memory.stdout);
    expect(inMemory.kernel).toMatch(/plain α²·J·Jᵀ .*neural-tangents.*Θ_η/);
    expect(inMemory.path.kind).toBe('in-memory');
    expect(inMemory.path.bytes).toBeLessThanOrEqual(inMemory.path.budgetBytes);
    expect(inMemory.peakResidentBytes).toBeGreaterThan(0);
    // 20 kB: far below the network (2·300·(2 + 1 + …) floats), above the streamed kernel's fixed part
    const streamed = widenet(['ntk', path, '--max-memory', '20K']);
    expect(streamed.code, streamed.stderr).toBe(0);
    const s = JSON.parse(streamed.stdout);
    expect(s.path.kind).toBe('streamed');
    expect(s.path.budgetBytes).toBe(20 * 1024);
    expect(s.path.inMemoryBytes).toBeGreaterThan(s.path.budgetBytes);
    expect(s.path.peakBytes).toBeLessThanOrEqual(s.path.budgetBytes);
    expect(s.path.chunks).toBeGreaterThan(1);
    expect(s.path.chunkWidth * s.path.chunks).toBeGreaterThanOrEqual(300);
    const close = (a: number[][], b: number[][], what: string) => {
      const scale = Math.max(...b.flat().map(Math.abs));
      a.flat().forEach((v, i) => expect(Math.abs(v - b.flat()[i]), `${what}[${i}]`).toBeLessThanOrEqual(1e-5 * scale));
    };
    close(s.empirical, inMemory.empirical, 'empirical');
    close(s.empiricalStd, inMemory.empiricalStd, 'empiricalStd');
    close(s.nngp, inMemory.nngp, 'nngp');
    expect(s.analytic).toEqual(inMemory.analytic);
  });

  it('a non-finite kernel is an error naming the quantity and the scale it comes from (exit 1), never a null', () => {
    const base = { model: { inputDim: 2, hidden: [16] }, data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin' } }, train: { steps: 4 } };
    // α = 1e20 (α² = 1e40 overflows float32) is refused before any GPU work, by path (exit 2)
    const big = widenet(['ntk', specFile('alpha.json', { ...base, model: { ...base.model, alpha: 1e20 } })]);
    expect(big.code, big.stderr).toBe(2);
    expect(big.stdout).toBe('');
    expect(big.stderr).toMatch(/model\.alpha: expected the output scale α: a number from 1e-12 to 1e12/);
    // a float32 overflow inside the kernel: an error naming the quantity and the scales (α², ‖x‖², σ_w²)
    const far = widenet(['ntk', specFile('far.json', { model: { inputDim: 2, hidden: [16] }, data: { train: { kind: 'points', x: [[1, 0], [1e30, 0], [0, 1]] } } })]);
    expect(far.code, far.stderr).toBe(1);
    expect(far.stdout).toBe('');
    expect(far.stderr).toMatch(/empirical NTK at width \[16\]: [1-9] of 9 entries are non-finite/);
    expect(far.stderr).toMatch(/overflow in float32.*α² = 1\.00.*‖x‖² = 1\.00e\+60/);
  });

  it('a deep network over the budget is refused naming the layer, what it needs and the budget; a bad --max-memory is refused', () => {
    const path = specFile('deep.json', { model: { inputDim: 2, hidden: [256, 1024, 64] }, data: { train: { kind: 'points', x: X } } });
    const r = widenet(['ntk', path, '--max-memory', '1M']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    // W2 [1, 1024, 256] is the largest layer: 4·2·1024·256 bytes for the weights and their init draw alone
    expect(r.stderr).toMatch(/MemoryBudgetError: the empirical NTK of hidden \[256,1024,64\].*does not fit in memory/);
    expect(r.stderr).toMatch(/layer 2 \(width 1024\) alone needs [\d.]+ MB/);
    expect(r.stderr).toMatch(/1\.05 MB \(1,048,576 bytes\)/);
    expect(r.stderr).toMatch(/streaming .* only two-layer networks/);
    for (const bad of ['lots', '-5', '0']) {
      const b = widenet(['ntk', path, '--max-memory', bad]);
      expect(b.code).not.toBe(0);
      expect(b.stderr).toMatch(new RegExp(`--max-memory.*expected a memory size in bytes.*received "${bad}"`));
    }
  });

  it('widenet info prints the adapter', () => {
    const r = widenet(['info']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(typeof info.software).toBe('boolean');
  });
});
