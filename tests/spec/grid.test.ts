// Grids in the spec (issue 15, src/spec/grid.ts): the Cartesian product over dotted paths, its
// order (the last path fastest), the grid winning over the base value, a base width sweep as the
// first axis, every point validated as a whole spec with errors at `sweep.grid["path"][j]`, and
// bad paths refused before anything runs. CPU only.
import { describe, expect, it } from 'vitest';
import { expandGrid, gridPathProblem, parseSpec, parseSpecText, pointCount, safeParseSpec, type ExperimentSpecInput } from '../../src/spec';

const base = (): ExperimentSpecInput => ({
  model: { inputDim: 2, hidden: [8] },
  data: { train: { kind: 'circle', n: 4 }, target: { kind: 'sin' } },
  train: { steps: 2 },
});

const problems = (input: unknown, training = false): string[] => {
  const r = safeParseSpec(input, { training });
  if (r.ok) throw new Error(`expected the spec to be refused: ${JSON.stringify(input)}`);
  return r.issues.map((i) => `${i.path}: ${i.message}`);
};

describe('grid expansion', () => {
  it('is the Cartesian product in the written path order, the last path fastest; each point a whole spec', () => {
    const spec = parseSpec({ ...base(), sweep: { grid: { 'model.hidden': [[8], [16]], 'train.lr': [0.1, 1, 10], seed: [0, 1] } } });
    const points = expandGrid(spec);
    expect(pointCount(spec)).toBe(12);
    expect(points.map((p) => p.index)).toEqual([...Array(12).keys()]);
    expect(points.slice(0, 3).map((p) => p.point)).toEqual([
      { 'model.hidden': [8], 'train.lr': 0.1, seed: 0 },
      { 'model.hidden': [8], 'train.lr': 0.1, seed: 1 },
      { 'model.hidden': [8], 'train.lr': 1, seed: 0 },
    ]);
    expect(points[11].point).toEqual({ 'model.hidden': [16], 'train.lr': 10, seed: 1 });
    for (const p of points) {
      expect(p.spec.model.hidden).toEqual(p.point['model.hidden']);
      expect(p.spec.train.lr).toBe(p.point['train.lr']);
      expect(p.spec.seed).toBe(p.point.seed);
      expect(p.spec.sweep).toBeUndefined();
      expect(p.spec.train.steps).toBe(2); // the base's other values stay
      expect(p.spec.train.optimizer).toBe('gd'); // defaults filled per point
    }
    // a shard's points without the others
    expect(expandGrid(spec, [1, 7]).map((p) => [p.index, p.point])).toEqual([[1, points[1].point], [7, points[7].point]]);
    expect(() => expandGrid(spec, [12])).toThrow(/point 12 does not exist: the spec has 12 points/);
  });

  it('the grid wins over the base value at its path; a base width sweep is the first (slowest) axis', () => {
    const over = expandGrid(parseSpec({ ...base(), model: { inputDim: 2, hidden: [[4], [5]] }, sweep: { grid: { 'model.hidden': [[32]] } } }));
    expect(over.map((p) => p.spec.model.hidden)).toEqual([[32]]);
    const implicit = parseSpec({ ...base(), model: { inputDim: 2, hidden: [[4], [5]] }, sweep: { grid: { 'model.alpha': [1, 10] } } });
    expect(expandGrid(implicit).map((p) => p.point)).toEqual([
      { 'model.hidden': [4], 'model.alpha': 1 }, { 'model.hidden': [4], 'model.alpha': 10 },
      { 'model.hidden': [5], 'model.alpha': 1 }, { 'model.hidden': [5], 'model.alpha': 10 },
    ]);
    // a whole block can be swept, and a grid needs no base value where it sweeps one
    const noBase = parseSpec({ model: { inputDim: 2 }, data: { train: { kind: 'circle', n: 4 } }, sweep: { grid: { 'model.hidden': [[8], [16]], data: [{ train: { kind: 'circle', n: 3 } }] } } });
    expect(expandGrid(noBase).map((p) => [p.spec.model.hidden, p.spec.data.train])).toEqual([[[8], { kind: 'circle', n: 3 }], [[16], { kind: 'circle', n: 3 }]]);
  });

  it('the width-list form and single networks are grids of their widths and of one point, without changes to the spec', () => {
    const sweep = parseSpec({ ...base(), model: { inputDim: 2, hidden: [[4], [5]] } });
    expect(expandGrid(sweep).map((p) => [p.index, p.point, p.spec.model.hidden])).toEqual([[0, { 'model.hidden': [4] }, [4]], [1, { 'model.hidden': [5] }, [5]]]);
    const block = parseSpec({ ...base(), model: { inputDim: 2 }, sweep: { hidden: [[4], [5]] } });
    expect(expandGrid(block).map((p) => p.spec.model.hidden)).toEqual([[4], [5]]);
    const one = parseSpec(base());
    expect(expandGrid(one)).toEqual([{ index: 0, point: {}, spec: one }]);
  });

  it('a parsed grid spec parses again to itself (spec.json of a run is read back by widenet merge)', () => {
    const spec = parseSpec({ ...base(), data: { train: { kind: 'sphere', n: 4 }, target: { kind: 'quadratic' } }, sweep: { grid: { 'model.inputDim': [2, 9], 'train.lr': [0.5] } } });
    const again = parseSpecText(JSON.stringify(spec, null, 2));
    expect(again).toEqual(spec);
    // the sphere's default radius √d follows the swept d in each point
    expect(expandGrid(again).map((p) => (p.spec.data.train as { radius: number }).radius)).toEqual([Math.sqrt(2), 3]);
  });
});

