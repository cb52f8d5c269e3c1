// The sweep runner: every point of a spec (a width of a width sweep, a point of a grid; grid.ts),
// each a life cycle of Experiment, then the summary (grid-summary.ts).
import type { Runtime } from '../gpu/runtime';
import { expandGrid, pointWidth, specGrid, type ExpandedPoint, type ExperimentSpec } from '../spec';
import { Experiment } from './experiment';
import { sweepSummary, type PointLines } from './grid-summary';
import { solveLeastSquares } from './lstsq';
import type { RunLine } from './records';
import type { SavedState } from './checkpoint';

export interface RunExperimentOptions {
  onStep?: (width: number[], step: number, total: number) => void;
  onWidthEnd?: (experiment: Experiment, point: ExpandedPoint) => Promise<void>;
  /** called before each point: its place among the points run (0-based) and how many run */
  onPointStart?: (point: ExpandedPoint, ordinal: number, count: number) => void;
  /** called after each point with its lines (a shard's bookkeeping) */
  onPointEnd?: (point: ExpandedPoint, lines: number) => void;
  /** run only these points (a shard, or what a resumed run has left, in increasing order) */
  indices?: readonly number[];
  /** the points an earlier run finished (a resumed run keeps them), in the summary before the new ones */
  finished?: readonly PointLines[];
  /** end with the summary (default: unless `indices` is given: a shard's summary needs every point, merge makes it) */
  summary?: boolean;
  /** called with each point's experiment once it is built (and restored): a checkpoint saves its state between records */
  onExperiment?: (experiment: Experiment, point: ExpandedPoint) => void;
  /**
   * A point to continue from a checkpoint (checkpoint.ts): its lines printed before the checkpoint and
   * the state saved after the last of them (a record). The point's experiment is built, restored, and
   * goes on from that record's step; its earlier lines are not printed again but count in its lines.
   */
  resumePoint?: { index: number; lines: RunLine[]; state: SavedState };
}

/** A grid point's line with its `point` beside `width` (in a record, and inside a divergence line). */
function withPoint(line: RunLine, point: ExpandedPoint['point']): RunLine {
  if ('diverged' in line) {
    const { width, ...rest } = line.diverged;
    return { diverged: { width, point, ...rest } } as RunLine;
  }
  if ('step' in line) {
    const { width, ...rest } = line;
    return { width, point, ...rest } as RunLine;
  }
  return line;
}

/**
 * Runs every point of a spec: a record every `recordEvery` steps (and at the first and last step);
 * a diverged network ends its point with the divergence line; a sweep ends with the summary
 * (sweepSummary), computed from the lines as printed (JSON), so that `widenet merge` of shards
 * gets the same bytes.
 */
export async function* runExperiment(rt: Runtime, spec: ExperimentSpec, options: RunExperimentOptions = {}): AsyncGenerator<RunLine> {
  const grid = specGrid(spec);
  const points = expandGrid(spec, options.indices);
  const done: PointLines[] = [...(options.finished ?? [])];
  for (const [ordinal, point] of points.entries()) {
    options.onPointStart?.(point, ordinal, points.length);
    const hidden = pointWidth(point.spec);
    const resumed = options.resumePoint?.index === point.index ? options.resumePoint : null;
    const printed: RunLine[] = resumed ? resumed.lines.map((l) => JSON.parse(JSON.stringify(l)) as RunLine) : [];
    const emit = (line: RunLine): RunLine => {
      const out = grid ? withPoint(line, point.point) : line;
      printed.push(JSON.parse(JSON.stringify(out)) as RunLine);
      return out;
    };
    // train.compare: the experiment trains random features beside it and merges their losses into each record
    const experiment = await Experiment.create(rt, point.spec, { hidden });
    try {
      if (resumed) await experiment.restoreState(resumed.state);
      options.onExperiment?.(experiment, point);
      // lstsq: the solve is step 1 and its record the only one (dynamics/lstsq.ts)
      const solveOnly = point.spec.train.optimizer === 'lstsq';
      let diverged = false;
      if (!resumed) {
        if (solveOnly) await solveLeastSquares(experiment.trainer);
        const first = await experiment.record();
        for (const side of experiment.takeSideLines()) yield emit(side);
        yield emit(first);
        diverged = 'diverged' in first;
      }
      const { steps, recordEvery } = point.spec.train;
      while (!diverged && !solveOnly && experiment.stepIndex < steps) {
        const chunk = Math.min(recordEvery, steps - experiment.stepIndex);
        for (let s = 0; s < chunk; s++) {
          experiment.step(1);
          options.onStep?.(hidden, experiment.stepIndex, steps);
        }
        const line = await experiment.record();
        // a side model's divergence: its own line, the width goes on
        for (const side of experiment.takeSideLines()) yield emit(side);
        diverged = 'diverged' in line;
        yield emit(line);
      }
      await options.onWidthEnd?.(experiment, point);
    } finally {
      experiment.dispose();
    }
    done.push({ index: point.index, point: point.point, width: hidden, lines: printed });
    options.onPointEnd?.(point, printed.length);
  }
  if (!(options.summary ?? !options.indices)) return;
  const summary = sweepSummary(done, grid ? Object.keys(grid) : null);
  if (summary) yield { summary };
}
