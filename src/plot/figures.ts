// The standard figures of a run or a sweep, as Vega-Lite specs built from the records
// (plot/run-results.ts). The same specs render in Node (plot/render.ts) and on the pages.
import type { TopLevelSpec } from 'vega-lite';
import { logLogSlope } from '../dynamics/observables';
import { MODEL_NAMES, pointLabel, runEnds, runNotes, stopLabel, widthLabel, type RunEnd, type RunResults } from './run-results';

export const FIGURES = ['loss', 'width', 'lr', 'stable-lr', 'phase'] as const;
export type FigureName = (typeof FIGURES)[number];

export const FIGURE_DESCRIPTIONS: Record<FigureName, string> = {
  loss: 'train and test loss against step, one curve per run (network, linearised and quadratic models)',
  width: 'the last record\'s NTK change, linear gap, quadratic gap and readout weight change against width (log-log), with their slopes',
  lr: 'final train loss against learning rate, one curve per width (µTransfer; one panel per parameterization); diverged runs as crosses in a "diverged" strip above, one row per width',
  'stable-lr': 'the largest learning rate of the grid that did not diverge, against width (log-log), with its slope',
  phase: 'the lazy–rich phase diagram: NTK change over output scale α × width',
};

const lrOf = (e: RunEnd): number | null => (typeof e.point['train.lr'] === 'number' ? (e.point['train.lr'] as number) : null);
const alphaOf = (e: RunEnd): number | null => (typeof e.point['model.alpha'] === 'number' ? (e.point['model.alpha'] as number) : null);
const parameterizationOf = (e: RunEnd): string => (typeof e.point['model.parameterization'] === 'string' ? (e.point['model.parameterization'] as string) : 'as specified');
/** the other swept values, which make separate curves (seed, …) */
const restLabel = (e: RunEnd, drop: string[]) => pointLabel(Object.fromEntries(Object.entries(e.point).filter(([k]) => !drop.includes(k))));

/** The figure a set of results calls for when none is named. */
export function defaultFigure(results: RunResults): FigureName {
  const ends = runEnds(results);
  const widths = new Set(ends.map((e) => widthLabel(e.width)));
  if (ends.some((e) => alphaOf(e) !== null) && widths.size > 1) return 'phase';
  if (ends.some((e) => lrOf(e) !== null)) return 'lr';
  if (widths.size > 1) return 'width';
  return 'loss';
}

/** The figure's spec; its subtitle lists the runs that stopped early or diverged (runNotes). */
export function buildFigure(name: FigureName, results: RunResults): TopLevelSpec {
  const spec = figureSpec(name, results) as TopLevelSpec & { title: string; subtitle?: string[] };
  // the divergences are listed under the loss figure, which marks each; the lr strip, the phase
  // diagram's grey cells and the stable lr show them themselves, the width figure counts those it leaves out
  const notes = [...(spec.subtitle ?? []), ...runNotes(results, { divergences: name === 'loss' })];
  const { subtitle: _, ...rest } = spec;
  // a caption of at most 12 lines
  if (notes.length > 12) notes.splice(11, notes.length, `… and ${notes.length - 11} more`);
  return (notes.length ? { ...rest, title: { text: spec.title, subtitle: notes, subtitleFontSize: 11, subtitleColor: '#b03a2e' } } : rest) as TopLevelSpec;
}

