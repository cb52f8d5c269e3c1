// `widenet run SPEC.json [--out DIR]`: trains every width of the spec and prints JSON Lines
// (DESIGN.md §5): one record per line, a divergence line if a width diverged, and for a sweep a
// final {"summary": …} with the log-log slopes against width. --out DIR also writes
// metrics.jsonl (the same lines), spec.json (the resolved spec, defaults filled in) and
// kernels-<width>.json (Θ₀ and Θ_t on the probe at the end of each width).
//
// The results folder is prepared before any GPU work (prepareOutDir): created, locked with an
// exclusively created `.lock` holding the pid, the host and any cluster job (parseLock), and
// refused when it already holds results unless --force (which deletes widenet's own files only)
// or --resume (which continues the run there: resume.ts). A stop request (SIGINT/SIGTERM/SIGHUP,
// or a closed stdout) ends the run after the line being written, so every file holds whole lines only.
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Runtime } from '../gpu/runtime';
import { WidenetError } from '../gpu/errors';
import { runExperiment, type Experiment } from '../dynamics/experiment';
import { pointCount, pointWidth, specGrid, type ExperimentSpec } from '../spec';
import { SHARD_FILE, ShardLog, shardIndices, specHash, type Shard } from './shard';
import { SweepProgress, type ProgressStream } from './progress';
import { CHECKPOINT_FILE, failedLine, kernelsFileName, requireOutputPath } from './output-paths';
import { checkRunAllocations } from './preflight';
import { applyResumeState, checkpointMachine, checkpointMachineWarning, removeCheckpoint, resumeMessage, writeCheckpoint, type ResumeState } from './resume';
import type { InterruptedLine } from '../dynamics/records';

/** A problem with the --out folder (cannot be created, written, locked, or holds other results). */
export class OutDirError extends WidenetError {}

/** The run was stopped by a signal; the CLI exits with 128 + the signal's number. */
export class InterruptedError extends WidenetError {
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal}`);
  }
  get exitCode(): number {
    return 128 + SIGNAL_NUMBERS[this.signal];
  }
}

/** The signals that stop a run cleanly (SIGHUP: the terminal or ssh session closed). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];
const SIGNAL_NUMBERS: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** stdout was closed by its reader (`| head`): the run ends quietly, exit code 0. */
export class OutputClosedError extends WidenetError {
  constructor() {
    super('stdout was closed');
  }
}

/** The files a run writes into its folder, as --help, the docs and OutDirError list them; --force deletes these and nothing else. */
export const OWN_RESULT_FILES = 'metrics.jsonl, spec.json, kernels-*.json, shard.json, checkpoint.bin';

/** The files a run writes into its folder (OWN_RESULT_FILES, and shard.json's temporary); --force deletes these and nothing else. */
export const isOwnResultFile = (name: string): boolean =>
  name === 'metrics.jsonl' || name === 'spec.json' || /^kernels-(p\d+-)?[0-9x]+\.json$/.test(name) || name === SHARD_FILE || name === `${SHARD_FILE}.tmp` || name === CHECKPOINT_FILE || name === `${CHECKPOINT_FILE}.tmp` || name === 'metrics.jsonl.tmp';
export const LOCK_FILE = '.lock';

const reason = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^[A-Z]+: /, '')}` : String((e as Error).message ?? e);
};

/**
 * mkdir -p that never loops: Node's recursive mkdirSync spins forever on paths such as /proc/x
 * (it retries the parent on each ENOENT). Walks up to the nearest existing ancestor, checks that
 * it is a folder, then creates each missing level once.
 */
function makeFolder(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutDirError(`cannot use the output folder ${dir}: ${reason(e)}`);
      missing.unshift(p);
      const parent = dirname(p);
      if (parent === p) throw new OutDirError(`cannot use the output folder ${dir}: no existing ancestor`);
      p = parent;
      continue;
    }
    if (!st.isDirectory()) throw new OutDirError(`cannot use the output folder ${dir}: ${p} exists and is not a folder (ENOTDIR)`);
    break;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      // another process may have just created it (two runs started together): fine if a folder
      const raced = (e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m, { throwIfNoEntry: false })?.isDirectory();
      if (!raced) throw new OutDirError(`cannot create the output folder ${dir}: ${reason(e)}`);
    }
  }
}

