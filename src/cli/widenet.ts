// The `widenet` command. Commander parses the arguments (a maintained parser with generated
// --help, subcommands and typed options, instead of hand-rolled argv handling).
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { Runtime } from '../gpu/runtime';
import { WidenetError } from '../gpu/errors';
import { SpecError, expandGrid, parseSpecText, specWarnings, type ExperimentSpec } from '../spec';
import { ntkCommand } from './ntk';
import { parseByteSize } from '../ntk/memory';
import { InterruptedError, OWN_RESULT_FILES, OutDirError, OutputClosedError, STOP_SIGNALS, prepareOutDir, resolvedSpecText, runCommand, type OutDir, type StopSignal } from './run';
import { readResumeState, type ResumeState } from './resume';
import { OutputPathError, errorText } from './output-paths';
import { resolveShard } from './shard';
import { MergeError } from './merge';
import { applyCachedTiles } from '../kernels/autotune';
import { fileCache } from '../kernels/autotune-node';
import { registerBench, registerNodeBench } from './bench';
import { registerPlot } from './plot';
import { registerSweepCommands } from './sweep-commands';
import { registerSelftest } from './selftest';

// --debug (anywhere on the command line) or WIDENET_DEBUG=1: errors with their stack traces
const debug = process.argv.includes('--debug') || process.env.WIDENET_DEBUG === '1';
const argv = process.argv.filter((a) => a !== '--debug');

// stdout closed by its reader (`widenet run … | head`): Node reports EPIPE as an 'error' event
// after the failed write (an unhandled one crashes with a stack trace). Note it, and let the
// next write end the command quietly through OutputClosedError (the device is released first).
let stdoutClosed = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') stdoutClosed = true;
  else {
    process.stderr.write(`widenet: cannot write to stdout: ${e.message}\n`);
    process.exit(1);
  }
});
process.stderr.on('error', () => {}); // a closed stderr must not crash the run either
const writeOut = (text: string): void => {
  if (stdoutClosed) throw new OutputClosedError();
  process.stdout.write(text);
};

/** Valid but probably unintended settings, one line each on stderr (the demo pages show the same text). */
function warnAboutSpec(spec: ExperimentSpec): void {
  // every point's spec (a grid may sweep model.alpha or the data), each distinct setting once: the
  // warnings read only the data and α/centring, so a 10⁵-point lr grid builds its data once
  const seen = new Set<string>();
  const warnings = new Set<string>();
  for (const { spec: s } of expandGrid(spec)) {
    const key = JSON.stringify([s.data, s.seed, s.model.alpha, s.model.centered, s.model.inputDim, s.model.outputDim]);
    if (seen.has(key)) continue;
    seen.add(key);
    for (const w of specWarnings(s)) warnings.add(w);
  }
  for (const w of warnings) process.stderr.write(`widenet: warning: ${w}\n`);
}

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

/** The spec of a command; `training` also asks for what training needs (labels), which `ntk` does not. */
function readSpec(path: string, options: { training?: boolean } = {}) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpecError([{ path: '', message: `cannot read the spec file: ${(e as Error).message}` }], path);
  }
  return parseSpecText(text, path, options);
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
    if (spec.sweep?.grid) throw new Error('widenet ntk: expected a spec without sweep.grid (the kernels of one network or a width sweep); list the grid\'s points with `widenet sweep SPEC --list` and give ntk one of them');
    warnAboutSpec(spec);
    await withRuntime((rt) => ntkCommand(rt, spec, (obj) => writeOut(JSON.stringify(obj) + '\n'), { maxMemory: opts.maxMemory }));
  });

