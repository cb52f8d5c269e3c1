// What a hostile-user run of the CLI found (round 13), each fixed at its root: merge into one of its
// own inputs, a shard without its kernels files, a run that stops on an error, an empty --out,
// output paths that cannot be written, the messages of out-of-range numbers, the --force list,
// the α warning of a grid, and a width too large for the device found before any work.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseShardFlag, resolveShard } from '../../src/cli/shard';
import { OWN_RESULT_FILES, prepareOutDir } from '../../src/cli/run';
import { parseSpec, parseSpecText } from '../../src/spec';
import type { FailedLine } from '../../src/dynamics/records';
import { ownStderr, specFolder, widenet } from '../helpers/cli';

const { dir, specFile } = specFolder('widenet-hostile-');
const base = { seed: 0, model: { inputDim: 2, hidden: [16], activation: 'relu', parameterization: 'ntk' }, data: { train: { kind: 'circle', n: 4 }, target: { kind: 'sin' } }, train: { lr: 1, steps: 2, recordEvery: 2 }, observe: { spectrum: 1 } };
const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('messages name the real bound', () => {
  it('an integer above 2^53 − 1, a shard count too large, a number that underflows to 0 in the text', () => {
    expect(message(() => parseSpec({ ...base, train: { steps: 1e300 } }))).toContain('train.steps: expected a number of steps: an integer ≥ 0, at most 2^53 − 1 = 9007199254740991 (the largest whole number a JSON number holds exactly); received 1e+300');
    // not an integer at all: the message stays the plain one
    expect(message(() => parseSpec({ ...base, train: { steps: 2.5 } }))).toContain('train.steps: expected a number of steps: an integer ≥ 0; received 2.5');
    expect(message(() => parseShardFlag('0/99999999999999999999'))).toMatch(/shard count N from 1 to 9007199254740991 .*; received "0\/99999999999999999999"/);
    expect(message(() => resolveShard(undefined, '99999999999999999999', { JOB_COMPLETION_INDEX: '0' }))).toMatch(/--shards: expected a shard count N from 1 to 9007199254740991/);
    const grid = JSON.stringify({ ...base, sweep: { grid: { 'train.lr': [1, 1] } } }).replace('"train.lr":[1,1]', '"train.lr":[1e-400, 1]');
    expect(message(() => parseSpecText(grid, 'g.json'))).toMatch(/sweep\.grid\["train\.lr"\]\[0\]: expected a learning rate: a number > 0; received 1e-400 \(line 1, column \d+\), which is below the smallest float64 number \(about 4\.9e-324\): JSON reads it as 0/);
    // a literal 0 is shown as 0
    expect(message(() => parseSpecText(JSON.stringify({ ...base, train: { lr: 0 } }), 'z.json'))).toMatch(/train\.lr: expected a learning rate: a number > 0; received 0$/m);
  });
});

