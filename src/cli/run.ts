// `widenet run SPEC.json [--out DIR]`: trains every width of the spec and prints JSON Lines
// (DESIGN.md §5): one record per line, a divergence line if a width diverged, and for a sweep a
// final {"summary": …} with the log-log slopes against width. --out DIR also writes
// metrics.jsonl (the same lines), spec.json (the resolved spec, defaults filled in) and
// kernels-<width>.json (Θ₀ and Θ_t on the probe at the end of each width).
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../gpu/runtime';
import { runExperiment } from '../dynamics/experiment';
import type { ExperimentSpec } from '../spec';

/** A one-line progress bar for a terminal: `[#####-----] width [4096] step 500/1000`. */
function progressBar(width: number[], step: number, total: number): string {
  const cells = 30;
  const done = total > 0 ? Math.round((cells * step) / total) : cells;
  return `\r[${'#'.repeat(done)}${'-'.repeat(cells - done)}] width [${width.join(', ')}] step ${step}/${total}`;
}

export async function runCommand(rt: Runtime, spec: ExperimentSpec, o: { out?: string; progress: boolean; write: (line: string) => void; status: (text: string) => void }): Promise<void> {
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'spec.json'), JSON.stringify(spec, null, 2) + '\n');
    writeFileSync(join(o.out, 'metrics.jsonl'), '');
  }
  let lastDrawn = 0;
  const lines = runExperiment(rt, spec, {
    onStep: o.progress
      ? (width, step, total) => {
          const now = Date.now();
          if (now - lastDrawn > 100 || step === total) {
            o.status(progressBar(width, step, total));
            lastDrawn = now;
          }
        }
      : undefined,
    onWidthEnd: o.out
      ? async (experiment) => {
          const kernels = await experiment.probeKernels();
          const file = join(o.out!, `kernels-${experiment.width.join('x')}.json`);
          writeFileSync(file, JSON.stringify({ width: experiment.width, step: experiment.stepIndex, probe: spec.observe.probe, ...kernels }) + '\n');
        }
      : undefined,
  });
  for await (const line of lines) {
    const text = JSON.stringify(line);
    if (o.progress) o.status('\r\x1b[2K');
    o.write(text + '\n');
    if (o.out) appendFileSync(join(o.out, 'metrics.jsonl'), text + '\n');
  }
}
