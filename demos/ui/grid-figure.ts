// The gallery pages' shared machinery (issue 15, item 5): a headline figure of the field as a grid
// that runs live. The page builds the SAME spec as its example (examples/*.json, with the page's
// sizes), expands it with expandGrid (src/spec/grid.ts), trains the points one after another
// through ExperimentQueue (demos/ui/training.ts), turns their records into the lines `widenet run`
// prints (`point` beside `width`, JSON round trip), and after each point redraws the figure with
// the same Vega-Lite spec as `widenet plot` (buildFigure, src/plot/figures.ts, rendered by vega
// as SVG in the page) and the grid summary beside it (sweepSummary, src/dynamics/grid-summary.ts,
// the function the CLI's summary line comes from).
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { PARAMETERIZATIONS, expandGrid, parseSpec, pointWidth, specGrid, type ExperimentSpec, type ExperimentSpecInput } from '../../src/index';
import { sweepSummary, type PointLines } from '../../src/dynamics/grid-summary';
import type { GridSummary, RunLine } from '../../src/dynamics/records';
import { buildFigure, type FigureName } from '../../src/plot/figures';
import { withFigureConfig } from '../../src/plot/figure-config';
import type { RunResults } from '../../src/plot/run-results';
import { csvFile, jsonFile, textFile } from './export';
import { maxWidthFor } from './limits';
import { DemoPage, el } from './page';
import { ExperimentQueue, divergenceText, type DivergenceRecord, type RunRecord } from './training';
import { commonFields, enumListField, intField, intListField, type Fields, type StateOf } from './url-state';

/** A row of the summary table beside the figure. */
export interface SummaryRow {
  label: string;
  value: string;
}

export interface GridFigureOptions<F extends Fields> {
  id: string;
  title: string;
  intro: string;
  fields: F;
  /** the example's spec (with its sweep.grid) for the page's state */
  spec: (state: StateOf<F>) => ExperimentSpecInput;
  /** the `widenet plot --figure` this page draws */
  figure: FigureName;
  /** the summary numbers shown beside the figure (from the grid summary of the points done) */
  summaryRows: (summary: GridSummary | null) => SummaryRow[];
  /** the state field holding the widths (clamped to what the adapter holds) */
  widthsField: keyof F & string;
  /** file names of the exports: `${exportName}.csv`, … */
  exportName: string;
  /** the page's controls (sliders, text fields), each calling `restart` on change */
  controls: (page: DemoPage<F>, restart: () => void) => void;
}

interface PointTag {
  index: number;
  point: Record<string, unknown>;
  width: number[];
}

/** Counts of the figure's data marks by Vega mark type (role "mark": not axes, legends or titles), for the browser tests. */
function markCounts(container: HTMLElement): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of ['symbol', 'rect', 'line', 'text']) out[type] = container.querySelectorAll(`g.mark-${type}.role-mark > path, g.mark-${type}.role-mark > text`).length;
  return out;
}

