// The lines `widenet run` prints (DESIGN.md §5): the record of one step, the divergence line and a
// sweep's summary, with the checks that keep a NaN out of them and the ensemble aggregation.
import { meanStd } from './observables';
export interface RunRecord {
  width: number[];
  step: number;
  /** gradient-flow time η·step (η·step/(1 − μ) with momentum μ) */
  time: number;
  trainLoss: number;
  testLoss: number | null;
  trainAccuracy?: number;
  testAccuracy?: number;
  /** losses of the linearised model (train.linearized) */
  linearTrainLoss?: number;
  linearTestLoss?: number | null;
  /** per dense layer, relative Frobenius ‖W(t) − W(0)‖_F/‖W(0)‖_F */
  weightChange: number[];
  /** per dense layer, relative spectral ‖W(t) − W(0)‖₂/‖W(0)‖₂ */
  weightChangeSpectral: number[];
  /** ‖Θ_t − Θ₀‖_F/‖Θ₀‖_F of Θ_η on the probe; null where Θ₀ = 0 (0/0) */
  ntkChange: number | null;
  /** kernel–target alignment of Θ_η; null where the probe has no labels, the labels are all zero or Θ = 0 */
  alignment: number | null;
  /** RMS of α·(f − f_lin) on the probe (null without the linearised model) */
  linearGap: number | null;
  coordinates: { mean_abs_h: number; mean_abs_dh: number }[];
  ntkEigenvalues: number[];
  /** closed-form kernel regression at the same time, from Θ₀ (empirical) and Θ∞ (analytic) */
  kernelRegression: { mode: 'gd' | 'flow' | 'limit'; empirical: { trainLoss: number; testLoss: number | null }; analytic: { trainLoss: number; testLoss: number | null } | null } | null;
  pathNorm?: number;
  /** losses of the quadratic model (train.quadratic) */
  quadraticTrainLoss?: number;
  quadraticTestLoss?: number | null;
  /** RMS of α·(f − f_quad) on the probe (null without the quadratic model, or after it diverged) */
  quadraticGap?: number | null;
  /**
   * η·λ_max(M^{1/2}·Θ_η·M^{1/2})/n on the train set, M the loss's Hessian in the outputs per example
   * (MSE: I/k, so η·λ_max(Θ_η)/(n·k)); 2(1 + μ) is (heavy-ball) GD's stability edge (src/dynamics/sharpness.ts).
   * null with optimizer "lstsq": the one-step solve takes no step of size η, so η·λ_max/n measures nothing there
   */
  sharpness?: number | null;
  /** the network's catapult, once it has happened (sharpness.ts's detectCatapult); null before or without one */
  catapult?: Catapult | null;
  particles?: { a: number[]; w: number[][] };
  /** train.compare: random features, linearised model and network side by side (dynamics/model-comparison.ts) */
  models?: ModelComparisonRecord;
  /** issue 13 (norms-and-modes.ts): norms and bounds, implicit regularisation, spectral bias */
  generalization?: GeneralizationRecord;
  implicitBias?: ImplicitBiasRecord;
  modes?: ModesRecord | null;
  std: Record<string, EnsembleStat>;
}

/** One model's losses (ensemble means; testLoss null without a labelled test set, both null after it diverged). */
export interface ModelLosses {
  trainLoss: number | null;
  testLoss: number | null;
}

/**
 * The `models` block of train.compare: rf = the same network with every layer but the readout frozen
 * (trained beside it from the same θ₀), nt = the linearised network, nn = the network; `population`, the
 * closed-form population risks on the sphere for the quadratic target with the quadratic activation
 * (theory/quadratic-risk.ts; null elsewhere), ensemble means over the members' own first-layer weights.
 */
export interface ModelComparisonRecord {
  rf: ModelLosses & { weightChange: number[] | null; diverged?: DivergenceRecord };
  nt: ModelLosses;
  nn: ModelLosses;
  population: { radius: number; rf: number; nt: number; nn: number | null } | null;
}

