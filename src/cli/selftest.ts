// `widenet selftest [--quick] [--only NAME] [--json PATH]`: every kernel version and the structured
// eNTK against float64 on the present adapter (src/check/selftest.ts). Prints the JSON report on
// stdout (one line per case on stderr as it goes); exit code 1 on any mismatch, naming each
// failed case. WIDENET_SELFTEST_INJECT=<name> perturbs the named cases' GPU output before the
// comparison: a test-only hook for the mismatch path (tests/cli/selftest.test.ts).
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Runtime } from '../gpu/runtime';
import { entkSharedCase, selftest, selftestMismatches } from '../check/selftest';
import { checkOutputFile } from './output-paths';

export function registerSelftest(program: Command, withRuntime: <T>(fn: (rt: Runtime) => Promise<T>) => Promise<T>): void {
  program
    .command('selftest')
    .description('check every kernel version and the structured eNTK against float64 on this adapter; JSON report; exit 1 on a mismatch')
    .option('--quick', 'small sizes (seconds on SwiftShader); the default sizes are a GPU\'s (4096³ products, dispatches over 65 535 workgroups)')
    .option('--only <name>', 'only the cases whose "kernel version" contains this (repeatable), e.g. matmul, v3_smem, entk', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json <path>', 'also write the report to this file')
    .option('--export-entk <path>', 'also write a small two-layer ReLU case (inputs, weights, widenet\'s eNTK) as JSON, for other implementations to check against (the GPU kit\'s Python peers)')
    .action(async (opts: { quick?: boolean; only: string[]; json?: string; exportEntk?: string }) => {
      // the output files before any case runs (the folders are created, as before)
      checkOutputFile('--json', opts.json, { createFolders: true });
      checkOutputFile('--export-entk', opts.exportEntk, { createFolders: true });
      await withRuntime(async (rt) => {
        const date = new Date().toISOString();
        const t0 = performance.now();
        const inject = process.env.WIDENET_SELFTEST_INJECT;
        // the shared case first: written even when a later case fails or the run is stopped
        let sharedMismatch: string | null = null;
        if (opts.exportEntk) {
          const shared = await entkSharedCase(rt);
          if (shared.mismatch) sharedMismatch = `entk shared case [${shared.n}×${shared.d}×${shared.m}]: ${shared.mismatch}`;
          mkdirSync(dirname(opts.exportEntk), { recursive: true });
          writeFileSync(opts.exportEntk, JSON.stringify(shared) + '\n');
        }
        const results = await selftest(rt, { quick: opts.quick, only: opts.only, inject, log: (l) => process.stderr.write(`${l}\n`) });
        if (results.length === 0) throw new Error(`selftest: no case matches --only ${opts.only.join(', ')}`);
        const mismatches = [...(sharedMismatch ? [sharedMismatch] : []), ...selftestMismatches(results)];
        const report = {
          adapter: rt.ctx.adapter,
          date,
          preset: opts.quick ? 'quick' : 'full',
          ...(inject ? { injectedMismatch: inject } : {}),
          passed: mismatches.length === 0,
          cases: results.length,
          seconds: (performance.now() - t0) / 1000,
          mismatches,
          results,
        };
        const text = JSON.stringify(report, null, 2) + '\n';
        if (opts.json) {
          mkdirSync(dirname(opts.json), { recursive: true });
          writeFileSync(opts.json, text);
        }
        process.stdout.write(text);
        if (mismatches.length) throw new Error(`selftest: ${mismatches.length} of ${results.length} case(s) did not match their float64 reference on ${rt.ctx.adapter.vendor} ${rt.ctx.adapter.architecture}:\n${mismatches.join('\n')}`);
      });
    });
}
