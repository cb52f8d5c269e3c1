// Shards of a sweep for an existing job engine (issue 15): `widenet run SPEC --shard i/N` runs the
// points whose index ≡ i (mod N). Without the flag the shard comes from the engine's environment:
//   - Slurm job arrays: i = (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP,
//     N = SLURM_ARRAY_TASK_COUNT (task ids may start at 0, 1 or any min; MIN defaults to 0 and
//     STEP to 1 when absent), so `--array=1-4` and `--array=0-3` both give shards 0/4 … 3/4;
//   - Kubernetes Indexed Jobs: i = JOB_COMPLETION_INDEX, N = --shards N (the Job's completions).
// Each shard's --out folder holds shard.json (spec hash, shard i/N, its point indices, the lines of
// each finished point, a completion marker and the timing) for `widenet merge` (merge.ts).
import { createHash } from 'node:crypto';
import { writeFileWhole } from './output-paths';
import { join } from 'node:path';
import { WidenetError } from '../gpu/errors';

/** Bad shard settings (flag or environment): named, exit code 1. */
export class ShardError extends WidenetError {}

export interface Shard {
  index: number;
  count: number;
  /** where it came from: "--shard", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX" */
  source: string;
}

export const SHARD_FILE = 'shard.json';
/** The largest shard count (and index + 1): Number.MAX_SAFE_INTEGER, beyond which N is not exact. */
export const MAX_SHARDS = Number.MAX_SAFE_INTEGER;

const wholeNumber = (text: string): number | null => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : null);

/** `--shard i/N`: 0 ≤ i < N. */
export function parseShardFlag(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ShardError(`--shard: expected i/N with whole numbers 0 ≤ i < N, like 0/4; received ${JSON.stringify(text)}`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (!Number.isSafeInteger(count) || count < 1) throw new ShardError(`--shard: expected a shard count N from 1 to ${MAX_SHARDS} (2^53 − 1, the largest whole number JavaScript holds exactly); received ${JSON.stringify(text)}`);
  if (index >= count) throw new ShardError(`--shard: expected a shard index from 0 to N − 1 = ${count - 1}; received ${JSON.stringify(text)}`);
  return { index, count, source: '--shard' };
}

/**
 * The shard of this process: --shard i/N, else Slurm's array variables, else a Kubernetes Indexed
 * Job's JOB_COMPLETION_INDEX with --shards N; null for the whole spec. Contradictions are refused.
 */
export function resolveShard(flag: string | undefined, shards: string | undefined, env: Record<string, string | undefined>): Shard | null {
  let count: number | null = null;
  if (shards !== undefined) {
    count = wholeNumber(shards);
    if (count === null || count < 1 || count > MAX_SHARDS) throw new ShardError(`--shards: expected a shard count N from 1 to ${MAX_SHARDS} (a Kubernetes Indexed Job's completions); received ${JSON.stringify(shards)}`);
  }
  if (flag !== undefined) {
    if (shards !== undefined) throw new ShardError('give either --shard i/N or --shards N (with JOB_COMPLETION_INDEX), not both');
    return parseShardFlag(flag);
  }
  const slurmId = env.SLURM_ARRAY_TASK_ID;
  if (slurmId !== undefined && slurmId !== '') {
    const read = (name: string, fallback?: number): number => {
      const raw = env[name];
      if ((raw === undefined || raw === '') && fallback !== undefined) return fallback;
      const v = raw === undefined ? null : wholeNumber(raw);
      if (v === null) throw new ShardError(`${name}: expected a whole number (Slurm sets it in a job array); received ${raw === undefined ? 'nothing (unset)' : JSON.stringify(raw)}`);
      return v;
    };
    const id = read('SLURM_ARRAY_TASK_ID');
    const n = read('SLURM_ARRAY_TASK_COUNT');
    const min = read('SLURM_ARRAY_TASK_MIN', 0);
    const step = read('SLURM_ARRAY_TASK_STEP', 1);
    if (n < 1 || step < 1) throw new ShardError(`SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_STEP: expected whole numbers ≥ 1; received ${n} and ${step}`);
    const offset = id - min;
    if (offset < 0 || offset % step !== 0 || offset / step >= n) {
      throw new ShardError(`SLURM_ARRAY_TASK_ID = ${id} is not one of the ${n} task ids ${min}, ${min + step}, … of the array (SLURM_ARRAY_TASK_MIN = ${min}, SLURM_ARRAY_TASK_STEP = ${step}); widenet runs shard (id − min)/step of SLURM_ARRAY_TASK_COUNT`);
    }
    if (count !== null && count !== n) throw new ShardError(`--shards ${count} contradicts SLURM_ARRAY_TASK_COUNT = ${n}; leave --shards out under Slurm`);
    return { index: offset / step, count: n, source: 'SLURM_ARRAY_TASK_ID' };
  }
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '') {
    const index = wholeNumber(k8s);
    if (index === null) throw new ShardError(`JOB_COMPLETION_INDEX: expected a whole number (a Kubernetes Indexed Job's index); received ${JSON.stringify(k8s)}`);
    if (count === null) throw new ShardError(`JOB_COMPLETION_INDEX = ${index} is set (a Kubernetes Indexed Job) but --shards N is not: pass --shards with the Job's completions`);
    if (index >= count) throw new ShardError(`JOB_COMPLETION_INDEX = ${index}: expected an index below --shards ${count}`);
    return { index, count, source: 'JOB_COMPLETION_INDEX' };
  }
  if (count !== null) throw new ShardError(`--shards ${count}: the shard index comes from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), which is not set; use --shard i/N elsewhere`);
  return null;
}

