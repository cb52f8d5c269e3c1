// A test set never repeats the train inputs by construction (data/datasets.ts: TEST_GRID_OFFSET), and
// the spec warning (spec/warnings.ts: sharedInputsWarning) counts the inputs they share anyway.
import { describe, expect, it } from 'vitest';
import { TEST_GRID_OFFSET, buildDataSet, generateClassification, generateInputs } from '../../src/data';
import { parseSpec, type ExperimentSpecInput } from '../../src/spec';
import { countSharedInputs, inputWarnings, sharedInputsWarning, specWarnings } from '../../src/spec/warnings';

const circleSet = (n: number, split: 'train' | 'test') => buildDataSet({ kind: 'circle', n }, { kind: 'sin' }, 2, 1, 0, split).x;

describe('test grids', () => {
  it('shifts the circle test grid by the irrational fraction (√5 − 1)/2 of a step, the train grid not at all', () => {
    expect(TEST_GRID_OFFSET).toBeCloseTo(0.6180339887498949, 15);
    const train = circleSet(8, 'train');
    const test = circleSet(8, 'test');
    train.forEach(([a, b], i) => {
      expect(a).toBe(Math.cos((2 * Math.PI * i) / 8));
      expect(b).toBe(Math.sin((2 * Math.PI * i) / 8));
    });
    test.forEach(([a, b], i) => {
      expect(a).toBe(Math.cos((2 * Math.PI * (i + TEST_GRID_OFFSET)) / 8));
      expect(b).toBe(Math.sin((2 * Math.PI * (i + TEST_GRID_OFFSET)) / 8));
    });
  });

  it('shares no point between a train and a test circle of any sizes (the shipped 32/128 included), where the unshifted grids share gcd(n, n*)', () => {
    for (const [n, nt] of [[8, 8], [32, 128], [16, 8], [6, 10], [12, 64], [5, 16]]) {
      expect(countSharedInputs(circleSet(n, 'train'), circleSet(nt, 'test')), `train ${n}, test ${nt}`).toBe(0);
      // the old construction (both unshifted) shared gcd(n, n*) angles: every train angle when n divides n*
      const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
      expect(countSharedInputs(generateInputs('circle', n, 2, 0), generateInputs('circle', nt, 2, 0))).toBe(gcd(n, nt));
    }
  });

  it('shifts the deterministic two-class grids (circles, spirals) too; the random kinds use their own stream', () => {
    for (const kind of ['circles', 'spirals'] as const) {
      const train = generateClassification(kind, 16, 0).x;
      const test = generateClassification(kind, 16, 0, 0, TEST_GRID_OFFSET).x;
      expect(countSharedInputs(train, test), kind).toBe(0);
      expect(countSharedInputs(generateClassification(kind, 18, 0).x, generateClassification(kind, 8, 0).x), `${kind} unshifted`).toBeGreaterThan(0);
      const built = buildDataSet({ kind, n: 16 }, undefined, 2, 2, 0, 'test').x;
      expect(built).toEqual(test);
    }
    for (const kind of ['xor', 'sphere', 'gaussian'] as const) {
      const d = kind === 'xor' ? 2 : 3;
      const train = buildDataSet({ kind, n: 32 }, undefined, d, kind === 'xor' ? 2 : 1, 0, 'train').x;
      const test = buildDataSet({ kind, n: 32 }, undefined, d, kind === 'xor' ? 2 : 1, 0, 'test').x;
      expect(countSharedInputs(train, test), kind).toBe(0);
    }
  });

  it('refuses a grid offset outside [0, 1)', () => {
    expect(() => generateInputs('circle', 4, 2, 0, 0, undefined, 1)).toThrow('expected a grid offset: a fraction of a step in [0, 1); received 1');
    expect(() => generateClassification('circles', 4, 0, 0, -0.5)).toThrow('received -0.5');
  });
});

describe('sharedInputsWarning', () => {
  it('counts the test inputs that are train inputs, within float rounding, and is silent without any', () => {
    const train = [[1, 0], [0, 1], [-1, 0]];
    expect(countSharedInputs(train, [[1, 0], [0.5, 0.5], [-1, 1e-12], [0, 1 + 1e-6]])).toBe(2);
    expect(sharedInputsWarning(train, [[1, 0], [0.5, 0.5]])).toBe('1 of the 2 data.test inputs is also a train input: the test loss is then partly a train loss (the generalization gap shrinks toward 0); give data.test inputs that the train set does not contain');
    expect(sharedInputsWarning(train, train)).toMatch(/^3 of the 3 data\.test inputs are also train inputs/);
    expect(sharedInputsWarning(train, [[0.5, 0.5]])).toBeNull();
    expect(sharedInputsWarning(train, null)).toBeNull();
  });

  it('is among a spec\'s warnings for "points" sets that overlap, and absent for circle sets of equal n (the hostile spec)', () => {
    const base = { model: { inputDim: 2, hidden: [8] }, train: { steps: 1 } };
    const overlapping = parseSpec({ ...base, data: { train: { kind: 'points', x: [[1, 0], [0, 1]], y: [[1], [0]] }, test: { kind: 'points', x: [[1, 0], [0.5, 0.5]], y: [[1], [0]] } } });
    expect(specWarnings(overlapping)).toEqual([expect.stringMatching(/^1 of the 2 data\.test inputs is also a train input/)]);
    const circles = parseSpec({ ...base, data: { train: { kind: 'circle', n: 8 }, test: { kind: 'circle', n: 8 }, target: { kind: 'sin' } } });
    expect(specWarnings(circles)).toEqual([]);
  });

  it('reaches the demo pages through inputWarnings (the pages\' unparsed settings); settings that do not parse still get the α line', () => {
    const base = { model: { inputDim: 2, hidden: [8], alpha: 4 }, train: { steps: 1 } };
    const input: ExperimentSpecInput = { ...base, data: { train: { kind: 'points', x: [[1, 0], [0, 1]], y: [[1], [0]] }, test: { kind: 'points', x: [[1, 0], [0.5, 0.5]], y: [[1], [0]] } } };
    expect(inputWarnings(input)).toEqual([expect.stringMatching(/^model\.alpha = 4 > 1/), expect.stringMatching(/^1 of the 2 data\.test inputs is also a train input/)]);
    expect(inputWarnings(input)).toEqual(specWarnings(parseSpec(input)));
    expect(inputWarnings({ ...input, model: { ...base.model, hidden: [-1] } })).toEqual([expect.stringMatching(/^model\.alpha = 4 > 1/)]);
  });
});
