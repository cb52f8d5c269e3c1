// The summary line of a sweep, a pure function of its points' lines (the unsharded run and
// `widenet merge` call the same function on the same lines, so their summaries are the same bytes).
//
// - A width sweep (no sweep.grid): `{widths, slopes, diverged}`: log-log slopes of the last
//   record of each width that did not diverge against the first hidden width; `diverged` lists
//   the first hidden widths whose network diverged (left out of `widths` and of every slope).
// - A grid adds, where the grid sweeps the fields they need (issue 15; names in records.ts):
//   · `widthSlopes` (model.hidden swept): the same slopes per family of points that differ only in width;
//   · `bestLr` (train.lr swept): µTransfer (Tensor Programs V, arXiv:2203.03466, Figure 1): per
//     width and the other swept values, the lr of least final train loss; a diverged point is worst;
//   · `maxStableLr` (train.lr swept): the largest lr of the grid that did not diverge, per width,
//     and its log-log slope against width (Tensor Programs IV, arXiv:2011.14522: −1 under the
//     standard parameterization, 0 under µP);
//   · `crossover` (model.alpha swept): α*, where the final ntkChange crosses NTK_CHANGE_THRESHOLD
//     (interpolated linearly in ntkChange against log α), per width, and its log-log slope against
//     width (Geiger, Spigler, Jacot & Wyart 2020, arXiv:1906.08034: α* ∝ m^(−1/2) under ntk).
import { logLogSlope } from './observables';
import type { GridPoint } from '../spec/grid';
import { testLossPeak, type BestLrEntry, type CrossoverCurve, type DepthSlopes, type GridSummary, type MaxStableLrCurve, type RunLine, type RunRecord, type SweepSummary, type WidthSlopes } from './records';

/** The ntkChange level that separates lazy (below) from rich (above) in `crossover`. */
export const NTK_CHANGE_THRESHOLD = 0.1;

/** The lines of one point of a sweep, in the order they were printed. */
export interface PointLines {
  index: number;
  point: GridPoint;
  /** the point's hidden widths */
  width: number[];
  lines: RunLine[];
}

const isRecordLine = (l: RunLine): l is RunRecord => 'step' in l;

/** The final record of a point, null when the network diverged (its divergence ends the point). */
function finalRecord(p: PointLines): RunRecord | null {
  if (diverged(p)) return null;
  let last: RunRecord | null = null;
  for (const l of p.lines) if (isRecordLine(l)) last = l;
  return last;
}

/** Did the network of this point diverge (a linearised or quadratic model's divergence does not count)? */
function diverged(p: PointLines): boolean {
  return p.lines.some((l) => 'diverged' in l && ((l.diverged as { model?: string }).model ?? 'network') === 'network');
}

/**
 * Log-log slopes of the final records against the first hidden width (the width sweep's `slopes`).
 * Only a family whose points differ in width alone is a width sweep: where its `model.hidden`
 * values differ in depth (e.g. [128, 128] against [128]) or repeat a width, every slope and the
 * test-loss peak are null rather than a fit or a "peak" over networks that are not wider or narrower.
 */
function widthSlopes(points: readonly PointLines[]): Pick<SweepSummary, 'widths' | 'slopes' | 'peakWidth' | 'peakTestLoss' | 'diverged'> {
  const finals = points.map((p) => ({ width: p.width[0], depth: p.width.length, record: finalRecord(p) })).filter((f): f is { width: number; depth: number; record: RunRecord } => f.record !== null);
  const w = finals.map((f) => f.width);
  const widthFamily = new Set(finals.map((f) => f.depth)).size <= 1 && new Set(w).size === w.length;
  const slope = (pick: (r: RunRecord) => number | null) => {
    const values = finals.map((f) => pick(f.record));
    return widthFamily && values.every((v) => v !== null) ? logLogSlope(w, values as number[]) : null;
  };
  const layers = finals[0]?.record.weightChange.length ?? 0;
  return {
    widths: w,
    slopes: {
      ntkChange: slope((r) => r.ntkChange),
      linearGap: slope((r) => r.linearGap),
      weightChange: Array.from({ length: layers }, (_, l) => slope((r) => r.weightChange[l])),
      trainLoss: slope((r) => r.trainLoss),
      // train.quadratic: the quadratic model's gap
      ...(finals.some((f) => f.record.quadraticGap !== undefined) ? { quadraticGap: slope((r) => r.quadraticGap ?? null) } : {}),
    },
    // the width of the test-loss peak (double descent)
    ...(widthFamily ? testLossPeak(finals) : { peakWidth: null, peakTestLoss: null }),
    // the widths left out of `widths` because their network diverged (bestLr's `diverged` for widths)
    diverged: points.filter(diverged).map((p) => p.width[0]),
  };
}

