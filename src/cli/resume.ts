// `widenet run SPEC --out DIR --resume`: continues a run that stopped (a signal, an error, a kill,
// a Slurm requeue) in the folder it wrote. Every point is deterministic given the spec (its seed,
// data and weights are drawn from it), so the finished points are kept as they are and the rest
// run again; the point that was cut off restarts from step 0, or, when the run saved its state
// (`--checkpoint SECONDS`: checkpoint.bin, dynamics/checkpoint.ts), from its last checkpoint, with
// its lines up to there kept.
//
// A point counts as finished when metrics.jsonl holds its lines and its kernels file exists: run.ts
// writes the kernels file after the point's last line, so a point cut off mid-run has none. The
// points run in increasing index order, so the finished ones are a prefix of the run's points;
// lines are assigned to points by their `width` (a width sweep: distinct width lists) or `point`
// (a grid: distinct points), both unique by the spec's validation.
//
// Refused, before any GPU work and before anything is changed: a folder whose spec.json is not the
// spec given (the differing fields are named), a shard folder resumed as another shard or without
// its shard, a line that is not JSON before the last one, lines of a point the run never had.
import { existsSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expandGrid, pointCount, pointWidth, specGrid, type ExperimentSpec } from '../spec';
import { plural } from '../spec/vocabulary';
import type { PointLines } from '../dynamics/grid-summary';
import type { MetricsLine, RunLine } from '../dynamics/records';
import { WidenetError } from '../gpu/errors';
import { SHARD_FILE, shardIndices, specHash, type Shard, type ShardFile } from './shard';
import { CHECKPOINT_FILE, kernelsFileName, metricsLines, writeFileWhole } from './output-paths';
import { decodeState, encodeState, type SavedState } from '../dynamics/checkpoint';
import type { Runtime } from '../gpu/runtime';

/** A folder that cannot be resumed with this spec and shard: named, exit code 1. */
export class ResumeError extends WidenetError {}

/** What a resumed run starts from. */
export interface ResumeState {
  /** the finished points, kept as they are (for the summary), in point order */
  finished: PointLines[];
  /** metrics.jsonl cut back to the finished points' lines */
  keptText: string;
  /** the points still to run, in order (of the shard, when there is one) */
  remaining: number[];
  /** shard.json of the earlier run, for its timing (null when unsharded or absent) */
  previousShard: ShardFile | null;
  /** what is dropped: the lines after the finished points (and the checkpoint's), and why the run had stopped */
  droppedLines: number;
  stoppedBy: string;
  /** the cut-off point continued from checkpoint.bin: its lines up to the checkpoint (kept) and the saved state */
  resumePoint: { index: number; lines: RunLine[]; state: SavedState; step: number; machine?: string } | null;
  /** why a checkpoint.bin in the folder is not used (null when there is none, or it is used) */
  checkpointIgnored: string | null;
}

/** What a checkpoint says it is: its point, how many of the point's lines were out, the step, the spec (checkpoint.bin's header). */
export interface CheckpointMeta {
  point: number;
  lines: number;
  step: number;
  specHash: string;
  /** where it was computed (checkpointMachine): a resumed run elsewhere goes on from it, but not bit for bit */
  machine?: string;
}

/** The adapter and the kernel choices a run computes with: the same state continues bit for bit only under the same ones. */
export const checkpointMachine = (rt: Runtime): string => {
  const a = rt.ctx.adapter;
  return JSON.stringify({ adapter: `${a.vendor} ${a.architecture} ${a.description}`.trim(), tiles: rt.tuning ?? null });
};

/** A warning line when the checkpoint continued here was computed on another adapter or with other kernels; null when the same. */
export function checkpointMachineWarning(state: ResumeState, machine: string): string | null {
  const saved = state.resumePoint?.machine;
  if (!saved || saved === machine) return null;
  return `widenet: warning: ${CHECKPOINT_FILE} was computed with ${saved}, this run computes with ${machine}: point ${state.resumePoint!.index} goes on from it, but rounding differs, so its later lines are not bit for bit those of an uninterrupted run\n`;
}

/** Saves the running point's state as checkpoint.bin (whole, through a rename: a kill leaves the old one or the new one). */
export function writeCheckpoint(dir: string, meta: CheckpointMeta, state: SavedState): void {
  writeFileWhole(join(dir, CHECKPOINT_FILE), encodeState({ values: { checkpoint: meta, experiment: state.values }, buffers: state.buffers }));
}

export function removeCheckpoint(dir: string): void {
  for (const f of [CHECKPOINT_FILE, `${CHECKPOINT_FILE}.tmp`]) if (existsSync(join(dir, f))) unlinkSync(join(dir, f));
}

/** checkpoint.bin of a folder, or null when there is none. */
function readCheckpoint(dir: string): { meta: CheckpointMeta; state: SavedState } | null {
  const path = join(dir, CHECKPOINT_FILE);
  if (!existsSync(path)) return null;
  const saved = decodeState(readFileSync(path), path);
  const v = saved.values as { checkpoint: CheckpointMeta; experiment: Record<string, unknown> };
  return { meta: v.checkpoint, state: { values: v.experiment, buffers: saved.buffers } };
}

