// The benchmark commands. The library does not depend on its benchmarks: each command's code
// under bench/ is loaded by a dynamic import() inside its action (Vite splits it into its own
// chunk of dist/cli), so no other command loads it, and src/ has no static import from bench/.
//  - `widenet bench-kernels`, `bench-ntk`, `bench-train`: the Node benchmarks (bench/kernels.ts,
//    bench/ntk.ts, bench/train.ts), every result checked against float64 before it is timed.
//  - `widenet bench`: the headless-Chrome benchmarks against tfjs-backend-webgpu and jax-js
//    (bench/harness); the harness and its devDependencies (vite, puppeteer-core, the peers) are
//    loaded only when this command runs, so the rest of the CLI does not need them.
import { checkOutputFile, requireOutputPath } from './output-paths';
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Runtime } from '../gpu/runtime';
import { BENCH_SIZE_PRESETS, IMPLS, SUITES, type BenchSizePreset, type Impl, type SuiteName } from './bench-options';
import type { AdapterSummary } from '../gpu/device';

/** What the report says of its GPU times: Dawn's timestamp quantisation is off in Node (src/gpu/device.ts dawnToggles). */
export function timestampNote(a: AdapterSummary): string {
  if (!a.features.includes('timestamp-query')) return 'GPU times: wall clock (no timestamp-query)';
  return a.dawnToggles?.disabled.includes('timestamp_quantization') ? 'GPU times: timestamp queries at full resolution (Dawn timestamp_quantization disabled)' : 'GPU times: timestamp queries (quantised by the browser)';
}

/** What a Node benchmark module gives its command (loaded when the command runs). */
interface NodeBench<R> {
  run: (rt: Runtime, o: { quick?: boolean; preset?: BenchSizePreset; log: (l: string) => void }) => Promise<R[]>;
  table: (results: R[]) => string;
  /** one line per result whose float64 check failed */
  mismatches: (results: R[]) => string[];
}

/** A benchmark subcommand: run it, write the JSON report if asked, print the adapter and the Markdown table; exit 1 after them when a result was wrong. */
function benchCommand<R>(program: Command, withRuntime: <T>(fn: (rt: Runtime) => Promise<T>) => Promise<T>, name: string, description: string, load: () => Promise<NodeBench<R>>): void {
  program
    .command(name)
    .description(description)
    .option('--json <path>', 'also write the results as JSON')
    .option('--quick', 'smaller sizes (= --preset quick)')
    .option('--preset <name>', `sizes: ${BENCH_SIZE_PRESETS.join(', ')} (tiny: a smoke run on a CPU adapter; gpu: a big GPU's sizes, issue 16)`)
    .action(async (opts: { json?: string; quick?: boolean; preset?: string }) => {
      if (opts.preset !== undefined && !BENCH_SIZE_PRESETS.includes(opts.preset as BenchSizePreset)) throw new Error(`--preset ${opts.preset}: unknown; expected one of ${BENCH_SIZE_PRESETS.join(', ')}`);
      if (opts.preset !== undefined && opts.quick && opts.preset !== 'quick') throw new Error(`--quick and --preset ${opts.preset} contradict each other; give one`);
      const preset = (opts.preset as BenchSizePreset | undefined) ?? (opts.quick ? 'quick' : 'full');
      checkOutputFile('--json', opts.json, { createFolders: true }); // before the work
      const bench = await load();
      await withRuntime(async (rt) => {
        const started = new Date().toISOString();
        const results = await bench.run(rt, { quick: preset === 'quick', preset, log: (l) => process.stderr.write(l + '\n') });
        const a = rt.ctx.adapter;
        if (opts.json) {
          mkdirSync(dirname(opts.json), { recursive: true });
          writeFileSync(opts.json, JSON.stringify({ adapter: a, date: started, software: a.software, preset, timestamps: timestampNote(a), results }, null, 2) + '\n');
        }
        process.stdout.write(`adapter: ${a.vendor} ${a.architecture} ${a.description} (${a.software ? 'software' : 'hardware'}), ${started}; ${timestampNote(a)}\n\n${bench.table(results)}\n`);
        const wrong = bench.mismatches(results);
        if (wrong.length) throw new Error(`${wrong.length} result(s) did not match the float64 reference and were not timed:\n${wrong.join('\n')}`);
      });
    });
}