export interface DivergenceRecord {
  width: number[];
  step: number;
  /** the dense layer (0 = input … L = readout) whose parameters went non-finite first; null when only the loss did */
  layer: number | null;
  model: 'network' | 'linearized' | 'quadratic';
  lr: number;
  /**
   * 2(1 + μ)·n/(c·λ_max) with λ_max of the learning-rate-weighted Θ₀ and c the loss curvature (1/k for MSE);
   * null where Θ₀ has no positive finite eigenvalue (a zero kernel, or one that overflowed)
   */
  suggestedMaxLr: number | null;
  reason: string;
}

export type RunLine = RunRecord | { diverged: DivergenceRecord } | { summary: SweepSummary | GridSummary };

/**
 * The last line of a run that did not finish (written by `widenet run`, src/cli/run.ts, to stdout
 * and metrics.jsonl): where it was, `point` for a grid's point only. `interrupted`: stopped by a
 * signal (SIGINT, SIGTERM, SIGHUP; SIGPIPE for a closed stdout); `failed`: stopped by an error,
 * `error` its class name (LimitExceededError, GpuError, …) and `message` its text.
 */
export interface InterruptedLine {
  interrupted: { width: number[] | null; point?: Record<string, unknown> | null; step: number; signal: string };
}
export interface FailedLine {
  failed: { width: number[] | null; point?: Record<string, unknown> | null; step: number; error: string; message: string };
}
/** Any line of metrics.jsonl: a RunLine, or the interrupted/failed line that ends an unfinished run. */
export type MetricsLine = RunLine | InterruptedLine | FailedLine;

export interface SweepSummary {
  widths: number[];
  slopes: { ntkChange: number | null; linearGap: number | null; weightChange: (number | null)[]; trainLoss: number | null; quadraticGap?: number | null };
  /**
   * The width whose last record has the largest testLoss, and that loss (the double-descent peak of
   * random-feature regression sits at the interpolation threshold); null without test losses
   */
  peakWidth?: number | null;
  peakTestLoss?: number | null;
  /** the first hidden widths whose network diverged: left out of `widths` and the slopes (grid-summary.ts) */
  diverged?: number[];
}

/** The width of the largest test loss among the widths' last records (null where a test loss is missing). */
export function testLossPeak(finals: { width: number; record: Pick<RunRecord, 'testLoss'> }[]): { peakWidth: number | null; peakTestLoss: number | null } {
  if (finals.length === 0 || finals.some((f) => f.record.testLoss === null)) return { peakWidth: null, peakTestLoss: null };
  const peak = finals.reduce((best, f) => (f.record.testLoss! > best.record.testLoss! ? f : best));
  return { peakWidth: peak.width, peakTestLoss: peak.record.testLoss };
}

/**
 * A catapult (Lewkowycz et al. 2020, arXiv:2003.02218) seen in the recorded train losses of the
 * network (ensemble means): the loss rose above CATAPULT_FACTOR times its value at step 0, then fell
 * below that value, and the sharpness ended below the stability edge 2(1 + μ) (μ = train.momentum; 2 for plain GD).
 */
export interface Catapult {
  /** the highest recorded train loss and its step */
  peakLoss: number;
  peakStep: number;
  /** peakLoss / trainLoss at step 0 */
  rise: number;
  /** the first recorded step after the peak with the loss below its start */
  fallStep: number;
  initialSharpness: number;
  /** the sharpness of the record that reports it (< edge) */
  sharpness: number;
  /** the stability edge 2(1 + μ) the sharpness ended below (sharpness.ts's stabilityEdge) */
  edge: number;
}

// The grid-wide summaries of a sweep.grid spec (grid-summary.ts computes them; docs/dynamics-and-records.md).
// `point` in each entry: the swept values that identify it, by path, without the ones it runs over.