/** The point without some paths (the key of a group), in the grid's path order. */
function without(point: GridPoint, drop: readonly string[]): GridPoint {
  return Object.fromEntries(Object.entries(point).filter(([k]) => !drop.includes(k)));
}

/** Items grouped by the values of their point (`pointOf`) at every path but `drop`, groups in order of first appearance. */
function groupByPoint<T>(items: readonly T[], pointOf: (item: T) => GridPoint, drop: readonly string[]): { key: GridPoint; members: T[] }[] {
  const groups = new Map<string, { key: GridPoint; members: T[] }>();
  for (const item of items) {
    const key = without(pointOf(item), drop);
    const id = JSON.stringify(key);
    if (!groups.has(id)) groups.set(id, { key, members: [] });
    groups.get(id)!.members.push(item);
  }
  return [...groups.values()];
}

/** Points grouped by their values at every path but `drop`, groups in order of first appearance. */
const groupBy = (points: readonly PointLines[], drop: readonly string[]) => groupByPoint(points, (p) => p.point, drop);

/** Per-width rows (keyed by their point without `drop`) grouped into families: the rows that differ only in the width. */
const families = <R extends { key: GridPoint }>(rows: readonly R[]) => groupByPoint(rows, (r) => r.key, [WIDTH]).map(({ key, members }) => ({ point: key, rows: members }));

const WIDTH = 'model.hidden';
const LR = 'train.lr';
const ALPHA = 'model.alpha';

/** The swept value of a number-valued path, or null when the path holds something else at this point. */
const numberAt = (p: PointLines, path: string): number | null => (typeof p.point[path] === 'number' ? (p.point[path] as number) : null);

/**
 * µTransfer's best learning rate per width (and per the other swept values): the lr with the least
 * final train loss; a diverged point ranks below every finished one; ties go to the smaller lr.
 * lr and trainLoss are null when every lr of the group diverged.
 */
export function bestLearningRates(points: readonly PointLines[]): BestLrEntry[] {
  return groupBy(points, [LR]).map(({ key, members }) => {
    let best: { lr: number; trainLoss: number } | null = null;
    const sorted = [...members].filter((m) => numberAt(m, LR) !== null).sort((a, b) => numberAt(a, LR)! - numberAt(b, LR)!);
    for (const m of sorted) {
      const f = finalRecord(m);
      if (f && Number.isFinite(f.trainLoss) && (best === null || f.trainLoss < best.trainLoss)) best = { lr: numberAt(m, LR)!, trainLoss: f.trainLoss };
    }
    return { point: without(key, [WIDTH]), width: members[0].width, lr: best?.lr ?? null, trainLoss: best?.trainLoss ?? null, diverged: sorted.filter(diverged).map((m) => numberAt(m, LR)!) };
  });
}

/**
 * The widest slope interval (hi − lo of `slopeRange`) that still counts as a measurement of the
 * maximal stable lr's slope: 1, the gap between the two predictions it is there to tell apart
 * (−1 under standard, 0 under µP; Tensor Programs IV). A doubling lr grid over widths 32 … 512 gives 0.5.
 */
export const MAX_STABLE_LR_SLOPE_RESOLUTION = 1;
/** float rounding of the interval's width (a doubling grid over a factor-4 width range gives exactly 1) */
const RESOLUTION_ROUNDING = 1e-9;