/** `bench-kernels`, `bench-train`, `bench-ntk`; `withRuntime` is the CLI's (device, cached tiles). */
export function registerNodeBench(program: Command, withRuntime: <T>(fn: (rt: Runtime) => Promise<T>) => Promise<T>): void {
  benchCommand(program, withRuntime, 'bench-kernels', 'benchmark every kernel version on this adapter; prints a Markdown table', async () => {
    const m = await import('../../bench/kernels');
    return { run: m.benchKernels, table: m.kernelTable, mismatches: m.kernelMismatches };
  });
  benchCommand(program, withRuntime, 'bench-train', 'training steps per second against width (two-layer ReLU, n = 1024, d = 32) and the scheduler overhead', async () => {
    const m = await import('../../bench/train');
    return { run: m.benchTrain, table: m.trainTable, mismatches: m.trainMismatches };
  });
  benchCommand(program, withRuntime, 'bench-ntk', 'time and memory of the structured empirical NTK (and of the explicit Jacobian contraction)', async () => {
    const m = await import('../../bench/ntk');
    return { run: m.benchNtk, table: m.ntkTable, mismatches: m.ntkMismatches };
  });
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmark widenet against tfjs-backend-webgpu and jax-js in headless Chromium (GPU if present, else SwiftShader); writes bench/results/<adapter>-<date>.json, .md and SVG charts')
    .option('--quick', 'small sizes (still the 1024×1024×1024 matmul and the n=256, d=16, m=4096 NTK); minutes on SwiftShader')
    .option('--tiny', 'tiny sizes (the test command\'s smoke run)')
    .option('--suite <name>', `run only this suite (repeatable): ${SUITES.join(', ')}`, (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--impl <name>', 'run only this implementation (repeatable): widenet, tfjs, jax-js', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json <path>', 'also write the JSON here')
    .option('--out <dir>', 'directory of the report (default bench/results)')
    .option('--no-autotune', 'keep the default tiles (no search, no cache)')
    .action(async (opts: { quick?: boolean; tiny?: boolean; suite: string[]; impl: string[]; json?: string; out?: string; autotune: boolean }) => {
      const unknown = opts.suite.filter((s) => !SUITES.includes(s as SuiteName));
      if (unknown.length) throw new Error(`unknown suite ${unknown.join(', ')}; expected one of ${SUITES.join(', ')}`);
      const badImpl = opts.impl.filter((s) => !IMPLS.includes(s as Impl));
      if (badImpl.length) throw new Error(`unknown implementation ${badImpl.join(', ')}; expected one of ${IMPLS.join(', ')}`);
      requireOutputPath('--out', opts.out);
      checkOutputFile('--json', opts.json, { createFolders: true });
      const { runBench } = await import('../../bench/harness/run');
      const { targetTable } = await import('../../bench/harness/report');
      const { json, files } = await runBench({
        preset: opts.tiny ? 'tiny' : opts.quick ? 'quick' : 'full',
        suites: opts.suite.length ? (opts.suite as SuiteName[]) : undefined,
        impls: opts.impl.length ? (opts.impl as Impl[]) : undefined,
        outDir: opts.out,
        jsonPath: opts.json,
        autotune: opts.autotune,
      });
      const a = json.adapter;
      process.stdout.write(`adapter: ${a.vendor} ${a.architecture} ${a.description} (${json.software ? 'software: not GPU numbers' : 'hardware'}), ${json.date}\n\n${targetTable(json)}\n\nwrote:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
    });
}
