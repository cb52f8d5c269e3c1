// Sweeps over depth (issue 14): a grid over model.residual.blocks and its summary `depthSlopes`
// (src/dynamics/grid-summary.ts), on hand-made records: every expected slope is worked out by hand.
import { describe, expect, it } from 'vitest';
import { depthSlopes, sweepSummary, type PointLines } from '../../src/dynamics/grid-summary';
import type { RunLine, RunRecord } from '../../src/dynamics/records';

/** A record of a net with B blocks: coordinates for φ(h_0)..φ(h_B) and f (B + 2 entries). */
const record = (B: number, step: number, o: { ntkChange: number; size: number; change: number; output: number; trainLoss?: number }): RunRecord =>
  ({
    width: [64], step, time: step, trainLoss: o.trainLoss ?? 0.1, testLoss: null, weightChange: new Array(B + 2).fill(0.1), weightChangeSpectral: new Array(B + 2).fill(0),
    ntkChange: o.ntkChange, alignment: null, linearGap: null,
    coordinates: [...Array.from({ length: B }, () => ({ mean_abs_h: 99, mean_abs_dh: 99 })), { mean_abs_h: o.size, mean_abs_dh: o.change }, { mean_abs_h: 1, mean_abs_dh: o.output }],
    ntkEigenvalues: [], kernelRegression: null, std: {},
  }) as RunRecord;

let next = 0;
function point(values: Record<string, unknown>, final: Parameters<typeof record>[2] | 'diverged'): PointLines {
  const B = values['model.residual.blocks'] as number;
  const lines: RunLine[] = [record(B, 0, { ntkChange: 0, size: 1, change: 0, output: 0 })];
  lines.push(final === 'diverged' ? { diverged: { width: [64], step: 3, layer: 0, model: 'network', lr: 1, suggestedMaxLr: null, reason: 'test' } } as RunLine : record(B, 10, final));
  return { index: next++, point: values, width: [64], lines };
}

describe('depthSlopes: log-log slopes against the number of blocks', () => {
  it('per family of points that differ only in B; flat coordinates give 0, 1/√B gives −½; a diverged depth drops out', () => {
    const points = [
      // depth-µP: flat sizes and changes, ntkChange ∝ B^(−1/2): 0.4, 0.2 at B = 4, 16 → slope −½
      point({ 'model.parameterization': 'depth-mup', 'model.residual.blocks': 4 }, { ntkChange: 0.4, size: 0.5, change: 0.06, output: 0.07 }),
      point({ 'model.parameterization': 'depth-mup', 'model.residual.blocks': 16 }, { ntkChange: 0.2, size: 0.5, change: 0.06, output: 0.07 }),
      // β = 1: sizes grow ×8 over ×4 in B → slope 3/2; changes ×16 → 2; B = 64 diverged
      point({ 'model.parameterization': 'mup', 'model.residual.blocks': 4 }, { ntkChange: 0.1, size: 0.5, change: 0.1, output: 0.1 }),
      point({ 'model.parameterization': 'mup', 'model.residual.blocks': 16 }, { ntkChange: 0.1, size: 4, change: 1.6, output: 0.1 }),
      point({ 'model.parameterization': 'mup', 'model.residual.blocks': 64 }, 'diverged'),
    ];
    const [mu, one] = depthSlopes(points);
    expect(mu.point).toEqual({ 'model.parameterization': 'depth-mup' });
    expect(mu.blocks).toEqual([4, 16]);
    expect(mu.slopes.ntkChange).toBeCloseTo(-0.5, 12);
    expect(mu.slopes.lastBlockSize).toBeCloseTo(0, 12);
    expect(mu.slopes.lastBlockChange).toBeCloseTo(0, 12);
    expect(mu.slopes.outputChange).toBeCloseTo(0, 12);
    expect(mu.slopes.linearGap).toBeNull(); // no linearised model
    expect(one.blocks).toEqual([4, 16]);
    expect(one.slopes.lastBlockSize).toBeCloseTo(1.5, 12);
    expect(one.slopes.lastBlockChange).toBeCloseTo(2, 12);
    // the summary line carries them when the grid sweeps the blocks
    const summary = sweepSummary(points, ['model.parameterization', 'model.residual.blocks']);
    expect(summary).toMatchObject({ points: 5, depthSlopes: [mu, one] });
    expect(sweepSummary(points, ['model.parameterization'])).not.toHaveProperty('depthSlopes');
  });

  it('a family with one finished depth has null slopes', () => {
    const [only] = depthSlopes([
      point({ 'model.residual.blocks': 2 }, { ntkChange: 0.3, size: 0.5, change: 0.1, output: 0.1 }),
      point({ 'model.residual.blocks': 8 }, 'diverged'),
    ]);
    expect(only.blocks).toEqual([2]);
    expect(Object.values(only.slopes).every((v) => v === null)).toBe(true);
  });
});
