// The grid-wide summaries (src/dynamics/grid-summary.ts) on hand-made records: µTransfer's best
// learning rate, the maximal stable learning rate and its slope against width, the lazy–rich
// crossover α* and its slope, and the width sweep's own summary. Pure functions, no GPU: every
// expected number below is worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { MAX_STABLE_LR_SLOPE_RESOLUTION, NTK_CHANGE_THRESHOLD, bestLearningRates, crossoverAlpha, maxStableLearningRates, sweepSummary, type PointLines } from '../../src/dynamics/grid-summary';
import type { RunLine, RunRecord, SweepSummary } from '../../src/dynamics/records';

const record = (width: number, step: number, o: { trainLoss?: number; ntkChange?: number | null; linearGap?: number | null; weightChange?: number[] }): RunRecord =>
  ({ width: [width], step, time: step, trainLoss: o.trainLoss ?? 1, testLoss: null, weightChange: o.weightChange ?? [0.1, 0.1], weightChangeSpectral: [0, 0], ntkChange: o.ntkChange ?? null, alignment: null, linearGap: o.linearGap ?? null, coordinates: [], ntkEigenvalues: [], kernelRegression: null, std: {} }) as RunRecord;
const divergence = (width: number, model: 'network' | 'linearized' = 'network'): RunLine => ({ diverged: { width: [width], step: 3, layer: 0, model, lr: 1, suggestedMaxLr: null, reason: 'test' } });

let next = 0;
/** A point that ran to the end (a first record, then the final one with these values) or diverged. */
function point(values: Record<string, unknown>, final: Parameters<typeof record>[2] | 'diverged'): PointLines {
  const width = (values['model.hidden'] as number[] | undefined) ?? [8];
  const lines: RunLine[] = [record(width[0], 0, { trainLoss: 9, ntkChange: 0 })];
  if (final === 'diverged') lines.push(divergence(width[0]));
  else lines.push(record(width[0], 10, final));
  return { index: next++, point: values, width, lines };
}

