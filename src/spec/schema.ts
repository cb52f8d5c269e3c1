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

// ---------------------------------------------------------------------------------------------
// Vocabularies. The activation list is the one of theory/activations.ts and
// kernels/activations.ts (tests/spec checks they agree); it is repeated here as a literal tuple
// so that the spec's TypeScript type names the activations.

export const ACTIVATIONS = ['identity', 'relu', 'leaky_relu', 'tanh', 'erf', 'gelu', 'sigmoid', 'softplus', 'sin', 'cos', 'quadratic'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Yang & Hu's abc-parameterizations provided by nets/ (DESIGN.md §4). */
export const PARAMETERIZATIONS = ['standard', 'ntk', 'meanfield', 'mup'] as const;
export type Parameterization = (typeof PARAMETERIZATIONS)[number];

/** Generated data sets: `n` points (and optional `noise`), labelled by `data.target`. */
export const GENERATED_KINDS = ['circle', 'sphere', 'gaussian', 'spirals', 'xor', 'circles'] as const;
/** Generated data sets that only exist in two dimensions (model.inputDim must be 2). */
export const PLANAR_KINDS: readonly GeneratedKind[] = ['circle', 'spirals', 'xor', 'circles'];
export type GeneratedKind = (typeof GENERATED_KINDS)[number];
export const DATA_KINDS = ['points', ...GENERATED_KINDS] as const;
export type DataKind = (typeof DATA_KINDS)[number];

export const TARGET_KINDS = ['teacher', 'single_index', 'quadratic', 'sin', 'cos'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const OPTIMIZERS = ['gd', 'sgd'] as const;
export const LOSSES = ['mse', 'cross_entropy'] as const;
export const PROBES = ['train', 'test'] as const;

/** Largest ensemble (independent networks trained side by side). */
export const MAX_ENSEMBLE = 4096;

// ---------------------------------------------------------------------------------------------
// Leaf builders: each failure mode of a leaf (wrong type, not an integer, out of range) gives
// the same "expected <what>" message.

const expected = (what: string) => ({ error: `expected ${what}` });

function integer(min: number, max: number, what: string) {
  const e = expected(what);
  return z.number(e).int(e).min(min, e).max(max, e);
}
const SAFE = Number.MAX_SAFE_INTEGER;
/**
 * α is applied on the GPU in float32, and the trainer's rates are η·lrScale/α² (trainer.ts): α² and
 * 1/α² must both be normal float32 numbers (about 1.2e-38 to 3.4e38) with room for η and lrScale.
 */
export const ALPHA_RANGE = [1e-12, 1e12] as const;

/** A finite number (JSON cannot carry NaN or ±Infinity; JS callers are refused them too). */
function finite(what = 'a finite number') {
  return z.number(expected(what));
}
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
    .number(expected(`the output scale α: a number from ${ALPHA_RANGE[0]} to ${ALPHA_RANGE[1]}`))
    .min(ALPHA_RANGE[0], expected(`the output scale α: a number from ${ALPHA_RANGE[0]} to ${ALPHA_RANGE[1]} (the learning rates η/α² and the model α·f must stay float32 numbers)`))
    .max(ALPHA_RANGE[1], expected(`the output scale α: a number from ${ALPHA_RANGE[0]} to ${ALPHA_RANGE[1]} (the learning rates η/α² and the model α·f must stay float32 numbers)`))
    .default(1),
  /** Model α·(f(θ) − f(θ0)) instead of α·f(θ). */
  centered: flag('true or false').default(false),
  ensemble: integer(1, MAX_ENSEMBLE, `the ensemble size E: an integer from 1 to ${MAX_ENSEMBLE}`).default(1),
  /** Indices of the dense layers that are not trained: 0 = input layer … L = readout. */
  frozen: z.array(integer(0, SAFE, 'a layer index: an integer ≥ 0'), expected('a list of layer indices, like [0]')).default(() => []),
});

// ---------------------------------------------------------------------------------------------
// Data.

