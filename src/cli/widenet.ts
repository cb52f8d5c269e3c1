// The `widenet` command. Commander parses the arguments (a maintained parser with generated
// --help, subcommands and typed options, instead of hand-rolled argv handling).
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Runtime } from '../gpu/runtime';
import { WidenetError } from '../gpu/errors';
import { benchKernels, kernelTable } from '../../bench/kernels';
import { benchNtk, ntkTable } from '../../bench/ntk';
import { benchTrain, trainTable } from '../../bench/train';
import { SpecError, parseSpecText } from '../spec';
import { ntkCommand } from './ntk';
import { parseByteSize } from '../ntk/memory';
import { runCommand } from './run';
import { applyCachedTiles } from '../kernels/autotune';
import { fileCache } from '../kernels/autotune-node';
import { registerBench } from './bench';

async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await Runtime.create();
  // the tiles `widenet bench` chose for this adapter, when it has run here (no search here)
  applyCachedTiles(rt, fileCache());
  try {
    return await fn(rt);
  } finally {
    rt.destroy();
  }
}

function readSpec(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpecError([{ path: '', message: `cannot read the spec file: ${(e as Error).message}` }], path);
  }
  return parseSpecText(text, path);
}

const program = new Command('widenet').description('WebGPU engine for the training dynamics of very wide neural networks');

program
  .command('info')
  .description('print the WebGPU adapter as JSON: vendor, architecture, software or hardware, limits, features')
  .action(async () => {
    await withRuntime(async (rt) => {
      process.stdout.write(JSON.stringify(rt.ctx.adapter, null, 2) + '\n');
    });
  });

program
  .command('ntk')
  .description('empirical (ensemble mean), NNGP and infinite-width kernels on the train inputs, before training, as JSON (one object per width)')
  .argument('<spec>', 'experiment spec (JSON)')
  .option('--max-memory <bytes>', 'memory budget of the process, e.g. 2e9, 512M, 2G (K/M/G/T = 1024^1..4); a network whose in-memory kernel needs more is streamed over its width (default: half the free memory, half the adapter\'s buffer limit per buffer)', (v: string) => {
    try {
      return parseByteSize(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  })
  .action(async (path: string, opts: { maxMemory?: number }) => {
    const spec = readSpec(path); // before any GPU work: a bad spec costs nothing
    await withRuntime((rt) => ntkCommand(rt, spec, (obj) => process.stdout.write(JSON.stringify(obj) + '\n'), { maxMemory: opts.maxMemory }));
  });

program
  .command('run')
  .description('train every width of the spec; prints JSON Lines (one record per line, then a sweep summary)')
  .argument('<spec>', 'experiment spec (JSON)')
  .option('--out <dir>', 'also write metrics.jsonl, the resolved spec.json and the final kernels to this folder')
  .action(async (path: string, opts: { out?: string }) => {
    const spec = readSpec(path);
    await withRuntime((rt) =>
      runCommand(rt, spec, {
        out: opts.out,
        progress: process.stderr.isTTY === true,
        write: (line) => process.stdout.write(line),
        status: (text) => process.stderr.write(text),
      }),
    );
  });

/** A benchmark subcommand: run it, write the JSON report if asked, print the adapter and the Markdown table. */
function benchCommand<R>(name: string, description: string, run: (rt: Runtime, o: { quick?: boolean; log: (l: string) => void }) => Promise<R[]>, table: (results: R[]) => string): void {
  program
    .command(name)
    .description(description)
    .option('--json <path>', 'also write the results as JSON')
    .option('--quick', 'smaller sizes')
    .action(async (opts: { json?: string; quick?: boolean }) => {
      await withRuntime(async (rt) => {
        const started = new Date().toISOString();
        const results = await run(rt, { quick: opts.quick, log: (l) => process.stderr.write(l + '\n') });
        const a = rt.ctx.adapter;
        if (opts.json) {
          mkdirSync(dirname(opts.json), { recursive: true });
          writeFileSync(opts.json, JSON.stringify({ adapter: a, date: started, software: a.software, results }, null, 2) + '\n');
        }
        process.stdout.write(`adapter: ${a.vendor} ${a.architecture} ${a.description} (${a.software ? 'software' : 'hardware'}), ${started}\n\n${table(results)}\n`);
      });
    });
}

benchCommand('bench-kernels', 'benchmark every kernel version on this adapter; prints a Markdown table', benchKernels, kernelTable);
benchCommand('bench-train', 'training steps per second against width (two-layer ReLU, n = 1024, d = 32) and the scheduler overhead', benchTrain, trainTable);
benchCommand('bench-ntk', 'time and memory of the structured empirical NTK (and of the explicit Jacobian contraction)', benchNtk, ntkTable);
registerBench(program);

program
  .parseAsync(process.argv)
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    if (error instanceof SpecError) {
      // an invalid spec: every problem, by field path, and exit code 2
      process.stderr.write(`widenet: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`widenet: ${error instanceof WidenetError ? `${error.name}: ${error.message}` : error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    // Dawn keeps the process alive: exit explicitly
    process.exit(1);
  });
