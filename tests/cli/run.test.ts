// `widenet run SPEC.json [--out DIR]` as a user runs it (the built CLI; `npm test` builds it first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alphaWarning, parseSpec } from '../../src/spec';
import { AUTOTUNE_VERSION } from '../../src/kernels/autotune';
import { CLI, ownStderr, specFolder, widenet, widenetChild } from '../helpers/cli';
import { lockText, parseLock, prepareOutDir, clusterJob } from '../../src/cli/run';

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

  it('refuses lstsq on a network not linear in its trainable parameters, exit code 2, by field path', () => {
    const path = specFile('lstsq.json', { model: { inputDim: 2, hidden: [8] }, data: { train: { kind: 'circle', n: 4 }, target: { kind: 'sin' } }, train: { optimizer: 'lstsq' } });
    const r = widenet(['run', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/train\.optimizer: expected a model linear in its trainable parameters with optimizer "lstsq".*received trainable non-readout layer \[0\]/);
    expect(r.stdout).toBe('');
  });

  it('refuses training data without labels, saying what to add', () => {
    const path = specFile('nolabels.json', { model: { inputDim: 2, hidden: [8] }, data: { train: { kind: 'circle', n: 4 } } });
    const r = widenet(['run', path]);
    // a property of the spec for training: refused at validation, by path, with exit code 2
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/data\.target: required field is missing for training; expected a target to label the data\.train inputs/);
    // `ntk` runs on inputs without labels
    expect(widenet(['ntk', path]).code).toBe(0);
  });

  it('every example spec is valid', () => {
    const examples = join(__dirname, '../../examples');
    const files = readdirSync(examples).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect(() => parseSpec(JSON.parse(readFileSync(join(examples, f), 'utf8')), f), f).not.toThrow();
    expect(existsSync(join(examples, 'mup-coordinate-check.json'))).toBe(true);
  });
});

