// `widenet plot DIR|FILE [--figure NAME] --out FILE.svg|.png`: a standard figure of a run or a
// merged sweep (plot/figures.ts), rendered without a browser (plot/render.ts).
import { Command, InvalidArgumentError } from 'commander';
import { writeFileSync } from 'node:fs';
import { FIGURES, FIGURE_DESCRIPTIONS, buildFigure, defaultFigure, type FigureName } from '../plot/figures';
import { readResults, runNotes } from '../plot/results';
import { figureFormat, renderFigure } from '../plot/render';
import { checkOutputFile } from './output-paths';

export function registerPlot(program: Command): void {
  program
    .command('plot')
    .description('draw a standard figure of a run or a merged sweep as SVG or PNG')
    .argument('<results>', 'a folder written by `widenet run --out` / `widenet merge --out`, or a metrics.jsonl file')
    .requiredOption('--out <file>', 'the figure to write: FILE.svg or FILE.png')
    .option('--figure <name>', `one of: ${FIGURES.map((f) => `${f} (${FIGURE_DESCRIPTIONS[f]})`).join('; ')}; default: the one the results call for (phase for a grid over model.alpha and widths, lr for a grid over train.lr, width for several widths, else loss)`, (v: string) => {
      if (!(FIGURES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${FIGURES.join(', ')}; received "${v}"`);
      return v as FigureName;
    })
    .action(async (path: string, opts: { out: string; figure?: FigureName }) => {
      checkOutputFile('--out', opts.out); // before reading anything: its folder exists and is writable
      const format = figureFormat(opts.out);
      const results = readResults(path);
      const name = opts.figure ?? defaultFigure(results);
      const figure = await renderFigure(buildFigure(name, results), format);
      writeFileSync(opts.out, figure);
      process.stderr.write(`widenet: wrote the ${name} figure of ${results.source} to ${opts.out}\n`);
      // runs that stopped early (interrupted, failed) or diverged, as the figure's caption lists them
      // (a large grid's divergences are counted, not listed: the figure marks each)
      const all = runNotes(results);
      const stops = runNotes(results, { divergences: false });
      const notes = all.length <= 10 ? all : [...stops, `${all.length - stops.length} divergence lines (the figure marks them)`];
      for (const note of notes) process.stderr.write(`widenet: note: ${note}\n`);
    });
}
