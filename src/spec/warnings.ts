// Spec warnings: settings that are valid but probably not what the user meant. Shared by the
// command line (printed on stderr) and the demo pages (shown beside the controls).
import { specData } from './resolve';
import type { ExperimentSpec, ExperimentSpecInput } from './schema';
import { parseSpec } from './validate';

/**
 * α ≫ 1 without centring is not lazy training: the model α·f(θ) starts at α·f(θ₀), a function of
 * size O(α) at initialisation, so the loss (divided by α²) is dominated by fitting away that
 * offset. Chizat, Oyallon & Bach (arXiv:1812.07956) centre the model, α·(f(θ) − f(θ₀)), to get
 * the kernel regime as α → ∞. Returns the warning, or null when there is nothing to say.
 */
export function alphaWarning(spec: { model: Partial<Pick<ExperimentSpec['model'], 'alpha' | 'centered'>> }): string | null {
  // the schema's defaults, so that an unparsed page spec reads the same
  const { alpha = 1, centered = false } = spec.model;
  if (!(alpha > 1) || centered) return null;
  return `model.alpha = ${alpha} > 1 with "centered": false is not lazy training: the model α·f(θ) is ${alpha} times the network's output already at initialisation; set "centered": true in model to train α·(f(θ) − f(θ₀))`;
}

/** Two inputs count as the same point when every coordinate agrees to this (relative to max(1, |x|)): float rounding of one grid computed two ways. */
export const SHARED_INPUT_TOLERANCE = 1e-9;

/**
 * How many test inputs coincide with a train input (within SHARED_INPUT_TOLERANCE per coordinate).
 * Sorted by the first coordinate, each test point is compared with the train points in its window:
 * O((n + n*)·log n) for distinct first coordinates.
 */
export function countSharedInputs(train: readonly (readonly number[])[], test: readonly (readonly number[])[]): number {
  const close = (a: number, b: number) => Math.abs(a - b) <= SHARED_INPUT_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
  const order = train.map((_, i) => i).sort((a, b) => train[a][0] - train[b][0]);
  const first = order.map((i) => train[i][0]);
  let shared = 0;
  for (const p of test) {
    const lo = p[0] - SHARED_INPUT_TOLERANCE * Math.max(1, Math.abs(p[0])) * 2;
    let a = 0;
    let b = first.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (first[mid] < lo) a = mid + 1;
      else b = mid;
    }
    for (let j = a; j < first.length && first[j] <= p[0] + (p[0] - lo); j++) {
      const q = train[order[j]];
      if (q.length === p.length && q.every((v, c) => close(v, p[c]))) {
        shared++;
        break;
      }
    }
  }
  return shared;
}

/**
 * A test set that repeats train inputs measures part train loss: testLoss − trainLoss (the
 * generalization gap) shrinks toward 0 by construction. The generated grids never do this
 * (data/datasets.ts shifts a test grid by TEST_GRID_OFFSET), but "points" sets, or noise-free
 * copies, can. Returns the warning, or null when no test input is a train input.
 */
export function sharedInputsWarning(train: readonly (readonly number[])[], test: readonly (readonly number[])[] | null): string | null {
  if (!test || test.length === 0) return null;
  const shared = countSharedInputs(train, test);
  if (shared === 0) return null;
  return `${shared} of the ${test.length} data.test inputs ${shared === 1 ? 'is also a train input' : 'are also train inputs'}: the test loss is then partly a train loss (the generalization gap shrinks toward 0); give data.test inputs that the train set does not contain`;
}

/** Every warning of a spec (one line each): alphaWarning, and sharedInputsWarning on its train and test sets. */
export function specWarnings(spec: ExperimentSpec): string[] {
  let shared: string | null = null;
  try {
    const { train, test } = specData(spec);
    shared = sharedInputsWarning(train.x, test?.x ?? null);
  } catch {
    // data that cannot be built is the command's own error to report, not a warning
  }
  return [alphaWarning(spec), shared].filter((w): w is string => w !== null);
}

/**
 * The warnings of a spec not yet validated (a demo page's settings): specWarnings of the parsed
 * spec, so the pages say what the command line says; a spec that does not parse gives only
 * alphaWarning's line (the page reports the parse error itself, where it builds the network).
 */
export function inputWarnings(input: ExperimentSpecInput): string[] {
  let spec: ExperimentSpec;
  try {
    spec = parseSpec(input, 'page settings');
  } catch {
    return [alphaWarning(input)].filter((w): w is string => w !== null);
  }
  return specWarnings(spec);
}
