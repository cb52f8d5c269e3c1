// The headline figures of issue 15 (examples/mu-transfer.json, max-stable-lr.json,
// lazy-rich-phase.json) on tiny sizes: the example specs themselves, shrunk by overriding their
// grids, run through runExperiment, and their grid summaries (sweepSummary) held to the
// qualitative results, with tolerances derived from the grids' resolution (gridSlopeBound):
// - µTransfer (Tensor Programs V, arXiv:2203.03466, Fig. 1): under µP the best lr moves by at most
//   one grid step across widths; under the standard parameterization it falls with width;
// - the maximal stable lr (Tensor Programs IV, arXiv:2011.14522) ∝ m^−1 under standard, m^0 under µP;
// Seeds 0, 1 and 2 were run for both tests (2026-12-01, SwiftShader): all passed (numbers in docs/headline-figures.md).
// - the lazy–rich crossover (Geiger, Spigler, Jacot & Wyart 2020, arXiv:1906.08034): α* ∝ m^−1/2 under ntk.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GridSummary, RunLine } from '../../src/dynamics/records';
import { gridSlopeBound } from '../../src/check/tolerance';
import type { ExperimentSpecInput } from '../../src/spec';
import { useRuntime } from '../helpers/gpu';
import { runSpec } from '../helpers/experiment';

const gpu = useRuntime();

