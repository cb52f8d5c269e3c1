// Issue 10: what src/data would refuse at run time (DataError, one at a time, exit 1) or run out
// of memory on is refused at validation instead, every problem by field path (SpecError, exit 2):
// labels for cross-entropy, two-class kinds, targets and dimensions, labels for training, CPU
// sizes, duplicate JSON fields and duplicate sweep widths, the sphere's radius.
import { describe, it, expect } from 'vitest';
import { SpecError, MAX_CPU_ARRAY_NUMBERS as SPEC_BUDGET, findDuplicateKeys, parseSpec, parseSpecText, safeParseSpec, validateForTraining, type ExperimentSpecInput } from '../../src/spec/index';
import { DataError, MAX_CPU_ARRAY_NUMBERS, buildDataSet } from '../../src/data/index';

/** The issue's example: base = {"model":{"inputDim":2,"hidden":[16]},"data":{"train":{"kind":"circle","n":8},"target":{"kind":"sin"}},"train":{"steps":4}}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const base = (): any => ({ model: { inputDim: 2, hidden: [16] }, data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin' } }, train: { steps: 4 } });

function problems(input: unknown, options?: { training?: boolean }): string[] {
  const result = safeParseSpec(input, options);
  if (result.ok) throw new Error(`expected the spec to be refused: ${JSON.stringify(input)}`);
  return result.issues.map((i) => `${i.path || '(spec)'}: ${i.message}`);
}
const paths = (input: unknown, options?: { training?: boolean }) => {
  const result = safeParseSpec(input, options);
  return result.ok ? [] : result.issues.map((i) => i.path);
};

describe('cross-entropy needs ±1 labels (one output) or one-hot rows (k > 1)', () => {
  it('refuses a real-valued generated target (the issue: teacher, outputDim 2, a negative loss)', () => {
    const spec = base();
    spec.model.outputDim = 2;
    spec.data.target = { kind: 'teacher', hidden: [4] };
    spec.train.loss = 'cross_entropy';
    expect(problems(spec)).toEqual([
      'data.target.kind: expected classification labels for train.loss "cross_entropy" (±1 for one output, one-hot rows for more: a two-class data kind spirals, xor or circles, or points with such y; or train.loss "mse"); received "teacher", a real-valued target, labelling data.train',
    ]);
    // every target kind is real-valued; with mse the same spec is fine
    for (const target of [{ kind: 'single_index' }, { kind: 'quadratic' }, { kind: 'sin' }]) {
      expect(paths({ ...base(), data: { train: { kind: 'circle', n: 8 }, target }, train: { loss: 'cross_entropy' } })).toEqual(['data.target.kind']);
    }
    spec.train.loss = 'mse';
    expect(safeParseSpec(spec).ok).toBe(true);
  });

  it('checks explicit y row by row, in train and test', () => {
    const x = [[1, 0], [0, 1], [1, 1], [2, 2]];
    const spec = { model: { inputDim: 2, hidden: [8] }, data: { train: { kind: 'points', x, y: [[1], [-1], [1], [0]] }, test: { kind: 'points', x, y: [[0.5], [1], [-1], [1]] } }, train: { loss: 'cross_entropy' } };
    expect(problems(spec)).toEqual([
      'data.train.y[3]: expected a label −1 or 1 (train.loss "cross_entropy" with one output is the logistic loss log(1 + e^{−y·f}); write class 0 as −1); received [0]',
      'data.test.y[0]: expected a label −1 or 1 (train.loss "cross_entropy" with one output is the logistic loss log(1 + e^{−y·f})); received [0.5]',
    ]);
    const oneHot = { model: { inputDim: 2, hidden: [8], outputDim: 3 }, data: { train: { kind: 'points', x, y: [[1, 0, 0], [0, 0, 1], [0.2, 0.8, 0], [1, 1, 0]] } }, train: { loss: 'cross_entropy' } };
    expect(paths(oneHot)).toEqual(['data.train.y[2]', 'data.train.y[3]']);
    expect(problems(oneHot)[0]).toBe('data.train.y[2]: expected a one-hot row: 3 numbers, one 1 and the rest 0 (train.loss "cross_entropy" with model.outputDim = 3 is the softmax cross-entropy); received [0.2,0.8,0]');
  });

  it('accepts ±1 labels, one-hot rows and the two-class kinds', () => {
    const x = [[1, 0], [0, 1]];
    expect(safeParseSpec({ model: { inputDim: 2, hidden: [8] }, data: { train: { kind: 'points', x, y: [[1], [-1]] } }, train: { loss: 'cross_entropy' } }).ok).toBe(true);
    expect(safeParseSpec({ model: { inputDim: 2, hidden: [8], outputDim: 2 }, data: { train: { kind: 'points', x, y: [[0, 1], [1, 0]] } }, train: { loss: 'cross_entropy' } }).ok).toBe(true);
    for (const outputDim of [1, 2]) {
      expect(safeParseSpec({ model: { inputDim: 2, hidden: [8], outputDim }, data: { train: { kind: 'xor', n: 8 }, test: { kind: 'spirals', n: 8 } }, train: { loss: 'cross_entropy' } }).ok).toBe(true);
    }
  });
});

describe('what src/data refuses is refused at validation, by path', () => {
  // Each case: a spec that validation must refuse at `path`, and that buildDataSet refuses at run time.
  const cases: { what: string; spec: ExperimentSpecInput; path: string }[] = [
    { what: 'xor with a target', spec: { ...base(), data: { train: { kind: 'xor', n: 8 }, target: { kind: 'sin' } } }, path: 'data.target' },
    { what: 'xor with outputDim 3', spec: { ...base(), model: { inputDim: 2, hidden: [16], outputDim: 3 }, data: { train: { kind: 'xor', n: 8 } } }, path: 'model.outputDim' },
    { what: 'a two-class test set with a target', spec: { ...base(), data: { train: { kind: 'circle', n: 8 }, test: { kind: 'circles', n: 8 }, target: { kind: 'sin' } } }, path: 'data.target' },
    { what: 'the quadratic target in one dimension', spec: { model: { inputDim: 1, hidden: [8] }, data: { train: { kind: 'gaussian', n: 4 }, target: { kind: 'quadratic' } } }, path: 'data.target.kind' },
    { what: 'sin off the plane', spec: { model: { inputDim: 3, hidden: [8] }, data: { train: { kind: 'sphere', n: 4 }, target: { kind: 'sin' } } }, path: 'data.target.kind' },
    { what: 'cos with two outputs', spec: { model: { inputDim: 2, hidden: [8], outputDim: 2 }, data: { train: { kind: 'circle', n: 4 }, target: { kind: 'cos' } } }, path: 'data.target.kind' },
  ];
  for (const { what, spec, path } of cases) {
    it(what, () => {
      expect(paths(spec)).toContain(path);
      // the run-time check is still there behind it
      const m = { inputDim: 2, outputDim: 1, ...(spec.model as object) } as { inputDim: number; outputDim: number };
      const d = spec.data as { train: never; test?: never; target?: never };
      expect(() => {
        buildDataSet(d.train, d.target, m.inputDim, m.outputDim, 0);
        if (d.test) buildDataSet(d.test, d.target, m.inputDim, m.outputDim, 0, 'test');
      }).toThrow(DataError);
    });
  }

  it('lists them all at once with the other problems (exit code 2)', () => {
    const spec = { model: { inputDim: 2, hidden: [16], outputDim: 3, activation: 'swish' }, data: { train: { kind: 'xor', n: 8 }, target: { kind: 'sin' } } };
    const err = (() => {
      try {
        parseSpec(spec, 'x.json');
      } catch (e) {
        return e as SpecError;
      }
    })();
    expect(err).toBeInstanceOf(SpecError);
    expect(err!.exitCode).toBe(2);
    expect(err!.issues.map((i) => i.path)).toEqual(['model.activation', 'data.target', 'model.outputDim']);
  });

  it('an unused target is not judged against the dimensions', () => {
    // the points carry their own y: the (1-D) quadratic target labels nothing
    expect(safeParseSpec({ model: { inputDim: 1, hidden: [8] }, data: { train: { kind: 'points', x: [[1]], y: [[1]] }, target: { kind: 'quadratic' } } }).ok).toBe(true);
  });
});

describe('labels for training: validateForTraining / { training: true }', () => {
  const unlabelled = () => ({ model: { inputDim: 2, hidden: [16] }, data: { train: { kind: 'circle', n: 8 } } });

  it('a spec without labels is valid (widenet ntk needs none) but not for training', () => {
    const spec = parseSpec(unlabelled());
    expect(validateForTraining(spec)).toEqual([
      {
        path: 'data.target',
        message: 'required field is missing for training; expected a target to label the data.train inputs ("circle" carries no labels), like {"kind": "teacher", "hidden": [4]}, or a two-class data kind (spirals, xor, circles)',
      },
    ]);
    expect(paths(unlabelled(), { training: true })).toEqual(['data.target']);
    expect(() => parseSpec(unlabelled(), 'run.json', { training: true })).toThrow(SpecError);
    expect(() => parseSpecText(JSON.stringify(unlabelled()), 'run.json', { training: true })).toThrow(/data\.target: required field is missing for training/);
    expect(paths({ model: { inputDim: 2, hidden: [16] }, data: { train: { kind: 'points', x: [[1, 0]] } } }, { training: true })).toEqual(['data.train.y']);
  });

  it('labels from y, a target or the class labels are enough', () => {
    for (const data of [
      { train: { kind: 'points', x: [[1, 0]], y: [[1]] } },
      { train: { kind: 'points', x: [[1, 0]] }, target: { kind: 'sin' } },
      { train: { kind: 'circle', n: 4 }, target: { kind: 'sin' } },
      { train: { kind: 'spirals', n: 4 } },
      { train: { kind: 'spirals', n: 4 }, test: { kind: 'circle', n: 4 } }, // an unlabelled test set only has no test loss
    ]) {
      expect(validateForTraining(parseSpec({ model: { inputDim: 2, hidden: [16] }, data }, 'spec', { training: true }))).toEqual([]);
    }
  });

  it('comes with the schema problems in one list', () => {
    expect(paths({ ...unlabelled(), train: { lr: -1 } }, { training: true })).toEqual(['train.lr', 'data.target']);
  });
});

describe('sizes of what the CPU builds, against MAX_CPU_ARRAY_NUMBERS = 2^27', () => {
  it('is one constant, 2^27 float64 numbers (1 GiB)', () => {
    expect(MAX_CPU_ARRAY_NUMBERS).toBe(2 ** 27);
    expect(SPEC_BUDGET).toBe(MAX_CPU_ARRAY_NUMBERS);
  });

  it('n = 1e9 points', () => {
    const spec = base();
    spec.data.train.n = 1e9;
    expect(problems(spec)).toEqual([
      'data.train.n: expected model.inputDim × data.train.n ≤ 2^27 = 134217728 input numbers (the CPU budget per array: 1 GiB of float64); received 2 × 1e9 = 2e9',
      'data.train.n: expected model.ensemble × ((train + test points) × model.outputDim)² ≤ 2^27 = 134217728 numbers (the CPU budget per array: 1 GiB of float64): the empirical NTK on them is read back to the CPU; received 1 × (1e9 × 1)² = 1e18',
    ]);
  });

  it('a teacher with hidden [1e9], at the width', () => {
    const spec = base();
    spec.data.target = { kind: 'teacher', hidden: [4, 1e9] };
    expect(problems(spec)).toEqual([
      'data.target.hidden[1]: expected data.target.hidden[1] × data.target.hidden[0] ≤ 2^27 = 134217728 weights (the CPU budget per array: 1 GiB of float64) in teacher layer 1; received 1e9 × 4 = 4e9',
      'data.target.hidden[1]: expected model.outputDim × data.target.hidden[1] ≤ 2^27 = 134217728 weights (the CPU budget per array: 1 GiB of float64) in teacher layer 2; received 1 × 1e9 = 1e9',
    ]);
    // within the budget it passes: 2 × 2^25 + 2^25 weights
    expect(safeParseSpec({ ...base(), data: { ...base().data, target: { kind: 'teacher', hidden: [2 ** 25] } } }).ok).toBe(true);
    expect(paths({ ...base(), data: { ...base().data, target: { kind: 'teacher', hidden: [2 ** 26 + 1] } } })).toEqual(['data.target.hidden[0]']);
    // many layers within the budget each, too many in all
    expect(paths({ ...base(), data: { ...base().data, target: { kind: 'teacher', hidden: [8192, 8192, 8192] } } })).toEqual(['data.target.hidden']);
  });

  it('a wide sphere: model.inputDim × data.train.n', () => {
    const spec = { model: { inputDim: 200_000, hidden: [16] }, data: { train: { kind: 'sphere', n: 1000 }, target: { kind: 'single_index' } } };
    expect(problems(spec)).toEqual([
      'data.train.n: expected model.inputDim × data.train.n ≤ 2^27 = 134217728 input numbers (the CPU budget per array: 1 GiB of float64); received 200000 × 1000 = 2e8',
    ]);
    expect(safeParseSpec({ ...spec, data: { ...spec.data, train: { kind: 'sphere', n: 600 } } }).ok).toBe(true);
  });

  it('the empirical NTK on train and test points, per ensemble', () => {
    const spec = { model: { inputDim: 2, hidden: [16], ensemble: 8 }, data: { train: { kind: 'circle', n: 3000 }, test: { kind: 'circle', n: 2000 }, target: { kind: 'sin' } } };
    expect(problems(spec)).toEqual([
      'data.train.n: expected model.ensemble × ((train + test points) × model.outputDim)² ≤ 2^27 = 134217728 numbers (the CPU budget per array: 1 GiB of float64): the empirical NTK on them is read back to the CPU; received 8 × ((3000 + 2000) × 1)² = 2e8',
    ]);
    expect(safeParseSpec({ ...spec, model: { ...spec.model, ensemble: 4 } }).ok).toBe(true);
  });

  it('the safety nets in src/data refuse before allocating', () => {
    expect(() => buildDataSet({ kind: 'circle', n: 1e9 }, undefined, 2, 1, 0)).toThrow(/expected n × inputDim ≤ 2\^27 = 134217728 input numbers .*received 1e9 × 2 = 2e9/);
    expect(() => buildDataSet({ kind: 'circle', n: 4 }, { kind: 'teacher', hidden: [1e9] }, 2, 1, 0)).toThrow(/teacher layer 0: expected fan-out × fan-in ≤ 2\^27/);
  });
});

describe('duplicates', () => {
  it('duplicate JSON fields, with their line and column, listed with the other problems', () => {
    const text = ['{', '  "model": { "inputDim": 2, "hidden": [8],', '             "hidden": [16], "activation": "swish" },', '  "data": { "train": { "kind": "circle", "n": 4 } },', '  "seed": 1, "seed": 2', '}'].join('\n');
    let err: SpecError | undefined;
    try {
      parseSpecText(text, 'dup.json');
    } catch (e) {
      err = e as SpecError;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect(err!.issues.slice(0, 2)).toEqual([
      { path: 'model.hidden', message: 'duplicate field at line 3, column 14 (first at line 2, column 29); expected each field once (JSON keeps only the last value)', line: 3, column: 14 },
      { path: 'seed', message: 'duplicate field at line 5, column 14 (first at line 5, column 3); expected each field once (JSON keeps only the last value)', line: 5, column: 14 },
    ]);
    expect(err!.issues.map((i) => i.path)).toEqual(['model.hidden', 'seed', 'model.activation']);
    expect(err!.message).toMatch(/^invalid experiment spec \(dup\.json\): 3 problems\n {2}model\.hidden: duplicate field at line 3, column 14/);
  });

  it('finds duplicates inside arrays and nested objects, and none in distinct keys', () => {
    expect(findDuplicateKeys('{"a": [{"b": 1}, {"b": 1, "c": {"d": 0, "d": 1}}], "a\\u0062": 0, "ab": 1}').map((d) => d.path)).toEqual([
      ['a', 1, 'c', 'd'],
      ['ab'], // "a\u0062" is "ab": the same key written differently
    ]);
    expect(findDuplicateKeys('{"a": {"x": 1}, "b": {"x": 1}}')).toEqual([]);
  });

  it('refuses nesting no spec has instead of overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseSpecText(deep)).toThrow(/nested deeper than 256 levels/);
  });

  it('duplicate widths in a sweep (their slopes would be null)', () => {
    expect(problems({ ...base(), model: { inputDim: 2, hidden: [[64], [256], [64]] } })).toEqual([
      'model.hidden[2]: expected distinct width lists in a sweep (the summary fits slopes against width); received [64], a duplicate of model.hidden[0]',
    ]);
    expect(paths({ model: { inputDim: 2 }, data: base().data, sweep: { hidden: [[64, 64], [64, 64]] } })).toEqual(['sweep.hidden[1]']);
  });
});

describe('the sphere radius', () => {
  it('defaults to √d, filled in the parsed spec; an explicit radius stays', () => {
    const spec = parseSpec({ model: { inputDim: 9, hidden: [8] }, data: { train: { kind: 'sphere', n: 4 }, test: { kind: 'sphere', n: 4, radius: 1 } } });
    expect(spec.data.train).toEqual({ kind: 'sphere', n: 4, radius: 3 });
    expect(spec.data.test).toEqual({ kind: 'sphere', n: 4, radius: 1 });
    // a resolved spec parses to itself
    expect(parseSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it('refuses a radius ≤ 0 and a radius on other kinds', () => {
    expect(problems({ model: { inputDim: 3, hidden: [8] }, data: { train: { kind: 'sphere', n: 4, radius: 0 } } })).toEqual([
      'data.train.radius: expected a sphere radius: a number > 0 (default √model.inputDim); received 0',
    ]);
    expect(paths({ model: { inputDim: 3, hidden: [8] }, data: { train: { kind: 'gaussian', n: 4, radius: 2 } } })).toEqual(['data.train.radius']);
  });

  it('refuses inputs beyond float32 range (they would be ±Infinity on the GPU, and the targets NaN)', () => {
    expect(problems({ model: { inputDim: 2, hidden: [8] }, data: { train: { kind: 'points', x: [[1e200, 0]] }, target: { kind: 'quadratic' } } })).toEqual([
      'data.train.x[0][0]: expected a finite number within float32 range (|v| ≤ 3.4e38); received 1e+200',
    ]);
  });
});