/**
 * Who holds a lock: `pid host [JOB]` (a lock of an older widenet holds the pid alone). A pid means
 * something only on its own host; JOB (clusterJob: the Slurm array task or job, or the Kubernetes
 * Job's index) lets a requeued task or retried pod on another node recognise its own earlier
 * attempt, which the engine ended before starting the new one.
 */
interface LockOwner {
  pid: number | null;
  host: string | null;
  job: string | null;
}

/**
 * This process's task of a job engine, or null: `slurm:ARRAYJOB_TASK` (or `slurm:JOB`), or
 * `k8s:JOBNAME_INDEX` for a Kubernetes Indexed Job whose pods set WIDENET_JOB_NAME to the Job's name
 * (examples/k8s/sweep-job.yaml, through the downward API; its podReplacementPolicy: Failed starts a
 * retry only once the failed pod has ended).
 */
export function clusterJob(env: Record<string, string | undefined> = process.env): string | null {
  if (env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID) return `slurm:${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`;
  if (env.SLURM_JOB_ID) return `slurm:${env.SLURM_JOB_ID}`;
  if (env.WIDENET_JOB_NAME && env.JOB_COMPLETION_INDEX) return `k8s:${env.WIDENET_JOB_NAME}_${env.JOB_COMPLETION_INDEX}`;
  return null;
}

export const lockText = (pid: number, host: string, job: string | null): string => `${pid} ${host}${job ? ` ${job}` : ''}\n`;

export function parseLock(text: string): LockOwner {
  const [pid, host, job] = text.trim().split(/\s+/);
  const n = Number.parseInt(pid ?? '', 10);
  return { pid: Number.isInteger(n) && n > 0 ? n : null, host: host || null, job: job || null };
}

/** Whether a lock's owner may still run: on this host, by its pid; on another, unless it is this very cluster job's earlier attempt. */
function lockHeld(owner: LockOwner, here: { host: string; job: string | null }): boolean {
  if (owner.host === null || owner.host === here.host) return owner.pid !== null && alive(owner.pid);
  return !(owner.job !== null && owner.job === here.job);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface OutDir {
  dir: string;
  /** Removes the lock (idempotent, synchronous: safe in signal handlers and at exit). */
  release(): void;
}

/**
 * Prepares a results folder before any GPU work: creates it, takes its lock (`.lock`, created
 * exclusively, holding the pid and host; a lock whose process is gone is taken over), and refuses a folder
 * that already holds files unless `force`, which deletes widenet's own result files and refuses
 * when anything else is there, or `resume`, which keeps them (resume.ts).
 */
export function prepareOutDir(dir: string, o: { force?: boolean; resume?: boolean; warn?: (line: string) => void } = {}): OutDir {
  requireOutputPath('--out', dir);
  makeFolder(dir);
  const lock = join(dir, LOCK_FILE);
  const take = (): number => openSync(lock, 'wx');
  let fd: number;
  try {
    fd = take();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutDirError(`cannot write into the output folder ${dir}: ${reason(e)}`);
    const owner = parseLock(readFileSync(lock, 'utf8'));
    const here = { host: hostname(), job: clusterJob() };
    if (lockHeld(owner, here)) {
      if (owner.host !== null && owner.host !== here.host) {
        throw new OutDirError(`the output folder ${dir} is locked by pid ${owner.pid ?? '?'} on host ${owner.host}${owner.job ? ` (${owner.job})` : ''}, which cannot be checked from ${here.host}; if that run has ended, delete ${lock}, or choose another folder`);
      }
      throw new OutDirError(`the output folder ${dir} is in use by another widenet run (pid ${owner.pid}, lock ${lock}); wait for it to end or choose another folder`);
    }
    const gone = owner.host !== null && owner.host !== here.host ? `its job ${owner.job} is this one, requeued: the earlier attempt on ${owner.host} has ended` : `pid ${owner.pid ?? '?'} is not running`;
    o.warn?.(`widenet: taking over the stale lock ${lock} (${gone})\n`);
    unlinkSync(lock);
    try {
      fd = take();
    } catch (e2) {
      throw new OutDirError(`cannot lock the output folder ${dir}: ${reason(e2)}`);
    }
  }
  writeSync(fd, lockText(process.pid, hostname(), clusterJob()));
  closeSync(fd);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      unlinkSync(lock);
    } catch {
      // already gone: nothing to release
    }
  };
  try {
    const present = readdirSync(dir).filter((f) => f !== LOCK_FILE);
    // --resume keeps what is there (resume.ts reads and checks it)
    if (present.length && !o.resume) {
      const foreign = present.filter((f) => !isOwnResultFile(f));
      if (!o.force) throw new OutDirError(`the output folder ${dir} is not empty (${present.slice(0, 5).join(', ')}${present.length > 5 ? ', …' : ''}); pass --force to replace widenet's results there, or choose another folder`);
      if (foreign.length) throw new OutDirError(`--force deletes only widenet's own files (${OWN_RESULT_FILES}), but ${dir} also holds: ${foreign.join(', ')}; choose another folder`);
      for (const f of present) unlinkSync(join(dir, f));
    }
  } catch (e) {
    release();
    throw e instanceof OutDirError ? e : new OutDirError(`cannot prepare the output folder ${dir}: ${reason(e)}`);
  }
  return { dir, release };
}

