// `widenet merge DIR... --out DIR`: the --out folders of the shards of one sweep (shard.ts) into
// one results folder, as the unsharded run writes it: metrics.jsonl with every point's lines in
// point order and the summary over the WHOLE grid (grid-summary.ts, the function the unsharded run
// calls), spec.json, and the kernels files. metrics.jsonl holds no wall-clock field, so it is the
// unsharded run's byte for byte; the timing lives in each shard's shard.json only.
//
// Refused, naming the shard (exit code 1): a folder without shard.json, shards of different specs
// or counts, a shard given twice, a missing shard, an incomplete one (no completion marker, fewer
// points than its indices, or a metrics.jsonl whose lines do not match the points' line counts),
// one whose metrics.jsonl ends in a `failed` or `interrupted` line or in a line cut mid-write, one
// missing the kernels file of a finished point; and, before anything is touched, an --out that is
// one of the shard folders or lies inside one (resolved through symlinks).
import { copyFileSync, existsSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { WidenetError } from '../gpu/errors';
import { expandGrid, parseSpecText, pointWidth, specGrid } from '../spec';
import { plural } from '../spec/vocabulary';
import { sweepSummary, type PointLines } from '../dynamics/grid-summary';
import type { MetricsLine, RunLine } from '../dynamics/records';
import { SHARD_FILE, shardIndices, specHash, type ShardFile } from './shard';
import { kernelsFileName, metricsLines } from './output-paths';
import type { OutDir } from './run';

/** Shards that cannot be merged: every problem, one per line (exit code 1). */
export class MergeError extends WidenetError {}

interface ShardDir {
  dir: string;
  file: ShardFile;
  specText: string;
  lines: string[];
  /** the last line of metrics.jsonl when it has no newline: cut while being written */
  partial: string | null;
}

/** A path resolved through symlinks, also when it does not exist yet (its nearest existing ancestor is). */
function realPath(path: string): string {
  const rest: string[] = [];
  let p = resolve(path);
  for (;;) {
    try {
      return join(realpathSync(p), ...rest);
    } catch {
      const parent = dirname(p);
      if (parent === p) return join(p, ...rest);
      rest.unshift(basename(p));
      p = parent;
    }
  }
}

/**
 * Refuses an --out that is one of the shard folders or lies inside one (through symlinks too):
 * --force would delete that shard's results before they are read. Checked before anything is touched.
 */
export function refuseOutAmongInputs(dirs: readonly string[], out: string): void {
  const target = realPath(out);
  for (const d of dirs) {
    const input = realPath(d);
    const rel = relative(input, target);
    if (rel === '') throw new MergeError(`--out ${out} is the shard folder ${d}${target !== resolve(out) ? ` (both are ${target})` : ''}: merging into a shard would delete its results; choose a new folder`);
    if (!rel.startsWith('..') && !isAbsolute(rel)) throw new MergeError(`--out ${out} lies inside the shard folder ${d} (${target}): choose a folder outside the shards`);
  }
}

function readShard(dir: string, problems: string[]): ShardDir | null {
  const path = join(dir, SHARD_FILE);
  if (!existsSync(path)) {
    problems.push(`${dir}: no ${SHARD_FILE} (not the --out folder of a sharded \`widenet run\`, or the shard never started)`);
    return null;
  }
  let file: ShardFile;
  let specText: string;
  let metrics: string;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as ShardFile;
    specText = readFileSync(join(dir, 'spec.json'), 'utf8');
    metrics = existsSync(join(dir, 'metrics.jsonl')) ? readFileSync(join(dir, 'metrics.jsonl'), 'utf8') : '';
  } catch (e) {
    problems.push(`${dir}: cannot read the shard's files: ${(e as Error).message}`);
    return null;
  }
  if (specHash(specText) !== file.specHash) {
    problems.push(`${dir}: spec.json does not match the hash in ${SHARD_FILE} (the folder was changed after the run)`);
    return null;
  }
  // a cut last line counts among the lines (the messages number it), and is named apart
  const { lines, cut } = metricsLines(metrics);
  return { dir, file, specText, lines: cut === null ? lines : [...lines, cut], partial: cut };
}

/** Why a shard is incomplete (null when it is complete). */
function incomplete(s: ShardDir): string | null {
  const { file } = s;
  const expected = shardIndices(file.total, file.shard);
  const doneIdx = file.done.map((d) => d.index);
  const name = `shard ${file.shard.index}/${file.shard.count} (${s.dir})`;
  if (s.partial !== null) return `${name} is incomplete: the last line of metrics.jsonl (line ${s.lines.length}, ${s.partial.length} characters) has no newline: it was cut while being written (the run was killed)`;
  const stop = stopLine(s.lines[s.lines.length - 1]);
  if (stop) return `${name} ${stop}`;
  if (JSON.stringify(file.indices) !== JSON.stringify(expected)) return `${name}: its points ${JSON.stringify(file.indices)} are not the points ${JSON.stringify(expected)} of shard ${file.shard.index}/${file.shard.count}`;
  const missing = expected.filter((i) => !doneIdx.includes(i));
  if (!file.complete || missing.length > 0 || JSON.stringify(doneIdx) !== JSON.stringify(expected)) {
    return `${name} is incomplete: ${doneIdx.length} of ${expected.length} points finished${missing.length ? ` (missing points ${missing.join(', ')})` : ''}, no completion marker (the run was interrupted, failed or is still running)`;
  }
  const lines = file.done.reduce((n, d) => n + d.lines, 0);
  if (lines !== s.lines.length) return `${name} is incomplete: metrics.jsonl has ${plural(s.lines.length, 'line')}, its points printed ${lines}`;
  // the kernels file each finished point wrote (run.ts): merge promises the unsharded run's folder
  const spec = parseSpecText(s.specText, join(s.dir, 'spec.json'));
  const grid = specGrid(spec) !== null;
  const widths = new Map(expandGrid(spec).map((p) => [p.index, pointWidth(p.spec)]));
  const missingFiles = file.done.map((d) => kernelsFileName(d.index, widths.get(d.index) ?? [], grid)).filter((f) => !existsSync(join(s.dir, f)));
  if (missingFiles.length) return `${name} is incomplete: ${plural(missingFiles.length, 'kernels file')} of its finished points ${missingFiles.length === 1 ? 'is' : 'are'} missing: ${missingFiles.join(', ')}`;
  return null;
}