describe('µTransfer: best learning rate per width', () => {
  it('takes the least final train loss per width and per the other swept values; diverged points are worst', () => {
    const points = [
      // width 8: lr 1 best (0.2); lr 10 diverged
      point({ 'model.parameterization': 'mup', 'model.hidden': [8], 'train.lr': 0.1 }, { trainLoss: 0.5 }),
      point({ 'model.parameterization': 'mup', 'model.hidden': [8], 'train.lr': 1 }, { trainLoss: 0.2 }),
      point({ 'model.parameterization': 'mup', 'model.hidden': [8], 'train.lr': 10 }, 'diverged'),
      // width 16: only lr 0.1 finished
      point({ 'model.parameterization': 'mup', 'model.hidden': [16], 'train.lr': 0.1 }, { trainLoss: 0.4 }),
      point({ 'model.parameterization': 'mup', 'model.hidden': [16], 'train.lr': 1 }, 'diverged'),
      point({ 'model.parameterization': 'mup', 'model.hidden': [16], 'train.lr': 10 }, 'diverged'),
      // standard, width 8: a tie goes to the smaller lr; a linearised model's divergence does not count
      point({ 'model.parameterization': 'standard', 'model.hidden': [8], 'train.lr': 0.1 }, { trainLoss: 0.3 }),
      point({ 'model.parameterization': 'standard', 'model.hidden': [8], 'train.lr': 1 }, { trainLoss: 0.3 }),
      { ...point({ 'model.parameterization': 'standard', 'model.hidden': [8], 'train.lr': 10 }, { trainLoss: 0.31 }), lines: [record(8, 0, {}), record(8, 10, { trainLoss: 0.31 }), divergence(8, 'linearized')] },
      // standard, width 16: every lr diverged
      point({ 'model.parameterization': 'standard', 'model.hidden': [16], 'train.lr': 0.1 }, 'diverged'),
      point({ 'model.parameterization': 'standard', 'model.hidden': [16], 'train.lr': 1 }, 'diverged'),
      point({ 'model.parameterization': 'standard', 'model.hidden': [16], 'train.lr': 10 }, 'diverged'),
    ];
    expect(bestLearningRates(points)).toEqual([
      { point: { 'model.parameterization': 'mup' }, width: [8], lr: 1, trainLoss: 0.2, diverged: [10] },
      { point: { 'model.parameterization': 'mup' }, width: [16], lr: 0.1, trainLoss: 0.4, diverged: [1, 10] },
      { point: { 'model.parameterization': 'standard' }, width: [8], lr: 0.1, trainLoss: 0.3, diverged: [] },
      { point: { 'model.parameterization': 'standard' }, width: [16], lr: null, trainLoss: null, diverged: [0.1, 1, 10] },
    ]);
    // the maximal stable lr: mup 8 → 1 (bracket [1, 10]), 16 → 0.1 (bracket [0.1, 1]): the fit log(0.1)/log 2 = −3.32,
    // but with factor-10 brackets over a factor-2 width range the true edges' slope is anywhere in
    // −3.32 ± log 10/log 2 = [−6.64, 0]: wider than MAX_STABLE_LR_SLOPE_RESOLUTION, so no slope.
    // standard 8 is capped (10 was stable: no bracket), 16 has none
    const stable = maxStableLearningRates(points);
    expect(stable).toHaveLength(2);
    expect(stable[0]).toMatchObject({ point: { 'model.parameterization': 'mup' }, widths: [8, 16], lr: [1, 0.1], capped: [false, false], bracket: [[1, 10], [0.1, 1]], slope: null });
    const fit = Math.log(0.1) / Math.log(2);
    expect(stable[0].slopeRange![0]).toBeCloseTo(fit - Math.log(10) / Math.log(2), 12);
    expect(stable[0].slopeRange![1]).toBeCloseTo(fit + Math.log(10) / Math.log(2), 12);
    expect(stable[1]).toEqual({ point: { 'model.parameterization': 'standard' }, widths: [8, 16], lr: [10, null], capped: [true, false], bracket: [null, null], slope: null, slopeRange: null });
  });

  it('gives the maximal stable lr the slope −1 when it falls like 1/width (standard parameterization) and 0 when it stays (µP)', () => {
    const lrs = [0.25, 0.5, 1, 2, 4];
    // standard: width 8 stable up to 2, width 32 up to 0.5 (edge ∝ 1/m); mup: 1 at both
    const edge = { standard: { 8: 2, 32: 0.5 }, mup: { 8: 1, 32: 1 } } as const;
    const points = (['standard', 'mup'] as const).flatMap((p) => ([8, 32] as const).flatMap((m) => lrs.map((lr) => point({ 'model.parameterization': p, 'model.hidden': [m], 'train.lr': lr }, lr <= edge[p][m] ? { trainLoss: 1 / lr } : 'diverged'))));
    const [standard, mup] = maxStableLearningRates(points);
    expect(standard.lr).toEqual([2, 0.5]);
    expect(standard.bracket).toEqual([[2, 4], [0.5, 1]]);
    expect(standard.slope).toBeCloseTo(-1, 12); // log(0.5/2)/log(32/8)
    // doubling brackets over a factor-4 width range: the true slope is within ±log 2/log 4 = ±1/2 of the fit
    expect(standard.slopeRange![0]).toBeCloseTo(-1.5, 12);
    expect(standard.slopeRange![1]).toBeCloseTo(-0.5, 12);
    expect(mup.lr).toEqual([1, 1]);
    expect(mup.bracket).toEqual([[1, 2], [1, 2]]);
    expect(mup.slope).toBe(0);
    expect(mup.slopeRange![0]).toBeCloseTo(-0.5, 12);
    expect(mup.slopeRange![1]).toBeCloseTo(0.5, 12);
  });

  it('gives no slope where the brackets do not resolve the edge (equal stable lrs in one wide bracket), and none with one bracketed width', () => {
    // the hostile run's grid: lr [0.5, 4000], widths 16 and 32, 4000 diverged at both
    const points = [16, 32].flatMap((m) => [0.5, 4000].map((lr) => point({ 'model.hidden': [m], 'train.lr': lr }, lr === 0.5 ? { trainLoss: 0.1 } : 'diverged')));
    const [curve] = maxStableLearningRates(points);
    expect(curve).toMatchObject({ widths: [16, 32], lr: [0.5, 0.5], capped: [false, false], bracket: [[0.5, 4000], [0.5, 4000]], slope: null });
    // the edges lie anywhere in (0.5, 4000): slope 0 ± log 8000/log 2 = ±12.97
    expect(curve.slopeRange![0]).toBeCloseTo(-Math.log(8000) / Math.log(2), 10);
    expect(curve.slopeRange![1]).toBeCloseTo(Math.log(8000) / Math.log(2), 10);
    expect(MAX_STABLE_LR_SLOPE_RESOLUTION).toBe(1);
    // one width capped (no diverged lr above its stable one): no bracket, no slope, no range
    const capped = [16, 32].flatMap((m) => [0.5, 1].map((lr) => point({ 'model.hidden': [m], 'train.lr': lr }, m === 16 || lr === 0.5 ? { trainLoss: 0.1 } : 'diverged')));
    expect(maxStableLearningRates(capped)[0]).toMatchObject({ lr: [1, 0.5], capped: [true, false], bracket: [null, [0.5, 1]], slope: null, slopeRange: null });
  });
});