const matrixOf = (what: string) =>
  z
    .array(z.array(finite(), expected(`a row of numbers, like [1, 0]`)), expected(`${what}: a list of rows, like [[1, 0], [0, 1]]`))
    .min(1, expected(`${what}: at least one row`));

export const pointsSchema = strict('a "points" data set: {"kind": "points", "x": [[...], ...], "y"?: [[...], ...]}', {
  kind: z.literal('points'),
  /** n rows of model.inputDim numbers. */
  x: matrixOf('inputs x'),
  /** n rows of model.outputDim numbers (optional: a target, or no labels at all). */
  y: matrixOf('labels y').optional(),
});

export const generatedSchema = strict('a generated data set: {"kind": "circle", "n": 64, "noise"?: 0.1}', {
  kind: z.enum(GENERATED_KINDS),
  n: integer(1, SAFE, 'a number of points: an integer ≥ 1'),
  noise: nonNegative('a noise level: a number ≥ 0').optional(),
});

export const dataSetSchema = z.discriminatedUnion('kind', [pointsSchema, generatedSchema], {
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
});

export const observeSchema = strict('the observation settings: an object like {"probe": "train", "spectrum": 5}', {
  /** The inputs on which the NTK drift, alignment and linear gap are measured. */
  probe: oneOf(PROBES, 'a probe set').default('train'),
  /** How many top NTK eigenvalues to record. */
  spectrum: integer(0, SAFE, 'a number of eigenvalues: an integer ≥ 0').default(5),
  /** Two-layer networks: record the first N neurons of member 0 as particles (a_j, w_j). */
  particles: integer(0, 100_000, 'a number of neurons to record as particles: an integer from 0 to 100000').default(0),
});

export const sweepSchema = strict('a sweep block like {"hidden": [[256], [1024]]}', {
  hidden: widthSweepSchema,
});

// ---------------------------------------------------------------------------------------------
// Cross-field checks. They run even when other fields failed (`when: () => true`), so they
// read the half-parsed value defensively and only judge what is well-formed.

type Ctx = z.core.$RefinementCtx<unknown>;
type Path = (string | number)[];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isWidthList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every(isCount);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function issue(ctx: Ctx, path: Path, message: string) {
  ctx.addIssue({ code: 'custom', path, message });
}

