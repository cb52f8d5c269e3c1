// The experiment spec (DESIGN.md §5): one JSON object describes one experiment everywhere
// (CLI, demo URL, benchmark case, test). This file is the schema; validate.ts turns zod's
// issues into `path: expected …; received …` lines and is what callers use (parseSpec).
//
// Conventions for the messages: every leaf schema carries an `error` that reads
// "expected <what>"; validate.ts appends "; received <value>" (or "required field is missing")
// from the raw input. Cross-field checks (crossCheck below) write complete messages
// themselves, "received" included. Unknown keys are refused everywhere (strict objects), so
// a typo such as "activaton" is reported instead of silently falling back to a default.

import { z } from 'zod';
import { FLOAT32_MAX } from '../data/limits';
import { crossCheck } from './cross-checks';
import { ACTIVATIONS, BRANCH_MULTIPLIERS, DATA_KINDS, GENERATED_KINDS, LOSSES, MAX_ENSEMBLE, OPTIMIZERS, PARAMETERIZATIONS, PROBES, TARGET_KINDS, type GeneratedKind } from './vocabulary';

export * from './vocabulary';
export { checkTrainingLabels, type Report } from './data-checks';

// ---------------------------------------------------------------------------------------------
// Leaf builders: each failure mode of a leaf (wrong type, not an integer, out of range) gives
// the same "expected <what>" message.

const expected = (what: string) => ({ error: `expected ${what}` });

function integer(min: number, max: number, what: string) {
  const e = expected(what);
  // a whole number above 2^53 − 1 (1e300 is one) is told that bound, not "an integer" again
  // (the `what` of a smaller bound states it already: "an integer from 1 to 4096")
  const tooLarge = { error: (iss: { input?: unknown }) => (typeof iss.input === 'number' && Number.isInteger(iss.input) && iss.input > max && max === SAFE ? `expected ${what}, at most ${maxText(max)}` : `expected ${what}`) };
  return z.number(e).int(tooLarge).min(min, e).max(max, tooLarge);
}
const SAFE = Number.MAX_SAFE_INTEGER;
/** The bound as the messages state it, with its reason. */
const maxText = (max: number): string => (max === SAFE ? `2^53 − 1 = ${SAFE} (the largest whole number a JSON number holds exactly)` : String(max));
/**
 * α is applied on the GPU in float32, and the trainer's rates are η·lrScale/α² (trainer.ts): α² and
 * 1/α² must both be normal float32 numbers (about 1.2e-38 to 3.4e38) with room for η and lrScale.
 */
export const ALPHA_RANGE = [1e-12, 1e12] as const;
const ALPHA_EXPECTED = 'the output scale α: a number from 1e-12 to 1e12 (the learning rates η/α² and the model α·f must stay float32 numbers)';

function positive(what: string) {
  const e = expected(what);
  return z.number(e).gt(0, e);
}
function nonNegative(what: string) {
  const e = expected(what);
  return z.number(e).min(0, e);
}
function flag(what: string) {
  return z.boolean(expected(what));
}
function oneOf<const T extends readonly [string, ...string[]]>(values: T, what?: string) {
  const list = values.join(', ');
  return z.enum(values, expected(what ? `${what}: one of ${list}` : `one of ${list}`));
}

/**
 * A strict object: unknown keys are refused. For `unrecognized_keys` the message holds one
 * line per unknown key, in the issue's key order (validate.ts splits them into one issue per
 * key, at the key's own path).
 */
function strict<const S extends z.core.$ZodLooseShape>(what: string, shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return iss.keys.map((key) => unknownFieldMessage(key, known)).join('\n');
      return `expected ${what}`;
    },
  });
}

/** "unknown field (did you mean "activation"?); expected only the fields …". */
export function unknownFieldMessage(key: string, known: readonly string[]): string {
  const guess = closest(key, known);
  return `unknown field${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}; expected only the fields ${known.join(', ')}`;
}

