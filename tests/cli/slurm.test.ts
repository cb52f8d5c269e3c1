// Shards on a real job engine (issue 15): a one-node Slurm cluster on localhost
// (tests/setup/slurm-cluster.sh: munged, slurmctld and slurmd, all state under a temp folder)
// runs examples/slurm/sweep.sbatch as a job array whose task ids start at 1 (--array=1-2, so
// SLURM_ARRAY_TASK_MIN matters); `widenet merge` of the tasks' folders must equal the unsharded
// run's results byte for byte, also for a task requeued after a kill (it resumes its folder).
//
// When it runs: Slurm needs root and Debian's slurm-wlm and munge, which
// tests/setup/ensure-system-deps.sh installs as root (so `npm test` and .ci/run install them).
// Under CI (the CI variable, which .ci/run sets, or WIDENET_REQUIRE_SLURM=1) a missing Slurm or a
// missing root FAILS this test with the reason; elsewhere (a developer's machine without root) it
// is skipped, and says why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, specFolder, widenet, widenetChild } from '../helpers/cli';

const ROOT = join(__dirname, '../..');
const SCRIPT = join(ROOT, 'tests/setup/slurm-cluster.sh');
const TOOLS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'sinfo'];
const missingTools = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const isRoot = process.getuid?.() === 0;
const required = !!process.env.CI || process.env.WIDENET_REQUIRE_SLURM === '1';
const why = missingTools.length ? `Slurm is missing (${missingTools.join(', ')}): run tests/setup/ensure-system-deps.sh as root` : !isRoot ? 'the one-node Slurm cluster needs root' : null;
if (why && !required) console.warn(`tests/cli/slurm.test.ts skipped: ${why}`);

const cluster = mkdtempSync(join(tmpdir(), 'widenet-slurm-'));
let started = false;
afterAll(() => {
  if (started) spawnSync('bash', [SCRIPT, 'stop', cluster], { stdio: 'inherit' });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(why !== null && !required)('a Slurm job array of widenet shards', () => {
  it('runs examples/slurm/sweep.sbatch as an array and merges into the unsharded results', { timeout: 400_000 }, async () => {
    if (why) throw new Error(`under CI this test must run, but ${why}`);
    const start = spawnSync('bash', [SCRIPT, 'start', cluster], { encoding: 'utf8', timeout: 60_000 });
    expect(start.status, `slurm-cluster.sh start: ${start.stderr}`).toBe(0);
    started = true;
    const conf = /SLURM_CONF=(\S+)/.exec(start.stdout)![1];
    const env = { ...process.env, SLURM_CONF: conf };

    const { dir, specFile } = specFolder('widenet-slurm-run-');
    const spec = specFile('grid.json', {
      seed: 5,
      model: { inputDim: 2, parameterization: 'mup' },
      data: { train: { kind: 'circle', n: 4 }, target: { kind: 'cos' } },
      train: { steps: 2, recordEvery: 2 },
      observe: { spectrum: 1 },
      sweep: { grid: { 'model.hidden': [[8], [16]], 'train.lr': [0.5, 3000] } },
    });
    const out = join(dir, 'out');
    // task 2 as Slurm requeues it after a preemption (a kill in its second point, 3): its folder
    // holds its first point (1) whole, a metrics.jsonl cut mid-line and shard.json without the
    // completion marker, as the killed run left them; sweep.sbatch resumes it (--resume)
    const pre = widenet(['run', spec, '--shard', '1/2', '--out', join(out, 'shard-2')]);
    expect(pre.code, pre.stderr).toBe(0);
    const preShard = JSON.parse(readFileSync(join(out, 'shard-2', 'shard.json'), 'utf8'));
    const firstLines = preShard.done[0].lines;
    const preLines = readFileSync(join(out, 'shard-2', 'metrics.jsonl'), 'utf8').split('\n');
    writeFileSync(join(out, 'shard-2', 'metrics.jsonl'), preLines.slice(0, firstLines + 1).join('\n').slice(0, -20));
    writeFileSync(join(out, 'shard-2', 'shard.json'), JSON.stringify({ ...preShard, done: preShard.done.slice(0, 1), complete: false, finishedAt: null, seconds: null }, null, 2) + '\n');
    unlinkSync(join(out, 'shard-2', 'kernels-p3-16.json'));
    const submit = spawnSync('sbatch', ['--parsable', '--array=1-2', `--output=${join(dir, 'task-%a.log')}`, `--export=ALL,WIDENET=${process.execPath} ${CLI}`, join(ROOT, 'examples/slurm/sweep.sbatch'), spec, out], { encoding: 'utf8', env });
    expect(submit.status, `sbatch: ${submit.stderr}`).toBe(0);
    const job = submit.stdout.trim().split(';')[0];
    // the unsharded run, meanwhile
    const whole = widenetChild(['run', spec, '--out', join(dir, 'whole')]);
    // wait for the array to leave the queue (squeue), at most 5 minutes
    const deadline = Date.now() + 300_000;
    for (;;) {
      const q = spawnSync('squeue', ['-h', '-j', job, '-o', '%i %T'], { encoding: 'utf8', env });
      expect(q.status, `squeue: ${q.stderr}`).toBe(0);
      if (q.stdout.trim() === '') break;
      if (Date.now() > deadline) throw new Error(`the array job ${job} is still queued or running after 5 minutes: ${q.stdout}`);
      await sleep(1000);
    }
    const logs = () => readdirSync(dir).filter((f) => f.startsWith('task-')).map((f) => `${f}: ${readFileSync(join(dir, f), 'utf8')}`).join('\n');
    const states = spawnSync('scontrol', ['show', 'job', '-o', job], { encoding: 'utf8', env }).stdout;
    expect(states.match(/JobState=\S+/g), `${states}\n${logs()}`).toEqual(['JobState=COMPLETED', 'JobState=COMPLETED']);
    const w = await whole.done;
    expect(w.code, w.stderr).toBe(0);

    // task ids 1 and 2 are shards 0/2 and 1/2 (SLURM_ARRAY_TASK_MIN = 1)
    expect(readdirSync(out).sort()).toEqual(['shard-1', 'shard-2']);
    const meta = JSON.parse(readFileSync(join(out, 'shard-2', 'shard.json'), 'utf8'));
    expect(meta).toMatchObject({ shard: { index: 1, count: 2, source: 'SLURM_ARRAY_TASK_ID' }, indices: [1, 3], complete: true, startedAt: preShard.startedAt });
    // the resumed task kept point 1 (its seconds from the first attempt) and ran point 3
    expect(meta.done.map((d: { index: number }) => d.index)).toEqual([1, 3]);
    expect(meta.done[0]).toEqual(preShard.done[0]);
    expect(meta.resumedAt).toHaveLength(1);
    expect(readFileSync(join(dir, 'task-2.log'), 'utf8')).toMatch(/resuming .*shard-2 \(stopped by a kill \(its last line was cut mid-write\)\): keeping 1 finished point/);
    const merged = widenet(['merge', join(out, 'shard-1'), join(out, 'shard-2'), '--out', join(dir, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    const files = (d: string) => readdirSync(join(dir, d)).sort();
    expect(files('merged')).toEqual(files('whole'));
    for (const f of files('whole')) expect(readFileSync(join(dir, 'merged', f), 'utf8'), f).toBe(readFileSync(join(dir, 'whole', f), 'utf8'));
    const summary = JSON.parse(readFileSync(join(dir, 'merged', 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!).summary;
    expect(summary.bestLr.map((b: { width: number[]; lr: number }) => [b.width, b.lr])).toEqual([[[8], 0.5], [[16], 0.5]]);
  });
});