describe('the width sweep summary', () => {
  it('lists the widths whose network diverged (they are left out of widths and slopes)', () => {
    const points = [16, 64, 256].map((m) => point({ 'model.hidden': [m] }, m === 256 ? 'diverged' : { ntkChange: 1 / m, trainLoss: 0.1 }));
    const summary = sweepSummary(points, null) as SweepSummary;
    expect(summary.widths).toEqual([16, 64]);
    expect(summary.diverged).toEqual([256]);
    expect(summary.slopes.ntkChange).toBeCloseTo(-1, 12);
    // and an empty list when none did
    expect((sweepSummary(points.slice(0, 2), null) as SweepSummary).diverged).toEqual([]);
  });
});

describe('the lazy–rich crossover α*', () => {
  it('interpolates the first crossing of the threshold linearly in ntkChange against log α', () => {
    expect(NTK_CHANGE_THRESHOLD).toBe(0.1);
    // α 1 → 0.3, α 10 → 0.05: t = (0.3 − 0.1)/(0.3 − 0.05) = 0.8, α* = 10^0.8
    expect(crossoverAlpha([{ alpha: 10, ntkChange: 0.05 }, { alpha: 1, ntkChange: 0.3 }])).toBeCloseTo(10 ** 0.8, 12);
    expect(crossoverAlpha([{ alpha: 1, ntkChange: 0.05 }, { alpha: 10, ntkChange: 0.01 }])).toBeNull(); // lazy everywhere
    expect(crossoverAlpha([{ alpha: 1, ntkChange: 0.5 }, { alpha: 10, ntkChange: 0.2 }])).toBeNull(); // rich everywhere
    expect(crossoverAlpha([{ alpha: 1, ntkChange: 0.5 }, { alpha: 10, ntkChange: 0.2 }], 0.3)).toBeCloseTo(10 ** (2 / 3), 12);
  });

  it('gives α* per width and its log-log slope (−1/2 where α* ∝ m^(−1/2), as Geiger et al. predict under ntk)', () => {
    // ntkChange = 0.4/(α·√(m/4)): m = 4 crosses 0.1 at α = 4, m = 16 at α = 2 (both grid values: t = 0)
    const alphas = [1, 2, 4, 8];
    const points = [4, 16].flatMap((m) => alphas.map((a) => point({ 'model.hidden': [m], 'model.alpha': a }, { ntkChange: 0.4 / (a * Math.sqrt(m / 4)) })));
    points.push(point({ 'model.hidden': [64], 'model.alpha': 1 }, 'diverged')); // no curve at all: α* null, slope null
    const summary = sweepSummary(points.slice(0, 8), ['model.hidden', 'model.alpha'])!;
    expect(summary).toMatchObject({ points: 8, grid: ['model.hidden', 'model.alpha'] });
    const { crossover } = summary as { crossover: { threshold: number; curves: { widths: number[]; alphaStar: number[]; slope: number }[] } };
    expect(crossover.threshold).toBe(0.1);
    expect(crossover.curves[0].widths).toEqual([4, 16]);
    expect(crossover.curves[0].alphaStar[0]).toBeCloseTo(4, 12);
    expect(crossover.curves[0].alphaStar[1]).toBeCloseTo(2, 12);
    expect(crossover.curves[0].slope).toBeCloseTo(-0.5, 12);
    const withDiverged = sweepSummary(points, ['model.hidden', 'model.alpha']) as { crossover: { curves: { alphaStar: (number | null)[]; slope: number | null }[] } };
    expect(withDiverged.crossover.curves[0].alphaStar[2]).toBeNull();
    expect(withDiverged.crossover.curves[0].slope).toBeNull();
  });
});

