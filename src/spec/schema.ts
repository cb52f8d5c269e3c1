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
import { FLOAT32_MAX, MAX_CPU_ARRAY_NUMBERS, formatCount, withinBudget } from '../data/limits';
import { ACTIVATION_NAMES } from '../theory/activation-table';

// ---------------------------------------------------------------------------------------------
// Vocabularies. The activation names come from the activation table (theory/activation-table.ts),
// typed as a literal tuple so that the spec's TypeScript type names the activations.

export const ACTIVATIONS = ACTIVATION_NAMES;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Yang & Hu's abc-parameterizations provided by nets/ (DESIGN.md §4). */
export const PARAMETERIZATIONS = ['standard', 'ntk', 'meanfield', 'mup'] as const;
export type Parameterization = (typeof PARAMETERIZATIONS)[number];

/** Generated data sets: `n` points (and optional `noise`), labelled by `data.target`. */
export const GENERATED_KINDS = ['circle', 'sphere', 'gaussian', 'spirals', 'xor', 'circles'] as const;
/** Generated data sets that only exist in two dimensions (model.inputDim must be 2). */
export const PLANAR_KINDS: readonly GeneratedKind[] = ['circle', 'spirals', 'xor', 'circles'];
export type GeneratedKind = (typeof GENERATED_KINDS)[number];
/** Generated two-class sets that carry their own labels (±1 for one output, one-hot for two); no target. */
export const CLASSIFICATION_KINDS = ['spirals', 'xor', 'circles'] as const satisfies readonly GeneratedKind[];
export type ClassificationKind = (typeof CLASSIFICATION_KINDS)[number];
export const isClassificationKind = (kind: unknown): kind is ClassificationKind => (CLASSIFICATION_KINDS as readonly unknown[]).includes(kind);
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