/** spec.json's text: the resolved spec (defaults filled in); shards of a sweep and a resumed run compare it byte for byte. */
export const resolvedSpecText = (spec: ExperimentSpec): string => JSON.stringify(spec, null, 2) + '\n';

export interface RunOptions {
  /** a folder from prepareOutDir (or a path, prepared here) */
  out?: OutDir | string;
  progress: boolean;
  /** writes one line to stdout; throws OutputClosedError once stdout is closed */
  write: (line: string) => void;
  status: (text: string) => void;
  /** the terminal the progress bar is drawn on (with progress: true; default process.stderr) */
  progressStream?: ProgressStream;
  /** run only this shard's points (shard.ts), without the summary; --out then also writes shard.json */
  shard?: Shard | null;
  /** the signal that asked the run to stop, if one did (checked after each line) */
  stopRequested?: () => StopSignal | null;
  /** continue the run in `out` (--resume): readResumeState of that folder (resume.ts, read before any GPU work); its finished points are kept, the rest run */
  resume?: ResumeState | null;
  /** with `out`: save the running point's state (checkpoint.bin) after a record once this many seconds passed since the last save, and when a stop is requested (--checkpoint) */
  checkpointSeconds?: number | null;
}

export async function runCommand(rt: Runtime, spec: ExperimentSpec, o: RunOptions): Promise<void> {
  const out = typeof o.out === 'string' ? prepareOutDir(o.out) : o.out;
  const metrics = out ? join(out.dir, 'metrics.jsonl') : null;
  const specText = resolvedSpecText(spec);
  const grid = specGrid(spec) !== null;
  const total = pointCount(spec);
  const shardPoints = o.shard ? shardIndices(total, o.shard) : undefined;
  // --resume: what the folder's earlier run finished is kept
  const resumed = out && o.resume ? o.resume : null;
  if (resumed) o.status(resumeMessage(out!.dir, resumed));
  const machine = checkpointMachine(rt);
  const elsewhere = resumed ? checkpointMachineWarning(resumed, machine) : null;
  if (elsewhere) o.status(elsewhere);
  const indices = resumed ? resumed.remaining : shardPoints;
  if (out) {
    writeFileSync(join(out.dir, 'spec.json'), specText);
    if (resumed) applyResumeState(out.dir, spec, resumed);
    else writeFileSync(metrics!, '');
  }
  const kept = resumed?.finished.map((p) => ({ index: p.index, lines: p.lines.length }));
  const shardLog = out && o.shard ? new ShardLog(out.dir, o.shard, specText, total, shardPoints!, resumed ? { kept: kept!, previous: resumed.previousShard } : undefined) : null;
  // where the run is, for the {"interrupted": …} line
  let at: { width: number[] | null; step: number } = { width: null, step: 0 };
  let atPoint: Record<string, unknown> | null = null;
  const progress = o.progress ? new SweepProgress(o.progressStream ?? process.stderr, indices?.length ?? total) : null;
  // --checkpoint: the running point's experiment and how many of its lines are out
  const checkpointing = out && o.checkpointSeconds != null ? { ms: o.checkpointSeconds * 1000, last: Date.now(), experiment: null as Experiment | null, point: -1, lines: 0, specHash: specHash(specText) } : null;
  const lines = runExperiment(rt, spec, {
    indices,
    finished: resumed?.finished,
    summary: !o.shard,
    resumePoint: resumed?.resumePoint ?? undefined,
    onExperiment: (experiment) => {
      if (checkpointing) checkpointing.experiment = experiment;
    },
    onPointStart: (point, ordinal) => {
      if (checkpointing) Object.assign(checkpointing, { point: point.index, lines: resumed?.resumePoint?.index === point.index ? resumed.resumePoint.lines.length : 0, experiment: null });
      atPoint = point.point;
      at = { width: pointWidth(point.spec), step: 0 };
      shardLog?.pointStarted();
      progress?.pointStart(ordinal, point.point, pointWidth(point.spec), point.spec.train.steps);
    },
    onPointEnd: (point, count) => {
      shardLog?.pointDone(point.index, count);
      // the point is whole (its kernels file written): its checkpoint is of no more use
      if (out) removeCheckpoint(out.dir);
    },
    onStep: (width, step, steps) => {
      at = { width, step };
      progress?.step(step, steps);
    },
    onWidthEnd: out
      ? async (experiment, point) => {
          const kernels = await experiment.kernelsFile(); // after a divergence: the last finite Θ_t, its step, `diverged`
          const file = join(out.dir, kernelsFileName(point.index, experiment.width, grid));
          writeFileSync(file, JSON.stringify({ width: experiment.width, ...(grid ? { point: point.point } : {}), probe: point.spec.observe.probe, ...kernels }) + '\n');
        }
      : undefined,
  });
  // each line is written whole with one synchronous call per destination: a stop request is only
  // acted on between lines, so no file ever ends in half a line
  const emit = (text: string, toStdout: boolean) => {
    if (metrics) appendFileSync(metrics, text + '\n');
    if (toStdout) o.write(text + '\n');
  };
  const interrupted = (signal: string) => JSON.stringify({ interrupted: { width: at.width, ...(grid ? { point: atPoint } : {}), step: at.step, signal } } satisfies InterruptedLine);
  // a run that stops on an error ends its results the same way, so that plot and merge see it unfinished
  const failed = (e: unknown) => JSON.stringify(failedLine(e, at.width, grid ? atPoint : undefined, at.step));
  try {
    // every point's tensors against the device's limits before any weights are drawn (preflight.ts)
    checkRunAllocations(spec, rt.limits, indices, (width, point) => {
      at = { width, step: 0 };
      atPoint = point;
    });
    for await (const line of lines) {
      if ('step' in line && Array.isArray((line as { width?: unknown }).width)) at = { width: (line as { width: number[] }).width, step: (line as { step: number }).step };
      progress?.clearLine();
      emit(JSON.stringify(line), true);
      const signal = o.stopRequested?.();
      if (checkpointing && !('summary' in line)) {
        checkpointing.lines++;
        // after a record (the generator waits at it), when due or when asked to stop
        const e = checkpointing.experiment;
        if ('step' in line && e && !e.diverged && (signal || Date.now() - checkpointing.last >= checkpointing.ms)) {
          writeCheckpoint(out!.dir, { point: checkpointing.point, lines: checkpointing.lines, step: e.stepIndex, specHash: checkpointing.specHash, machine }, await e.saveState());
          checkpointing.last = Date.now();
        }
      }
      if (signal) {
        emit(interrupted(signal), true);
        throw new InterruptedError(signal);
      }
    }
  } catch (e) {
    // stdout closed under us: the run ends quietly; the results file says why it is short
    if (e instanceof OutputClosedError && metrics) appendFileSync(metrics, interrupted('SIGPIPE') + '\n');
    else if (!(e instanceof InterruptedError) && !(e instanceof OutputClosedError)) {
      if (metrics) appendFileSync(metrics, failed(e) + '\n');
      try {
        o.write(failed(e) + '\n');
      } catch {
        // stdout already closed: metrics.jsonl holds the line
      }
    }
    throw e;
  } finally {
    progress?.stop();
    if (typeof o.out === 'string') out?.release();
  }
  shardLog?.finish();
  if (o.shard) o.status(`widenet: shard ${o.shard.index}/${o.shard.count} (from ${o.shard.source}) ran ${indices!.length} of ${total} points${indices!.length ? ` (${indices!.slice(0, 8).join(', ')}${indices!.length > 8 ? ', …' : ''})` : ''}${resumed ? `, after the ${resumed.finished.length} it kept` : ''}; merge the shards' --out folders with widenet merge\n`);
}
