// The experiment spec (DESIGN.md §5): defaults, the design's example, width sweeps, and the
// error report (every problem, by path, with what was expected and what was received).

import { describe, it, expect } from 'vitest';
import {
  ACTIVATIONS,
  SpecError,
  formatPath,
  isWidthSweep,
  locateJsonError,
  parseSpec,
  parseSpecText,
  safeParseSpec,
  specWidths,
  type ExperimentSpec,
  type ExperimentSpecInput,
} from '../../src/spec/index';
import { THEORY_ACTIVATIONS } from '../../src/theory/activations';
import { ACTIVATION_NAMES } from '../../src/kernels/activations';

const minimal = (): ExperimentSpecInput => ({
  model: { inputDim: 2, hidden: [4096] },
  data: { train: { kind: 'circle', n: 64 } },
});

/** The issues of an invalid spec, as `path: message` lines (fails the test if the spec is valid). */
function problems(input: unknown): string[] {
  const result = safeParseSpec(input);
  if (result.ok) throw new Error(`expected the spec to be refused: ${JSON.stringify(input)}`);
  return result.issues.map((i) => `${i.path || '(spec)'}: ${i.message}`);
}

/** The issue paths of an invalid spec. */
const paths = (input: unknown) => {
  const result = safeParseSpec(input);
  return result.ok ? [] : result.issues.map((i) => i.path);
};

/** Catches the SpecError thrown by fn. */
function specError(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return e as SpecError;
  }
  throw new Error('expected a SpecError');
}

describe('valid specs', () => {
  it('a minimal spec gets every default', () => {
    const spec: ExperimentSpec = parseSpec(minimal());
    expect(spec).toEqual({
      seed: 0,
      model: {
        inputDim: 2,
        hidden: [4096],
        outputDim: 1,
        activation: 'relu',
        parameterization: 'ntk',
        weightStd: 1,
        biasStd: 0,
        alpha: 1,
        centered: false,
        ensemble: 1,
        frozen: [],
      },
      data: { train: { kind: 'circle', n: 64 } },
      train: { optimizer: 'gd', lr: 1, steps: 1000, batchSize: null, momentum: 0, loss: 'mse', recordEvery: 10, linearized: false, quadratic: false, compare: false, weightDecay: 0 },
      observe: { probe: 'train', spectrum: 5, particles: 0 },
    });
    expect(specWidths(spec)).toEqual([[4096]]);
    expect(isWidthSweep(spec)).toBe(false);
  });

  it('defaults are fresh objects: two parses share nothing', () => {
    const a = parseSpec(minimal());
    const b = parseSpec(minimal());
    a.model.frozen.push(0);
    expect(b.model.frozen).toEqual([]);
    expect(a.train).not.toBe(b.train);
  });

  it('the DESIGN.md §5 example parses, test set and target included', () => {
    const text = `{
      "seed": 0,
      "model": { "inputDim": 2, "hidden": [4096], "outputDim": 1, "activation": "relu",
                 "parameterization": "ntk", "weightStd": 1.0, "biasStd": 0.0,
                 "alpha": 1.0, "centered": false, "ensemble": 1 },
      "data": {
        "train": { "kind": "points", "x": [[1, 0], [0, 1]], "y": [[1], [0]] },
        "test":  { "kind": "circle", "n": 64 },
        "target": { "kind": "teacher", "hidden": [4], "activation": "relu" }
      },
      "train": { "optimizer": "gd", "lr": 1.0, "steps": 1000, "batchSize": null, "momentum": 0,
                 "loss": "mse", "recordEvery": 10, "linearized": true },
      "observe": { "probe": "train", "spectrum": 5 }
    }`;
    const spec = parseSpecText(text, 'DESIGN.md');
    expect(spec.data.train).toEqual({ kind: 'points', x: [[1, 0], [0, 1]], y: [[1], [0]] });
    expect(spec.data.test).toEqual({ kind: 'circle', n: 64 });
    expect(spec.data.target).toEqual({ kind: 'teacher', hidden: [4], activation: 'relu' });
    expect(spec.train.linearized).toBe(true);
    expect(spec.model.frozen).toEqual([]);
    expect(specWidths(spec)).toEqual([[4096]]);
  });

  it('accepts every data kind and target kind', () => {
    for (const kind of ['sphere', 'gaussian'] as const) {
      expect(parseSpec({ model: { inputDim: 7, hidden: [8] }, data: { train: { kind, n: 5, noise: 0.1 } } }).data.train.kind).toBe(kind);
    }
    for (const kind of ['circle', 'spirals', 'xor', 'circles'] as const) {
      expect(parseSpec({ model: { inputDim: 2, hidden: [8] }, data: { train: { kind, n: 5 } } }).data.train.kind).toBe(kind);
    }
    const targets = [
      { kind: 'teacher', hidden: [] },
      { kind: 'single_index', activation: 'tanh' },
      { kind: 'quadratic' },
      { kind: 'sin', frequency: 2 },
      { kind: 'cos' },
    ] as const;
    for (const target of targets) {
      expect(parseSpec({ ...minimal(), data: { train: { kind: 'circle', n: 3 }, target } }).data.target).toEqual(target);
    }
  });

  it('a width sweep in model.hidden', () => {
    const spec = parseSpec({ ...minimal(), model: { inputDim: 2, hidden: [[256], [1024], [4096]] } });
    expect(specWidths(spec)).toEqual([[256], [1024], [4096]]);
    expect(isWidthSweep(spec)).toBe(true);
    expect(spec.sweep).toBeUndefined();
  });

  it('a width sweep in a sweep block (model.hidden then carries it too)', () => {
    const spec = parseSpec({ model: { inputDim: 2 }, data: { train: { kind: 'circle', n: 8 } }, sweep: { hidden: [[64, 64], [512, 512]] } });
    expect(specWidths(spec)).toEqual([
      [64, 64],
      [512, 512],
    ]);
    expect(spec.model.hidden).toEqual([
      [64, 64],
      [512, 512],
    ]);
    expect(isWidthSweep(spec)).toBe(true);
    // specWidths hands out copies.
    specWidths(spec)[0][0] = 1;
    expect(specWidths(spec)[0][0]).toBe(64);
  });

  it('sgd with a minibatch no larger than the training set, a test probe with a test set', () => {
    const spec = parseSpec({
      ...minimal(),
      data: { train: { kind: 'points', x: [[1, 0], [0, 1], [1, 1]] }, test: { kind: 'circle', n: 4 } },
      train: { optimizer: 'sgd', batchSize: 3, momentum: 0.9 },
      observe: { probe: 'test' },
    });
    expect(spec.train).toMatchObject({ optimizer: 'sgd', batchSize: 3, momentum: 0.9, lr: 1 });
    expect(spec.observe.probe).toBe('test');
  });

  it('lists the activations of theory/ and kernels/', () => {
    expect([...ACTIVATIONS]).toEqual([...THEORY_ACTIVATIONS]);
    expect([...ACTIVATIONS]).toEqual([...ACTIVATION_NAMES]);
  });
});

