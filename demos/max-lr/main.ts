// The maximal stable learning rate against width (Tensor Programs IV, arXiv:2011.14522): the
// largest learning rate of the grid at which gradient descent did not diverge, on log-log axes,
// with its slope: −1 under the standard parameterization (the kernel grows like the width, so the
// edge 2n/λ_max falls like 1/width), 0 under µP. The grid is examples/max-stable-lr.json with the
// page's sizes; the figure is `widenet plot --figure stable-lr`; the slope is the summary's.
import example from '../../examples/max-stable-lr.json';
import type { ExperimentSpecInput } from '../../src/index';
import { lrGridControls, lrGridFields, lrGridSpec, shown, startGridFigurePage, type LrGridState } from '../ui/grid-figure';

const fields = lrGridFields;

/** examples/max-stable-lr.json with the page's sizes. */
export const maxStableLrSpec = (s: LrGridState): ExperimentSpecInput => lrGridSpec(example, s);

startGridFigurePage({
  id: 'max-lr',
  title: 'Maximal stable learning rate',
  intro:
    'Tensor Programs IV: the largest learning rate of the grid at which gradient descent did not diverge, against width (log-log), with ' +
    'its slope. Under the standard parameterization the kernel grows like the width and the edge of stability falls like 1/width ' +
    '(slope −1); under µP it stays (slope 0). The slope is known to within the lr grid step: with learning rates doubling, each edge lies ' +
    'within a factor 2 below the true one. The grid is examples/max-stable-lr.json; the figure is `widenet plot --figure stable-lr`.',
  fields,
  spec: maxStableLrSpec,
  figure: 'stable-lr',
  widthsField: 'widths',
  exportName: 'max-stable-lr',
  summaryRows: (summary) =>
    (summary?.maxStableLr ?? []).flatMap((c) => {
      const name = String(c.point['model.parameterization'] ?? '');
      return [
        ...c.widths.map((w, i) => ({ label: `largest stable lr, ${name} width ${w}`, value: c.lr[i] === null ? 'none stable' : `${shown(c.lr[i])}${c.capped[i] ? ' (the grid’s largest: the edge lies above)' : ''}` })),
        { label: `slope against width, ${name}`, value: shown(c.slope) },
      ];
    }),
  controls: lrGridControls,
});
