// The lines `widenet run` (or `widenet merge`) wrote, parsed: records, divergence lines and the
// summary told apart by their keys (dynamics/records.ts); every run is identified by its grid
// point (without the width) and width. No Node imports: the pages assemble the same RunResults
// from the records they train (demos/ui/grid-figure.ts), and plot/results.ts reads them from files.
import type { DivergenceRecord, RunRecord } from '../dynamics/records';

/** A grid point: the swept values by dotted field path (absent outside a grid). */
export type GridPoint = Record<string, unknown>;

export interface RunResults {
  /** the file read */
  source: string;
  records: (RunRecord & { point?: GridPoint })[];
  diverged: (DivergenceRecord & { point?: GridPoint })[];
  summary: Record<string, unknown> | null;
  /** the lines that say a run stopped before its last step (`interrupted`, `failed`, …); absent: none */
  stopped?: StopMarker[];
  /** train.steps of the spec beside the records (spec.json in the results folder); absent or null: unknown */
  plannedSteps?: number | null;
}

/**
 * A line that says a run stopped early: `{"interrupted": {width, point?, step, signal}}` (src/cli/run.ts),
 * `{"failed": {width, point?, step, …}}` for a run that stopped on an error, and any other line of one
 * key holding an object that is not a record, a divergence or a summary (a kind plot does not draw).
 */
export interface StopMarker {
  /** the line's key: "interrupted", "failed", … */
  kind: string;
  /** the width that was running (null: before any width started) */
  width: number[] | null;
  point?: GridPoint;
  /** the step the run had reached (null where the line does not say) */
  step: number | null;
  /** the signal, reason or error message the line gives (null where none) */
  detail: string | null;
  /** its line number in the file */
  line: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRecord = (v: Record<string, unknown>) => typeof v.step === 'number' && Array.isArray(v.width) && 'trainLoss' in v;

/** What a JSON value that is not `widenet run`'s lines is, for the error that refuses it. */
export function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'a JSON array';
  if (!isObject(value)) return `a JSON ${value === null ? 'null' : typeof value}`;
  // kernels-*.json of `widenet run --out` ({width, step, probe, x, initial, current}) and `widenet ntk`'s output
  if (('probe' in value && 'initial' in value && 'current' in value) || 'empirical' in value || 'analytic' in value || 'nngp' in value)
    return 'a kernels file (the probe\'s kernels of one width: kernels-*.json of `widenet run --out`, or the output of `widenet ntk`)';
  if ('model' in value && ('data' in value || 'train' in value)) return 'a spec (run it first: `widenet run SPEC --out DIR`, then `widenet plot DIR`)';
  if ('results' in value && ('adapter' in value || 'preset' in value)) return 'a benchmark report';
  const keys = Object.keys(value);
  return `an object with keys ${keys.slice(0, 6).map((k) => JSON.stringify(k)).join(', ')}${keys.length > 6 ? ', …' : ''}`;
}

const EXPECTED = 'expected the JSON Lines of `widenet run` (its metrics.jsonl, or the --out folder): one object per line, the records with "step", "width" and "trainLoss"';

const runKey = (point: GridPoint | undefined, width: readonly number[]) => JSON.stringify([pointWithoutWidth(point), width]);
const runName = (point: GridPoint | undefined, width: readonly number[]) => [`width ${widthLabel(width)}`, pointLabel(point)].filter(Boolean).join(', ');

/**
 * Parses JSON Lines; a line that is not JSON is an error naming its number, and so is a record whose
 * step does not come after the previous record of the same run (width and grid point): steps of a run
 * only increase, so that is two runs in one file (concatenated metrics files), which plot refuses
 * rather than drawing them as one curve. A file that is one JSON document (a kernels file, a spec,
 * a benchmark report) is refused saying what it is.
 */
