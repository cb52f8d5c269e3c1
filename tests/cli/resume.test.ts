// `widenet run SPEC --out DIR --resume` (src/cli/resume.ts): a run stopped by a real SIGTERM after
// its first point, then resumed, leaves the folder byte for byte as an uninterrupted run does;
// a kill mid-line, a shard, and every refusal (another spec, another shard, a changed file).
import { cpSync, existsSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResumeError, checkpointMachineWarning, jsonDifferences, readResumeState, resumeMessage, writeCheckpoint } from '../../src/cli/resume';
import { specHash } from '../../src/cli/shard';
import { resolvedSpecText } from '../../src/cli/run';
import { parseSpec } from '../../src/spec';
import { ownStderr, specFolder, widenet, widenetChild } from '../helpers/cli';

const { dir, specFile } = specFolder('widenet-resume-');
// three widths, long enough that a SIGTERM lands inside the second one
const raw = { model: { inputDim: 2, hidden: [[8], [16], [24]] }, data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin' } }, train: { steps: 300, recordEvery: 50 } };
const spec = parseSpec(raw);
const path = specFile('sweep.json', raw);
const whole = join(dir, 'whole');
const files = (d: string) => readdirSync(d).sort();
const read = (d: string, f: string) => readFileSync(join(d, f), 'utf8');
let wholeStdout = '';

beforeAll(() => {
  const r = widenet(['run', path, '--out', whole]);
  expect(r.code, r.stderr).toBe(0);
  wholeStdout = r.stdout;
}, 300_000);

/** The metrics lines of the uninterrupted run, and how many each point has (three points, then the summary). */
const wholeLines = () => read(whole, 'metrics.jsonl').split('\n').slice(0, -1);
const perPoint = () => (wholeLines().length - 1) / 3;

/** The folder as a run stopped inside point `upTo` leaves it: the first `upTo` points whole, `extra` lines of the next, then `tail`; no kernels file of the rest. */
function stoppedCopy(name: string, upTo: number, extra: number, tail: string): string {
  const d = join(dir, name);
  cpSync(whole, d, { recursive: true });
  writeFileSync(join(d, 'metrics.jsonl'), wholeLines().slice(0, upTo * perPoint() + extra).map((l) => l + '\n').join('') + tail);
  for (const w of [8, 16, 24].slice(upTo)) unlinkSync(join(d, `kernels-${w}.json`));
  return d;
}

describe('widenet run --resume', () => {
  it('after a real SIGTERM inside the second point: keeps the first, reruns the rest, and ends byte for byte as the uninterrupted run', { timeout: 300_000 }, async () => {
    const out = join(dir, 'stopped');
    const run = widenetChild(['run', path, '--out', out]);
    const t0 = Date.now();
    while (!existsSync(join(out, 'kernels-8.json')) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGTERM');
    const stopped = await run.done;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(files(out)).toEqual(['kernels-8.json', 'metrics.jsonl', 'spec.json']); // the second point never finished
    expect(read(out, 'metrics.jsonl')).toMatch(/\{"interrupted":\{"width":\[16\],"step":\d+,"signal":"SIGTERM"\}\}\n$/);

    const resumed = widenet(['run', path, '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const kept = read(whole, 'metrics.jsonl').split('\n').filter((l) => l.startsWith('{"width":[8]')).length;
    expect(ownStderr(resumed.stderr)).toMatch(new RegExp(`^widenet: resuming .*stopped \\(stopped by SIGTERM\\): keeping 1 finished point \\(${kept} lines\\), dropping \\d+ lines after them; running 2 points \\(1, 2\\), the first from step 0$`));
    expect(files(out)).toEqual(files(whole));
    for (const f of files(whole)) expect(read(out, f), f).toBe(read(whole, f));
    // stdout: the new lines only, then the summary over all three widths
    expect(resumed.stdout).toBe(wholeStdout.split('\n').slice(kept).join('\n'));
    expect(JSON.parse(resumed.stdout.trim().split('\n').at(-1)!).summary.widths).toEqual([8, 16, 24]);

    // a finished run resumed again: nothing to run, the same files, stdout the summary alone
    const again = widenet(['run', path, '--out', out, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(ownStderr(again.stderr)).toMatch(/stopped by nothing: every point had finished\): keeping 3 finished points .* no point left to run/);
    expect(again.stdout).toBe(wholeStdout.trim().split('\n').at(-1) + '\n');
    for (const f of files(whole)) expect(read(out, f), f).toBe(read(whole, f));
  });

  it('in an empty or new folder starts afresh; refuses --force with it, and --resume without --out', () => {
    const tiny = specFile('tiny.json', { ...raw, model: { inputDim: 2, hidden: [8] }, train: { steps: 2 } });
    const fresh = widenet(['run', tiny, '--out', join(dir, 'new'), '--resume']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(ownStderr(fresh.stderr)).toBe('');
    expect(files(join(dir, 'new'))).toEqual(['kernels-8.json', 'metrics.jsonl', 'spec.json']);
    expect(read(join(dir, 'new'), 'metrics.jsonl')).toBe(fresh.stdout);
    const both = widenet(['run', path, '--out', join(dir, 'new'), '--resume', '--force']);
    expect(both.code).toBe(1);
    expect(ownStderr(both.stderr)).toMatch(/--force and --resume contradict each other/);
    const noOut = widenet(['run', path, '--resume']);
    expect(noOut.code).toBe(1);
    expect(ownStderr(noOut.stderr)).toMatch(/--resume is only meaningful with --out DIR/);
  });
});

describe('widenet run --checkpoint: a point continued from its saved state', () => {
  // one long point: a record every 20 steps
  const single = { model: { inputDim: 2, hidden: [16] }, data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin' } }, train: { steps: 400, recordEvery: 20, momentum: 0.5 } };
  const singlePath = specFile('single.json', single);

  it('after a SIGTERM and after a SIGKILL mid-point: --resume goes on from the checkpoint and ends byte for byte as the uninterrupted run', { timeout: 300_000 }, async () => {
    const reference = join(dir, 'single-whole');
    const r = widenet(['run', singlePath, '--out', reference]);
    expect(r.code, r.stderr).toBe(0);
    for (const [signal, code] of [['SIGTERM', 143], ['SIGKILL', null]] as const) {
      const out = join(dir, `single-${signal}`);
      const run = widenetChild(['run', singlePath, '--out', out, '--checkpoint', '0']);
      const t0 = Date.now();
      while (run.stdout().split('\n').length < 6 && Date.now() - t0 < 120_000) await new Promise((res) => setTimeout(res, 20));
      run.child.kill(signal);
      const stopped = await run.done;
      expect(stopped.code, stopped.stderr).toBe(code);
      expect(files(out)).toContain('checkpoint.bin');
      const cut = read(out, 'metrics.jsonl').split('\n').filter((l) => l.startsWith('{"width"')).length;
      expect(cut).toBeGreaterThanOrEqual(5);
      expect(cut).toBeLessThan(21); // stopped before the end

      const resumed = widenet(['run', singlePath, '--out', out, '--resume']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const m = /keeping 0 finished points \(0 lines\) and point 0's first (\d+) lines, to its checkpoint at step (\d+), dropping \d+ lines? after them; running 1 point \(0\), point 0 from its checkpoint at step (\d+)$/.exec(ownStderr(resumed.stderr));
      expect(m, `${signal}: ${resumed.stderr}`).not.toBeNull();
      const [kept, step] = [Number(m![1]), Number(m![2])];
      expect(step).toBe((kept - 1) * 20);
      if (signal === 'SIGTERM') expect(kept).toBe(cut); // the stop itself saved the state after the last record
      expect(files(out)).toEqual(files(reference)); // the checkpoint is gone with its finished point
      for (const f of files(reference)) expect(read(out, f), `${signal}: ${f}`).toBe(read(reference, f));
      expect(resumed.stdout).toBe(r.stdout.split('\n').slice(kept).join('\n'));
    }
  });

  it('a checkpoint of another point, or one whose lines are not in metrics.jsonl, is not used (and said so); a bad --checkpoint is refused', () => {
    const bad = widenet(['run', singlePath, '--out', join(dir, 'x'), '--checkpoint', '-1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--checkpoint .*expected seconds between checkpoints: a number ≥ 0, like 600; received "-1"/);
    const noOut = widenet(['run', singlePath, '--checkpoint', '5']);
    expect(noOut.code).toBe(1);
    expect(ownStderr(noOut.stderr)).toMatch(/--checkpoint is only meaningful with --out DIR/);
    // the three-width sweep stopped two lines into its second point (index 1), with checkpoints of all kinds
    const d = stoppedCopy('checkpoints', 1, 2, '');
    const text = resolvedSpecText(spec);
    const hash = specHash(text);
    const empty = { values: {}, buffers: new Map() };
    const step1 = JSON.parse(wholeLines()[perPoint() + 1]).step;
    const with_ = (meta: { point: number; lines: number; step: number; specHash: string; machine?: string }) => {
      writeCheckpoint(d, meta, empty);
      return readResumeState(d, spec, text, null)!;
    };
    const used = with_({ point: 1, lines: 2, step: step1, specHash: hash });
    expect(used.resumePoint).toMatchObject({ index: 1, step: step1, lines: wholeLines().slice(perPoint(), perPoint() + 2).map((l) => JSON.parse(l)) });
    expect(used.keptText.split('\n').length - 1).toBe(perPoint() + 2);
    expect(used.checkpointIgnored).toBeNull();
    // computed elsewhere (another adapter or other kernels): used, with a warning that it is not bit for bit
    const elsewhere = with_({ point: 1, lines: 2, step: step1, specHash: hash, machine: '{"adapter":"A"}' });
    expect(checkpointMachineWarning(elsewhere, '{"adapter":"A"}')).toBeNull();
    expect(checkpointMachineWarning(elsewhere, '{"adapter":"B"}')).toMatch(/^widenet: warning: checkpoint\.bin was computed with \{"adapter":"A"\}, this run computes with \{"adapter":"B"\}: point 1 goes on from it, but rounding differs/);
    expect(with_({ point: 2, lines: 2, step: step1, specHash: hash }).checkpointIgnored).toBe('it is of point 2, not of the point that was cut off (1)');
    expect(with_({ point: 1, lines: 3, step: step1, specHash: hash }).checkpointIgnored).toBe('metrics.jsonl does not hold the 3 lines of point 1 up to its step 50');
    expect(with_({ point: 1, lines: 2, step: step1, specHash: 'sha256:0' }).checkpointIgnored).toBe('it is of another spec');
    writeFileSync(join(d, 'checkpoint.bin'), 'not a checkpoint');
    const s = readResumeState(d, spec, text, null)!;
    expect(s.resumePoint).toBeNull();
    expect(s.checkpointIgnored).toMatch(/checkpoint\.bin is not a widenet checkpoint/);
    expect(resumeMessage(d, s)).toMatch(/the first from step 0; checkpoint\.bin not used: .*is not a widenet checkpoint/);
  });
});

describe('readResumeState: what a stopped folder keeps', () => {
  const text = resolvedSpecText(spec);

  it('a kill mid-line (no interrupted line, a cut last line): the whole points before it are kept', () => {
    const lines = wholeLines();
    const d = stoppedCopy('killed', 2, 3, lines[2 * perPoint() + 3].slice(0, 40));
    const s = readResumeState(d, spec, text, null)!;
    expect(s.finished.map((p) => p.width)).toEqual([[8], [16]]);
    expect(s.finished[1].lines).toEqual(lines.slice(perPoint(), 2 * perPoint()).map((l) => JSON.parse(l)));
    expect(s.remaining).toEqual([2]);
    expect(s.droppedLines).toBe(4);
    expect(s.stoppedBy).toMatch(/a kill \(its last line was cut mid-write\)/);
    expect(s.keptText).toBe(lines.slice(0, 2 * perPoint()).map((l) => l + '\n').join(''));
  });

  it('a point whose lines are all there but whose kernels file is not is run again', () => {
    const d = stoppedCopy('no-kernels', 1, perPoint(), '{"interrupted":{"width":[16],"step":300,"signal":"SIGINT"}}\n');
    const s = readResumeState(d, spec, text, null)!;
    expect(s.finished.map((p) => p.width)).toEqual([[8]]);
    expect(s.remaining).toEqual([1, 2]);
    expect(s.stoppedBy).toBe('SIGINT');
  });

  it('refuses another spec naming the fields, another shard, a changed file; changes nothing', () => {
    const d = stoppedCopy('refusals', 1, 2, '');
    const before = read(d, 'metrics.jsonl');
    const refused = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ResumeError);
        return (e as Error).message;
      }
      throw new Error('expected a ResumeError');
    };
    const other = parseSpec({ ...raw, train: { ...raw.train, lr: 0.5 } });
    expect(refused(() => readResumeState(d, other, resolvedSpecText(other), null))).toMatch(/holds a run of another spec .*train\.lr: 1 in the folder, 0\.5 now/);
    expect(refused(() => readResumeState(d, spec, text, { index: 0, count: 2, source: '--shard' }))).toMatch(/holds an unsharded run, not shard 0\/2/);
    writeFileSync(join(d, 'shard.json'), JSON.stringify({ shard: { index: 1, count: 2, source: '--shard' }, done: [] }));
    expect(refused(() => readResumeState(d, spec, text, null))).toMatch(/holds shard 1\/2; resume it as that shard \(--shard 1\/2/);
    expect(refused(() => readResumeState(d, spec, text, { index: 0, count: 2, source: '--shard' }))).toMatch(/holds shard 1\/2, not shard 0\/2/);
    writeFileSync(join(d, 'shard.json'), '{"shard": ');
    expect(refused(() => readResumeState(d, spec, text, null))).toMatch(/shard\.json is not JSON/);
    unlinkSync(join(d, 'shard.json'));
    writeFileSync(join(d, 'metrics.jsonl'), 'not json\n' + before);
    expect(refused(() => readResumeState(d, spec, text, null))).toMatch(/line 1 of .*metrics\.jsonl is not JSON/);
    writeFileSync(join(d, 'metrics.jsonl'), before + '{"width":[99],"step":0}\n');
    expect(refused(() => readResumeState(d, spec, text, null))).toMatch(/a line of a point this run does not have/);
    writeFileSync(join(d, 'metrics.jsonl'), before);
    unlinkSync(join(d, 'spec.json'));
    expect(refused(() => readResumeState(d, spec, text, null))).toMatch(/holds results but no spec\.json/);
    expect(read(d, 'metrics.jsonl')).toBe(before);
  });

  it('jsonDifferences names the dotted paths where two specs differ', () => {
    expect(jsonDifferences({ a: { b: 1, c: [1, 2] } }, { a: { b: 1, c: [1, 3] }, d: true })).toEqual(['a.c[1]: 2 in the folder, 3 now', 'd: absent in the folder, true now']);
    expect(jsonDifferences({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
