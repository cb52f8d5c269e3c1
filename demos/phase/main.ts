// The lazy–rich phase diagram (Chizat, Oyallon & Bach 2019, arXiv:1812.07956; Geiger, Spigler,
// Jacot & Wyart 2020, arXiv:1906.08034): the final NTK change ‖Θ_t − Θ₀‖/‖Θ₀‖ over the output
// scale α × width, NTK parameterization, centred. Large α or width: lazy (the kernel stays);
// small: rich. The crossover α*, where the NTK change crosses NTK_CHANGE_THRESHOLD, falls with
// width; Geiger et al. predict α* ∝ m^(−1/2). The grid is examples/lazy-rich-phase.json with the
// page's sizes; the figure is `widenet plot --figure phase`; α* and its slope are the summary's.
import example from '../../examples/lazy-rich-phase.json';
import { NTK_CHANGE_THRESHOLD, PARAMETERIZATIONS, type ExperimentSpecInput } from '../../src/index';
import { powersOfTwo, shown, startGridFigurePage } from '../ui/grid-figure';
import { commonFields, enumField, intField, intListField, numberField } from '../ui/url-state';

const fields = {
  widths: intListField(1, 1 << 22, 8, [16, 64, 256]),
  param: enumField(PARAMETERIZATIONS, 'ntk'),
  amin: intField(-30, 30, -2),
  amax: intField(-30, 30, 3),
  lr: numberField(0, 1000, 0.5, { exclusiveMin: true }),
  n: intField(2, 256, 8),
  steps: intField(1, 100_000, 40),
  spf: intField(1, 1000, 20),
  ...commonFields(),
};
type State = { [K in keyof typeof fields]: (typeof fields)[K]['default'] };

/** examples/lazy-rich-phase.json with the page's sizes. */
export function phaseSpec(s: State): ExperimentSpecInput {
  if (s.amin > s.amax) throw new RangeError(`amin (${s.amin}) must not exceed amax (${s.amax}): the output scales are α = 2^amin … 2^amax`);
  return {
    ...example,
    seed: s.seed,
    model: { ...example.model, parameterization: s.param },
    data: { ...example.data, train: { ...example.data.train, n: s.n } },
    train: { ...example.train, lr: s.lr, steps: s.steps, recordEvery: s.steps },
    sweep: { grid: { 'model.hidden': s.widths.map((w) => [w]), 'model.alpha': powersOfTwo(s.amin, s.amax) } },
  } as ExperimentSpecInput;
}

startGridFigurePage({
  id: 'phase',
  title: 'Lazy–rich phase diagram',
  intro:
    'The final NTK change ‖Θ_t − Θ₀‖/‖Θ₀‖ over the output scale α (Chizat, Oyallon & Bach; the model α·(f − f₀), loss divided by α²) and ' +
    `the width, NTK parameterization, centred. The crossover α* is where the NTK change falls below ${NTK_CHANGE_THRESHOLD} (interpolated in ` +
    'log α); Geiger, Spigler, Jacot & Wyart (2020) predict α* ∝ m^(−1/2). The grid is examples/lazy-rich-phase.json; the figure is ' +
    '`widenet plot --figure phase`.',
  fields,
  spec: phaseSpec,
  figure: 'phase',
  widthsField: 'widths',
  exportName: 'lazy-rich-phase',
  summaryRows: (summary) => {
    const curve = summary?.crossover?.curves[0];
    if (!curve) return [];
    return [
      ...curve.widths.map((w, i) => ({ label: `α* at width ${w}`, value: curve.alphaStar[i] === null ? 'no crossing in the grid' : shown(curve.alphaStar[i]) })),
      { label: 'slope of α* against width (theory −0.5)', value: shown(curve.slope) },
    ];
  },
  controls: (page, restart) => {
    page.text('widths', 'widths', restart);
    page.select('param', 'parameterization', PARAMETERIZATIONS, restart);
    page.slider('amin', 'log₂ smallest α', { min: -12, max: 8, step: 1, integer: true }, restart);
    page.slider('amax', 'log₂ largest α', { min: -12, max: 8, step: 1, integer: true }, restart);
    page.slider('lr', 'lr', { min: 0.01, max: 10, step: 0.01, log: true }, restart);
    page.slider('steps', 'steps', { min: 1, max: 1000, step: 0.01, log: true, integer: true }, restart);
    page.slider('n', 'train points', { min: 2, max: 64, step: 1, integer: true }, restart);
    page.slider('seed', 'seed', { min: 0, max: 99, step: 1, integer: true }, restart);
  },
});
