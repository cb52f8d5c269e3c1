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
}

/** Parses JSON Lines; a line that is not JSON is an error naming its number. */
export function parseResults(text: string, source = 'results'): RunResults {
  const out: RunResults = { source, records: [], diverged: [], summary: null };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`${source}:${i + 1}: not a JSON line (${(e as Error).message})`);
    }
    if (value.diverged && typeof value.diverged === 'object') out.diverged.push({ point: value.point as GridPoint | undefined, ...(value.diverged as DivergenceRecord) });
    else if (value.summary && typeof value.summary === 'object') out.summary = value.summary as Record<string, unknown>;
    else if (typeof value.step === 'number' && Array.isArray(value.width)) out.records.push(value as unknown as RunRecord);
    // other lines (an `interrupted` marker, shard metadata) carry no plotted values
  });
  if (out.records.length === 0) throw new Error(`${source}: no records to plot (expected the JSON Lines of \`widenet run\`: objects with "step" and "width")`);
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
  diverged: boolean;
}

/** One entry per run (point and width), in the order the runs appear: its last record and whether it diverged. */
export function runEnds(results: RunResults): RunEnd[] {
  const ends = new Map<string, RunEnd>();
  const key = (point: GridPoint | undefined, width: readonly number[]) => JSON.stringify([pointWithoutWidth(point), width]);
  for (const r of results.records) {
    const k = key(r.point, r.width);
    const end = ends.get(k) ?? { point: pointWithoutWidth(r.point), width: [...r.width], last: null, diverged: false };
    if (!end.last || r.step >= end.last.step) end.last = r;
    ends.set(k, end);
  }
  for (const d of results.diverged) {
    const k = key(d.point, d.width);
    const end = ends.get(k) ?? { point: pointWithoutWidth(d.point), width: [...d.width], last: null, diverged: false };
    end.diverged = true;
    ends.set(k, end);
  }
  return [...ends.values()];
}
