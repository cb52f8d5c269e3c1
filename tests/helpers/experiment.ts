// Running a spec's experiment in a test: every line runExperiment yields, and its records.
import { runExperiment, type RunLine, type RunRecord } from '../../src/dynamics/experiment';
import type { Runtime } from '../../src/gpu/runtime';
import { parseSpec, type ExperimentSpecInput } from '../../src/spec';

export async function runSpec(rt: Runtime, spec: ExperimentSpecInput): Promise<RunLine[]> {
  const lines: RunLine[] = [];
  for await (const line of runExperiment(rt, parseSpec(spec))) lines.push(line);
  return lines;
}

export const records = (lines: RunLine[]): RunRecord[] => lines.filter((l): l is RunRecord => 'step' in l);
