// The standard figures of a run or a sweep, as Vega-Lite specs built from the records
// (plot/run-results.ts). The same specs render in Node (plot/render.ts) and on the pages.
import type { TopLevelSpec } from 'vega-lite';
import { logLogSlope } from '../dynamics/observables';
import { pointLabel, runEnds, widthLabel, type RunEnd, type RunResults } from './run-results';

export const FIGURES = ['loss', 'width', 'lr', 'stable-lr', 'phase'] as const;
export type FigureName = (typeof FIGURES)[number];

export const FIGURE_DESCRIPTIONS: Record<FigureName, string> = {
  loss: 'train and test loss against step, one curve per run (network, linearised and quadratic models)',
  width: 'the last record\'s NTK change, linear gap, quadratic gap and readout weight change against width (log-log), with their slopes',
  lr: 'final train loss against learning rate, one curve per width (µTransfer; one panel per parameterization); diverged runs drawn as crosses at the top',
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

export function buildFigure(name: FigureName, results: RunResults): TopLevelSpec {
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

function lossFigure(results: RunResults): TopLevelSpec {
  const rows: { step: number; loss: number; curve: string; run: string; order: number }[] = [];
  const curves: [string, string][] = [['trainLoss', 'network, train'], ['testLoss', 'network, test'], ['linearTrainLoss', 'linearised, train'], ['linearTestLoss', 'linearised, test'], ['quadraticTrainLoss', 'quadratic, train'], ['quadraticTestLoss', 'quadratic, test']];
  for (const r of results.records) {
    const run = [`width ${widthLabel(r.width)}`, pointLabel(r.point)].filter(Boolean).join(', ');
    for (const [field, curve] of curves) {
      const v = (r as unknown as Record<string, unknown>)[field];
      if (positive(v)) rows.push({ step: r.step, loss: v, curve, run, order: r.width[0] });
    }
  }
  if (rows.length === 0) throw needs('loss', 'no positive finite loss in the records (a log axis needs one)');
  return {
    title: 'Loss against step',
    width: 520,
    height: 320,
    data: { values: rows },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss' },
      color: { field: 'run', type: 'nominal', title: 'run', sort: { field: 'order' } },
      strokeDash: { field: 'curve', type: 'nominal', title: 'model, set' },
      tooltip: [{ field: 'run' }, { field: 'curve' }, { field: 'step' }, { field: 'loss', format: '.4g' }],
    },
  };
}

/** The width observables of DESIGN.md §5 whose log-log slopes a sweep summarises. */
const WIDTH_OBSERVABLES: [string, (r: Record<string, unknown>) => unknown][] = [
  ['ntkChange', (r) => r.ntkChange],
  ['linearGap', (r) => r.linearGap],
  ['quadraticGap', (r) => r.quadraticGap],
  ['weightChange (readout)', (r) => (Array.isArray(r.weightChange) ? r.weightChange[r.weightChange.length - 1] : null)],
];

function widthFigure(results: RunResults): TopLevelSpec {
  const ends = runEnds(results).filter((e) => e.last && !e.diverged);
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
  if (new Set(rows.map((r) => r.width)).size < 2) throw needs('width', 'expected runs at two widths or more that did not diverge');
  return {
    title: 'Observables against width (last record, log-log)',
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
  const finite = ends.filter((e) => !e.diverged && e.last && positive(e.last.trainLoss));
  const top = finite.length ? Math.max(...finite.map((e) => e.last!.trainLoss)) * 2 : 1;
  const rows = ends.map((e) => ({
    lr: lrOf(e)!,
    loss: e.diverged || !e.last || !positive(e.last.trainLoss) ? top : e.last.trainLoss,
    status: e.diverged ? 'diverged' : 'trained',
    width: `${widthLabel(e.width)}${restLabel(e, ['train.lr', 'model.parameterization']) ? `, ${restLabel(e, ['train.lr', 'model.parameterization'])}` : ''}`,
    widthValue: e.width[0],
    parameterization: parameterizationOf(e),
  }));
  return {
    title: 'Final train loss against learning rate (diverged runs: crosses at the top)',
    data: { values: rows },
    facet: { column: { field: 'parameterization', type: 'nominal', title: 'parameterization' } },
    spec: {
      width: 300,
      height: 240,
      layer: [
        { transform: [{ filter: "datum.status === 'trained'" }], mark: { type: 'line', point: true }, encoding: { x: { field: 'lr', type: 'quantitative', scale: { type: 'log' }, title: 'learning rate η' }, y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'final train loss' }, color: { field: 'width', type: 'ordinal', sort: { field: 'widthValue' }, title: 'width' } } },
        { transform: [{ filter: "datum.status === 'diverged'" }], mark: { type: 'point', shape: 'cross', size: 80, filled: true }, encoding: { x: { field: 'lr', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'loss', type: 'quantitative', scale: { type: 'log' } }, color: { field: 'width', type: 'ordinal', sort: { field: 'widthValue' } } } },
      ],
    },
  } as TopLevelSpec;
}

/** Per run group (parameterization, other swept values) and width: the largest grid learning rate that did not diverge. */
export function stableLearningRates(results: RunResults): { group: string; width: number; lr: number }[] {
  const best = new Map<string, { group: string; width: number; lr: number }>();
  for (const e of runEnds(results)) {
    const lr = lrOf(e);
    if (lr === null || e.diverged || !e.last) continue;
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
    return { alpha: alphaOf(e)!, width: e.width[0], ntkChange: !e.diverged && positive(v) ? v : null, label: e.diverged ? 'diverged' : positive(v) ? v.toPrecision(2) : '–' };
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