describe('the summary line', () => {
  it('keeps the width sweep form {widths, slopes} without a grid, over the widths that did not diverge', () => {
    const points = [
      point({ 'model.hidden': [10] }, { ntkChange: 0.1, linearGap: 0.2, weightChange: [0.3, 0.03], trainLoss: 0.5 }),
      point({ 'model.hidden': [100] }, { ntkChange: 0.01, linearGap: 0.002, weightChange: [0.03, 0.03], trainLoss: 0.5 }),
      point({ 'model.hidden': [1000] }, 'diverged'),
    ];
    const summary = sweepSummary(points, null)!;
    expect(Object.keys(summary)).toEqual(['widths', 'slopes', 'peakWidth', 'peakTestLoss', 'diverged']);
    expect(summary.widths).toEqual([10, 100]);
    expect((summary as SweepSummary).diverged).toEqual([1000]); // named, not silently dropped
    // the records have no test loss: no double-descent peak
    expect([(summary as { peakWidth: unknown }).peakWidth, (summary as { peakTestLoss: unknown }).peakTestLoss]).toEqual([null, null]);
    expect(summary.slopes!.ntkChange).toBeCloseTo(-1, 12);
    expect(summary.slopes!.linearGap).toBeCloseTo(-2, 12);
    expect(summary.slopes!.weightChange[0]).toBeCloseTo(-1, 12);
    expect(summary.slopes!.weightChange[1]).toBeCloseTo(0, 12);
    expect(summary.slopes!.trainLoss).toBeCloseTo(0, 12);
    expect(sweepSummary(points.slice(0, 1), null)).toBeNull(); // one network: no summary line
  });

  it('on a grid: the swept paths, per-family width slopes, and only the fields the grid has axes for', () => {
    const points = [1, 10].flatMap((lr) => [10, 100].map((m) => point({ 'train.lr': lr, 'model.hidden': [m] }, { ntkChange: lr / m, trainLoss: 1 / lr })));
    const summary = sweepSummary(points, ['train.lr', 'model.hidden'])!;
    expect(Object.keys(summary)).toEqual(['points', 'grid', 'widthSlopes', 'bestLr', 'maxStableLr']);
    const ws = (summary as { widthSlopes: { point: unknown; widths: number[]; slopes: { ntkChange: number } }[] }).widthSlopes;
    expect(ws.map((w) => [w.point, w.widths])).toEqual([[{ 'train.lr': 1 }, [10, 100]], [{ 'train.lr': 10 }, [10, 100]]]);
    expect(ws[0].slopes.ntkChange).toBeCloseTo(-1, 12);
    // a grid over the widths alone also keeps the width sweep's top-level fields
    const widthsOnly = sweepSummary(points.slice(0, 2).map((p) => ({ ...p, point: { 'model.hidden': p.point['model.hidden'] } })), ['model.hidden'])!;
    expect(Object.keys(widthsOnly)).toEqual(['points', 'grid', 'widths', 'slopes', 'peakWidth', 'peakTestLoss', 'diverged', 'widthSlopes']);
  });

  it('gives no width slopes or test-loss peak for a family that differs in depth, not width ([128, 128] against [128])', () => {
    const test = (width: number, step: number, testLoss: number) => ({ ...record(width, step, { ntkChange: 0.1 }), testLoss });
    const points = [32, 64].flatMap((n) =>
      [[128, 128], [128]].map((hidden, i) => ({ ...point({ 'data.train.n': n, 'model.hidden': hidden }, {}), lines: [test(128, 0, 1), test(128, 10, 0.5 + i)] as RunLine[] })),
    );
    const summary = sweepSummary(points, ['data.train.n', 'model.hidden'])! as { widthSlopes: { widths: number[]; slopes: Record<string, unknown>; peakWidth: unknown; peakTestLoss: unknown }[] };
    expect(summary.widthSlopes).toHaveLength(2);
    for (const family of summary.widthSlopes) {
      expect(family.widths).toEqual([128, 128]);
      expect(family.slopes).toMatchObject({ ntkChange: null, linearGap: null, trainLoss: null });
      expect([family.peakWidth, family.peakTestLoss]).toEqual([null, null]);
    }
    // the same depths at two widths are a width family again
    const wide = [64, 128].map((m) => ({ ...point({ 'model.hidden': [m, m] }, {}), lines: [test(m, 0, 1), test(m, 10, m / 64)] as RunLine[] }));
    const ok = sweepSummary(wide, ['model.hidden'])! as { widthSlopes: { slopes: { trainLoss: number | null }; peakWidth: number | null }[] };
    expect(ok.widthSlopes[0].peakWidth).toBe(128);
  });
});