function crossCheck(spec: unknown, ctx: Ctx): void {
  if (!isRecord(spec)) return;
  const model = isRecord(spec.model) ? spec.model : undefined;
  const data = isRecord(spec.data) ? spec.data : undefined;
  const train = isRecord(spec.train) ? spec.train : undefined;
  const observe = isRecord(spec.observe) ? spec.observe : undefined;
  const inputDim = isCount(model?.inputDim) ? model.inputDim : undefined;
  const outputDim = model === undefined ? undefined : model.outputDim === undefined ? 1 : isCount(model.outputDim) ? model.outputDim : undefined;

  // Widths: in model.hidden or in the sweep block, not both, not neither.
  const sweep = isRecord(spec.sweep) ? spec.sweep : undefined;
  const hasHidden = model !== undefined && model.hidden !== undefined;
  if (model && !hasHidden && spec.sweep === undefined) {
    issue(ctx, ['model', 'hidden'], 'required field is missing; expected a width list like [4096], a width sweep like [[256], [1024]], or a top-level sweep block {"hidden": [[256], [1024]]}');
  }
  if (hasHidden && spec.sweep !== undefined) {
    issue(ctx, ['sweep'], 'expected the widths in one place only; received both model.hidden and a sweep block (remove one of them)');
  }
  // A sweep varies widths at fixed depth (the summary's slopes are against width).
  let depth: number | undefined;
  const widthSources: [Path, unknown][] = [
    [['model', 'hidden'], model?.hidden],
    [['sweep', 'hidden'], sweep?.hidden],
  ];
  for (const [path, value] of widthSources) {
    if (isWidthList(value)) depth ??= value.length;
    else if (Array.isArray(value) && value.some(Array.isArray)) {
      // A sweep: judge the well-formed width lists (the others have their own issues).
      let first: number[] | undefined;
      value.forEach((list, i) => {
        if (!isWidthList(list)) return;
        if (first === undefined) first = list;
        else if (list.length !== first.length) {
          issue(ctx, [...path, i], `expected every width list of a sweep to have the depth of the first (${plural(first.length, 'hidden layer')}); received ${plural(list.length, 'hidden layer')}`);
        }
      });
      depth ??= first?.length;
    }
  }

  // Frozen layers must exist: dense layers 0 (input) … L (readout).
  if (model && depth !== undefined && Array.isArray(model.frozen)) {
    model.frozen.forEach((index, i) => {
      if (typeof index === 'number' && Number.isSafeInteger(index) && index > depth) {
        issue(ctx, ['model', 'frozen', i], `expected a layer index from 0 to ${depth} (0 = input layer, ${depth} = readout); received ${index}`);
      }
    });
  }

  // Data sets against the model's dimensions.
  let trainSize: number | undefined;
  for (const which of ['train', 'test'] as const) {
    const set = data && isRecord(data[which]) ? data[which] : undefined;
    if (!set) continue;
    const path: Path = ['data', which];
    if (set.kind === 'points') {
      const rows = checkRows(ctx, [...path, 'x'], set.x, inputDim, 'model.inputDim');
      if (which === 'train') trainSize = rows;
      if (set.y !== undefined) {
        const yRows = checkRows(ctx, [...path, 'y'], set.y, outputDim, 'model.outputDim');
        if (rows !== undefined && yRows !== undefined && rows !== yRows) {
          issue(ctx, [...path, 'y'], `expected ${plural(rows, 'row')} (one per row of x); received ${plural(yRows, 'row')}`);
        }
      }
    } else if (typeof set.kind === 'string' && (GENERATED_KINDS as readonly string[]).includes(set.kind)) {
      if (which === 'train' && isCount(set.n)) trainSize = set.n;
      if (PLANAR_KINDS.includes(set.kind as GeneratedKind) && inputDim !== undefined && inputDim !== 2) {
        issue(ctx, [...path, 'kind'], `expected a data kind that exists in model.inputDim = ${inputDim} dimensions ("${set.kind}" is planar: set model.inputDim to 2, or use "sphere" or "gaussian"); received "${set.kind}"`);
      }
    }
  }

  if (train) {
    const batch = train.batchSize;
    if (isCount(batch)) {
      if ((train.optimizer ?? 'gd') === 'gd') {
        issue(ctx, ['train', 'batchSize'], `expected null with optimizer "gd" (full-batch gradient descent; use "sgd" for minibatches); received ${batch}`);
      } else if (trainSize !== undefined && batch > trainSize) {
        issue(ctx, ['train', 'batchSize'], `expected at most the training set size (${trainSize}); received ${batch}`);
      }
    }
  }

  if (observe?.probe === 'test' && data && data.test === undefined) {
    issue(ctx, ['observe', 'probe'], 'expected "train", or a data.test set to probe; received "test" but data.test is missing');
  }
}

/** Checks that every row of a matrix has `cols` entries; returns the row count when the matrix is a list of rows. */
function checkRows(ctx: Ctx, path: Path, matrix: unknown, cols: number | undefined, colsName: string): number | undefined {
  if (!Array.isArray(matrix) || !matrix.every(Array.isArray)) return undefined;
  const rows = matrix as unknown[][];
  if (cols === undefined || rows.length === 0) return rows.length;
  const bad = rows.map((row, i) => [row.length, i] as const).filter(([len]) => len !== cols);
  if (bad.length === 0) return rows.length;
  const firstLength = bad[0][0];
  if (bad.length === rows.length && bad.every(([len]) => len === firstLength)) {
    // Every row has the same wrong length: one issue, not n.
    issue(ctx, path, `expected rows of ${plural(cols, 'number')} (${colsName} = ${cols}); received rows of ${plural(firstLength, 'number')}`);
  } else {
    for (const [len, i] of bad) issue(ctx, [...path, i], `expected a row of ${plural(cols, 'number')} (${colsName} = ${cols}); received ${plural(len, 'number')}`);
  }
  return rows.length;
}

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
  }));

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