describe('invalid specs: every problem, by path, expected and received', () => {
  it('wrong types', () => {
    expect(
      problems({
        seed: -1,
        model: { inputDim: '2', hidden: [8], centered: 'yes', weightStd: 0 },
        data: { train: { kind: 'circle', n: 64 } },
        train: { steps: 10.5, lr: '0.1' },
      }),
    ).toEqual([
      'seed: expected a seed: a non-negative integer; received -1',
      'model.inputDim: expected the input dimension d: an integer ≥ 1; received the string "2"',
      'model.weightStd: expected the weight standard deviation σ_w: a number > 0; received 0',
      'model.centered: expected true or false; received the string "yes"',
      'train.lr: expected a learning rate: a number > 0; received the string "0.1"',
      'train.steps: expected a number of steps: an integer ≥ 0; received 10.5',
    ]);
  });

  it('negative and fractional widths, at their index', () => {
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: [-5, 1.5, 16] } })).toEqual([
      'model.hidden[0]: expected a width: an integer ≥ 1; received -5',
      'model.hidden[1]: expected a width: an integer ≥ 1; received 1.5',
    ]);
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: [[256], [0]] } })).toEqual(['model.hidden[1][0]: expected a width: an integer ≥ 1; received 0']);
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: 4096 } })).toEqual([
      'model.hidden: expected a width list like [4096] or a width sweep like [[256], [1024]]; received 4096',
    ]);
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: [] } })).toEqual([
      'model.hidden: expected a width list with at least one width, like [4096]; received []',
    ]);
  });

  it('an unknown activation lists the known ones (and guesses near misses)', () => {
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: [8], activation: 'swish' } })).toEqual([
      'model.activation: expected one of identity, relu, leaky_relu, tanh, erf, gelu, sigmoid, softplus, sin, cos, quadratic; received "swish"',
    ]);
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: [8], activation: 'ReLU' } })[0]).toMatch(/received "ReLU" \(did you mean "relu"\?\)$/);
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: [8], parameterization: 'muP2' } })[0]).toBe(
      'model.parameterization: expected one of standard, ntk, meanfield, mup, depth-mup; received "muP2" (did you mean "mup"?)',
    );
  });

  it('a missing model, a missing data.train, a missing inputDim', () => {
    expect(problems({ data: { train: { kind: 'circle', n: 64 } } })).toEqual([
      'model: required field is missing; expected the model: an object with at least inputDim and hidden, like {"inputDim": 2, "hidden": [4096]}',
    ]);
    expect(problems({ model: { hidden: [8] }, data: {} })).toEqual([
      'model.inputDim: required field is missing; expected the input dimension d: an integer ≥ 1',
      'data.train: required field is missing; expected a data set: an object like {"kind": "circle", "n": 64} or {"kind": "points", "x": [[1, 0]], "y": [[1]]}',
    ]);
    expect(problems({ model: { inputDim: 2 }, data: { train: { kind: 'circle', n: 1 } } })).toEqual([
      'model.hidden: required field is missing; expected a width list like [4096], a width sweep like [[256], [1024]], or a top-level sweep block {"hidden": [[256], [1024]]}',
    ]);
    expect(problems('model')).toEqual(['(spec): expected an experiment spec: an object with at least "model" and "data"; received the string "model"']);
  });

  it('x rows of the wrong length, y of the wrong shape', () => {
    const data = { train: { kind: 'points', x: [[1, 0], [0, 1], [1, 2, 3], [4]], y: [[1], [0, 2], [1]] } };
    expect(problems({ model: { inputDim: 2, hidden: [8] }, data })).toEqual([
      'data.train.x[2]: expected a row of 2 numbers (model.inputDim = 2); received 3 numbers',
      'data.train.x[3]: expected a row of 2 numbers (model.inputDim = 2); received 1 number',
      'data.train.y[1]: expected a row of 1 number (model.outputDim = 1); received 2 numbers',
      'data.train.y: expected 4 rows (one per row of x); received 3 rows',
    ]);
    // Every row off by the same amount: one problem, not one per row.
    expect(problems({ model: { inputDim: 3, hidden: [8] }, data: { train: { kind: 'points', x: [[1, 0], [0, 1]] } } })).toEqual([
      'data.train.x: expected rows of 3 numbers (model.inputDim = 3); received rows of 2 numbers',
    ]);
    // The test set is checked the same way.
    expect(paths({ ...minimal(), data: { train: { kind: 'circle', n: 4 }, test: { kind: 'points', x: [[1, 0], [1]] } } })).toEqual(['data.test.x[1]']);
  });

  it('NaN-like values written as strings, and real NaN / Infinity from JS', () => {
    expect(problems({ ...minimal(), data: { train: { kind: 'points', x: [[1, 'NaN'], ['Infinity', 0]] } }, train: { lr: 'nan' } })).toEqual([
      'data.train.x[0][1]: expected a finite number within float32 range (|v| ≤ 3.4e38); received the string "NaN"',
      'data.train.x[1][0]: expected a finite number within float32 range (|v| ≤ 3.4e38); received the string "Infinity"',
      'train.lr: expected a learning rate: a number > 0; received the string "nan"',
    ]);
    expect(problems({ ...minimal(), data: { train: { kind: 'points', x: [[NaN, Infinity]] } } })).toEqual([
      'data.train.x[0][0]: expected a finite number within float32 range (|v| ≤ 3.4e38); received NaN (not a finite number)',
      'data.train.x[0][1]: expected a finite number within float32 range (|v| ≤ 3.4e38); received Infinity (not a finite number)',
    ]);
  });

  it('unknown keys are refused at every level, with a guess', () => {
    expect(
      problems({
        ...minimal(),
        model: { inputDim: 2, hidden: [8], activaton: 'tanh' },
        trian: { lr: 1 },
        observe: { spectrum: 3, probes: 'test' },
      }),
    ).toEqual([
      'model.activaton: unknown field (did you mean "activation"?); expected only the fields inputDim, hidden, outputDim, activation, parameterization, weightStd, biasStd, alpha, centered, ensemble, frozen, residual',
      'observe.probes: unknown field (did you mean "probe"?); expected only the fields probe, spectrum, particles',
      'trian: unknown field (did you mean "train"?); expected only the fields seed, model, data, train, observe, sweep',
    ]);
    expect(problems({ ...minimal(), data: { train: { kind: 'circle', n: 4, x: [[1, 0]] } } })).toEqual([
      'data.train.x: unknown field; expected only the fields kind, n, noise',
    ]);
  });

  it('unknown data and target kinds', () => {
    expect(problems({ ...minimal(), data: { train: { kind: 'moons', n: 4 }, target: { kind: 'sine' } } })).toEqual([
      'data.train.kind: expected a data kind: one of points, circle, sphere, gaussian, spirals, xor, circles; received "moons"',
      'data.target.kind: expected a target kind: one of teacher, single_index, quadratic, sin, cos; received "sine" (did you mean "sin"?)',
    ]);
    expect(problems({ ...minimal(), data: { train: { n: 4 } } })).toEqual([
      'data.train.kind: required field is missing; expected a data kind: one of points, circle, sphere, gaussian, spirals, xor, circles',
    ]);
  });

  it('cross-field checks: planar data sets, batch size, probe, frozen layers, sweeps', () => {
    expect(problems({ model: { inputDim: 3, hidden: [8] }, data: { train: { kind: 'circle', n: 8 }, test: { kind: 'xor', n: 4 } } })).toEqual([
      'data.train.kind: expected a data kind that exists in model.inputDim = 3 dimensions ("circle" is planar: set model.inputDim to 2, or use "sphere" or "gaussian"); received "circle"',
      'data.test.kind: expected a data kind that exists in model.inputDim = 3 dimensions ("xor" is planar: set model.inputDim to 2, or use "sphere" or "gaussian"); received "xor"',
    ]);
    expect(problems({ ...minimal(), train: { optimizer: 'sgd', batchSize: 65 } })).toEqual(['train.batchSize: expected at most the training set size (64); received 65']);
    expect(problems({ ...minimal(), train: { batchSize: 8 } })).toEqual([
      'train.batchSize: expected null with optimizer "gd" (full-batch gradient descent; use "sgd" for minibatches); received 8',
    ]);
    expect(problems({ ...minimal(), observe: { probe: 'test' } })).toEqual(['observe.probe: expected "train", or a data.test set to probe; received "test" but data.test is missing']);
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: [8, 8], frozen: [0, 3] } })).toEqual([
      'model.frozen[1]: expected a layer index from 0 to 2 (0 = input layer, 2 = readout); received 3',
    ]);
    expect(problems({ ...minimal(), model: { inputDim: 2, hidden: [[64, 64], [256]] } })).toEqual([
      'model.hidden[1]: expected every width list of a sweep to have the depth of the first (2 hidden layers); received 1 hidden layer',
    ]);
    expect(problems({ ...minimal(), sweep: { hidden: [[64], [256]] } })).toEqual([
      'sweep: expected the widths in one place only; received both model.hidden and a sweep block (remove one of them)',
    ]);
    expect(problems({ ...minimal(), sweep: { hidden: [64, 256] } })).toEqual([
      'sweep.hidden[0]: expected a width list like [4096]; received 64',
      'sweep.hidden[1]: expected a width list like [4096]; received 256',
      'sweep: expected the widths in one place only; received both model.hidden and a sweep block (remove one of them)',
    ]);
  });

  it('ranges: ensemble, momentum, spectrum, recordEvery, noise, frequency', () => {
    expect(
      problems({
        model: { inputDim: 2, hidden: [8], ensemble: 5000, biasStd: -1, alpha: 0 },
        data: { train: { kind: 'circle', n: 0, noise: -0.1 }, target: { kind: 'sin', frequency: 0 } },
        train: { momentum: 1, recordEvery: 0 },
        observe: { spectrum: -1 },
      }),
    ).toEqual([
      'model.biasStd: expected the bias standard deviation σ_b: a number ≥ 0; received -1',
      'model.alpha: expected the output scale α: a number from 1e-12 to 1e12 (the learning rates η/α² and the model α·f must stay float32 numbers); received 0',
      'model.ensemble: expected the ensemble size E: an integer from 1 to 4096; received 5000',
      'data.train.n: expected a number of points: an integer ≥ 1; received 0',
      'data.train.noise: expected a noise level: a number ≥ 0; received -0.1',
      'data.target.frequency: expected a frequency: a number > 0; received 0',
      'train.momentum: expected a momentum in [0, 1); received 1',
      'train.recordEvery: expected a record interval: an integer ≥ 1 (steps); received 0',
      'observe.spectrum: expected a number of eigenvalues: an integer ≥ 0; received -1',
    ]);
  });

  it('lists all the problems at once, in a SpecError with exit code 2', () => {
    const bad = {
      seed: 'zero',
      model: { inputDim: 2, hidden: [-1], activation: 'swish', typo: 1 },
      data: { train: { kind: 'points', x: [[1, 0], [0, 1, 2], [0, 'NaN']] } },
      train: { lr: 0, optimizer: 'adam', batchSize: 1 },
      observe: { probe: 'validation' },
    };
    const err = specError(() => parseSpec(bad, 'bad.json'));
    expect(err.exitCode).toBe(2);
    expect(err.source).toBe('bad.json');
    expect(err.issues.map((i) => i.path)).toEqual([
      'seed',
      'model.hidden[0]',
      'model.activation',
      'model.typo',
      'data.train.x[2][1]',
      'train.optimizer',
      'train.lr',
      'observe.probe',
      'data.train.x[1]',
    ]);
    expect(err.message.split('\n')).toEqual([
      'invalid experiment spec (bad.json): 9 problems',
      ...err.issues.map((i) => `  ${i.path}: ${i.message}`),
    ]);
    // No zod default message leaks through, and every message says what was expected.
    for (const i of err.issues) {
      expect(i.message).not.toMatch(/Invalid input|Invalid option|Too small|Unrecognized key/);
      expect(i.message).toMatch(/expected/);
    }
  });

  it('a long list of problems is shortened in the message but kept whole in issues', () => {
    const x = Array.from({ length: 80 }, () => ['a', 'b']);
    const err = specError(() => parseSpec({ ...minimal(), data: { train: { kind: 'points', x } } }));
    expect(err.issues).toHaveLength(160);
    expect(err.message).toMatch(/160 problems/);
    expect(err.message).toMatch(/… and 110 more$/);
  });
});