program
  .command('run')
  .description('train every point of the spec (each width of a width sweep, each point of a sweep.grid); prints JSON Lines (one record per line, then a sweep summary)')
  .argument('<spec>', 'experiment spec (JSON)')
  .option('--out <dir>', 'also write metrics.jsonl, the resolved spec.json and the final kernels to this folder (refused if it is not empty, unless --force)')
  .option('--force', `with --out: delete widenet's own results in the folder (${OWN_RESULT_FILES}) first`)
  .option('--resume', 'with --out: continue the run in the folder (stopped by a signal, an error, a kill or a requeue): keep its finished points, run the rest (the point that was cut off from its --checkpoint, else from step 0); starts afresh in an empty folder')
  .option('--checkpoint <seconds>', 'with --out: save the running point\'s state (checkpoint.bin) after a record once this many seconds have passed since the last save (0: after every record), and when stopped by a signal; --resume then goes on from there, bit for bit', (v: string) => {
    const s = Number(v);
    if (v.trim() === '' || !Number.isFinite(s) || s < 0) throw new InvalidArgumentError(`expected seconds between checkpoints: a number ≥ 0, like 600; received ${JSON.stringify(v)}`);
    return s;
  })
  .option('--shard <i/N>', 'run only the points whose index ≡ i (mod N) (default: from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with --shards N); --out then writes shard.json for widenet merge')
  .option('--shards <N>', "the shard count of a Kubernetes Indexed Job (the Job's completions; the index is JOB_COMPLETION_INDEX)")
  .action(async (path: string, opts: { out?: string; force?: boolean; resume?: boolean; checkpoint?: number; shard?: string; shards?: string }) => {
    // SIGINT/SIGTERM/SIGHUP (a closed terminal or ssh session): finish the line being written,
    // end with {"interrupted": …}, release the lock and the device, exit 128 + signal; a second
    // signal exits at once
    let stop: StopSignal | null = null;
    let out: OutDir | undefined;
    for (const signal of STOP_SIGNALS) {
      process.on(signal, () => {
        if (stop) {
          out?.release();
          process.exit(new InterruptedError(signal).exitCode);
        }
        stop = signal;
      });
    }
    const spec = readSpec(path, { training: true });
    warnAboutSpec(spec);
    const shard = resolveShard(opts.shard, opts.shards, process.env);
    // the folder is checked, created and locked before any GPU work
    if (opts.force && opts.resume) throw new OutDirError('--force and --resume contradict each other: --force deletes the results in the folder, --resume keeps them; give one');
    if (opts.out !== undefined) out = prepareOutDir(opts.out, { force: opts.force, resume: opts.resume, warn: (l) => process.stderr.write(l) });
    else if (opts.force || opts.resume || opts.checkpoint !== undefined) throw new OutDirError(`${opts.force ? '--force' : opts.resume ? '--resume' : '--checkpoint'} is only meaningful with --out DIR`);
    // --resume: the folder's earlier run is read and checked against this spec before any GPU work
    let resume: ResumeState | null = null;
    try {
      if (out && opts.resume) resume = readResumeState(out.dir, spec, resolvedSpecText(spec), shard);
    } catch (e) {
      out?.release();
      throw e;
    }
    process.on('exit', () => out?.release());
    try {
      await withRuntime((rt) =>
        runCommand(rt, spec, {
          out,
          progress: process.stderr.isTTY === true,
          write: writeOut,
          status: (text) => process.stderr.write(text),
          stopRequested: () => stop,
          shard,
          resume,
          checkpointSeconds: opts.checkpoint ?? null,
        }),
      );
    } finally {
      out?.release();
    }
  });

registerSweepCommands(program, readSpec);
registerNodeBench(program, withRuntime);
registerSelftest(program, withRuntime);
registerBench(program);
registerPlot(program);

program.option('--debug', 'print the stack trace of an error (also: WIDENET_DEBUG=1)');

/** One readable line: the message without Dawn's native source locations ("    at CheckVk… (…cpp:106)"). */
function oneLine(error: unknown): string {
  const text = errorText(error);
  return error instanceof WidenetError && !(error instanceof OutputPathError) ? `${error.name}: ${text}` : text;
}

program
  .parseAsync(argv)
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    if (error instanceof OutputClosedError) process.exit(0); // `| head` closed stdout: a quiet end
    if (error instanceof SpecError || error instanceof OutputPathError) {
      // an invalid spec: every problem, by field path, and exit code 2
      process.stderr.write(`widenet: ${error.message}\n`);
      process.exit(2);
    }
    // a merge's problems, one per line (each names its shard)
    if (error instanceof MergeError) process.stderr.write(`widenet: cannot merge:\n${error.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
    else process.stderr.write(`widenet: ${oneLine(error)}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    // Dawn keeps the process alive: exit explicitly
    process.exit(error instanceof InterruptedError ? error.exitCode : 1);
  });