/** "failed: …" / "was interrupted by …" for a metrics.jsonl that ends in the line of a run that did not finish (records.ts), else null. */
function stopLine(last: string | undefined): string | null {
  if (last === undefined) return null;
  let line: MetricsLine;
  try {
    line = JSON.parse(last) as MetricsLine;
  } catch {
    return null;
  }
  const where = (r: { width: number[] | null; point?: Record<string, unknown> | null; step: number }) =>
    `${r.width ? `width ${JSON.stringify(r.width)}` : 'before the first point'}${r.point ? `, point ${JSON.stringify(r.point)}` : ''}, step ${r.step}`;
  if (line && typeof line === 'object' && 'failed' in line) return `failed: ${line.failed.error}: ${line.failed.message} (at ${where(line.failed)}); fix the cause and rerun the shard with --resume (it keeps the finished points)`;
  if (line && typeof line === 'object' && 'interrupted' in line) return `was interrupted by ${line.interrupted.signal} (at ${where(line.interrupted)}); rerun the shard with --resume (it keeps the finished points)`;
  return null;
}

/**
 * Merges shard folders into the folder `prepare` returns (called once every shard checked out, so
 * a refused merge creates nothing); returns what it merged. Throws MergeError naming every problem.
 */
export function mergeShards(dirs: readonly string[], prepare: () => OutDir): { shards: number; points: number } {
  const problems: string[] = [];
  const shards = dirs.map((d) => readShard(d, problems)).filter((s): s is ShardDir => s !== null);
  if (shards.length === 0) throw new MergeError(problems.length ? problems.join('\n') : 'no shard folders given');
  const ref = shards[0].file;
  for (const s of shards.slice(1)) {
    if (s.file.specHash !== ref.specHash) problems.push(`${s.dir}: a shard of another spec (${s.file.specHash}) than ${shards[0].dir} (${ref.specHash})`);
    else if (s.file.shard.count !== ref.shard.count) problems.push(`${s.dir}: shard ${s.file.shard.index}/${s.file.shard.count}, but ${shards[0].dir} is one of ${ref.shard.count} shards`);
  }
  if (problems.length) throw new MergeError(problems.join('\n'));
  const N = ref.shard.count;
  const byIndex = new Map<number, ShardDir>();
  for (const s of shards) {
    const twin = byIndex.get(s.file.shard.index);
    if (twin) problems.push(`shard ${s.file.shard.index}/${N} is given twice: ${twin.dir} and ${s.dir}`);
    else byIndex.set(s.file.shard.index, s);
  }
  for (let i = 0; i < N; i++) {
    const s = byIndex.get(i);
    if (!s) {
      const points = shardIndices(ref.total, { index: i, count: N });
      problems.push(`shard ${i}/${N} is missing (points ${points.length ? points.join(', ') : 'none'}): none of the given folders holds it`);
      continue;
    }
    const why = incomplete(s);
    if (why) problems.push(why);
  }
  if (problems.length) throw new MergeError(problems.join('\n'));

  // every point's lines, in point order, as the shards printed them
  const spec = parseSpecText(shards[0].specText, join(shards[0].dir, 'spec.json'));
  const raw = new Map<number, string[]>();
  for (const s of shards) {
    let at = 0;
    for (const d of s.file.done) {
      raw.set(d.index, s.lines.slice(at, at + d.lines));
      at += d.lines;
    }
  }
  const grid = specGrid(spec);
  const points: PointLines[] = expandGrid(spec).map((p) => ({ index: p.index, point: p.point, width: pointWidth(p.spec), lines: raw.get(p.index)!.map((l) => JSON.parse(l) as RunLine) }));
  const summary = sweepSummary(points, grid ? Object.keys(grid) : null);
  const text = [...points.flatMap((p) => raw.get(p.index)!), ...(summary ? [JSON.stringify({ summary })] : [])].map((l) => l + '\n').join('');
  const out = prepare();
  try {
    writeMerged(out, shards, text);
  } finally {
    out.release();
  }
  return { shards: N, points: points.length };
}

function writeMerged(out: OutDir, shards: readonly ShardDir[], text: string): void {
  writeFileSync(join(out.dir, 'spec.json'), shards[0].specText);
  writeFileSync(join(out.dir, 'metrics.jsonl'), text);
  for (const s of shards) for (const f of readdirSync(s.dir)) if (/^kernels-.*\.json$/.test(f)) copyFileSync(join(s.dir, f), join(out.dir, f));
}
