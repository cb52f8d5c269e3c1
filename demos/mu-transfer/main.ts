// µTransfer (Yang et al., Tensor Programs V, arXiv:2203.03466, Figure 1): the final train loss
// against the learning rate, one curve per width, standard parameterization beside µP. Under µP
// the best learning rate stays put as the width grows; under the standard parameterization it
// falls (here: with the edge of stability, ∝ 1/width). The grid is examples/mu-transfer.json with
// the page's widths, learning rates, n and steps; the figure is `widenet plot --figure lr`.
import example from '../../examples/mu-transfer.json';
import type { ExperimentSpecInput } from '../../src/index';
import { lrGridControls, lrGridFields, lrGridSpec, shown, startGridFigurePage, type LrGridState } from '../ui/grid-figure';

const fields = lrGridFields;

/** examples/mu-transfer.json with the page's sizes. */
export const muTransferSpec = (s: LrGridState): ExperimentSpecInput => lrGridSpec(example, s);

startGridFigurePage({
  id: 'mu-transfer',
  title: 'µTransfer',
  intro:
    'Tensor Programs V, Figure 1: final train loss against learning rate, one curve per width, for each parameterization. Under µP the ' +
    'best learning rate (least final loss) stays put as the network widens, so it transfers from a narrow model to a wide one; under the ' +
    'standard parameterization it falls with width. Diverged runs are crosses in the "diverged" strip at the top, one row per width. The grid is examples/mu-transfer.json; the ' +
    'figure is the one `widenet plot --figure lr` draws.',
  fields,
  spec: muTransferSpec,
  figure: 'lr',
  widthsField: 'widths',
  exportName: 'mu-transfer',
  summaryRows: (summary) =>
    (summary?.bestLr ?? []).map((b) => ({ label: `best lr, ${String(b.point['model.parameterization'] ?? '')} width ${b.width.join('×')}`, value: b.lr === null ? 'every lr diverged' : `${shown(b.lr)} (loss ${shown(b.trainLoss)})` })),
  controls: lrGridControls,
});
