// Reading the lines `widenet run` (or `widenet merge`) wrote: metrics.jsonl in a folder, or any
// JSON Lines file (the parsing itself, without Node, is plot/run-results.ts).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
  return parseResults(text, file);
}