/** The point indices of a shard: index ≡ i (mod N), increasing. */
export function shardIndices(total: number, shard: Pick<Shard, 'index' | 'count'>): number[] {
  const out: number[] = [];
  for (let p = shard.index; p < total; p += shard.count) out.push(p);
  return out;
}

/** sha256 of the resolved spec's text (spec.json): shards of one sweep share it. */
export const specHash = (specText: string): string => `sha256:${createHash('sha256').update(specText).digest('hex')}`;

/** What shard.json holds. Timing fields: startedAt, finishedAt, seconds (and each point's seconds). */
export interface ShardFile {
  shard: { index: number; count: number; source: string };
  specHash: string;
  /** how many points the whole grid has */
  total: number;
  /** the points of this shard, in the order they run */
  indices: number[];
  /** the points finished so far: their metrics.jsonl line counts, in order (seconds null: kept by a --resume from a run that had not recorded it) */
  done: { index: number; lines: number; seconds: number | null }[];
  /** the completion marker: true once every point of the shard finished */
  complete: boolean;
  startedAt: string;
  finishedAt: string | null;
  /** wall time from startedAt; after a --resume, the kept points' seconds plus the resumed run's wall time */
  seconds: number | null;
  /** when the shard was resumed (--resume), oldest first; absent if never */
  resumedAt?: string[];
}

/** Keeps a shard's shard.json up to date (rewritten whole, through a rename, after each point). */
export class ShardLog {
  private readonly file: ShardFile;
  private readonly t0 = Date.now();
  private pointStart = Date.now();

  /** the seconds of points kept from an earlier run (--resume) */
  private readonly keptSeconds: number;

  /** `resumed`: the finished points a --resume keeps (index and line count) and the earlier shard.json, if any */
  constructor(
    private readonly dir: string,
    shard: Shard,
    specText: string,
    total: number,
    indices: number[],
    resumed?: { kept: { index: number; lines: number }[]; previous: ShardFile | null },
  ) {
    const now = new Date(this.t0).toISOString();
    this.file = { shard: { ...shard }, specHash: specHash(specText), total, indices, done: [], complete: false, startedAt: now, finishedAt: null, seconds: null };
    if (resumed) {
      const earlier = new Map((resumed.previous?.done ?? []).map((d) => [d.index, d.seconds]));
      this.file.done = resumed.kept.map((k) => ({ ...k, seconds: earlier.get(k.index) ?? null }));
      this.file.startedAt = resumed.previous?.startedAt ?? now;
      this.file.resumedAt = [...(resumed.previous?.resumedAt ?? []), now];
    }
    this.keptSeconds = this.file.done.reduce((t, d) => t + (d.seconds ?? 0), 0);
    this.save();
  }

  pointStarted(): void {
    this.pointStart = Date.now();
  }

  pointDone(index: number, lines: number): void {
    this.file.done.push({ index, lines, seconds: (Date.now() - this.pointStart) / 1000 });
    this.save();
  }

  finish(): void {
    this.file.complete = this.file.done.length === this.file.indices.length;
    this.file.finishedAt = new Date().toISOString();
    this.file.seconds = this.keptSeconds + (Date.now() - this.t0) / 1000;
    this.save();
  }

  private save(): void {
    writeFileWhole(join(this.dir, SHARD_FILE), JSON.stringify(this.file, null, 2) + '\n');
  }
}