/** ['model', 'hidden', 0] → 'model.hidden[0]'; odd keys are quoted: `data["my key"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
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
    .number(expected(ALPHA_EXPECTED))
    .min(ALPHA_RANGE[0], expected(ALPHA_EXPECTED))
    .max(ALPHA_RANGE[1], expected(ALPHA_EXPECTED))
    .default(1),
  /** Model α·(f(θ) − f(θ0)) instead of α·f(θ). */
  centered: flag('true or false').default(false),
  ensemble: integer(1, MAX_ENSEMBLE, `the ensemble size E: an integer from 1 to ${MAX_ENSEMBLE}`).default(1),
  /** Indices of the dense layers that are not trained: 0 = input layer … L = readout. */
  frozen: z.array(integer(0, SAFE, 'a layer index: an integer ≥ 0'), expected('a list of layer indices, like [0]')).default(() => []),
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
      const seen = new Map<string, number>();
      value.forEach((list, i) => {
        if (!isWidthList(list)) return;
        if (first === undefined) first = list;
        else if (list.length !== first.length) {
          issue(ctx, [...path, i], `expected every width list of a sweep to have the depth of the first (${plural(first.length, 'hidden layer')}); received ${plural(list.length, 'hidden layer')}`);
        }
        // The summary fits log-log slopes against width: a repeated width list gives no slope (null), so say why here.
        const key = JSON.stringify(list);
        const at = seen.get(key);
        if (at !== undefined) issue(ctx, [...path, i], `expected distinct width lists in a sweep (the summary fits slopes against width); received ${key}, a duplicate of ${formatPath([...path, at])}`);
        else seen.set(key, i);
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

  checkLabelsAndSizes(spec, (path, message) => issue(ctx, path, message));

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

// ---------------------------------------------------------------------------------------------
// Labels, targets and CPU sizes: what src/data would refuse (DataError) or run out of memory on
// at run time, judged from the spec. Like crossCheck, they read the raw input defensively.

/** Collects one problem at a field path. */
export type Report = (path: Path, message: string) => void;

/** Where a data set's labels come from: its own y, its class labels, data.target, or nowhere. */
type LabelSource = 'y' | 'classes' | 'target' | 'none';

function labelSource(set: Record<string, unknown>, hasTarget: boolean): LabelSource | undefined {
  if (set.kind === 'points') return set.y !== undefined ? 'y' : hasTarget ? 'target' : 'none';
  if (isClassificationKind(set.kind)) return 'classes';
  if ((GENERATED_KINDS as readonly unknown[]).includes(set.kind)) return hasTarget ? 'target' : 'none';
  return undefined; // an unknown kind has its own issue
}

/** The number of points of a well-formed data set, and the field that sets it. */
function setSize(set: Record<string, unknown>): { n: number; field: string } | undefined {
  if (set.kind === 'points') return Array.isArray(set.x) && set.x.length > 0 ? { n: set.x.length, field: 'x' } : undefined;
  return isCount(set.n) ? { n: set.n, field: 'n' } : undefined;
}

const SPLITS = ['train', 'test'] as const;
const quoted = (v: unknown) => JSON.stringify(v);

function checkLabelsAndSizes(spec: Record<string, unknown>, report: Report): void {
  const model = isRecord(spec.model) ? spec.model : undefined;
  const data = isRecord(spec.data) ? spec.data : undefined;
  if (!model || !data) return;
  const train = isRecord(spec.train) ? spec.train : {};
  const d = isCount(model.inputDim) ? model.inputDim : undefined;
  const k = model.outputDim === undefined ? 1 : isCount(model.outputDim) ? model.outputDim : undefined;
  const E = model.ensemble === undefined ? 1 : isCount(model.ensemble) ? model.ensemble : undefined;
  const target = isRecord(data.target) ? data.target : undefined;
  const crossEntropy = train.loss === 'cross_entropy';
  const sets = SPLITS.flatMap((which) => (isRecord(data[which]) ? [{ which, set: data[which] as Record<string, unknown> }] : []));
  const labelled = sets.map(({ which, set }) => ({ which, set, source: labelSource(set, target !== undefined) }));

  // Two-class kinds: their own labels, so no target, and k = 1 (±1) or 2 (one-hot) (src/data encodeLabels).
  for (const { which, set, source } of labelled) {
    if (source !== 'classes') continue;
    if (target !== undefined) {
      report(['data', 'target'], `expected no data.target: data.${which}.kind ${quoted(set.kind)} carries its own class labels (label "circle", "sphere", "gaussian" or "points" inputs with a target instead); received a ${quoted(target.kind)} target`);
    }
    if (k !== undefined && k > 2) {
      report(['model', 'outputDim'], `expected 1 (±1 labels) or 2 (one-hot labels) for the two-class data.${which}.kind ${quoted(set.kind)}; received ${k}`);
    }
  }

  // The target, where it labels a set: defined for these dimensions (src/data makeTarget), and real-valued.
  const targetUsers = labelled.filter((l) => l.source === 'target').map((l) => `data.${l.which}`);
  if (target && targetUsers.length > 0) {
    const kind = target.kind;
    const others = '"teacher", "single_index" or "quadratic"';
    if (kind === 'quadratic' && d !== undefined && d < 2) {
      report(['data', 'target', 'kind'], `expected a target defined for model.inputDim = ${d} ("quadratic" is the centred ⟨w, x⟩² − ‖x‖²/d, identically 0 in one dimension: set model.inputDim ≥ 2, or use "teacher" or "single_index"); received "quadratic"`);
    }
    if ((kind === 'sin' || kind === 'cos') && d !== undefined && d !== 2) {
      report(['data', 'target', 'kind'], `expected a target for model.inputDim = ${d} dimensions (${quoted(kind)} is a function of the angle of a planar input: set model.inputDim to 2, or use ${others}); received ${quoted(kind)}`);
    }
    if ((kind === 'sin' || kind === 'cos') && k !== undefined && k !== 1) {
      report(['data', 'target', 'kind'], `expected a target with model.outputDim = ${k} outputs (${quoted(kind)} has one output: set model.outputDim to 1, or use ${others}); received ${quoted(kind)}`);
    }
    if (crossEntropy && (TARGET_KINDS as readonly unknown[]).includes(kind)) {
      report(['data', 'target', 'kind'], `expected classification labels for train.loss "cross_entropy" (±1 for one output, one-hot rows for more: a two-class data kind spirals, xor or circles, or points with such y; or train.loss "mse"); received ${quoted(kind)}, a real-valued target, labelling ${targetUsers.join(' and ')}`);
    }
  }

  // cross_entropy is logistic log(1 + e^{−y·f}) with y = ±1 for one output, softmax with one-hot y for k > 1 (kernels/loss.ts).
  if (crossEntropy && k !== undefined) {
    for (const { which, set, source } of labelled) {
      if (source !== 'y' || !Array.isArray(set.y)) continue;
      set.y.forEach((row: unknown, i: number) => {
        if (!Array.isArray(row) || row.length !== k || !row.every((v) => typeof v === 'number')) return; // a shape issue of its own
        const ok = k === 1 ? row[0] === 1 || row[0] === -1 : row.every((v) => v === 0 || v === 1) && row.filter((v) => v === 1).length === 1;
        if (ok) return;
        const what =
          k === 1
            ? `a label −1 or 1 (train.loss "cross_entropy" with one output is the logistic loss log(1 + e^{−y·f})${row[0] === 0 ? '; write class 0 as −1' : ''})`
            : `a one-hot row: ${k} numbers, one 1 and the rest 0 (train.loss "cross_entropy" with model.outputDim = ${k} is the softmax cross-entropy)`;
        report(['data', which, 'y', i], `expected ${what}; received ${quoted(row)}`);
      });
    }
  }

  // CPU sizes (data/limits.ts): the inputs n × d and labels n × k of each generated set, the target's weights,
  // and the empirical NTK on the train and test points read back from the GPU, E × ((n + n_test) × k)².
  for (const { which, set, source } of labelled) {
    const size = setSize(set);
    if (!size) continue;
    const n = formatCount(size.n);
    const path: Path = ['data', which, size.field];
    const nName = size.field === 'n' ? `data.${which}.n` : `the ${n} rows of data.${which}.x`;
    const inputsTooBig = size.field === 'n' && d !== undefined && size.n * d > MAX_CPU_ARRAY_NUMBERS;
    if (inputsTooBig) {
      report(path, `expected model.inputDim × data.${which}.n ${withinBudget('input numbers')}; received ${formatCount(d)} × ${n} = ${formatCount(d * size.n)}`);
    }
    // (the labels only when the inputs fit: the fix is the same)
    if (!inputsTooBig && source !== 'y' && k !== undefined && size.n * k > MAX_CPU_ARRAY_NUMBERS) {
      report(path, `expected model.outputDim × ${nName} ${withinBudget('labels')}; received ${formatCount(k)} × ${n} = ${formatCount(k * size.n)}`);
    }
  }
  const sizes = labelled.map((l) => ({ which: l.which, size: setSize(l.set) }));
  if (k !== undefined && E !== undefined && sizes.every((s) => s.size)) {
    const N = sizes.reduce((sum, s) => sum + s.size!.n, 0);
    const numbers = E * (N * k) ** 2;
    if (numbers > MAX_CPU_ARRAY_NUMBERS) {
      const largest = sizes.reduce((a, b) => (b.size!.n > a.size!.n ? b : a));
      const terms = sizes.map((s) => formatCount(s.size!.n)).join(' + ');
      const points = sizes.length > 1 ? `(${terms})` : terms;
      report(['data', largest.which, largest.size!.field], `expected model.ensemble × ((train + test points) × model.outputDim)² ${withinBudget('numbers')}: the empirical NTK on them is read back to the CPU; received ${E} × (${points} × ${k})² = ${formatCount(numbers)}`);
    }
  }
  if (target && targetUsers.length > 0 && d !== undefined && k !== undefined) checkTargetSize(target, d, k, report);
}

/** The weights a target draws on the CPU: the teacher's layers [d, m_1, …, m_L, k], one w per output otherwise. */
function checkTargetSize(target: Record<string, unknown>, d: number, k: number, report: Report): void {
  if (target.kind === 'single_index' || target.kind === 'quadratic') {
    if (d * k > MAX_CPU_ARRAY_NUMBERS) report(['data', 'target', 'kind'], `expected model.outputDim × model.inputDim ${withinBudget('weights')} for the ${quoted(target.kind)} target; received ${formatCount(k)} × ${formatCount(d)} = ${formatCount(k * d)}`);
    return;
  }
  if (target.kind !== 'teacher' || !Array.isArray(target.hidden) || !target.hidden.every(isCount)) return;
  const hidden = target.hidden as number[];
  const widths = [d, ...hidden, k];
  const names = ['model.inputDim', ...hidden.map((_, i) => `data.target.hidden[${i}]`), 'model.outputDim'];
  let total = 0;
  let reported = false;
  for (let l = 0; l + 1 < widths.length; l++) {
    const count = widths[l] * widths[l + 1];
    total += count;
    if (count > MAX_CPU_ARRAY_NUMBERS) {
      // layer l maps widths[l] → widths[l + 1]: blame the hidden width it involves (the readout's input for the last layer)
      const at: Path = hidden.length === 0 ? ['data', 'target', 'hidden'] : ['data', 'target', 'hidden', Math.min(l, hidden.length - 1)];
      report(at, `expected ${names[l + 1]} × ${names[l]} ${withinBudget('weights')} in teacher layer ${l}; received ${formatCount(widths[l + 1])} × ${formatCount(widths[l])} = ${formatCount(count)}`);
      reported = true;
    }
  }
  if (!reported && total > MAX_CPU_ARRAY_NUMBERS) {
    report(['data', 'target', 'hidden'], `expected the teacher's weights in all ${withinBudget('weights')}; received ${formatCount(total)} over ${plural(widths.length - 1, 'layer')}`);
  }
}

/**
 * What training needs beyond a valid spec (`widenet run`, the pages' Train button; `widenet ntk`
 * runs without labels): labels for data.train, its own y, its class labels or a data.target.
 */
export function checkTrainingLabels(spec: unknown, report: Report): void {
  if (!isRecord(spec) || !isRecord(spec.data) || !isRecord(spec.data.train)) return;
  const set = spec.data.train;
  if (labelSource(set, spec.data.target !== undefined) !== 'none') return;
  if (set.kind === 'points') {
    report(['data', 'train', 'y'], 'required field is missing for training; expected labels to train on: "y" with the points (one row per row of x), or a data.target to label them');
  } else {
    report(['data', 'target'], `required field is missing for training; expected a target to label the data.train inputs (${quoted(set.kind)} carries no labels), like {"kind": "teacher", "hidden": [4]}, or a two-class data kind (spirals, xor, circles)`);
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