/** Log-log slopes against width of one family of points that differ only in model.hidden. */
export interface WidthSlopes extends SweepSummary {
  point: Record<string, unknown>;
}
/** µTransfer: the lr of least final train loss at one width (null: every lr diverged); `diverged`: the lrs that did. */
export interface BestLrEntry {
  point: Record<string, unknown>;
  width: number[];
  lr: number | null;
  trainLoss: number | null;
  diverged: number[];
}
/** The largest stable lr of the grid per width (null: none), `capped` where the grid's largest lr was stable, and its log-log slope. */
export interface MaxStableLrCurve {
  point: Record<string, unknown>;
  widths: number[];
  lr: (number | null)[];
  capped: boolean[];
  /** per width [lr, the next grid lr above it, which diverged]: the true edge lies inside; null where lr is null or capped */
  bracket: ([number, number] | null)[];
  /** null unless every width is bracketed, or where slopeRange is wider than MAX_STABLE_LR_SLOPE_RESOLUTION (grid-summary.ts) */
  slope: number | null;
  /** the slopes of true edges anywhere in their brackets; null unless every width of two or more is bracketed */
  slopeRange: [number, number] | null;
}
/** The lazy–rich crossover α* per width (null: no crossing on the grid) and its log-log slope. */
export interface CrossoverCurve {
  point: Record<string, unknown>;
  widths: number[];
  alphaStar: (number | null)[];
  slope: number | null;
}
export interface GridSummary extends Partial<SweepSummary> {
  /** how many points the grid has */
  points: number;
  /** the swept paths, in point order (the last varies fastest) */
  grid: string[];
  widthSlopes?: WidthSlopes[];
  bestLr?: BestLrEntry[];
  maxStableLr?: MaxStableLrCurve[];
  crossover?: { threshold: number; curves: CrossoverCurve[] };
  /** model.residual.blocks swept: log-log slopes against depth B (grid-summary.ts: depthSlopes) */
  depthSlopes?: DepthSlopes[];
}

/** Log-log slopes of the final records against the number of residual blocks B, for one family of points that differ only in B. */
export interface DepthSlopes {
  point: Record<string, unknown>;
  blocks: number[];
  slopes: {
    ntkChange: number | null; linearGap: number | null; trainLoss: number | null;
    /** mean|φ(h_B)| and mean|φ(h_B)(t) − φ(h_B)(0)| of the last block (the depth coordinate check), and the output's change */
    lastBlockSize: number | null; lastBlockChange: number | null; outputChange: number | null;
  };
}

/** What to try after a divergence, in words (the CLI's and the pages' one phrasing). */
export function divergenceAdvice(d: DivergenceRecord): string {
  return d.suggestedMaxLr !== null
    ? `a learning rate below ${d.suggestedMaxLr.toPrecision(3)} should converge`
    : 'no stable learning rate can be estimated (the kernel at initialisation is zero or non-finite)';
}

/** The name of the first quantity with a non-finite entry (absent quantities are skipped). */
export function firstNonFinite(quantities: [string, ArrayLike<number> | null | undefined][]): string | null {
  for (const [name, values] of quantities) {
    if (!values) continue;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return name;
  }
  return null;
}

/** Per-member values, or null when any member's is undefined (null): an ensemble mean over some members would mislead. */
export function definedForAll(values: (number | null)[]): number[] | null {
  return values.every((v) => v !== null) ? (values as number[]) : null;
}

/** The path of the first non-finite number in a record (`ntkEigenvalues[0]`), or null. */
export function nonFiniteField(value: unknown, path = ''): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = nonFiniteField(value[i], `${path}[${i}]`);
      if (p) return p;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const p = nonFiniteField(v, path ? `${path}.${key}` : key);
      if (p) return p;
    }
  }
  return null;
}


/** One observable per ensemble member: a value per member, a list of them (per layer, per eigenvalue), or null (absent or undefined). */
export type PerMember = ArrayLike<number> | PerMember[] | null;
export type EnsembleStat = number | null | EnsembleStat[];

/**
 * The ensemble mean and standard deviation of every observable, field by field and with the same
 * nesting: the record's scalars and the `std` block come from one pass, not two hand-written lists.
 * An array of numbers (or a typed array) is one value per member; an array of arrays is a list.
 */
