// Data sets for an experiment: inputs x (n × inputDim) and labels y (n × outputDim, or null).
// Seeds: the inputs of the train split come from `seed`, those of the test split from
// deriveSeed(seed, STREAM.test); the target is drawn from `seed` for both splits (same function).
import type { DataSetSpec, TargetSpec } from '../spec/schema';
import { DATA_KINDS } from '../spec/schema';
import { TEST_GRID_OFFSET, generateClassification, generateInputs, isClassificationKind } from './datasets';
import { DataError } from './errors';
import { STREAM, deriveSeed } from './rng';
import { makeTarget } from './targets';

export { Rng, deriveSeed, STREAM } from './rng';
export { DataError } from './errors';
export { generateInputs, generateClassification, defaultSphereRadius, TEST_GRID_OFFSET, CLASSIFICATION_KINDS, isClassificationKind, type ClassificationKind } from './datasets';
export { MAX_CPU_ARRAY_NUMBERS, FLOAT32_MAX } from './limits';
export { makeTarget, activationRms, quadraticTargetMatrices, DEFAULT_TARGET_ACTIVATION, type Target } from './targets';

export interface DataSet {
  x: number[][];
  y: number[][] | null;
}

/** Class labels 0/1 as targets: outputDim 1 gives ±1 (class 0 → −1, class 1 → +1); outputDim 2 gives one-hot rows. */
export function encodeLabels(labels: readonly number[], outputDim: number): number[][] {
  if (outputDim === 1) return labels.map((c) => [c === 1 ? 1 : -1]);
  if (outputDim === 2) return labels.map((c) => (c === 1 ? [0, 1] : [1, 0]));
  throw new DataError(`a two-class data set needs outputDim = 1 (±1 labels) or 2 (one-hot labels); received outputDim = ${outputDim}`);
}

function checkRows(what: string, rows: readonly (readonly number[])[], cols: number, colsName: string): void {
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new DataError(`${what} row ${i}: expected ${cols} numbers (${colsName} = ${cols}); received ${row.length}`);
  });
}

/**
 * Builds one data set. "points": x and y as given (copied); without y, the target labels x.
 * circle / sphere / gaussian: generated x, labelled by the target (y = null without one).
 * spirals / xor / circles: generated x with their own class labels (see encodeLabels); a
 * target is refused for them (it would be ambiguous which labels win).
 */
export function buildDataSet(
  dataSetSpec: DataSetSpec,
  targetSpec: TargetSpec | undefined,
  inputDim: number,
  outputDim: number,
  seed: number,
  split: 'train' | 'test' = 'train',
): DataSet {
  const inputSeed = split === 'test' ? deriveSeed(seed, STREAM.test) : seed;
  // a test set's deterministic grid is shifted off every train grid (datasets.ts: TEST_GRID_OFFSET)
  const gridOffset = split === 'test' ? TEST_GRID_OFFSET : 0;
  const label = (x: number[][]): number[][] | null => {
    if (!targetSpec) return null;
    const f = makeTarget(targetSpec, inputDim, outputDim, seed);
    const y = x.map((row) => f(row));
    // Safety net: the spec's checks keep inputs within float32 range, so a target is finite there.
    const bad = y.findIndex((row) => !row.every(Number.isFinite));
    if (bad >= 0) throw new DataError(`the "${targetSpec.kind}" target is not finite at ${split} point ${bad} (x = [${x[bad].slice(0, 4).join(', ')}${x[bad].length > 4 ? ', …' : ''}]); expected finite labels`);
    return y;
  };
  const kind = (dataSetSpec as { kind: unknown }).kind;
  if (dataSetSpec.kind === 'points') {
    checkRows('points x', dataSetSpec.x, inputDim, 'inputDim');
    const x = dataSetSpec.x.map((row) => row.slice());
    if (dataSetSpec.y === undefined) return { x, y: label(x) };
    if (dataSetSpec.y.length !== x.length) throw new DataError(`points y: expected ${x.length} rows (one per row of x); received ${dataSetSpec.y.length}`);
    checkRows('points y', dataSetSpec.y, outputDim, 'outputDim');
    return { x, y: dataSetSpec.y.map((row) => row.slice()) };
  }
  if (typeof kind !== 'string' || !(DATA_KINDS as readonly string[]).includes(kind)) {
    throw new DataError(`unknown data kind ${JSON.stringify(kind)}; expected one of: ${DATA_KINDS.join(', ')}`);
  }
  const { n, noise } = dataSetSpec;
  if (isClassificationKind(dataSetSpec.kind)) {
    if (inputDim !== 2) throw new DataError(`data kind "${dataSetSpec.kind}" is planar: expected inputDim = 2; received inputDim = ${inputDim}`);
    if (targetSpec) {
      throw new DataError(`data kind "${dataSetSpec.kind}" carries its own class labels: expected no data.target; received a "${targetSpec.kind}" target (use "circle", "sphere" or "gaussian" to label inputs with a target)`);
    }
    const { x, labels } = generateClassification(dataSetSpec.kind, n, inputSeed, noise ?? 0, gridOffset);
    return { x, y: encodeLabels(labels, outputDim) };
  }
  const radius = dataSetSpec.kind === 'sphere' ? dataSetSpec.radius : undefined;
  const x = generateInputs(dataSetSpec.kind, n, inputDim, inputSeed, noise ?? 0, radius, gridOffset);
  return { x, y: label(x) };
}