function figureSpec(name: FigureName, results: RunResults): TopLevelSpec {
  switch (name) {
    case 'loss':
      return lossFigure(results);
    case 'width':
      return widthFigure(results);
    case 'lr':
      return lrFigure(results);
    case 'stable-lr':
      return stableLrFigure(results);
    case 'phase':
      return phaseFigure(results);
  }
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const needs = (name: string, what: string) => new Error(`figure ${name}: ${what}`);

/** An exact zero on a log axis: drawn one decade below the least positive loss of the figure (or at 1e-16 without one). */
function logFloor(values: number[]): number {
  const pos = values.filter(positive);
  return pos.length ? 10 ** (Math.floor(Math.log10(Math.min(...pos))) - 1) : 1e-16;
}

const ZERO = '0 (exact), at the axis floor';

function lossFigure(results: RunResults): TopLevelSpec {
  const rows: { step: number; loss: number; curve: string; run: string; order: number; zero: boolean }[] = [];
  const curves: [string, string][] = [['trainLoss', 'network, train'], ['testLoss', 'network, test'], ['linearTrainLoss', 'linearised, train'], ['linearTestLoss', 'linearised, test'], ['quadraticTrainLoss', 'quadratic, train'], ['quadraticTestLoss', 'quadratic, test']];
  const runOf = (width: readonly number[], point: Record<string, unknown> | undefined) => [`width ${widthLabel(width)}`, pointLabel(point)].filter(Boolean).join(', ');
  for (const r of results.records) {
    const run = runOf(r.width, r.point);
    for (const [field, curve] of curves) {
      const v = (r as unknown as Record<string, unknown>)[field];
      // a loss of exactly 0 (float32 underflow of a converged run) has no place on a log axis: it is
      // drawn at the floor with its own mark, never dropped (the curve would seem to stop there)
      if (positive(v) || v === 0) rows.push({ step: r.step, loss: v, curve, run, order: r.width[0], zero: v === 0 });
    }
  }
  if (rows.length === 0) throw needs('loss', 'no finite loss in the records');
  const floor = logFloor(rows.map((r) => r.loss));
  const shown = rows.map((r) => ({ ...r, shown: r.zero ? floor : r.loss, mark: ZERO }));
  const zeros = shown.filter((r) => r.zero);
  // the caption names each curve that reached 0, from which step (the marks of two curves can coincide)
  const zeroFrom = new Map<string, { step: number; count: number }>();
  for (const z of zeros) {
    const k = `${z.run}, ${z.curve}`;
    const f = zeroFrom.get(k) ?? { step: z.step, count: 0 };
    zeroFrom.set(k, { step: Math.min(f.step, z.step), count: f.count + 1 });
  }
  // the events: a divergence line of any model and a stop line, one rule each at its step
  const events = runEnds(results).flatMap((e) => [
    ...e.divergences.map((d) => ({ step: d.step, run: runOf(e.width, e.point), order: e.width[0], event: `${MODEL_NAMES[d.model] ?? d.model} diverged (step ${d.step})` })),
    ...(e.stopped && e.stopped.step !== null ? [{ step: e.stopped.step, run: runOf(e.width, e.point), order: e.width[0], event: stopLabel(results, e.stopped) }] : []),
  ]);
  // the x-axis runs to the last step the file reaches (records, divergences, stops)
  const steps = [...rows.map((r) => r.step), ...events.map((e) => e.step)];
  const x = { field: 'step', type: 'quantitative', title: 'step', scale: { domain: [Math.min(...steps), Math.max(...steps)], nice: false } } as const;
  const color = { field: 'run', type: 'nominal', title: 'run', sort: { field: 'order' } } as const;
  const layer: unknown[] = [
    {
      // a curve that reaches 0 runs on along the floor, so it visibly does not stop
      data: { values: shown },
      mark: { type: 'line' },
      encoding: {
        x,
        y: { field: 'shown', type: 'quantitative', scale: { type: 'log' }, title: 'loss' },
        color,
        strokeDash: { field: 'curve', type: 'nominal', title: 'model, set' },
        tooltip: [{ field: 'run' }, { field: 'curve' }, { field: 'step' }, { field: 'loss', format: '.4g' }],
      },
    },
  ];
  if (zeros.length)
    layer.push({
      data: { values: zeros },
      mark: { type: 'point', shape: 'triangle-down', filled: true, size: 40 },
      encoding: {
        x,
        y: { field: 'shown', type: 'quantitative', scale: { type: 'log' }, title: 'drawn at' },
        color,
        shape: { field: 'mark', type: 'nominal', title: null, scale: { domain: [ZERO], range: ['triangle-down'] }, legend: { labelLimit: 300 } },
        tooltip: [{ field: 'run' }, { field: 'curve' }, { field: 'step' }, { field: 'loss', title: 'loss (exact)' }],
      },
    });
  if (events.length)
    layer.push(
      { data: { values: events }, mark: { type: 'rule', strokeDash: [2, 2], strokeWidth: 1.5 }, encoding: { x, color, tooltip: [{ field: 'run' }, { field: 'event' }] } },
      { data: { values: events }, mark: { type: 'text', angle: 270, align: 'right', baseline: 'bottom', dx: -4, dy: -2, fontSize: 10, y: 0 }, encoding: { x, text: { field: 'event' }, color } },
    );
  return {
    title: 'Loss against step',
    ...(zeros.length ? { subtitle: [`▼ a loss of exactly 0, drawn at the axis floor ${floor.toExponential(0)}:`, ...[...zeroFrom].map(([k, f]) => `    ${k}, from step ${f.step} (${f.count} record${f.count > 1 ? 's' : ''})`)] } : {}),
    width: 520,
    height: 320,
    layer,
  } as TopLevelSpec;
}

/** The width observables of DESIGN.md §5 whose log-log slopes a sweep summarises. */
const WIDTH_OBSERVABLES: [string, (r: Record<string, unknown>) => unknown][] = [
  ['ntkChange', (r) => r.ntkChange],
  ['linearGap', (r) => r.linearGap],
  ['quadraticGap', (r) => r.quadraticGap],
  ['weightChange (readout)', (r) => (Array.isArray(r.weightChange) ? r.weightChange[r.weightChange.length - 1] : null)],
];

function widthFigure(results: RunResults): TopLevelSpec {
  // a run that stopped early (interrupted, failed) has no last record comparable to the others'
  const ends = runEnds(results).filter((e) => e.last && !e.diverged && !e.stopped);
  const rows: { width: number; value: number; observable: string; run: string }[] = [];
  const groups = new Map<string, RunEnd[]>();
  for (const e of ends) groups.set(pointLabel(e.point), [...(groups.get(pointLabel(e.point)) ?? []), e]);
  for (const [run, group] of groups) {
    for (const [name, pick] of WIDTH_OBSERVABLES) {
      const pts = group.map((e) => ({ width: e.width[0], value: pick(e.last as unknown as Record<string, unknown>) })).filter((p): p is { width: number; value: number } => positive(p.value));
      if (pts.length === 0) continue;
      const slope = pts.length > 1 ? logLogSlope(pts.map((p) => p.width), pts.map((p) => p.value)) : null;
      const observable = `${name}${slope === null ? '' : ` (slope ${slope.toFixed(2)})`}`;
      for (const p of pts) rows.push({ ...p, observable, run: run || 'all' });
    }
  }
  if (new Set(rows.map((r) => r.width)).size < 2) throw needs('width', 'expected runs at two widths or more that did not diverge or stop early');
  const left = runEnds(results).filter((e) => e.diverged).length;
  return {
    title: 'Observables against width (last record, log-log)',
    ...(left ? { subtitle: [`${left} run${left > 1 ? 's' : ''} whose network diverged, not drawn`] } : {}),
    data: { values: rows },
    facet: { field: 'observable', type: 'nominal', title: null, sort: null },
    columns: 2,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'width', type: 'quantitative', scale: { type: 'log', nice: false, padding: 12 }, title: 'width m' },
        y: { field: 'value', type: 'quantitative', scale: { type: 'log', padding: 12 }, title: null },
        color: { field: 'run', type: 'nominal', title: 'run' },
        tooltip: [{ field: 'run' }, { field: 'width' }, { field: 'value', format: '.4g' }],
      },
    },
  };
}

