// `widenet bench`: the headless-Chrome benchmarks against tfjs-backend-webgpu and jax-js
// (bench/harness). The harness and its devDependencies (vite, puppeteer-core, the peers) are
// loaded only when this command runs, so the rest of the CLI does not need them.
import type { Command } from 'commander';
import { IMPLS, SUITES, type Impl, type SuiteName } from '../../bench/page/types';

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