/** An example spec with its grid replaced (the rest of the spec, the set-up, as shipped). */
function example(name: string, grid: Record<string, unknown[]>): ExperimentSpecInput {
  const spec = JSON.parse(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
  return { ...spec, sweep: { grid } } as ExperimentSpecInput;
}

function summaryOf(lines: RunLine[]): GridSummary {
  const last = lines[lines.length - 1];
  if (!('summary' in last)) throw new Error(`the run ended without a summary: ${JSON.stringify(last)}`);
  return last.summary as GridSummary;
}

/**
 * Widths a factor 4 apart. The stable edge is ≈ 2n/λ_max(Θ_η) and under the standard
 * parameterization λ_max ≈ c₁·m + c₀ (the readout layer's part grows like m, the hidden layer's
 * stays O(1)), so the edge's slope is −1 only once c₀ ≪ c₁·m: at widths 16, 64, 256 it came out −0.75
 * (edges 1, 0.5, 0.125), from 32 up the bias is below the grid's resolution (edges 1, 0.25, 0.0625).
 */
const LR_WIDTHS = [[32], [128], [512]];
const WIDTHS = [[16], [64], [256]];
/** learning rates doubling from 2^−4 to 2^3 (the stable edges at widths 32…512 lie inside): the grid step is a factor 2 */
const LR_RATIO = 2;
const LRS = Array.from({ length: 8 }, (_, i) => 2 ** (i - 4));
/** float rounding of a fitted slope (a slope at the very edge of its bound is inside it) */
const ROUNDING = 1e-9;
/** a grid runs point after point: minutes on a loaded 2-core SwiftShader machine */
const GRID_TIMEOUT_MS = 600_000;
const log2 = Math.log2;

describe('µTransfer and the maximal stable learning rate (examples/mu-transfer.json, shrunk)', () => {
  it('µP keeps the best lr within one grid step across widths, standard lowers it; the stable edge falls like 1/m under standard and stays under µP', async () => {
    const widths = LR_WIDTHS.map((w) => w[0]);
    const spec = example('mu-transfer', { 'model.parameterization': ['standard', 'mup'], 'model.hidden': LR_WIDTHS, 'train.lr': LRS });
    const summary = summaryOf(await runSpec(gpu.rt, spec));
    const best = (p: string) => summary.bestLr!.filter((b) => b.point['model.parameterization'] === p);
    const bestStandard = best('standard').map((b) => b.lr);
    const bestMup = best('mup').map((b) => b.lr);
    const stable = (p: string) => summary.maxStableLr!.find((c) => c.point['model.parameterization'] === p)!;
    console.log(`best lr standard ${bestStandard}, mup ${bestMup}; max stable lr standard ${stable('standard').lr} (slope ${stable('standard').slope}), mup ${stable('mup').lr} (slope ${stable('mup').slope})`);
    expect(best('standard').map((b) => b.width[0])).toEqual(widths);
    for (const lr of [...bestStandard, ...bestMup]) expect(lr, 'a best lr at every width').not.toBeNull();
    // µP: the best lr moves by at most one grid step (a factor 2) across widths
    const mupSteps = bestMup.map((lr) => log2(lr!));
    expect(Math.max(...mupSteps) - Math.min(...mupSteps)).toBeLessThanOrEqual(log2(LR_RATIO));
    // standard: it falls with width (never rises from one width to the next, and ends lower than it starts)
    for (let i = 1; i < bestStandard.length; i++) expect(bestStandard[i]!).toBeLessThanOrEqual(bestStandard[i - 1]!);
    expect(bestStandard[bestStandard.length - 1]!).toBeLessThan(bestStandard[0]!);
    // the largest stable lr of the grid lies within a factor LR_RATIO below the true edge at each
    // width (neither capped nor without a stable lr: the slope is then defined), so the fitted
    // slope is within gridSlopeBound(widths, log 2) = 1/4 of the slope of this seed's true edges.
    // Those scatter from seed to seed about C/m (λ_max(Θ_η) of one network at width m fluctuates by
    // O(1/√m)), enough to put one width's edge one grid step lower: seeds 0, 1 gave the edges 1,
    // 0.25, 0.0625 (slope −1), seed 2 gave 0.5, 0.125, 0.0625 (slope −0.75). One step at one width
    // moves the slope by log 2 · max|cᵢ| = 1/4 more (cᵢ the fit's weights, gridSlopeBound's comment),
    // so the band is ±1/2 (the two parameterizations' bands, −1 ± 1/2 and 0 ± 1/2, meet only at −1/2).
    const x = widths.map(Math.log);
    const mean = x.reduce((p, v) => p + v, 0) / x.length;
    const sxx = x.reduce((p, v) => p + (v - mean) ** 2, 0);
    const oneStep = (Math.log(LR_RATIO) * Math.max(...x.map((v) => Math.abs(v - mean)))) / sxx;
    const bound = gridSlopeBound(widths, Math.log(LR_RATIO)) + oneStep;
    expect(bound).toBeCloseTo(0.5, 12);
    expect(stable('standard').slope, 'standard: slope of the stable edge').not.toBeNull();
    expect(stable('mup').slope, 'µP: slope of the stable edge').not.toBeNull();
    expect(Math.abs(stable('standard').slope! - -1)).toBeLessThanOrEqual(bound + ROUNDING);
    expect(Math.abs(stable('mup').slope! - 0)).toBeLessThanOrEqual(bound + ROUNDING);
  }, GRID_TIMEOUT_MS);
});

describe('the lazy–rich crossover (examples/lazy-rich-phase.json, shrunk)', () => {
  it('α* falls with width under ntk, with the slope −1/2 within the α grid resolution', async () => {
    // α doubling: α* and the true crossing share a bracket [α_i, 2α_i], so each log α* is within log 2
    const ALPHA_RATIO = 2;
    const alphas = Array.from({ length: 6 }, (_, i) => 2 ** (i - 2));
    const widths = WIDTHS.map((w) => w[0]);
    const spec = example('lazy-rich-phase', { 'model.hidden': WIDTHS, 'model.alpha': alphas });
    const summary = summaryOf(await runSpec(gpu.rt, spec));
    const curve = summary.crossover!.curves[0];
    console.log(`α* ${curve.alphaStar} at widths ${curve.widths}, slope ${curve.slope}`);
    expect(curve.widths).toEqual(widths);
    for (const a of curve.alphaStar) expect(a, 'a crossover inside the α grid at every width').not.toBeNull();
    const bound = gridSlopeBound(widths, 2 * Math.log(ALPHA_RATIO));
    expect(bound).toBeCloseTo(0.5, 12);
    expect(curve.slope!).toBeLessThan(0);
    expect(Math.abs(curve.slope! - -0.5)).toBeLessThanOrEqual(bound + ROUNDING);
  }, GRID_TIMEOUT_MS);
});
