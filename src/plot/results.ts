// Reading the lines `widenet run` (or `widenet merge`) wrote: metrics.jsonl in a folder, or any
// JSON Lines file (the parsing itself, without Node, is plot/run-results.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseResults, type RunResults } from './run-results';

export * from './run-results';

/** The results in `path`: a folder holding metrics.jsonl, or a JSON Lines file. */
export function readResults(path: string): RunResults {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'metrics.jsonl');
  } catch (e) {
    throw new Error(`${path}: cannot read results (${(e as Error).message}); expected a folder written by \`widenet run --out\` or a metrics.jsonl file`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read results (${(e as Error).message})`);
  }
  const results = parseResults(text, file);
  // a results folder's spec.json (widenet run --out writes it beside metrics.jsonl) gives the planned
  // train.steps, for "interrupted at step 9 of 50"; another file's folder may hold an unrelated one
  const spec = join(dirname(file), 'spec.json');
  if (basename(file) === 'metrics.jsonl' && existsSync(spec)) {
    try {
      const steps = (JSON.parse(readFileSync(spec, 'utf8')) as { train?: { steps?: unknown } }).train?.steps;
      results.plannedSteps = typeof steps === 'number' ? steps : null;
    } catch {
      results.plannedSteps = null; // an unreadable spec.json only loses the "of N"
    }
  }
  return results;
}