describe('parseSpecText', () => {
  it('parses JSON text (a byte-order mark is allowed)', () => {
    expect(parseSpecText('\uFEFF' + JSON.stringify(minimal())).model.hidden).toEqual([4096]);
  });

  it('reports JSON syntax errors with line and column', () => {
    const text = '{\n  "model": { "inputDim": 2, "hidden": [8] },\n  "data": { "train": { "kind": "circle" "n": 4 } }\n}';
    const err = specError(() => parseSpecText(text, 'exp.json'));
    expect(err.issues).toEqual([
      { path: '', line: 3, column: 41, message: "invalid JSON at line 3, column 41: expected ',' or '}' after a property value; found '\"'" },
    ]);
    expect(err.message).toBe(`invalid experiment spec (exp.json): 1 problem\n  (spec): ${err.issues[0].message}`);
  });

  it('names the usual JSON mistakes', () => {
    const cases: [string, number, number, RegExp][] = [
      ['{"seed": 1,}', 1, 11, /trailing comma/],
      ['{\n "x": [1, 2,]\n}', 2, 12, /trailing comma/],
      ["{'seed': 1}", 1, 2, /double quotes/],
      ['{"seed": NaN}', 1, 10, /NaN is not JSON/],
      ['{"seed": 01}', 1, 11, /invalid number/],
      ['{"seed": 1', 1, 11, /expected ',' or '}'.*end of the text/],
      ['', 1, 1, /empty/],
      ['{} {}', 1, 4, /after the end/],
      ['{"a": "x\ny"}', 1, 9, /control character/],
    ];
    for (const [text, line, column, message] of cases) {
      const err = specError(() => parseSpecText(text));
      expect(err.issues[0], text).toMatchObject({ path: '', line, column });
      expect(err.issues[0].message, text).toMatch(message);
    }
  });

  it('the JSON scanner agrees with JSON.parse on valid text', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e-3, true, false, null, "\\u00e9\\n\\"", {"b": {}}]} ', '0', '"s"']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(locateJsonError(text)).toBeNull();
    }
  });

  it('schema problems of valid JSON come back the same as from parseSpec', () => {
    const err = specError(() => parseSpecText('{"model": {"inputDim": 2, "hidden": [0]}, "data": {"train": {"kind": "circle", "n": 4}}}'));
    expect(err.issues).toEqual([{ path: 'model.hidden[0]', message: 'expected a width: an integer ≥ 1; received 0' }]);
  });
});

describe('paths', () => {
  it('dotted and bracketed', () => {
    expect(formatPath(['model', 'hidden', 0])).toBe('model.hidden[0]');
    expect(formatPath(['data', 'train', 'x', 2, 1])).toBe('data.train.x[2][1]');
    expect(formatPath(['data', 'my key'])).toBe('data["my key"]');
    expect(formatPath([])).toBe('');
  });
});