/** The dotted paths where two JSON values differ (objects by key, arrays by index), at most `limit`. */
export function jsonDifferences(a: unknown, b: unknown, limit = 5, path = ''): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string) => {
    if (out.length >= limit) return;
    const object = (v: unknown) => v !== null && typeof v === 'object';
    if (object(x) && object(y) && Array.isArray(x) === Array.isArray(y)) {
      const keys = Array.isArray(x) ? [...Array(Math.max(x.length, (y as unknown[]).length)).keys()].map(String) : [...new Set([...Object.keys(x as object), ...Object.keys(y as object)])];
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], Array.isArray(x) ? `${p}[${k}]` : p ? `${p}.${k}` : k);
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${p || '(the whole spec)'}: ${JSON.stringify(x) ?? 'absent'} in the folder, ${JSON.stringify(y) ?? 'absent'} now`);
  };
  walk(a, b, path);
  return out;
}

/** The key that ties a line to its point: its width list (width sweep) or its point (grid); null for other lines. */
function lineKey(line: MetricsLine, grid: boolean): string | null {
  const owner = 'diverged' in line ? line.diverged : 'step' in line ? line : null;
  if (!owner) return null;
  return JSON.stringify(grid ? (owner as { point?: unknown }).point : (owner as { width?: unknown }).width);
}

/**
 * Reads the folder of an earlier run of `spec` (and `shard`) and says what a resumed run keeps and
 * runs; null when the folder holds no results yet (the run then starts afresh). Changes nothing.
 */
export function readResumeState(dir: string, spec: ExperimentSpec, specText: string, shard: Shard | null): ResumeState | null {
  const specFile = join(dir, 'spec.json');
  const metricsFile = join(dir, 'metrics.jsonl');
  const shardFile = join(dir, SHARD_FILE);
  if (!existsSync(specFile)) {
    if (existsSync(metricsFile) || existsSync(shardFile)) throw new ResumeError(`--resume: ${dir} holds results but no spec.json, so what they are the results of is unknown; rerun with --force to start afresh`);
    return null;
  }
  const before = readFileSync(specFile, 'utf8');
  if (before !== specText) {
    let diffs: string[];
    try {
      diffs = jsonDifferences(JSON.parse(before), JSON.parse(specText));
    } catch {
      diffs = ['spec.json is not JSON'];
    }
    throw new ResumeError(`--resume: ${dir} holds a run of another spec (resolved, defaults filled in): ${diffs.join('; ') || 'the same fields, written differently'}; resume it with its own spec (${specFile}), or start afresh with --force or another folder`);
  }
  const grid = specGrid(spec) !== null;
  const total = pointCount(spec);
  const wanted = shard ? shardIndices(total, shard) : [...Array(total).keys()];
  let previousShard: ShardFile | null = null;
  try {
    if (existsSync(shardFile)) previousShard = JSON.parse(readFileSync(shardFile, 'utf8')) as ShardFile;
  } catch (e) {
    throw new ResumeError(`--resume: ${shardFile} is not JSON (${(e as Error).message}); the file was changed after the run; rerun with --force`);
  }
  if (previousShard && !shard) throw new ResumeError(`--resume: ${dir} holds shard ${previousShard.shard.index}/${previousShard.shard.count}; resume it as that shard (--shard ${previousShard.shard.index}/${previousShard.shard.count}, or the same array task)`);
  if (previousShard && shard && (previousShard.shard.index !== shard.index || previousShard.shard.count !== shard.count)) {
    throw new ResumeError(`--resume: ${dir} holds shard ${previousShard.shard.index}/${previousShard.shard.count}, not shard ${shard.index}/${shard.count}; give each shard its own folder`);
  }
  const text = existsSync(metricsFile) ? readFileSync(metricsFile, 'utf8') : '';
  if (shard && !previousShard && text !== '') throw new ResumeError(`--resume: ${dir} holds an unsharded run, not shard ${shard.index}/${shard.count}; resume it without a shard, or give the shard its own folder`);

  // whole lines only: a last line without its newline was cut while being written
  const { lines: whole, cut } = metricsLines(text);
  const lines = whole.map((raw, i) => {
    try {
      return { raw, line: JSON.parse(raw) as MetricsLine };
    } catch {
      throw new ResumeError(`--resume: line ${i + 1} of ${metricsFile} is not JSON (${raw.slice(0, 60)}${raw.length > 60 ? '…' : ''}); the file was changed after the run; rerun with --force`);
    }
  });

  const points = expandGrid(spec, wanted);
  const finished: PointLines[] = [];
  let at = 0; // the next line
  let cutOff: RunLine[] = []; // the lines of the first point that did not finish
  for (const p of points) {
    const width = pointWidth(p.spec);
    const key = JSON.stringify(grid ? p.point : width);
    const mine: RunLine[] = [];
    let end = at;
    while (end < lines.length && lineKey(lines[end].line, grid) === key) mine.push(lines[end++].line as RunLine);
    const kernels = kernelsFileName(p.index, width, grid);
    if (mine.length === 0 || !existsSync(join(dir, kernels))) {
      cutOff = mine;
      break;
    }
    finished.push({ index: p.index, point: p.point, width, lines: mine });
    at = end;
  }
  // the cut-off point's checkpoint: used when it is this spec's, of that point, and its lines are all there
  let resumePoint: ResumeState['resumePoint'] = null;
  let checkpointIgnored: string | null = null;
  let checkpoint: ReturnType<typeof readCheckpoint> = null;
  try {
    checkpoint = readCheckpoint(dir);
  } catch (e) {
    checkpointIgnored = (e as Error).message;
  }
  if (checkpoint) {
    const next = points[finished.length];
    const { meta } = checkpoint;
    const last = cutOff[meta.lines - 1];
    if (meta.specHash !== specHash(specText)) checkpointIgnored = 'it is of another spec';
    else if (!next || meta.point !== next.index) checkpointIgnored = `it is of point ${meta.point}, not of the point that was cut off (${next ? next.index : 'none: every point finished'})`;
    else if (!(meta.lines >= 1 && meta.lines <= cutOff.length && last && 'step' in last && last.step === meta.step)) checkpointIgnored = `metrics.jsonl does not hold the ${meta.lines} lines of point ${meta.point} up to its step ${meta.step}`;
    else {
      resumePoint = { index: meta.point, lines: cutOff.slice(0, meta.lines), state: checkpoint.state, step: meta.step, machine: meta.machine };
      at += meta.lines;
    }
  }
  // what follows the finished points: the cut-off point's lines, then the interrupted/failed line
  // (or a summary); a line of a point this run never had means the file is not this run's
  const known = new Set(points.map((p) => JSON.stringify(grid ? p.point : pointWidth(p.spec))));
  for (const { line, raw } of lines.slice(at)) {
    const key = lineKey(line, grid);
    if (key !== null && !known.has(key)) throw new ResumeError(`--resume: ${metricsFile} holds a line of a point this run does not have (${raw.slice(0, 80)}…); rerun with --force`);
  }
  const last = lines.at(-1)?.line;
  const stoppedBy =
    cut !== null
      ? 'a kill (its last line was cut mid-write)'
      : last && 'interrupted' in last
        ? `${last.interrupted.signal}`
        : last && 'failed' in last
          ? `an error (${last.failed.error}: ${last.failed.message})`
          : finished.length === points.length
            ? 'nothing: every point had finished'
            : 'a kill';
  return {
    finished,
    keptText: lines.slice(0, at).map((l) => l.raw + '\n').join(''),
    remaining: points.slice(finished.length).map((p) => p.index),
    previousShard,
    droppedLines: lines.length - at + (cut !== null ? 1 : 0),
    stoppedBy,
    resumePoint,
    checkpointIgnored,
  };
}

/** Cuts the folder back to the finished points: metrics.jsonl (whole, through a rename) and the kernels files of the rest. */
export function applyResumeState(dir: string, spec: ExperimentSpec, state: ResumeState): void {
  writeFileWhole(join(dir, 'metrics.jsonl'), state.keptText);
  const grid = specGrid(spec) !== null;
  const stale = new Set(expandGrid(spec, state.remaining).map((p) => kernelsFileName(p.index, pointWidth(p.spec), grid)));
  for (const f of readdirSync(dir)) if (stale.has(f)) unlinkSync(join(dir, f));
  // a checkpoint not used is stale; a used one stays until its point finishes (a second stop resumes from it again)
  if (!state.resumePoint) removeCheckpoint(dir);
}

/** One line for stderr: what the resumed run keeps and reruns. */
export function resumeMessage(dir: string, state: ResumeState): string {
  const kept = state.finished.reduce((n, p) => n + p.lines.length, 0);
  const runs = state.remaining.length;
  const r = state.resumePoint;
  const partly = r ? ` and point ${r.index}'s first ${plural(r.lines.length, 'line')}, to its checkpoint at step ${r.step}` : '';
  const from = r ? `point ${r.index} from its checkpoint at step ${r.step}` : 'the first from step 0';
  const ignored = state.checkpointIgnored ? `; ${CHECKPOINT_FILE} not used: ${state.checkpointIgnored}` : '';
  return `widenet: resuming ${dir} (stopped by ${state.stoppedBy}): keeping ${plural(state.finished.length, 'finished point')} (${plural(kept, 'line')})${partly}, dropping ${plural(state.droppedLines, 'line')} after them; ${runs ? `running ${plural(runs, 'point')} (${state.remaining.slice(0, 8).join(', ')}${runs > 8 ? ', …' : ''}), ${from}` : 'no point left to run'}${ignored}\n`;
}
