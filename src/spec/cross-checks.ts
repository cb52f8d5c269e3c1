// Cross-field checks of the spec: they run even when other fields failed (`when: () => true`), so
// they read the half-parsed value defensively and only judge what is well-formed; then the
// labels, targets and CPU sizes (data-checks.ts).
import type { z } from 'zod';
import { checkLabelsAndSizes } from './data-checks';
import { checkLeastSquares } from './lstsq-checks';
import { checkParticles } from './particles-checks';
import { checkFrozenLayers } from './frozen-checks';
import { checkResidualModel, residualReadoutIndex } from './residual-checks';
import { GENERATED_KINDS, PLANAR_KINDS, formatPath, isCount, isRecord, plural, type GeneratedKind, type Path } from './vocabulary';

type Ctx = z.core.$RefinementCtx<unknown>;

const isWidthList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every(isCount);

function issue(ctx: Ctx, path: Path, message: string) {
  ctx.addIssue({ code: 'custom', path, message });
}

export function crossCheck(spec: unknown, ctx: Ctx): void {
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
  if (model && !hasHidden && sweep?.hidden === undefined) {
    issue(ctx, ['model', 'hidden'], 'required field is missing; expected a width list like [4096], a width sweep like [[256], [1024]], or a top-level sweep block {"hidden": [[256], [1024]]}');
  }
  if (hasHidden && sweep?.hidden !== undefined) {
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

  // Frozen layers must exist: dense layers 0 (input) … L (readout); a residual model's readout is B + 1.
  const readout = residualReadoutIndex(model) ?? depth;
  if (model && readout !== undefined && Array.isArray(model.frozen)) {
    model.frozen.forEach((index, i) => {
      if (typeof index === 'number' && Number.isSafeInteger(index) && index > readout) {
        issue(ctx, ['model', 'frozen', i], `expected a layer index from 0 to ${readout} (0 = input layer, ${readout} = readout); received ${index}`);
      }
    });
  }
  checkFrozenLayers(model, readout, (path, message) => issue(ctx, path, message));
  checkResidualModel(spec, (path, message) => issue(ctx, path, message));
  checkParticles(spec, depth, (path, message) => issue(ctx, path, message));

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

  // train.compare trains the random-features model by freezing layers itself; the network it compares with is the full one
  if (train?.compare === true && model && Array.isArray(model.frozen) && model.frozen.length > 0) {
    issue(ctx, ['model', 'frozen'], `expected no frozen layers with train.compare (the comparison's random features freeze every layer but the readout, beside the full network); received ${JSON.stringify(model.frozen)}`);
  }
  // the layers below the readout: L, or B + 1 for a residual model
  checkLeastSquares(spec, readout, (path, message) => issue(ctx, path, message));

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