/**
 * The largest lr of the grid that did not diverge, per width (and the other swept values), its
 * bracket and its log-log slope against width per family of widths. The true edge at a width lies
 * in its bracket [lr, next grid lr above it] (that one diverged, or lr would be larger); the bracket
 * is null where the width has no stable lr or is `capped` (its largest grid lr was stable: the edge
 * lies above the grid). The slope is fitted to the stable lrs; since each true log-edge is
 * log lr_i + δ_i with δ_i ∈ [0, r_i] (r_i = log of the bracket's ratio), the true edges' slope lies in
 *   slopeRange = [s + Σ_{c_i<0} c_i·r_i, s + Σ_{c_i>0} c_i·r_i],   c_i = (x_i − x̄)/Σ(x_j − x̄)², x = log width.
 * slope and slopeRange are null unless every width is bracketed and the family has two widths or
 * more; slope alone is null where slopeRange is wider than MAX_STABLE_LR_SLOPE_RESOLUTION (the grid
 * does not resolve how the edge changes with width, e.g. lr [0.5, 4000]: equal stable lrs 0.5 whose
 * brackets [0.5, 4000] coincide say nothing about the slope).
 */
export function maxStableLearningRates(points: readonly PointLines[]): MaxStableLrCurve[] {
  const perWidth = groupBy(points, [LR]).map(({ key, members }) => {
    const lrs = members.filter((m) => numberAt(m, LR) !== null);
    const stable = lrs.filter((m) => !diverged(m) && finalRecord(m) !== null).map((m) => numberAt(m, LR)!);
    const top = Math.max(...lrs.map((m) => numberAt(m, LR)!));
    const lr = stable.length ? Math.max(...stable) : null;
    const above = lr === null ? [] : lrs.map((m) => numberAt(m, LR)!).filter((v) => v > lr);
    const bracket: [number, number] | null = lr !== null && above.length ? [lr, Math.min(...above)] : null;
    return { key, width: members[0].width, lr, capped: lr !== null && lr === top, bracket };
  });
  return families(perWidth).map(({ point, rows }) => {
    const widths = rows.map((r) => r.width[0]);
    const lr = rows.map((r) => r.lr);
    const brackets = rows.map((r) => r.bracket);
    const fit = rows.length >= 2 && brackets.every((b) => b !== null) ? logLogSlope(widths, lr as number[]) : null;
    let slopeRange: [number, number] | null = null;
    if (fit !== null) {
      const x = widths.map(Math.log);
      const mean = x.reduce((a, v) => a + v, 0) / x.length;
      const sxx = x.reduce((a, v) => a + (v - mean) ** 2, 0);
      let lo = fit;
      let hi = fit;
      rows.forEach((r, i) => {
        const c = (x[i] - mean) / sxx;
        const spread = Math.log(r.bracket![1] / r.bracket![0]);
        if (c < 0) lo += c * spread;
        else hi += c * spread;
      });
      slopeRange = [lo, hi];
    }
    const resolved = slopeRange !== null && slopeRange[1] - slopeRange[0] <= MAX_STABLE_LR_SLOPE_RESOLUTION + RESOLUTION_ROUNDING;
    return { point, widths, lr, capped: rows.map((r) => r.capped), bracket: brackets, slope: resolved ? fit : null, slopeRange };
  });
}

/**
 * α* of a curve ntkChange(α): the first crossing, in increasing α, from ntkChange ≥ τ to < τ,
 * interpolated linearly in ntkChange against log α:
 *   log α* = log α_i + (c_i − τ)/(c_i − c_{i+1}) · (log α_{i+1} − log α_i).
 * Points without a final record (diverged) or ntkChange (null) are skipped; null without a crossing.
 */
export function crossoverAlpha(curve: readonly { alpha: number; ntkChange: number }[], threshold = NTK_CHANGE_THRESHOLD): number | null {
  const c = [...curve].sort((a, b) => a.alpha - b.alpha);
  for (let i = 0; i + 1 < c.length; i++) {
    const [a, b] = [c[i], c[i + 1]];
    if (a.ntkChange >= threshold && b.ntkChange < threshold) {
      const t = (a.ntkChange - threshold) / (a.ntkChange - b.ntkChange);
      return Math.exp(Math.log(a.alpha) + t * (Math.log(b.alpha) - Math.log(a.alpha)));
    }
  }
  return null;
}