function lrFigure(results: RunResults): TopLevelSpec {
  const ends = runEnds(results).filter((e) => lrOf(e) !== null);
  if (ends.length === 0) throw needs('lr', 'expected a grid over "train.lr" (records with point["train.lr"])');
  const widthName = (e: RunEnd) => `${widthLabel(e.width)}${restLabel(e, ['train.lr', 'model.parameterization']) ? `, ${restLabel(e, ['train.lr', 'model.parameterization'])}` : ''}`;
  const trainedLoss = (e: RunEnd) => (!e.diverged && e.last && (positive(e.last.trainLoss) || e.last.trainLoss === 0) ? e.last.trainLoss : null);
  const floor = logFloor(ends.map(trainedLoss).filter((v): v is number => v !== null));
  const rows = ends.map((e) => {
    const loss = trainedLoss(e);
    return {
      lr: lrOf(e)!,
      width: widthName(e),
      widthValue: e.width[0],
      parameterization: parameterizationOf(e),
      // the network diverged: no loss at all, a cross in the "diverged" strip (no invented height)
      status: e.diverged ? 'diverged' : loss === null ? 'no loss' : 'trained',
      loss,
      shown: loss === 0 ? floor : loss,
      end: loss === 0 ? ZERO : e.stopped ? 'stopped early (its last record)' : 'final record',
    };
  });
  const widths = [...new Map(rows.map((r) => [r.width, r.widthValue])).entries()].sort((a, b) => a[1] - b[1]).map(([w]) => w);
  const lrs = rows.map((r) => r.lr);
  // both rows of a panel share the lr axis and the colours
  const x = { field: 'lr', type: 'quantitative', scale: { type: 'log', domain: [Math.min(...lrs), Math.max(...lrs)], padding: 12, nice: false }, title: 'learning rate η' } as const;
  const color = { field: 'width', type: 'ordinal', scale: { domain: widths }, title: 'width' } as const;
  const ends_ = [...new Set(rows.filter((r) => r.status === 'trained').map((r) => r.end))];
  const shapes: Record<string, string> = { 'final record': 'circle', 'stopped early (its last record)': 'diamond', [ZERO]: 'triangle-down' };
  const anyDiverged = rows.some((r) => r.status === 'diverged');
  const panel = (p: string) => {
    const here = { filter: `datum.parameterization === ${JSON.stringify(p)}` };
    const title = `parameterization: ${p}`;
    const trained = {
      ...(anyDiverged ? {} : { title }),
      width: 300,
      height: 240,
      transform: [here, { filter: "datum.status === 'trained'" }],
      layer: [
        { mark: { type: 'line' }, encoding: { x, y: { field: 'shown', type: 'quantitative', scale: { type: 'log' }, title: 'final train loss' }, color } },
        {
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            x,
            y: { field: 'shown', type: 'quantitative', scale: { type: 'log' }, title: 'final train loss' },
            color,
            shape: { field: 'end', type: 'nominal', title: 'point', scale: { domain: ends_, range: ends_.map((e) => shapes[e]) }, legend: { labelLimit: 300 } },
            tooltip: [{ field: 'width' }, { field: 'lr' }, { field: 'loss', title: 'final train loss' }, { field: 'end' }],
          },
        },
      ],
    };
    if (!anyDiverged) return trained;
    // one row per width, so crosses of different widths at the same lr never hide each other
    const strip = {
      title,
      width: 300,
      height: { step: 14 },
      transform: [here, { filter: "datum.status === 'diverged'" }],
      mark: { type: 'point', shape: 'cross', size: 70, filled: true },
      encoding: {
        x: { ...x, axis: { labels: false, title: null, ticks: false } },
        y: { field: 'width', type: 'nominal', scale: { domain: widths }, title: 'diverged', axis: { titleAngle: 0, titleAlign: 'right', titleBaseline: 'middle' } },
        color,
        tooltip: [{ field: 'width' }, { field: 'lr' }, { field: 'status' }],
      },
    };
    return { vconcat: [strip, trained], spacing: 4 };
  };
  const parameterizations = [...new Set(rows.map((r) => r.parameterization))];
  return {
    title: anyDiverged ? 'Final train loss against learning rate (diverged runs: crosses in the top strip, one row per width)' : 'Final train loss against learning rate',
    ...(rows.some((r) => r.loss === 0) ? { subtitle: [`▼ a final train loss of exactly 0, drawn at the axis floor ${floor.toExponential(0)}`] } : {}),
    data: { values: rows },
    hconcat: parameterizations.map(panel),
    resolve: { scale: { color: 'shared', shape: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** Per run group (parameterization, other swept values) and width: the largest grid learning rate that did not diverge. */
export function stableLearningRates(results: RunResults): { group: string; width: number; lr: number }[] {
  const best = new Map<string, { group: string; width: number; lr: number }>();
  for (const e of runEnds(results)) {
    const lr = lrOf(e);
    // a run stopped early (interrupted, failed) is no evidence that its lr is stable
    if (lr === null || e.diverged || e.stopped || !e.last) continue;
    const group = restLabel(e, ['train.lr']) || 'all';
    const k = JSON.stringify([group, e.width[0]]);
    if (!best.has(k) || best.get(k)!.lr < lr) best.set(k, { group, width: e.width[0], lr });
  }
  return [...best.values()];
}

function stableLrFigure(results: RunResults): TopLevelSpec {
  const pts = stableLearningRates(results);
  if (new Set(pts.map((p) => p.width)).size < 2) throw needs('stable-lr', 'expected a grid over "train.lr" at two widths or more, with a stable learning rate at each');
  const rows = [...new Set(pts.map((p) => p.group))].flatMap((group) => {
    const g = pts.filter((p) => p.group === group).sort((a, b) => a.width - b.width);
    const slope = g.length > 1 ? logLogSlope(g.map((p) => p.width), g.map((p) => p.lr)) : null;
    return g.map((p) => ({ ...p, group: `${group}${slope === null ? '' : ` (slope ${slope.toFixed(2)})`}` }));
  });
  return {
    title: 'Largest stable learning rate on the grid against width',
    width: 420,
    height: 280,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'width', type: 'quantitative', scale: { type: 'log', nice: false, padding: 12 }, title: 'width m' },
      y: { field: 'lr', type: 'quantitative', scale: { type: 'log', padding: 12 }, title: 'largest stable η' },
      // the group names ("model.parameterization=standard (slope -1.00)") in full
      color: { field: 'group', type: 'nominal', title: 'run', legend: { labelLimit: 400 } },
    },
  };
}

function phaseFigure(results: RunResults): TopLevelSpec {
  const ends = runEnds(results).filter((e) => alphaOf(e) !== null);
  if (ends.length === 0) throw needs('phase', 'expected a grid over "model.alpha" (records with point["model.alpha"])');
  const rows = ends.map((e) => {
    const v = e.last?.ntkChange;
    const ok = !e.diverged && !e.stopped && positive(v);
    return { alpha: alphaOf(e)!, width: e.width[0], ntkChange: ok ? v : null, label: e.diverged ? 'diverged' : e.stopped ? e.stopped.kind : positive(v) ? v.toPrecision(2) : '–' };
  });
  return {
    title: 'NTK change over output scale α × width',
    data: { values: rows },
    encoding: {
      x: { field: 'width', type: 'ordinal', sort: 'ascending', title: 'width m' },
      y: { field: 'alpha', type: 'ordinal', sort: 'descending', title: 'output scale α' },
    },
    layer: [
      { transform: [{ filter: 'datum.ntkChange !== null' }], mark: 'rect', encoding: { color: { field: 'ntkChange', type: 'quantitative', scale: { type: 'log', scheme: 'viridis' }, title: '‖Θ_t − Θ₀‖/‖Θ₀‖' } } },
      // diverged (or undefined) cells: grey, with their label
      { transform: [{ filter: 'datum.ntkChange === null' }], mark: { type: 'rect', color: '#999' } },
      { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'label' }, color: { value: 'white' } } },
    ],
    width: { step: 56 },
    height: { step: 28 },
  } as TopLevelSpec;
}