export function parseResults(text: string, source = 'results'): RunResults {
  const out: RunResults = { source, records: [], diverged: [], summary: null, stopped: [] };
  const notLines = (what: string) => new Error(`${source}: ${what}, not the records widenet plot draws; ${EXPECTED}`);
  const lastStep = new Map<string, { step: number; line: number }>();
  text = text.replace(/^\uFEFF/, ''); // a byte-order mark (Windows editors) is not part of the first line
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      // a pretty-printed JSON document is not JSON Lines: say what it is
      let whole: unknown;
      try {
        whole = JSON.parse(text);
      } catch {
        throw new Error(`${source}:${i + 1}: not a JSON line (${(e as Error).message})`);
      }
      throw notLines(`one JSON document over several lines, ${describeJson(whole)}`);
    }
    if (!isObject(value)) throw new Error(`${source}:${i + 1}: ${describeJson(value)}, not a line of \`widenet run\`; ${EXPECTED}`);
    if (isObject(value.diverged)) out.diverged.push({ point: value.point as GridPoint | undefined, ...(value.diverged as unknown as DivergenceRecord) });
    else if (isObject(value.summary)) out.summary = value.summary;
    else if (isRecord(value)) {
      const r = value as unknown as RunRecord & { point?: GridPoint };
      const k = runKey(r.point, r.width);
      const prev = lastStep.get(k);
      if (prev && r.step <= prev.step)
        throw new Error(
          `${source}:${i + 1}: step ${r.step} of the run ${runName(r.point, r.width)} comes after its step ${prev.step} (line ${prev.line}); ` +
            'the steps of a run only increase, so this file holds two runs of the same width and grid point (metrics files concatenated?): plot each run\'s file on its own',
        );
      lastStep.set(k, { step: r.step, line: i + 1 });
      out.records.push(r);
    } else {
      const keys = Object.keys(value).filter((k) => k !== 'point'); // a grid point may sit beside the body
      const body = keys.length === 1 ? value[keys[0]] : undefined;
      // a line of one kind plot does not draw (interrupted, failed, …): the run stopped there
      if (isObject(body)) {
        const detail = [body.signal, body.reason, body.message, body.error].find((d): d is string => typeof d === 'string') ?? null;
        out.stopped!.push({
          kind: keys[0],
          width: Array.isArray(body.width) ? (body.width as number[]) : null,
          ...(isObject(body.point) ? { point: body.point } : isObject(value.point) ? { point: value.point as GridPoint } : {}),
          step: typeof body.step === 'number' ? body.step : null,
          detail,
          line: i + 1,
        });
      } else if (out.records.length === 0 && i === text.split('\n').findIndex((l) => l.trim())) throw notLines(describeJson(value));
      else throw new Error(`${source}:${i + 1}: ${describeJson(value)}, not a line of \`widenet run\`; ${EXPECTED}`);
    }
  });
  if (out.records.length === 0) {
    // a run that stopped before its first record says why instead of "no records"
    const stop = out.stopped![0];
    if (stop) throw new Error(`${source}: no records to plot: the run ${stop.width ? `of ${runName(stop.point, stop.width)} ` : ''}stopped before its first record, ${stopLabel(out, stop)} (line ${stop.line})`);
    throw new Error(`${source}: no records to plot (${EXPECTED})`);
  }
  return out;
}

/** The swept values of a point other than the width (the width is its own axis or colour). */
export function pointWithoutWidth(point: GridPoint | undefined): GridPoint {
  const rest: GridPoint = {};
  for (const [k, v] of Object.entries(point ?? {})) if (k !== 'model.hidden') rest[k] = v;
  return rest;
}

