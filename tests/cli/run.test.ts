// `widenet run SPEC.json [--out DIR]` as a user runs it (the built CLI; `npm test` builds it first).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec';
import { specFolder, widenet } from '../helpers/cli';

const { dir, specFile } = specFolder('widenet-run-');

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));

describe('widenet run', () => {
  it('prints one record per line for each width, then the sweep summary; --out writes the files', () => {
    const out = join(dir, 'out');
    const path = specFile('sweep.json', {
      seed: 2,
      model: { inputDim: 2, hidden: [[32], [128]], ensemble: 2, biasStd: 0.1 },
      data: { train: { kind: 'circle', n: 6 }, test: { kind: 'circle', n: 10 }, target: { kind: 'cos' } },
      train: { lr: 0.5, steps: 6, recordEvery: 3, linearized: true },
      observe: { spectrum: 2, particles: 3 },
    });
    const r = widenet(['run', path, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/NaN|Infinity/);
    const all = lines(r.stdout);
    const records = all.filter((l) => 'step' in l);
    expect(records.map((l) => [l.width[0], l.step])).toEqual([[32, 0], [32, 3], [32, 6], [128, 0], [128, 3], [128, 6]]);
    for (const rec of records) {
      for (const field of ['time', 'trainLoss', 'testLoss', 'weightChange', 'ntkChange', 'alignment', 'linearGap', 'coordinates', 'ntkEigenvalues', 'std', 'kernelRegression', 'pathNorm', 'particles']) expect(rec, field).toHaveProperty(field);
      expect(rec.weightChange).toHaveLength(2);
      expect(rec.coordinates).toHaveLength(2);
      expect(rec.ntkEigenvalues).toHaveLength(2);
      expect(rec.particles.a).toHaveLength(3);
      expect(rec.time).toBeCloseTo(0.5 * rec.step, 12);
    }
    expect(records[2].trainLoss).toBeLessThan(records[0].trainLoss);
    const summary = all.at(-1).summary;
    expect(summary.widths).toEqual([32, 128]);
    expect(typeof summary.slopes.ntkChange).toBe('number');
    expect(summary.slopes.weightChange).toHaveLength(2);
    // --out: the same lines, the resolved spec (defaults filled in) and the final kernels per width
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(r.stdout);
    const resolved = JSON.parse(readFileSync(join(out, 'spec.json'), 'utf8'));
    expect(resolved.train.optimizer).toBe('gd');
    expect(parseSpec(resolved).model.hidden).toEqual([[32], [128]]);
    expect(readdirSync(out).sort()).toEqual(['kernels-128.json', 'kernels-32.json', 'metrics.jsonl', 'spec.json']);
    const kernels = JSON.parse(readFileSync(join(out, 'kernels-32.json'), 'utf8'));
    expect(kernels.initial).toHaveLength(6);
    expect(kernels.current[0]).toHaveLength(6);
    expect(r.stderr).not.toMatch(/\[#/); // no progress bar when stderr is not a terminal
  });

  it('ends a diverging run with the divergence line, exit code 0 and no NaN', () => {
    const path = specFile('diverge.json', {
      model: { inputDim: 2, hidden: [64] },
      data: { train: { kind: 'circle', n: 6 }, target: { kind: 'sin' } },
      train: { lr: 5000, steps: 50, recordEvery: 10 },
    });
    const r = widenet(['run', path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/NaN|Infinity/);
    const all = lines(r.stdout);
    const last = all.at(-1);
    expect(last).toHaveProperty('diverged');
    const { step, layer, suggestedMaxLr, lr } = last.diverged;
    expect(step).toBeGreaterThanOrEqual(1);
    expect(step).toBeLessThanOrEqual(10);
    expect([0, 1, null]).toContain(layer);
    expect(lr).toBe(5000);
    expect(suggestedMaxLr).toBeGreaterThan(0);
    expect(suggestedMaxLr).toBeLessThan(5000);
    // records before the divergence are finite numbers
    for (const rec of all.slice(0, -1)) expect(Number.isFinite(rec.trainLoss)).toBe(true);
  });

  it('refuses a bad spec with exit code 2 and names the fields', () => {
    const path = specFile('bad.json', { model: { inputDim: 2, hidden: [8], activation: 'swish' }, data: { train: { kind: 'circle', n: 4 } }, train: { lr: -1 } });
    const r = widenet(['run', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model\.activation: expected one of .*received "swish"/);
    expect(r.stderr).toMatch(/train\.lr: expected a learning rate: a number > 0; received -1/);
    expect(r.stdout).toBe('');
  });

  it('refuses training data without labels, saying what to add', () => {
    const path = specFile('nolabels.json', { model: { inputDim: 2, hidden: [8] }, data: { train: { kind: 'circle', n: 4 } } });
    const r = widenet(['run', path]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/data\.train: expected labels to train on/);
  });

  it('every example spec is valid', () => {
    const examples = join(__dirname, '../../examples');
    const files = readdirSync(examples).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect(() => parseSpec(JSON.parse(readFileSync(join(examples, f), 'utf8')), f), f).not.toThrow();
    expect(existsSync(join(examples, 'mup-coordinate-check.json'))).toBe(true);
  });
});