export function startGridFigurePage<F extends Fields>(o: GridFigureOptions<F>): DemoPage<F> {
  const page = new DemoPage(o.id, o.fields, { title: o.title, intro: o.intro });
  page.stepUnit = 'steps';
  const figureBox = el('div', { id: 'figure', className: 'figure' });
  const figureNote = el('p', { id: 'figure-note', className: 'note' });
  const summaryTable = el('table', { id: 'summary' });
  const divergedNote = el('p', { id: 'diverged', className: 'note' });
  page.main.append(
    el('div', { className: 'gallery' }, [
      el('div', {}, [figureBox, figureNote]),
      el('div', {}, [el('h2', { textContent: 'Grid summary' }), summaryTable, el('p', { className: 'note', textContent: 'The summary of the points done so far, computed by the same function as the summary line of `widenet run`.' })]),
    ]),
    divergedNote,
  );

  let queue: ExperimentQueue<PointTag> | null = null;
  let parsed: ExperimentSpec | null = null;
  let total = 0;
  /** the lines of each point, as `widenet run` prints them */
  let lines = new Map<number, { tag: PointTag; lines: RunLine[]; done: boolean }>();
  let view: vega.View | null = null;
  let drawn: { figure: unknown; marks: Record<string, number> } = { figure: null, marks: {} };
  let summary: GridSummary | null = null;
  let drawing: Promise<void> = Promise.resolve();

  // a line as `widenet run` prints it: `point` right after `width`, through JSON (as sweep.ts keeps them for the summary)
  const printed = (l: RunLine): RunLine => JSON.parse(JSON.stringify(l)) as RunLine;
  const withPoint = (tag: PointTag, record: RunRecord): RunLine => {
    const { width, ...rest } = record;
    return printed({ width, point: tag.point, ...rest } as RunLine);
  };
  const divergenceLine = (tag: PointTag, d: DivergenceRecord): RunLine => {
    const { width, ...rest } = d;
    return printed({ diverged: { width, point: tag.point, ...rest } } as RunLine);
  };

  /** The points done, in point order, as grid-summary's input. */
  const donePoints = (): PointLines[] =>
    [...lines.values()].filter((p) => p.done).sort((a, b) => a.tag.index - b.tag.index).map((p) => ({ index: p.tag.index, point: p.tag.point, width: p.tag.width, lines: p.lines }));

  /** The results as `widenet plot` reads them from metrics.jsonl (records, divergences, summary). */
  function results(): RunResults {
    const out: RunResults = { source: o.id, records: [], diverged: [], summary: summary as Record<string, unknown> | null };
    for (const p of donePoints()) {
      for (const l of p.lines) {
        if ('diverged' in l) out.diverged.push(l.diverged as RunResults['diverged'][number]);
        else if ('step' in l) out.records.push(l as RunResults['records'][number]);
      }
    }
    return out;
  }

  async function drawFigure(): Promise<void> {
    const r = results();
    if (r.records.length === 0) return;
    let spec;
    try {
      spec = buildFigure(o.figure, r);
    } catch (e) {
      // too few points yet for this figure (e.g. one width): say so instead of drawing
      figureNote.textContent = `The figure waits for more points: ${(e as Error).message}.`;
      return;
    }
    const next = new vega.View(vega.parse(vegaLite.compile(withFigureConfig(spec)).spec), { renderer: 'svg', container: figureBox, hover: true });
    await next.runAsync();
    view?.finalize();
    view = next;
    figureNote.textContent = '';
    drawn = { figure: spec, marks: markCounts(figureBox) };
  }

  function publish(): void {
    const done = donePoints();
    summaryTable.replaceChildren(
      el('tr', {}, [el('th', { textContent: 'quantity' }), el('th', { textContent: 'value' })]),
      ...o.summaryRows(summary).map((r) => el('tr', {}, [el('td', { textContent: r.label }), el('td', { textContent: r.value })])),
    );
    const diverged = done.flatMap((p) => p.lines.filter((l): l is { diverged: DivergenceRecord } => 'diverged' in l));
    divergedNote.textContent = diverged.length ? `${diverged.length} of ${done.length} points diverged (drawn as the figure says); the first: ${divergenceText(diverged[0].diverged)}` : '';
    page.handle.steps = queue?.stepsDone ?? 0;
    page.handle.data = { points: total, done: done.length, remaining: queue?.remaining ?? 0, figure: o.figure, marks: drawn.marks, summary, diverged: diverged.length };
    page.refreshStatus();
  }

  /** After a point ends: the summary, then the figure (one drawing at a time, in order). */
  function pointDone(): void {
    summary = sweepSummary(donePoints(), parsed ? Object.keys(specGrid(parsed) ?? {}) : null) as GridSummary | null;
    drawing = drawing.then(drawFigure).catch((e) => page.fail(e, 'Drawing the figure failed: ')).then(publish);
  }

  const loop = page.queueLoop(() => queue, publish);

  async function reset(): Promise<void> {
    await loop.stop();
    await drawing;
    queue?.dispose();
    page.clearError();
    const rt = page.rt!;
    const n = typeof page.state.n === 'number' ? page.state.n : 8;
    page.clampWidths(o.widthsField, maxWidthFor(rt, { ensemble: 1, rows: n, depth: 1, cap: 1 << 22 }));
    view?.finalize();
    view = null;
    figureBox.replaceChildren();
    drawn = { figure: null, marks: {} };
    summary = null;
    lines = new Map();
    parsed = parseSpec(o.spec(page.state), 'page state', { training: true });
    const points = expandGrid(parsed);
    total = points.length;
    queue = new ExperimentQueue<PointTag>(
      rt,
      points.map((p) => {
        const tag = { index: p.index, point: p.point, width: pointWidth(p.spec) };
        lines.set(p.index, { tag, lines: [], done: false });
        // records at the first and the last step, as `widenet run` with recordEvery = steps
        return { tag, spec: p.spec as unknown as ExperimentSpecInput, steps: p.spec.train.steps, recordAt: [0, p.spec.train.steps] };
      }),
      typeof page.state.spf === 'number' ? page.state.spf : 10,
      (tag, record) => {
        const entry = lines.get(tag.index)!;
        entry.lines.push(withPoint(tag, record));
        if (record.step >= parsed!.train.steps) {
          entry.done = true;
          pointDone();
        }
      },
      (tag, d) => {
        const entry = lines.get(tag.index)!;
        entry.lines.push(divergenceLine(tag, d));
        entry.done = true;
        pointDone();
      },
      (tag) => `grid point ${tag.index} ${JSON.stringify(tag.point)}`,
    );
    page.handle.ready = true;
    publish();
    if (page.state.run) loop.play();
  }
  const restart = page.serial(reset);

  page.addTransport(loop, async () => restart());
  page.addExport('data', 'CSV', async () =>
    csvFile(`${o.exportName}.csv`, donePoints().map((p) => {
      const last = [...p.lines].reverse().find((l): l is RunRecord => 'step' in l) ?? null;
      return { index: p.index, ...Object.fromEntries(Object.entries(p.point).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])), width: p.width.join('x'), step: last?.step ?? null, trainLoss: last?.trainLoss ?? null, ntkChange: last?.ntkChange ?? null, diverged: p.lines.some((l) => 'diverged' in l) };
    })));
  page.addExport('data', 'JSON', async () => jsonFile(`${o.exportName}.json`, { state: page.state, spec: parsed, lines: donePoints().flatMap((p) => p.lines), summary }));
  page.addExport('figure', 'SVG', async () => {
    if (!view) throw new Error('nothing to export yet: no figure is drawn');
    return textFile(`${o.exportName}.svg`, await view.toSVG(), 'image/svg+xml');
  });
  page.addExport('figure', 'PNG', async () => {
    if (!view) throw new Error('nothing to export yet: no figure is drawn');
    const canvas = (await view.toCanvas(2)) as unknown as HTMLCanvasElement;
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the browser could not encode the figure as PNG');
    return { name: `${o.exportName}.png`, blob };
  });
  page.addExport('figure', 'Vega-Lite', async () => {
    if (!drawn.figure) throw new Error('nothing to export yet: no figure is drawn');
    return jsonFile(`${o.exportName}.vl.json`, withFigureConfig(drawn.figure as Parameters<typeof withFigureConfig>[0]));
  });
  page.addExport('spec', 'Spec', async () => jsonFile(`${o.exportName}.spec.json`, parseSpec(o.spec(page.state), 'page state')));

  o.controls(page, restart);

  page.serial(async () => {
    if (!(await page.acquire())) return;
    await reset();
  })();
  return page;
}

