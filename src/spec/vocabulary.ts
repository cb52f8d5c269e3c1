// The spec's vocabularies (names of activations, parameterizations, data and target kinds, …)
// and the small predicates its checks read raw input with; schema.ts and data-checks.ts share them.
import { ACTIVATION_NAMES } from '../theory/activation-table';


export const ACTIVATIONS = ACTIVATION_NAMES;
export type ActivationName = (typeof ACTIVATIONS)[number];

/**
 * Yang & Hu's abc-parameterizations provided by nets/ (DESIGN.md §4), and the depth-µP of Tensor
 * Programs VI (arXiv:2310.02244), for residual networks only (model.residual).
 */
export const PARAMETERIZATIONS = ['standard', 'ntk', 'meanfield', 'mup', 'depth-mup'] as const;
export type Parameterization = (typeof PARAMETERIZATIONS)[number];
/** Parameterizations that need model.residual. */
export const RESIDUAL_ONLY_PARAMETERIZATIONS: readonly Parameterization[] = ['depth-mup'];

/**
 * The named branch multipliers β of model.residual (besides a number > 0): 1/√B (the default; the
 * stream variance stays O(1) in depth, Tensor Programs VI) and 1/B.
 */
export const BRANCH_MULTIPLIERS = ['1/sqrt(blocks)', '1/blocks'] as const;
export type BranchMultiplierName = (typeof BRANCH_MULTIPLIERS)[number];

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

/** "lstsq": the minimum-norm least-squares (ridge with train.weightDecay) solution in one step (dynamics/lstsq.ts). */
export const OPTIMIZERS = ['gd', 'sgd', 'lstsq'] as const;
export const LOSSES = ['mse', 'cross_entropy'] as const;
export const PROBES = ['train', 'test'] as const;

/** Largest ensemble (independent networks trained side by side). */
export const MAX_ENSEMBLE = 4096;

/** A field path in the raw input. */
export type Path = (string | number)[];
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

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