describe('grid validation', () => {
  it('refuses unknown and malformed paths before any point, by path, with a guess', () => {
    expect(problems({ ...base(), sweep: { grid: { 'model.alpah': [1], 'train.lr': [1] } } })).toEqual([
      expect.stringMatching(/^sweep\.grid\["model\.alpah"\]: unknown field path \(did you mean "model\.alpha"\?\); the fields of model are inputDim, hidden, .*expected a dotted path/),
    ]);
    expect(gridPathProblem('model.hidden.0')).toMatch(/model\.hidden is a single value.*sweep the whole list/);
    expect(gridPathProblem('sweep.grid')).toMatch(/cannot sweep the sweep block/);
    expect(gridPathProblem('train..lr')).toMatch(/non-empty dotted path/);
    expect(gridPathProblem('data.train.radius')).toBeNull(); // fields of any data kind
    expect(gridPathProblem('data.target.frequency')).toBeNull();
    expect(problems({ ...base(), sweep: { grid: { 'train.lr': [] } } })).toEqual([expect.stringMatching(/^sweep\.grid\["train\.lr"\]: expected a non-empty list of values/)]);
    expect(problems({ ...base(), sweep: { grid: { 'train.lr': 0.1 } } })).toEqual([expect.stringMatching(/^sweep\.grid\["train\.lr"\]: expected a non-empty list.*received 0\.1/)]);
    expect(problems({ ...base(), sweep: { grid: { 'train.lr': [1, 2, 1] } } })).toEqual([expect.stringMatching(/^sweep\.grid\["train\.lr"\]\[2\]: expected distinct values.*duplicate of sweep\.grid\["train\.lr"\]\[0\]/)]);
    expect(problems({ ...base(), sweep: { grid: { model: [{ inputDim: 2, hidden: [4] }], 'model.alpha': [1] } } })).toEqual([expect.stringMatching(/^sweep\.grid\["model\.alpha"\]: expected paths that do not overlap/)]);
    expect(problems({ ...base(), sweep: { grid: {} } })).toEqual([expect.stringMatching(/^sweep\.grid: expected at least one swept path/)]);
    expect(problems({ ...base(), sweep: { grid: { 'train.lr': [1] }, widths: 1 } })).toEqual([expect.stringMatching(/^sweep\.widths: unknown field/)]);
  });

  it('validates every point as a whole spec: a bad value at its grid place, shared problems once at their own path', () => {
    expect(problems({ ...base(), sweep: { grid: { 'train.lr': [0.1, 1, -2], 'model.activation': ['relu', 'swish'] } } })).toEqual([
      'sweep.grid["model.activation"][1]: ' + problems({ ...base(), model: { inputDim: 2, hidden: [8], activation: 'swish' } })[0].replace(/^model\.activation: /, ''),
      'sweep.grid["train.lr"][2]: expected a learning rate: a number > 0; received -2',
    ].sort((a, b) => (a.includes('train.lr') ? 1 : -1) - (b.includes('train.lr') ? 1 : -1)));
    // a problem of the base (every point has it) is listed once, at its path
    expect(problems({ ...base(), train: { steps: -1 }, sweep: { grid: { 'train.lr': [0.1, 1] } } })).toEqual([expect.stringMatching(/^train\.steps: expected a number of steps/)]);
    // a cross-field problem of some points only names the first of them
    const some = problems({ ...base(), train: { optimizer: 'sgd', batchSize: 3 }, sweep: { grid: { 'data.train.n': [4, 2, 1], seed: [0, 1] } } });
    expect(some).toEqual([
      'train.batchSize: at grid point 2 {"data.train.n":2,"seed":0} (and 1 more): expected at most the training set size (2); received 3',
      'train.batchSize: at grid point 4 {"data.train.n":1,"seed":0} (and 1 more): expected at most the training set size (1); received 3',
    ]);
    // a width list inside the grid, by its place
    expect(problems({ ...base(), sweep: { grid: { 'model.hidden': [[8], [0]] } } })).toEqual([expect.stringMatching(/^sweep\.grid\["model\.hidden"\]\[1\]\[0\]: expected a width/)]);
    // a width sweep as one grid value
    expect(problems({ ...base(), sweep: { grid: { 'model.hidden': [[8], [[8], [16]]] } } })).toEqual([expect.stringMatching(/^sweep\.grid\["model\.hidden"\]\[1\]: expected one width list per grid value/)]);
    // training checks per point too (labels)
    expect(problems({ ...base(), data: { train: { kind: 'circle', n: 4 } }, sweep: { grid: { 'train.lr': [1] } } }, true)).toEqual([expect.stringMatching(/^data\.target: required field is missing for training/)]);
    // the widths in two places
    expect(problems({ ...base(), model: { inputDim: 2 }, sweep: { hidden: [[4]], grid: { 'model.hidden': [[8]] } } })).toEqual([expect.stringMatching(/^sweep\.hidden: expected the widths in one place only/)]);
  });
});