const base = { model: { inputDim: 2, hidden: [16] }, data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin' } }, train: { steps: 4 } };
/** A run that takes long enough to be interrupted: a record every 5 steps of a two-width sweep. */
const long = { model: { inputDim: 2, hidden: [[64], [256]] }, data: { train: { kind: 'circle', n: 32 }, target: { kind: 'sin' } }, train: { steps: 100000, recordEvery: 5 } };

/** One `widenet: …` line on stderr, no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const own = ownStderr(stderr);
  expect(own.split('\n'), own).toHaveLength(1);
  expect(own).toMatch(/^widenet: /);
  expect(own).toMatch(pattern);
  expect(own).not.toMatch(/^\s+at /m);
}

describe('widenet run --out: the results folder', () => {
  it('an impossible folder is a one-line error with exit code 1, before any GPU work, and never hangs', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    // were the GPU work first, this would fail otherwise: a 65536² weight (16 GiB) exceeds the limits
    const heavy = specFile('heavy.json', { ...base, model: { inputDim: 2, hidden: [65536, 65536] } });
    for (const [out, pattern] of [
      ['/proc/widenet-x', /cannot create the output folder \/proc\/widenet-x: (ENOENT|EACCES|EROFS|EPERM)/],
      [file, /exists and is not a folder \(ENOTDIR\)/],
      [join(file, 'sub'), /ENOTDIR/],
    ] as const) {
      const r = widenet(['run', heavy, '--out', out], { timeout: 60_000 });
      expect(r.code, `${out}: ${r.stderr}`).toBe(1); // null when it hung until the timeout
      expectOneLine(r.stderr, pattern);
      expect(r.stdout).toBe('');
    }
  });

  it('refuses a folder that holds results unless --force, which deletes only widenet\'s own files', () => {
    const out = join(dir, 'results');
    const path = specFile('base.json', base);
    expect(widenet(['run', path, '--out', out]).code).toBe(0);
    writeFileSync(join(out, 'kernels-999.json'), '{}'); // stale kernels of an earlier sweep
    const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    const again = widenet(['run', path, '--out', out]);
    expect(again.code).toBe(1);
    expectOneLine(again.stderr, /output folder .*results is not empty .*pass --force/);
    expect(again.stdout).toBe('');
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
    const forced = widenet(['run', path, '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['kernels-16.json', 'metrics.jsonl', 'spec.json']); // stale file gone, no .lock left
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(forced.stdout);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const foreign = widenet(['run', path, '--out', out, '--force']);
    expect(foreign.code).toBe(1);
    expectOneLine(foreign.stderr, /--force deletes only widenet's own files .* also holds: notes\.txt/);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(out, 'metrics.jsonl'))).toBe(true);
  });

  it('a folder locked by a running process is refused naming its pid; a stale lock is taken over', () => {
    const out = join(dir, 'locked');
    mkdirSync(out);
    const path = specFile('base-lock.json', base);
    writeFileSync(join(out, '.lock'), `${process.pid}\n`); // this test process: alive
    const r = widenet(['run', path, '--out', out]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, new RegExp(`in use by another widenet run \\(pid ${process.pid}`));
    expect(readdirSync(out)).toEqual(['.lock']);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(out, '.lock'), `${dead}\n`);
    const s = widenet(['run', path, '--out', out]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(new RegExp(`stale lock .*pid ${dead}`));
    expect(readdirSync(out)).not.toContain('.lock');
  });

  it('the lock names pid, host and cluster job; another host\'s lock is refused unless it is this job\'s earlier attempt (a requeue)', () => {
    const out = join(dir, 'lock-hosts');
    mkdirSync(out);
    const held = prepareOutDir(out);
    expect(parseLock(readFileSync(join(out, '.lock'), 'utf8'))).toEqual({ pid: process.pid, host: hostname(), job: clusterJob() });
    held.release();
    const env = { SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: '3', SLURM_JOB_ID: '80' };
    expect(clusterJob(env)).toBe('slurm:77_3');
    expect(clusterJob({ SLURM_JOB_ID: '80' })).toBe('slurm:80');
    expect(clusterJob({ WIDENET_JOB_NAME: 'widenet-sweep', JOB_COMPLETION_INDEX: '2' })).toBe('k8s:widenet-sweep_2');
    expect(clusterJob({ JOB_COMPLETION_INDEX: '2' })).toBeNull(); // the index alone does not name the Job
    expect(lockText(12, 'node-a', 'slurm:77_3')).toBe('12 node-a slurm:77_3\n');
    // a pid on another node cannot be checked from here: refused, naming pid and host
    writeFileSync(join(out, '.lock'), lockText(12, 'node-elsewhere', null));
    expect(() => prepareOutDir(out)).toThrow(/locked by pid 12 on host node-elsewhere, which cannot be checked from .*; if that run has ended, delete .*\.lock/);
    // the same Slurm array task, requeued onto this node: its earlier attempt has ended
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      writeFileSync(join(out, '.lock'), lockText(12, 'node-elsewhere', 'slurm:77_3'));
      const warned: string[] = [];
      prepareOutDir(out, { warn: (l) => warned.push(l) }).release();
      expect(warned.join('')).toMatch(/taking over the stale lock .*its job slurm:77_3 is this one, requeued: the earlier attempt on node-elsewhere has ended/);
      writeFileSync(join(out, '.lock'), lockText(12, 'node-elsewhere', 'slurm:77_4')); // another task of the array
      expect(() => prepareOutDir(out)).toThrow(/locked by pid 12 on host node-elsewhere \(slurm:77_4\)/);
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
});

describe('widenet run: stopping', () => {
  it('a stdout closed by its reader (| head -n 2) ends the run quietly with exit code 0', () => {
    const path = specFile('pipe.json', { model: { inputDim: 2, hidden: [[64], [256]] }, data: { train: { kind: 'circle', n: 32 }, target: { kind: 'sin' } }, train: { steps: 300 } });
    for (let trial = 0; trial < 2; trial++) {
      const status = join(dir, `pipe-status-${trial}`);
      const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" run "${path}" | head -n 2; echo "\${PIPESTATUS[0]}" > "${status}"`], { encoding: 'utf8', timeout: 300_000 });
      expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([0, 10]);
      expect(readFileSync(status, 'utf8').trim(), r.stderr).toBe('0'); // was a crash: EPIPE stack, then 139
      expect(ownStderr(r.stderr)).toBe('');
    }
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal} ends with whole lines and an interrupted line in stdout and metrics.jsonl, releases the lock, exits ${code}`, async () => {
      const out = join(dir, `interrupted-${signal}`);
      const path = specFile(`long-${signal}.json`, long);
      const run = widenetChild(['run', path, '--out', out]);
      // interrupt once a few records are out
      const t0 = Date.now();
      while (run.stdout().split('\n').length < 4 && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(out, '.lock'))).toBe(true);
      run.child.kill(signal);
      const r = await run.done;
      expect(r.code, r.stderr).toBe(code);
      const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
      for (const text of [r.stdout, metrics]) {
        expect(text.endsWith('\n')).toBe(true);
        const all = lines(text); // every line parses: no half line
        const last = all.at(-1);
        expect(last.interrupted.signal).toBe(signal);
        expect(last.interrupted.width).toEqual([64]);
        expect(last.interrupted.step).toBe(all.at(-2).step);
        expect(last.interrupted.step).toBeGreaterThan(0);
      }
      expect(metrics).toBe(r.stdout);
      expect(readdirSync(out).sort()).toEqual(['metrics.jsonl', 'spec.json']); // the lock is released
      expectOneLine(r.stderr, new RegExp(`interrupted by ${signal}`));
    });
  }
});

describe('widenet: errors and warnings', () => {
  it('a run-time error is one line; --debug or WIDENET_DEBUG=1 adds the stack', () => {
    // (inputs beyond float32 are refused at validation now, so the overflow comes from depth: the
    // variance grows by σ_w²/2 = 8 per ReLU layer and leaves float32 before layer 60)
    const path = specFile('overflow.json', { model: { inputDim: 2, hidden: Array(60).fill(4), weightStd: 4 }, data: { train: { kind: 'points', x: [[1, 0], [0, 1]] } } });
    const r = widenet(['ntk', path]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^widenet: NonFiniteError: empirical NTK at width \[4(,\s?4)*\]: \d+ of \d+ entries are non-finite/);
    for (const [args, env] of [[['--debug', 'ntk', path], {}], [['ntk', path, '--debug'], {}], [['ntk', path], { WIDENET_DEBUG: '1' }]] as const) {
      const d = widenet([...args], { env });
      expect(d.code).toBe(1);
      expect(d.stderr).toMatch(/^widenet: NonFiniteError: empirical NTK/m);
      expect(d.stderr).toMatch(/^\s+at .*widenet\.js/m);
    }
  });

  it('ntk prints only JSON lines on stdout; a tensor of exactly the binding limit is refused as a limit', () => {
    const path = specFile('big.json', { model: { inputDim: 2, hidden: [[16, 16], [16384, 16384]] }, data: { train: { kind: 'points', x: [[1, 0], [0, 1], [0.6, 0.8], [-1, 0]] } } });
    const r = widenet(['ntk', path]);
    const out = r.stdout.split('\n').filter((l) => l);
    for (const l of out) expect(() => JSON.parse(l), l).not.toThrow();
    expect(out.length).toBeGreaterThanOrEqual(1); // the 16-wide width
    // on a device with a 1 GiB binding limit the 16384² weight is refused before any allocation, by name
    if (r.code !== 0) expectOneLine(r.stderr, /MemoryBudgetError: .*W2 \[1,16384,16384\] needs 1\.07 GB/);
  });

  it('α > 1 without centring warns once on stderr (run and ntk), with the same text the pages show', () => {
    const spec = { ...base, model: { ...base.model, alpha: 8 } };
    const text = alphaWarning(parseSpec(spec));
    expect(text).toMatch(/not lazy/);
    expect(text).toMatch(/"centered": true/);
    expect(alphaWarning(parseSpec({ ...spec, model: { ...spec.model, centered: true } }))).toBeNull();
    expect(alphaWarning(parseSpec(base))).toBeNull();
    const path = specFile('alpha.json', spec);
    for (const cmd of ['run', 'ntk']) {
      const r = widenet([cmd, path]);
      expect(r.code, r.stderr).toBe(0);
      expect(ownStderr(r.stderr)).toBe(`widenet: warning: ${text}`);
    }
    const centred = widenet(['run', specFile('alpha-centred.json', { ...spec, model: { ...spec.model, centered: true } })]);
    expect(ownStderr(centred.stderr)).toBe('');
  });

  it('a broken autotune cache (null; a tile out of range) is reported once and ignored by every command', () => {
    const nullCache = join(dir, 'autotune-null.json');
    writeFileSync(nullCache, 'null');
    const info = widenet(['info'], { env: { WIDENET_AUTOTUNE_CACHE: nullCache } });
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).vendor).toBeTypeOf('string');
    expectOneLine(info.stderr, /ignoring the autotune cache .*autotune-null\.json: expected an object/);
    const a = JSON.parse(info.stdout);
    const key = [a.vendor, a.architecture, a.description, a.software ? 'software' : 'hardware', `v${AUTOTUNE_VERSION}`].join('|');
    const badCache = join(dir, 'autotune-bad.json');
    writeFileSync(badCache, JSON.stringify({ [key]: { matmul: { version: 'v2_regtile', chosen: { WG_X: 64, WG_Y: 64 } }, gram: { chosen: { wg: 8 } } } }));
    const r = widenet(['run', specFile('base-tune.json', base)], { env: { WIDENET_AUTOTUNE_CACHE: badCache } });
    expect(r.code, r.stderr).toBe(0);
    expectOneLine(r.stderr, /ignoring the autotune cache entry .*matmul\.chosen \{"WG_X":64,"WG_Y":64\} is not a v2_regtile candidate/);
    expect(lines(r.stdout).at(-1).step).toBe(4);
  });
});
