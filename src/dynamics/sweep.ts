// The sweep runner: every width of a spec, each a life cycle of Experiment, then the summary.
import type { Runtime } from '../gpu/runtime';
import { specWidths, type ExperimentSpec } from '../spec';
import { Experiment } from './experiment';
import { logLogSlope } from './observables';
import type { RunLine, RunRecord } from './records';

/**
 * Runs every width of a spec: a record every `recordEvery` steps (and at the first and last step);
 * a diverged width ends with its divergence line; a sweep ends with the summary of log-log slopes
 * of the last records against the first hidden width.
 */
export async function* runExperiment(rt: Runtime, spec: ExperimentSpec, options: { onStep?: (width: number[], step: number, total: number) => void; onWidthEnd?: (experiment: Experiment) => Promise<void> } = {}): AsyncGenerator<RunLine> {
  const widths = specWidths(spec);
  const finals: { width: number; record: RunRecord }[] = [];
  for (const hidden of widths) {
    const experiment = await Experiment.create(rt, spec, { hidden });
    try {
      const first = await experiment.record();
      yield* experiment.takeSideLines();
      yield first;
      let diverged = 'diverged' in first;
      const { steps, recordEvery } = spec.train;
      while (!diverged && experiment.stepIndex < steps) {
        const chunk = Math.min(recordEvery, steps - experiment.stepIndex);
        for (let s = 0; s < chunk; s++) {
          experiment.trainer.step(1);
          options.onStep?.(hidden, experiment.stepIndex, steps);
        }
        const line = await experiment.record();
        yield* experiment.takeSideLines(); // a side model's divergence: its own line, the width goes on
        diverged = 'diverged' in line;
        yield line;
      }
      if (!diverged && experiment.lastRecord) finals.push({ width: hidden[0], record: experiment.lastRecord });
      await options.onWidthEnd?.(experiment);
    } finally {
      experiment.dispose();
    }
  }
  if (widths.length > 1) {
    const w = finals.map((f) => f.width);
    const slope = (pick: (r: RunRecord) => number | null) => {
      const values = finals.map((f) => pick(f.record));
      return values.every((v) => v !== null) ? logLogSlope(w, values as number[]) : null;
    };
    const layers = finals[0]?.record.weightChange.length ?? 0;
    yield {
      summary: {
        widths: w,
        slopes: {
          ntkChange: slope((r) => r.ntkChange),
          linearGap: slope((r) => r.linearGap),
          weightChange: Array.from({ length: layers }, (_, l) => slope((r) => r.weightChange[l])),
          trainLoss: slope((r) => r.trainLoss),
          ...(spec.train.quadratic ? { quadraticGap: slope((r) => r.quadraticGap ?? null) } : {}),
        },
      },
    };
  }
}