describe('--force deletes widenet\'s own files, listed the same everywhere', () => {
  it('--help, OutDirError and docs/spec-and-cli.md name OWN_RESULT_FILES', () => {
    expect(OWN_RESULT_FILES).toBe('metrics.jsonl, spec.json, kernels-*.json, shard.json, checkpoint.bin');
    const folder = join(dir, 'foreign');
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    writeFileSync(join(folder, 'metrics.jsonl'), '');
    expect(message(() => prepareOutDir(folder, { force: true }))).toContain(`--force deletes only widenet's own files (${OWN_RESULT_FILES}), but`);
    expect(readdirSync(folder).sort()).toEqual(['metrics.jsonl', 'notes.txt']); // nothing deleted
    const help = widenet(['run', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain(OWN_RESULT_FILES);
    expect(readFileSync(join(__dirname, '../../docs/spec-and-cli.md'), 'utf8')).toContain(`(\`${OWN_RESULT_FILES.split(', ').join('`, `')}\`)`);
  });
});

describe('output paths are checked before any work (exit code 2, naming the flag)', () => {
  it("an empty --out (an unset $OUT) on run, merge and plot; an unwritable --json, --export-entk, plot --out", () => {
    const spec = specFile('base.json', base);
    for (const args of [['run', spec, '--out', ''], ['merge', dir, '--out', ''], ['plot', dir, '--out', '']]) {
      const r = widenet(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(ownStderr(r.stderr)).toBe('widenet: --out: expected a path; received an empty string (an unset shell variable, like --out "$OUT"?)');
      expect(r.stdout).toBe('');
    }
    const st = widenet(['selftest', '--quick', '--json', '/proc/x.json']);
    expect(st.code, st.stderr).toBe(2);
    // refused before the first case (each case logs a line on stderr)
    expect(ownStderr(st.stderr)).toMatch(/^widenet: --json \/proc\/x\.json: cannot create files in the folder \/proc \(\w+\)$/);
    const ex = widenet(['selftest', '--quick', '--export-entk', join(dir, 'base.json', 'x.json')]);
    expect(ex.code).toBe(2);
    expect(ownStderr(ex.stderr)).toMatch(/^widenet: --export-entk .*base\.json\/x\.json: .*base\.json is not a folder$/);
    const pl = widenet(['plot', dir, '--out', '/nonexist/x.svg']);
    expect(pl.code).toBe(2);
    expect(ownStderr(pl.stderr)).toBe('widenet: --out /nonexist/x.svg: the folder /nonexist does not exist; create it first');
  });
});

describe('a run that stops on an error', () => {
  it('ends stdout and metrics.jsonl with a {"failed": …} line; a width too large is refused before any weights are drawn', () => {
    // the second width cannot be allocated (its [4, 1e8] activations: 1.6 GB > the 1 GiB buffer limit):
    // found up front, so no point runs (without the preflight the first width trains, then the second draws 2e8 weights)
    const spec = specFile('toolarge.json', { ...base, model: { ...base.model, hidden: [[16], [100000000]] } });
    const out = join(dir, 'failed');
    const r = widenet(['run', spec, '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(ownStderr(r.stderr)).toBe('widenet: LimitExceededError: tensor "h1" of shape [1, 4, 100000000] (1,600,000,000 bytes, checked before the run) needs 1,600,000,000 but the device\'s maxStorageBufferBindingSize (bytes) is 1,073,741,824');
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    expect(metrics).toBe(r.stdout);
    const line = JSON.parse(metrics.trim()) as FailedLine;
    expect(line).toEqual({ failed: { width: [100000000], step: 0, error: 'LimitExceededError', message: expect.stringContaining('tensor "h1"') } });
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });

  it('the NTK\'s own tensors are in the up-front check: 16 outputs make δ₁ [1, 16, 4, m] too large where the activations fit', () => {
    const spec = specFile('wide-outputs.json', { ...base, model: { ...base.model, hidden: [5000000], outputDim: 16 }, data: { ...base.data, target: { kind: 'teacher', hidden: [4] } } });
    const t0 = Date.now();
    const r = widenet(['run', spec]);
    expect(r.code, r.stderr).toBe(1);
    expect(ownStderr(r.stderr)).toBe('widenet: LimitExceededError: tensor "δ1" of shape [1, 16, 4, 5000000] (1,280,000,000 bytes, checked before the run) needs 1,280,000,000 but the device\'s maxStorageBufferBindingSize (bytes) is 1,073,741,824');
    expect(Date.now() - t0).toBeLessThan(30_000); // before any weights (W₂ alone is 320 MB to draw)
  });
});

describe('widenet merge', () => {
  it('refuses an --out among its inputs, a shard without its kernels files, a cut metrics.jsonl and a failed shard, naming each', () => {
    const spec = specFile('grid.json', { ...base, model: { ...base.model, hidden: [[8], [16]] } });
    for (const i of [0, 1]) expect(widenet(['run', spec, '--shard', `${i}/2`, '--out', join(dir, `sh${i}`)]).code).toBe(0);
    const sh = (i: number) => join(dir, `sh${i}`);
    const before = readdirSync(sh(1)).sort();
    // --out = an input, also through a symlink and inside it: refused before anything is touched
    symlinkSync(sh(1), join(dir, 'link1'));
    for (const target of [sh(1), join(dir, 'link1'), join(sh(1), 'sub')]) {
      const r = widenet(['merge', sh(0), sh(1), '--out', target, '--force']);
      expect(r.code, r.stderr).toBe(1);
      expect(ownStderr(r.stderr)).toMatch(/--out .* (is the shard folder|lies inside the shard folder)/);
    }
    expect(readdirSync(sh(1)).sort()).toEqual(before);
    expect(before).toEqual(['kernels-16.json', 'metrics.jsonl', 'shard.json', 'spec.json']);
    // the shards merge
    expect(widenet(['merge', sh(0), sh(1), '--out', join(dir, 'merged')]).code).toBe(0);
    // a shard without its kernels file
    cpSync(sh(1), join(dir, 'nok'), { recursive: true });
    rmSync(join(dir, 'nok', 'kernels-16.json'));
    const nok = widenet(['merge', sh(0), join(dir, 'nok'), '--out', join(dir, 'm-nok')]);
    expect(nok.code).toBe(1);
    expect(ownStderr(nok.stderr)).toContain('is incomplete: 1 kernels file of its finished points is missing: kernels-16.json');
    expect(existsSync(join(dir, 'm-nok'))).toBe(false);
    // a metrics.jsonl cut mid-line
    cpSync(sh(1), join(dir, 'cut'), { recursive: true });
    const text = readFileSync(join(dir, 'cut', 'metrics.jsonl'), 'utf8');
    writeFileSync(join(dir, 'cut', 'metrics.jsonl'), text.slice(0, text.indexOf('\n') + 1 + 40));
    const cut = widenet(['merge', sh(0), join(dir, 'cut'), '--out', join(dir, 'm-cut')]);
    expect(cut.code).toBe(1);
    expect(ownStderr(cut.stderr)).toContain('is incomplete: the last line of metrics.jsonl (line 2, 40 characters) has no newline: it was cut while being written (the run was killed)');
    // one whole line of two: "1 line", not "1 lines"
    cpSync(sh(1), join(dir, 'short'), { recursive: true });
    writeFileSync(join(dir, 'short', 'metrics.jsonl'), text.slice(0, text.indexOf('\n') + 1));
    expect(ownStderr(widenet(['merge', sh(0), join(dir, 'short'), '--out', join(dir, 'm-short')]).stderr)).toContain('metrics.jsonl has 1 line, its points printed 2');
    // a shard that failed (its width is refused): named with its error
    const bad = specFile('bad.json', { ...base, model: { ...base.model, hidden: [[8], [100000000]] } });
    expect(widenet(['run', bad, '--shard', '0/1', '--out', join(dir, 'bad0')]).code).toBe(1);
    const failed = widenet(['merge', join(dir, 'bad0'), '--out', join(dir, 'm-bad')]);
    expect(failed.code).toBe(1);
    expect(existsSync(join(dir, 'm-bad'))).toBe(false);
    expect(ownStderr(failed.stderr)).toMatch(/shard 0\/1 \(.*bad0\) failed: LimitExceededError: tensor "h1" .* \(at width \[100000000\], step 0\); fix the cause and rerun the shard with --resume \(it keeps the finished points\)/);
  });
});

describe('the α warning of a grid', () => {
  it('warns once per distinct offending α over all points, not from the first point alone', () => {
    const spec = specFile('alpha.json', { ...base, train: { lr: 1, steps: 0, recordEvery: 1 }, sweep: { grid: { 'model.alpha': [1, 4, 2], 'train.lr': [0.5, 1] } } });
    const r = widenet(['run', spec]);
    expect(r.code, r.stderr).toBe(0);
    const warnings = ownStderr(r.stderr).split('\n').filter((l) => l.startsWith('widenet: warning:'));
    expect(warnings.map((w) => /model\.alpha = (\S+)/.exec(w)?.[1]).sort()).toEqual(['2', '4']); // six points, two offending values
  });
});