/** A short label of a point: `train.lr=0.1, model.parameterization=mup` (empty outside a grid). */
export function pointLabel(point: GridPoint | undefined): string {
  return Object.entries(pointWithoutWidth(point))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

export const widthLabel = (width: readonly number[]): string => width.join('×');

export interface RunEnd {
  point: GridPoint;
  width: number[];
  /** the last record of the run (before a divergence, if any) */
  last: RunRecord | null;
  /** the network diverged (its divergence ends the run; as grid-summary.ts counts it) */
  diverged: boolean;
  /** every divergence line of the run: the network's, the linearised and the quadratic model's */
  divergences: DivergenceRecord[];
  /** the line that says the run stopped before its last step (interrupted, failed), if any */
  stopped: StopMarker | null;
}

/** One entry per run (point and width), in the order the runs appear: its last record and whether it diverged or stopped. */
export function runEnds(results: RunResults): RunEnd[] {
  const ends = new Map<string, RunEnd>();
  const get = (point: GridPoint | undefined, width: readonly number[]) => {
    const k = runKey(point, width);
    const end = ends.get(k) ?? { point: pointWithoutWidth(point), width: [...width], last: null, diverged: false, divergences: [], stopped: null };
    ends.set(k, end);
    return end;
  };
  for (const r of results.records) {
    const end = get(r.point, r.width);
    if (!end.last || r.step >= end.last.step) end.last = r;
  }
  for (const d of results.diverged) {
    const end = get(d.point, d.width);
    end.divergences.push(d);
    if ((d.model ?? 'network') === 'network') end.diverged = true;
  }
  for (const s of results.stopped ?? []) if (s.width && !afterFinish(results, s, ends.get(runKey(s.point, s.width)))) get(s.point, s.width).stopped = s;
  return [...ends.values()];
}

/**
 * A stop line written between two runs (run.ts names the width of the last record it wrote): the
 * run it names had reached its planned last step and recorded it, so that run is complete and
 * what the stop cut short is the widths or points after it.
 */
function afterFinish(results: RunResults, s: StopMarker, end: RunEnd | undefined): boolean {
  const planned = plannedSteps(results, s.point);
  return planned !== null && s.step !== null && s.step >= planned && !!end?.last && end.last.step >= planned;
}

/** The planned number of steps of a run: its grid point's train.steps, else the spec's (null: unknown). */
export function plannedSteps(results: RunResults, point: GridPoint | undefined): number | null {
  const swept = point?.['train.steps'];
  return typeof swept === 'number' ? swept : (results.plannedSteps ?? null);
}

/** "interrupted (SIGTERM) at step 9 of 50": how a stopped run ended. */
export function stopLabel(results: RunResults, s: StopMarker): string {
  const of = plannedSteps(results, s.point);
  return `${s.kind}${s.detail ? ` (${s.detail})` : ''}${s.step === null ? '' : ` at step ${s.step}${of === null ? '' : ` of ${of}`}`}`;
}

/**
 * One sentence per run that stopped early, per divergence line and per stop line without a width,
 * for a figure's caption and the CLI's stderr: "width 32: interrupted (SIGTERM) at step 9 of 50, its last record is step 5".
 */
export function runNotes(results: RunResults, o: { divergences?: boolean } = {}): string[] {
  const notes: string[] = [];
  for (const e of runEnds(results)) {
    const name = runName(e.point, e.width);
    if (e.stopped) notes.push(`${name}: ${stopLabel(results, e.stopped)}; its last record (step ${e.last?.step ?? '–'}) is not a final one`);
    if (o.divergences !== false) for (const d of e.divergences) notes.push(`${name}: the ${MODEL_NAMES[d.model] ?? d.model} diverged at step ${d.step}`);
  }
  for (const s of results.stopped ?? []) {
    const end = s.width ? runEnds(results).find((e) => runKey(e.point, e.width) === runKey(s.point, s.width!)) : undefined;
    if (s.width && afterFinish(results, s, end)) notes.push(`${runName(s.point, s.width)} finished; then ${s.kind}${s.detail ? ` (${s.detail})` : ''}: the widths or grid points after it did not run`);
  }
  for (const s of results.stopped ?? []) if (!s.width) notes.push(`${s.point ? `${pointLabel(s.point)}: ` : ''}${stopLabel(results, s)}, before any record of its width`);
  return notes;
}

export const MODEL_NAMES: Record<string, string> = { network: 'network', linearized: 'linearised model', quadratic: 'quadratic model' };