/** The lazy–rich crossover α* per width (and per the other swept values), with its log-log slope against width. */
export function crossovers(points: readonly PointLines[], threshold = NTK_CHANGE_THRESHOLD): { threshold: number; curves: CrossoverCurve[] } {
  const perWidth = groupBy(points, [ALPHA]).map(({ key, members }) => {
    const curve = members.flatMap((m) => {
      const f = finalRecord(m);
      const alpha = numberAt(m, ALPHA);
      return f && f.ntkChange !== null && alpha !== null ? [{ alpha, ntkChange: f.ntkChange }] : [];
    });
    return { key, width: members[0].width, alphaStar: crossoverAlpha(curve, threshold) };
  });
  const curves = families(perWidth).map(({ point, rows }) => {
    const widths = rows.map((r) => r.width[0]);
    const alphaStar = rows.map((r) => r.alphaStar);
    const slope = rows.length >= 2 && alphaStar.every((a) => a !== null) ? logLogSlope(widths, alphaStar as number[]) : null;
    return { point, widths, alphaStar, slope };
  });
  return { threshold, curves };
}

const BLOCKS = 'model.residual.blocks';

/**
 * Slopes against depth (issue 14), per family of points that differ only in model.residual.blocks B:
 * log-log slopes of the final records against B of ntkChange, linearGap and trainLoss, and the depth
 * coordinate check's size and change of the last block's activations φ(h_B) (coordinates[B]) and
 * the output's change (the last coordinate). Under depth-µP the coordinates' slopes are ≈ 0 (Tensor
 * Programs VI, arXiv:2310.02244); a slope is null where a value is missing or not positive, or the
 * family has fewer than two finished depths.
 */
export function depthSlopes(points: readonly PointLines[]): DepthSlopes[] {
  return groupBy(points, [BLOCKS]).map(({ key, members }): DepthSlopes => {
    const finals = members.flatMap((m) => {
      const B = numberAt(m, BLOCKS);
      const record = finalRecord(m);
      return B !== null && record !== null ? [{ B, record }] : [];
    });
    const blocks = finals.map((f) => f.B);
    const slope = (pick: (r: RunRecord, B: number) => number | null | undefined) => {
      const values = finals.map((f) => pick(f.record, f.B));
      return finals.length >= 2 && values.every((v) => typeof v === 'number' && v > 0) ? logLogSlope(blocks, values as number[]) : null;
    };
    return {
      point: key,
      blocks,
      slopes: {
        ntkChange: slope((r) => r.ntkChange),
        linearGap: slope((r) => r.linearGap),
        trainLoss: slope((r) => r.trainLoss),
        lastBlockSize: slope((r, B) => r.coordinates[B]?.mean_abs_h),
        lastBlockChange: slope((r, B) => r.coordinates[B]?.mean_abs_dh),
        outputChange: slope((r) => r.coordinates.at(-1)?.mean_abs_dh),
      },
    };
  });
}

/**
 * The summary line of a sweep from all of its points' lines (in point order), or null when there
 * is nothing to summarise (a single network). `grid` is the swept paths of a sweep.grid spec (null
 * for the width-list form, whose summary is unchanged: widths and slopes only).
 */
export function sweepSummary(points: readonly PointLines[], grid: readonly string[] | null): SweepSummary | GridSummary | null {
  if (!grid) return points.length > 1 ? widthSlopes(points) : null;
  // the width sweep's own fields only where the points differ in width alone (else they would mix lrs, α, …)
  const summary: GridSummary = { points: points.length, grid: [...grid], ...(grid.length === 1 && grid[0] === WIDTH ? widthSlopes(points) : {}) };
  if (grid.includes(WIDTH)) {
    summary.widthSlopes = groupBy(points, [WIDTH]).map(({ key, members }): WidthSlopes => ({ point: key, ...widthSlopes(members) }));
  }
  if (grid.includes(LR)) {
    summary.bestLr = bestLearningRates(points);
    summary.maxStableLr = maxStableLearningRates(points);
  }
  if (grid.includes(ALPHA)) summary.crossover = crossovers(points);
  if (grid.includes(BLOCKS)) summary.depthSlopes = depthSlopes(points);
  return summary;
}