export function ensembleStats<K extends string>(fields: Partial<Record<K, PerMember>>): { mean: Record<K, EnsembleStat>; std: Record<K, EnsembleStat> } {
  const stats = (v: PerMember): { mean: EnsembleStat; std: EnsembleStat } => {
    if (v === null) return { mean: null, std: null };
    if (Array.isArray(v) && v.length > 0 && typeof v[0] !== 'number') {
      const inner = (v as PerMember[]).map(stats);
      return { mean: inner.map((s) => s.mean), std: inner.map((s) => s.std) };
    }
    if (Array.isArray(v) && v.length === 0) return { mean: [], std: [] };
    // one member (E = 1) has no spread to measure: its std is null, not a silent 0 (as `widenet ntk`'s empiricalStd)
    const s = meanStd(v as ArrayLike<number>);
    return { mean: s.mean, std: (v as ArrayLike<number>).length > 1 ? s.std : null };
  };
  const mean = {} as Record<K, EnsembleStat>;
  const std = {} as Record<K, EnsembleStat>;
  for (const key of Object.keys(fields) as K[]) {
    const s = stats(fields[key] ?? null);
    mean[key] = s.mean;
    std[key] = s.std;
  }
  return { mean, std };
}

// ---------------------------------------------------------------- generalization and implicit regularisation (issue 13)
// Formulas and papers: generalization.ts, implicit-bias.ts, modes.ts and docs/dynamics-and-records.md.

/** A path norm and the Rademacher-complexity bound of its ball (null where the bound does not apply: not ReLU). */
export interface PathNormBound {
  norm: number;
  rademacher: number | null;
}

/** The `generalization` block (ensemble means). */
export interface GeneralizationRecord {
  /** two-layer networks only: ℓ1 (E, Ma & Wu) and ℓ2 (= the record's pathNorm) path norms */
  pathNorm: { l1: PathNormBound; l2: PathNormBound } | null;
  /** yᵀΘ⁻¹y of the plain model-units kernel α²·J Jᵀ (as `widenet ntk` prints it) at θ₀ and of α²·Θ∞; null: singular, too large, or no theory */
  rkhsNorm: { empirical: number | null; analytic: number | null } | null;
  /** √(2·yᵀ(H∞)⁻¹y/n) of Arora et al. 2019 (two-layer ReLU, one output), H∞ on the inputs normalised to the sphere */
  ntkBound: number | null;
  /** testLoss − trainLoss (null without a labelled test set) */
  gap: number | null;
}

/** The `implicitBias` block: displacements Σ_p (η/η_p)·‖θ_p − θ_p(0)‖² and the minimum-norm solution. */
export interface ImplicitBiasRecord {
  network: number;
  linearized: number | null;
  /** r₀ᵀΘ_η⁻¹r₀, r₀ = y − z₀ on the train set; null where Θ_η is singular or the train set too large */
  minNorm: number | null;
  /** RMS on the test set of z − z*, z* = z₀ + Θ_η(X*, X)·Θ_η⁻¹·r₀ the minimum-norm interpolant */
  functionDistance: number | null;
}

/** One eigen-direction v_i of a kernel on the train set: projections of the residual r = y − z (v_i oriented so that v_iᵀr₀ ≥ 0). */
export interface ModeRecord {
  eigenvalue: number;
  /** v_iᵀr₀ */
  initial: number;
  /** v_iᵀr of the network now */
  residual: number;
  /** v_iᵀr of the linearised model now (null without one) */
  linearized: number | null;
  /** v_iᵀr₀ times the closed-form decay (1 − ηλ_i/(nk))^step or e^(−λ_i·t/(nk)) */
  predicted: number;
}

/** The `modes` block: the top observe.spectrum modes of Θ_η at θ₀ and of Θ∞ (null where the theory does not apply). */
export interface ModesRecord {
  /** the closed form's clock: plain GD steps, gradient flow, or t → ∞ (lstsq) */
  mode: 'gd' | 'flow' | 'limit';
  empirical: ModeRecord[];
  analytic: ModeRecord[] | null;
}