/** The closest name to `word` (case-insensitive edit distance within about a third of its length), if any. */
export function closest(word: string, names: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(w.length / 3)) + 1;
  for (const name of names) {
    const d = editDistance(w, name.toLowerCase());
    // Replacing a whole short word is no typo ("x" is not a misspelt "n").
    if (d < bestDistance && d < Math.min(w.length, name.length)) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Edit distance counting an adjacent transposition as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// ---------------------------------------------------------------------------------------------
// Model.

const width = integer(1, SAFE, 'a width: an integer ≥ 1');
/** One network's hidden widths m_1..m_L, e.g. [4096] (depth L = length). */
export const widthListSchema = z.array(width, expected('a width list like [4096]')).min(1, expected('a width list with at least one width, like [4096]'));
/** A width sweep: one width list per network size to run, e.g. [[256], [1024], [4096]]. */
export const widthSweepSchema = z
  .array(widthListSchema, expected('a width sweep: a list of width lists, like [[256], [1024]]'))
  .min(1, expected('a width sweep with at least one width list, like [[256], [1024]]'));
const hidden = z.union([widthListSchema, widthSweepSchema], expected('a width list like [4096] or a width sweep like [[256], [1024]]'));

const activation = oneOf(ACTIVATIONS);

/** The largest number of residual blocks (each is a width² weight matrix on the GPU). */
export const MAX_BLOCKS = 4096;
const BRANCH_MULTIPLIER_EXPECTED = `a branch multiplier β: a number > 0, ${BRANCH_MULTIPLIERS.map((n) => JSON.stringify(n)).join(' (the default) or ')}`;
/**
 * A residual MLP (issue 14): h₀ = Dense_in(x); h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})), b = 1..B;
 * f = Dense_out(φ(h_B)), with model.hidden = [m] the width of the residual stream. β (resolve.ts:
 * branchMultiplier) is a number or a rule in B; the default 1/√B keeps the stream's variance O(1) in depth.
 */
export const residualSchema = strict('a residual network: {"blocks": 4, "branchMultiplier"?: "1/sqrt(blocks)"}', {
  blocks: integer(1, MAX_BLOCKS, `a number of residual blocks B: an integer from 1 to ${MAX_BLOCKS}`),
  branchMultiplier: (() => {
    const e = expected(BRANCH_MULTIPLIER_EXPECTED);
    return z.union([z.number(e).gt(0, e), z.enum(BRANCH_MULTIPLIERS, e)], e);
  })().default('1/sqrt(blocks)'),
});

export const modelSchema = strict('the model: an object with at least inputDim and hidden, like {"inputDim": 2, "hidden": [4096]}', {
  inputDim: integer(1, SAFE, 'the input dimension d: an integer ≥ 1'),
  /** Required unless a top-level `sweep` block gives the widths (checked in crossCheck). */
  hidden: hidden.optional(),
  outputDim: integer(1, SAFE, 'the number of outputs k: an integer ≥ 1').default(1),
  activation: activation.default('relu'),
  parameterization: oneOf(PARAMETERIZATIONS).default('ntk'),
  /** σ_w. */
  weightStd: positive('the weight standard deviation σ_w: a number > 0').default(1),
  /** σ_b (0: no bias). */
  biasStd: nonNegative('the bias standard deviation σ_b: a number ≥ 0').default(0),
  /** Output scale α of Chizat, Oyallon & Bach (lazy training). */
  alpha: z
    .number(expected(ALPHA_EXPECTED))
    .min(ALPHA_RANGE[0], expected(ALPHA_EXPECTED))
    .max(ALPHA_RANGE[1], expected(ALPHA_EXPECTED))
    .default(1),
  /** Model α·(f(θ) − f(θ0)) instead of α·f(θ). */
  centered: flag('true or false').default(false),
  ensemble: integer(1, MAX_ENSEMBLE, `the ensemble size E: an integer from 1 to ${MAX_ENSEMBLE}`).default(1),
  /** Indices of the dense layers that are not trained: 0 = input layer … L = readout. */
  frozen: z.array(integer(0, SAFE, 'a layer index: an integer ≥ 0'), expected('a list of layer indices, like [0]')).default(() => []),
  /** A residual MLP instead of the plain one (null or absent: plain); its dense layers are 0 = Dense_in, 1..B = branches, B + 1 = Dense_out. */
  residual: residualSchema.nullable().optional(),
});

// ---------------------------------------------------------------------------------------------
// Data.

/** An entry of x or y: finite and within float32 range (the GPU's numbers; beyond it they overflow to ±Infinity). */
function entry() {
  const e = expected('a finite number within float32 range (|v| ≤ 3.4e38)');
  return z.number(e).min(-FLOAT32_MAX, e).max(FLOAT32_MAX, e);
}

const matrixOf = (what: string) =>
  z
    .array(z.array(entry(), expected(`a row of numbers, like [1, 0]`)), expected(`${what}: a list of rows, like [[1, 0], [0, 1]]`))
    .min(1, expected(`${what}: at least one row`));

export const pointsSchema = strict('a "points" data set: {"kind": "points", "x": [[...], ...], "y"?: [[...], ...]}', {
  kind: z.literal('points'),
  /** n rows of model.inputDim numbers. */
  x: matrixOf('inputs x'),
  /** n rows of model.outputDim numbers (optional: a target, or no labels at all). */
  y: matrixOf('labels y').optional(),
});

const pointCount = () => integer(1, SAFE, 'a number of points: an integer ≥ 1');
const noiseLevel = () => nonNegative('a noise level: a number ≥ 0').optional();

export const generatedSchema = strict('a generated data set: {"kind": "circle", "n": 64, "noise"?: 0.1}', {
  kind: z.enum(GENERATED_KINDS.filter((k) => k !== 'sphere') as [Exclude<GeneratedKind, 'sphere'>, ...Exclude<GeneratedKind, 'sphere'>[]]),
  n: pointCount(),
  noise: noiseLevel(),
});

/**
 * Uniform on the sphere of radius r in R^d. The default r = √d (Ghorbani et al.,
 * arXiv:1904.12191) gives ‖x‖² = d, the scale of the NTK parameterization's input kernel x·x'/d
 * and of the targets; parsed specs carry the radius used (filled in below).
 */
export const sphereSchema = strict('a "sphere" data set: {"kind": "sphere", "n": 64, "radius"?: 8, "noise"?: 0.1}', {
  kind: z.literal('sphere'),
  n: pointCount(),
  noise: noiseLevel(),
  radius: positive('a sphere radius: a number > 0 (default √model.inputDim)').optional(),
});

export const dataSetSchema = z.discriminatedUnion('kind', [pointsSchema, sphereSchema, generatedSchema], {
  error: (iss) =>
    iss.code === 'invalid_union'
      ? `expected a data kind: one of ${DATA_KINDS.join(', ')}`
      : 'expected a data set: an object like {"kind": "circle", "n": 64} or {"kind": "points", "x": [[1, 0]], "y": [[1]]}',
});

const teacherSchema = strict('a teacher target: {"kind": "teacher", "hidden": [4], "activation"?: "relu"}', {
  kind: z.literal('teacher'),
  /** The teacher network's hidden widths ([] = a linear teacher). */
  hidden: z.array(width, expected('the teacher\'s width list, like [4]')),
  activation: activation.optional(),
});
const singleIndexSchema = strict('a single-index target: {"kind": "single_index", "activation"?: "tanh"}', {
  kind: z.literal('single_index'),
  activation: activation.optional(),
});
const quadraticTargetSchema = strict('a quadratic target: {"kind": "quadratic"}', { kind: z.literal('quadratic') });
const periodicTargetSchema = strict('a periodic target: {"kind": "sin", "frequency"?: 1}', {
  kind: z.enum(['sin', 'cos']),
  frequency: positive('a frequency: a number > 0').optional(),
});

export const targetSchema = z.discriminatedUnion('kind', [teacherSchema, singleIndexSchema, quadraticTargetSchema, periodicTargetSchema], {
  error: (iss) =>
    iss.code === 'invalid_union' ? `expected a target kind: one of ${TARGET_KINDS.join(', ')}` : 'expected a target: an object like {"kind": "teacher", "hidden": [4]}',
});

export const dataSchema = strict('the data: an object with at least "train", like {"train": {"kind": "circle", "n": 64}}', {
  train: dataSetSchema,
  test: dataSetSchema.optional(),
  /** Labels the data sets that carry no y. */
  target: targetSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// Training and observation (both optional blocks, every field defaulted).

export const trainSchema = strict('the training settings: an object like {"lr": 1, "steps": 1000}', {
  optimizer: oneOf(OPTIMIZERS).default('gd'),
  /** η (gradient-flow time of a GD run is η·steps). */
  lr: positive('a learning rate: a number > 0').default(1),
  steps: integer(0, SAFE, 'a number of steps: an integer ≥ 0').default(1000),
  /** null: full batch. */
  batchSize: integer(1, SAFE, 'a batch size: an integer ≥ 1, or null for the full batch').nullable().default(null),
  momentum: (() => {
    const e = expected('a momentum in [0, 1)');
    return z.number(e).min(0, e).lt(1, e);
  })().default(0),
  loss: oneOf(LOSSES).default('mse'),
  recordEvery: integer(1, SAFE, 'a record interval: an integer ≥ 1 (steps)').default(10),
  /** Also train the linearised model f(θ0) + J(θ0)(θ − θ0) alongside. */
  linearized: flag('true or false').default(false),
  /** Also train the quadratic model f(θ0) + J(θ0)δ + ½δᵀH(θ0)δ, δ = θ − θ0, alongside (src/nets/second-order.ts). */
  quadratic: flag('true or false').default(false),
  /**
   * Random features, linearised model and network side by side (dynamics/model-comparison.ts): a second
   * network with every layer but the readout frozen trains beside this one (same seed, data, initial
   * weights), the linearised model is trained (implies linearized), and each record gets a `models` block.
   */
  compare: flag('true or false (train random features, the linearised model and the network side by side)').default(false),
  /**
   * λ ≥ 0: adds (λ/2)·Σ_p (η/η_p)·‖θ_p − θ_p(0)‖² to the objective (decay towards initialisation;
   * every group decays at rate η·λ), so that the linearised model is kernel ridge regression with Θ_η
   * and ridge n·k·λ (dynamics/trainer.ts, docs/dynamics-and-records.md).
   */
  weightDecay: (() => {
    const e = expected('a weight decay λ: a finite number ≥ 0');
    return z.number(e).min(0, e).max(FLOAT32_MAX, e);
  })().default(0),
});

export const observeSchema = strict('the observation settings: an object like {"probe": "train", "spectrum": 5}', {
  /** The inputs on which the NTK drift, alignment and linear gap are measured. */
  probe: oneOf(PROBES, 'a probe set').default('train'),
  /** How many top NTK eigenvalues to record. */
  spectrum: integer(0, SAFE, 'a number of eigenvalues: an integer ≥ 0').default(5),
  /** Two-layer networks: record the first N neurons of member 0 as particles (a_j, w_j). */
  particles: integer(0, 100_000, 'a number of neurons to record as particles: an integer from 0 to 100000').default(0),
});

export const sweepSchema = strict('a sweep block like {"hidden": [[256], [1024]]} or {"grid": {"train.lr": [0.1, 1]}}', {
  hidden: widthSweepSchema.optional(),
  /** A grid over any fields by dotted path (grid.ts validates and expands it point by point). */
  grid: z.record(z.string(), z.array(z.unknown()), expected('a grid: an object of dotted field paths and their value lists')).optional(),
});

// ---------------------------------------------------------------------------------------------
// The spec.

export const experimentSpecSchema = strict('an experiment spec: an object with at least "model" and "data"', {
  /** Seeds every random draw (initialisation, data, minibatches). */
  seed: integer(0, SAFE, 'a seed: a non-negative integer').default(0),
  model: modelSchema,
  data: dataSchema,
  train: trainSchema.prefault({}),
  observe: observeSchema.prefault({}),
  /** An alternative to a list of width lists in model.hidden. */
  sweep: sweepSchema.optional(),
})
  .superRefine(crossCheck, { when: () => true })
  .transform((spec) => ({
    ...spec,
    // Parsed specs always carry their widths in model.hidden (crossCheck guarantees one source).
    model: { ...spec.model, hidden: (spec.model.hidden ?? spec.sweep?.hidden) as number[] | number[][] },
    // ... and the radius of each sphere (default √d), so that a resolved spec says which was used.
    data: { ...spec.data, train: withRadius(spec.data.train, spec.model.inputDim), ...(spec.data.test ? { test: withRadius(spec.data.test, spec.model.inputDim) } : {}) },
  }));

function withRadius<S extends { kind: string; radius?: number }>(set: S, inputDim: number): S {
  return set.kind === 'sphere' && set.radius === undefined ? { ...set, radius: Math.sqrt(inputDim) } : set;
}

/** What a user writes: every field but model and data may be left out. */
export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;
/** A validated spec with every default filled in (model.hidden always present). */
export type ExperimentSpec = z.output<typeof experimentSpecSchema>;
export type ModelSpec = ExperimentSpec['model'];
export type DataSpec = ExperimentSpec['data'];
export type DataSetSpec = DataSpec['train'];
export type PointsDataSpec = Extract<DataSetSpec, { kind: 'points' }>;
export type GeneratedDataSpec = Exclude<DataSetSpec, { kind: 'points' }>;
export type TargetSpec = NonNullable<DataSpec['target']>;
export type TrainSpec = ExperimentSpec['train'];
export type ObserveSpec = ExperimentSpec['observe'];
export type SweepSpec = NonNullable<ExperimentSpec['sweep']>;
export type ResidualSpec = NonNullable<ModelSpec['residual']>;