/** Learning rates (or α) 2^lo … 2^hi, doubling: the pages' grids in URL-friendly form. */
export function powersOfTwo(lo: number, hi: number): number[] {
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi)) throw new RangeError(`expected integer exponents lo ≤ hi; received ${lo}, ${hi}`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => 2 ** (lo + i));
}

/** A number as the summary table shows it. */
export const shown = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '—' : Number(v.toPrecision(digits)).toString());

/** The URL fields of the pages whose grid is parameterization × width × learning rate (µTransfer, the stable edge). */
export const lrGridFields = {
  widths: intListField(1, 1 << 22, 8, [16, 64, 256]),
  params: enumListField(PARAMETERIZATIONS, 4, ['standard', 'mup']),
  lrmin: intField(-30, 30, -4),
  lrmax: intField(-30, 30, 3),
  n: intField(2, 256, 8),
  steps: intField(1, 100_000, 20),
  spf: intField(1, 1000, 20),
  ...commonFields(),
};
export type LrGridState = { [K in keyof typeof lrGridFields]: (typeof lrGridFields)[K]['default'] };

/** The controls of those pages (their fields above): widths, parameterizations, the lr exponents, steps, n, seed. */
export function lrGridControls(page: DemoPage<typeof lrGridFields>, restart: () => void): void {
  page.text('widths', 'widths', restart);
  page.text('params', 'parameterizations', restart);
  page.slider('lrmin', 'log₂ smallest lr', { min: -12, max: 8, step: 1, integer: true }, restart);
  page.slider('lrmax', 'log₂ largest lr', { min: -12, max: 8, step: 1, integer: true }, restart);
  page.slider('steps', 'steps', { min: 1, max: 1000, step: 0.01, log: true, integer: true }, restart);
  page.slider('n', 'train points', { min: 2, max: 64, step: 1, integer: true }, restart);
  page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, restart);
}

/** An example spec of such a grid (examples/mu-transfer.json, max-stable-lr.json) with the page's sizes. */
export function lrGridSpec(example: { data: { train: object }; train?: object }, s: LrGridState): ExperimentSpecInput {
  if (s.lrmin > s.lrmax) throw new RangeError(`lrmin (${s.lrmin}) must not exceed lrmax (${s.lrmax}): the learning rates are 2^lrmin … 2^lrmax`);
  return {
    ...example,
    seed: s.seed,
    data: { ...example.data, train: { ...example.data.train, n: s.n } },
    train: { ...example.train, steps: s.steps, recordEvery: s.steps },
    sweep: { grid: { 'model.parameterization': s.params, 'model.hidden': s.widths.map((w) => [w]), 'train.lr': powersOfTwo(s.lrmin, s.lrmax) } },
  } as unknown as ExperimentSpecInput;
}
