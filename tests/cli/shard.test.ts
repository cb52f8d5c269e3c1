// Shards and merging (issue 15): the shard of a process (--shard i/N, Slurm's array variables, a
// Kubernetes Indexed Job's JOB_COMPLETION_INDEX with --shards N), `widenet sweep --list`, and
// `widenet merge` of shards run with the built CLI, byte for byte the unsharded run's results;
// a missing or incomplete shard is named (exit code 1). The progress bar on a terminal.
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SweepProgress } from '../../src/cli/progress';
import { ShardError, parseShardFlag, resolveShard, shardIndices } from '../../src/cli/shard';
import { ownStderr, specFolder, widenet } from '../helpers/cli';

describe('the shard of a process', () => {
  it('--shard i/N, or Slurm array variables (any first task id and step), or JOB_COMPLETION_INDEX with --shards N', () => {
    expect(resolveShard('1/3', undefined, {})).toEqual({ index: 1, count: 3, source: '--shard' });
    expect(resolveShard(undefined, undefined, {})).toBeNull();
    // --array=1-4: ids 1…4 are shards 0…3; --array=0-3 the same; --array=10-16:2 (ids 10, 12, 14, 16)
    const slurm = (id: number, min: number | undefined, count: number, step?: number) =>
      resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_COUNT: String(count), ...(min === undefined ? {} : { SLURM_ARRAY_TASK_MIN: String(min) }), ...(step ? { SLURM_ARRAY_TASK_STEP: String(step) } : {}) });
    expect(slurm(1, 1, 4)).toEqual({ index: 0, count: 4, source: 'SLURM_ARRAY_TASK_ID' });
    expect(slurm(4, 1, 4)?.index).toBe(3);
    expect(slurm(3, 0, 4)?.index).toBe(3);
    expect(slurm(2, undefined, 4)?.index).toBe(2); // MIN absent: 0
    expect(slurm(14, 10, 4, 2)?.index).toBe(2);
    expect(resolveShard(undefined, '5', { JOB_COMPLETION_INDEX: '4' })).toEqual({ index: 4, count: 5, source: 'JOB_COMPLETION_INDEX' });
    // the flag wins over the environment
    expect(resolveShard('0/2', undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })?.source).toBe('--shard');
    expect(shardIndices(7, { index: 1, count: 3 })).toEqual([1, 4]);
    expect(shardIndices(2, { index: 3, count: 4 })).toEqual([]);
  });

  it('refuses contradictions and bad values by name', () => {
    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ShardError);
        return (e as Error).message;
      }
      throw new Error('expected a ShardError');
    };
    expect(refused(() => parseShardFlag('3/3'))).toMatch(/--shard: expected a shard index from 0 to N − 1 = 2; received "3\/3"/);
    expect(refused(() => parseShardFlag('a/2'))).toMatch(/--shard: expected i\/N/);
    expect(refused(() => parseShardFlag('0/0'))).toMatch(/shard count N from 1 to 9007199254740991/);
    expect(refused(() => resolveShard('0/2', '2', {}))).toMatch(/either --shard i\/N or --shards N/);
    expect(refused(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1' }))).toMatch(/JOB_COMPLETION_INDEX = 1 is set .* --shards N is not/);
    expect(refused(() => resolveShard(undefined, '2', { JOB_COMPLETION_INDEX: '2' }))).toMatch(/expected an index below --shards 2/);
    expect(refused(() => resolveShard(undefined, '2', {}))).toMatch(/JOB_COMPLETION_INDEX .* is not set/);
    expect(refused(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1' }))).toMatch(/SLURM_ARRAY_TASK_COUNT: expected a whole number .*unset/);
    expect(refused(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '9', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' }))).toMatch(/SLURM_ARRAY_TASK_ID = 9 is not one of the 4 task ids/);
    expect(refused(() => resolveShard(undefined, '3', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4' }))).toMatch(/--shards 3 contradicts SLURM_ARRAY_TASK_COUNT = 4/);
  });
});

describe('progress on a terminal', () => {
  it('shows the points done of the total, the current point, the step, the elapsed time and what is left; nothing on a non-terminal', () => {
    const capture = (tty: boolean) => {
      const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 200 });
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      const p = new SweepProgress(stream, 3);
      p.pointStart(1, { 'model.hidden': [64], 'train.lr': 0.5 }, [64], 10);
      p.step(5, 10);
      p.stop();
      return text;
    };
    const shown = capture(true);
    expect(shown).toMatch(/point 1\/3 \(width \[64\] train\.lr=0\.5\) step (0|5)\/10 \| elapsed \S+ \| left \S+/);
    expect(capture(false)).toBe('');
  });
});

const spec = {
  seed: 3,
  model: { inputDim: 2, hidden: [8], parameterization: 'mup' },
  data: { train: { kind: 'circle', n: 4 }, target: { kind: 'sin' } },
  train: { steps: 2, recordEvery: 2 },
  observe: { spectrum: 1 },
  // three points: lr 0.5 and 1 train, lr 3000 diverges
  sweep: { grid: { 'train.lr': [0.5, 1, 3000] } },
};

describe('widenet sweep --list, run --shard, merge', () => {
  it('refuses a bad grid (exit code 2, by path) and a bad shard (exit code 1, by name) before any GPU work', () => {
    const { specFile } = specFolder('widenet-shard-bad-');
    const bad = specFile('bad.json', { ...spec, sweep: { grid: { 'model.alpah': [1, 2], 'train.lr': [0.5, -1] } } });
    for (const args of [['sweep', bad, '--list'], ['run', bad]]) {
      const r = widenet(args);
      expect(r.code, r.stderr).toBe(2);
      expect(ownStderr(r.stderr)).toMatch(/sweep\.grid\["model\.alpah"\]: unknown field path \(did you mean "model\.alpha"\?\)/);
      expect(r.stdout).toBe('');
    }
    const lrBad = specFile('lr.json', { ...spec, sweep: { grid: { 'train.lr': [0.5, -1] } } });
    expect(ownStderr(widenet(['run', lrBad]).stderr)).toMatch(/sweep\.grid\["train\.lr"\]\[1\]: expected a learning rate: a number > 0; received -1/);
    const good = specFile('good.json', spec);
    const shard = widenet(['run', good, '--shard', '2/2']);
    expect(shard.code).toBe(1);
    expect(ownStderr(shard.stderr)).toMatch(/--shard: expected a shard index from 0 to N − 1 = 1; received "2\/2"/);
    const k8s = widenet(['run', good], { env: { JOB_COMPLETION_INDEX: '0' } });
    expect(k8s.code).toBe(1);
    expect(ownStderr(k8s.stderr)).toMatch(/JOB_COMPLETION_INDEX = 0 is set .* --shards N is not/);
  });

  it('merges the shards into the unsharded results byte for byte, and names a missing or incomplete shard', () => {
    const { dir, specFile } = specFolder('widenet-shard-');
    const path = specFile('grid.json', spec);
    const list = widenet(['sweep', path, '--list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { index: 0, point: { 'train.lr': 0.5 } }, { index: 1, point: { 'train.lr': 1 } }, { index: 2, point: { 'train.lr': 3000 } },
    ]);
    const whole = widenet(['run', path, '--out', join(dir, 'whole')]);
    expect(whole.code, whole.stderr).toBe(0);
    const s0 = widenet(['run', path, '--shard', '0/2', '--out', join(dir, 'shard-0')]);
    expect(s0.code, s0.stderr).toBe(0);
    expect(ownStderr(s0.stderr)).toMatch(/shard 0\/2 \(from --shard\) ran 2 of 3 points \(0, 2\)/);
    const s1 = widenet(['run', path, '--shards', '2', '--out', join(dir, 'shard-1')], { env: { JOB_COMPLETION_INDEX: '1' } });
    expect(s1.code, s1.stderr).toBe(0);
    expect(ownStderr(s1.stderr)).toMatch(/shard 1\/2 \(from JOB_COMPLETION_INDEX\) ran 1 of 3 points \(1\)/);
    // every line of a grid point carries its point beside the width; a shard prints no summary
    const shardLines = s0.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(shardLines[0]).toMatchObject({ width: [8], point: { 'train.lr': 0.5 }, step: 0 });
    expect(Object.keys(shardLines[0]).slice(0, 3)).toEqual(['width', 'point', 'step']);
    expect(shardLines.at(-1).diverged).toMatchObject({ width: [8], point: { 'train.lr': 3000 } });
    expect(shardLines.some((l) => 'summary' in l)).toBe(false);
    const meta = JSON.parse(readFileSync(join(dir, 'shard-0', 'shard.json'), 'utf8'));
    expect(meta).toMatchObject({ shard: { index: 0, count: 2 }, total: 3, indices: [0, 2], complete: true });
    expect(meta.done.map((d: { index: number }) => d.index)).toEqual([0, 2]);

    const merged = widenet(['merge', join(dir, 'shard-1'), join(dir, 'shard-0'), '--out', join(dir, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    // metrics.jsonl holds no timing field: the merge is the unsharded run's folder byte for byte (shard.json stays with the shards)
    const files = (d: string) => readdirSync(join(dir, d)).sort();
    expect(files('merged')).toEqual(files('whole'));
    for (const f of files('whole')) expect(readFileSync(join(dir, 'merged', f), 'utf8'), f).toBe(readFileSync(join(dir, 'whole', f), 'utf8'));
    const summary = JSON.parse(readFileSync(join(dir, 'whole', 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!).summary;
    expect(summary.points).toBe(3);
    expect(summary.bestLr).toHaveLength(1);
    expect(summary.bestLr[0].diverged).toEqual([3000]);
    expect(summary.maxStableLr[0]).toMatchObject({ widths: [8], lr: [1], capped: [false] });

    // a missing shard is named, exit code 1
    const missing = widenet(['merge', join(dir, 'shard-0'), '--out', join(dir, 'm2')]);
    expect(missing.code).toBe(1);
    expect(ownStderr(missing.stderr)).toMatch(/shard 1\/2 is missing \(points 1\): none of the given folders holds it/);
    expect(existsSync(join(dir, 'm2'))).toBe(false); // a refused merge creates nothing
    // an incomplete one too (an interrupted shard has no completion marker)
    cpSync(join(dir, 'shard-1'), join(dir, 'cut-1'), { recursive: true });
    const cut = JSON.parse(readFileSync(join(dir, 'cut-1', 'shard.json'), 'utf8'));
    writeFileSync(join(dir, 'cut-1', 'shard.json'), JSON.stringify({ ...cut, done: [], complete: false }));
    const partial = widenet(['merge', join(dir, 'shard-0'), join(dir, 'cut-1'), '--out', join(dir, 'm3')]);
    expect(partial.code).toBe(1);
    expect(ownStderr(partial.stderr)).toMatch(/shard 1\/2 \(.*cut-1\) is incomplete: 0 of 1 points finished \(missing points 1\)/);
    // a folder that is no shard's
    const foreign = widenet(['merge', join(dir, 'whole'), '--out', join(dir, 'm4')]);
    expect(foreign.code).toBe(1);
    expect(ownStderr(foreign.stderr)).toMatch(/whole: no shard\.json/);
  });
});
