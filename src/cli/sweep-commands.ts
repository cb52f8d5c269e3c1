// `widenet sweep SPEC --list` (the points of a spec, one JSON line each with index and point) and
// `widenet merge DIR... --out DIR` (shard folders into one results folder; merge.ts).
import type { Command } from 'commander';
import { expandGrid, type ExperimentSpec } from '../spec';
import { mergeShards, refuseOutAmongInputs } from './merge';
import { OWN_RESULT_FILES, prepareOutDir } from './run';
import { requireOutputPath } from './output-paths';

export function registerSweepCommands(program: Command, readSpec: (path: string, options?: { training?: boolean }) => ExperimentSpec): void {
  program
    .command('sweep')
    .description('the points of a spec (a grid, a width sweep, or one network), one JSON line each: {"index": i, "point": {path: value}}; the order of `widenet run` and of its shards')
    .argument('<spec>', 'experiment spec (JSON)')
    .requiredOption('--list', 'print the points (the only action of this command)')
    .action((path: string) => {
      const spec = readSpec(path, { training: true });
      for (const p of expandGrid(spec)) process.stdout.write(JSON.stringify({ index: p.index, point: p.point }) + '\n');
    });

  program
    .command('merge')
    .description("merge the --out folders of a sharded run's shards into one metrics.jsonl in point order, with the summary over the whole grid; a missing or incomplete shard is named (exit code 1)")
    .argument('<dirs...>', "the shards' --out folders")
    .requiredOption('--out <dir>', 'the merged results folder (refused if it is not empty, unless --force)')
    .option('--force', `delete widenet's own results in the --out folder (${OWN_RESULT_FILES}) first`)
    .action((dirs: string[], opts: { out: string; force?: boolean }) => {
      requireOutputPath('--out', opts.out);
      refuseOutAmongInputs(dirs, opts.out); // before touching anything
      const r = mergeShards(dirs, () => prepareOutDir(opts.out, { force: opts.force, warn: (l) => process.stderr.write(l) }));
      process.stderr.write(`widenet: merged ${r.shards} shard${r.shards === 1 ? '' : 's'} (${r.points} points) into ${opts.out}/metrics.jsonl\n`);
    });
}
