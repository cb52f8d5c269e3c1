// model.residual (issue 14): the spec form, its errors by field path, β resolved to a number, the
// network config and the infinite-width kernels a residual spec resolves to.

import { describe, it, expect } from 'vitest';
import { analyticSpecKernels, branchMultiplier, expandGrid, mlpConfig, parseSpec, safeParseSpec, specWidths, theoryKernelConfig, type ExperimentSpecInput } from '../../src/spec/index';
import { analyticKernels, residualKernels } from '../../src/theory/index';

const residual = (res: unknown, model: Record<string, unknown> = {}): ExperimentSpecInput =>
  ({ model: { inputDim: 2, hidden: [64], residual: res, ...model }, data: { train: { kind: 'circle', n: 4 } } }) as ExperimentSpecInput;

function problems(input: unknown): string[] {
  const result = safeParseSpec(input);
  if (result.ok) throw new Error(`expected the spec to be refused: ${JSON.stringify(input)}`);
  return result.issues.map((i) => `${i.path || '(spec)'}: ${i.message}`);
}

describe('model.residual: valid specs and β', () => {
  it('blocks with the default multiplier 1/√B; "1/blocks"; a number', () => {
    const spec = parseSpec(residual({ blocks: 4 }));
    expect(spec.model.residual).toEqual({ blocks: 4, branchMultiplier: '1/sqrt(blocks)' });
    expect(branchMultiplier(spec)).toBe(0.5);
    expect(branchMultiplier(parseSpec(residual({ blocks: 8, branchMultiplier: '1/blocks' })))).toBe(0.125);
    expect(branchMultiplier(parseSpec(residual({ blocks: 3, branchMultiplier: 0.7 })))).toBe(0.7);
    expect(branchMultiplier(parseSpec(residual({ blocks: 9 })))).toBeCloseTo(1 / 3, 15);
  });

  it('absent or null: a plain MLP (no residual in the network config)', () => {
    for (const spec of [parseSpec(residual(null)), parseSpec({ model: { inputDim: 2, hidden: [8, 8] }, data: { train: { kind: 'circle', n: 4 } } })]) {
      expect(branchMultiplier(spec)).toBeNull();
      expect(mlpConfig(spec, specWidths(spec)[0]).residual).toBeUndefined();
    }
  });

  it('mlpConfig carries {blocks, β as a number}; a width sweep of one width per network is valid', () => {
    const spec = parseSpec(residual({ blocks: 16 }, { hidden: [[256], [1024]] }));
    expect(specWidths(spec)).toEqual([[256], [1024]]);
    const config = mlpConfig(spec, [1024]);
    expect(config.hidden).toEqual([1024]);
    expect(config.residual).toEqual({ blocks: 16, branchMultiplier: 0.25 });
    // the same through a sweep block
    const swept = parseSpec({ model: { inputDim: 2, residual: { blocks: 2 } }, data: { train: { kind: 'circle', n: 4 } }, sweep: { hidden: [[32], [64]] } });
    expect(mlpConfig(swept, [32]).residual).toEqual({ blocks: 2, branchMultiplier: 1 / Math.sqrt(2) });
  });

  it('depth-mup with model.residual (its multiplier 1/√B, given or defaulted)', () => {
    expect(parseSpec(residual({ blocks: 4 }, { parameterization: 'depth-mup' })).model.parameterization).toBe('depth-mup');
    expect(mlpConfig(parseSpec(residual({ blocks: 4, branchMultiplier: '1/sqrt(blocks)' }, { parameterization: 'depth-mup' })), [64]).residual).toEqual({ blocks: 4, branchMultiplier: 0.5 });
  });

  it('frozen layers of a residual model run from 0 (Dense_in) to B + 1 (Dense_out)', () => {
    expect(parseSpec(residual({ blocks: 3 }, { frozen: [0, 4] })).model.frozen).toEqual([0, 4]);
    expect(problems(residual({ blocks: 3 }, { frozen: [5] }))).toEqual(['model.frozen[0]: expected a layer index from 0 to 4 (0 = input layer, 4 = readout); received 5']);
  });
});

describe('model.residual: bad input, by field path', () => {
  it('blocks < 1, fractional, missing, too many', () => {
    const blocks = 'expected a number of residual blocks B: an integer from 1 to 4096';
    expect(problems(residual({ blocks: 0 }))).toEqual([`model.residual.blocks: ${blocks}; received 0`]);
    expect(problems(residual({ blocks: 2.5 }))).toEqual([`model.residual.blocks: ${blocks}; received 2.5`]);
    expect(problems(residual({ blocks: 5000 }))).toEqual([`model.residual.blocks: ${blocks}; received 5000`]);
    expect(problems(residual({}))).toEqual([`model.residual.blocks: required field is missing; ${blocks}`]);
  });

  it('an unknown branch multiplier, a non-positive one; unknown fields; not an object', () => {
    const beta = 'expected a branch multiplier β: a number > 0, "1/sqrt(blocks)" (the default) or "1/blocks"';
    expect(problems(residual({ blocks: 2, branchMultiplier: '1/sqrt(B)' }))).toEqual([`model.residual.branchMultiplier: ${beta}; received the string "1/sqrt(B)"`]);
    expect(problems(residual({ blocks: 2, branchMultiplier: 0 }))).toEqual([`model.residual.branchMultiplier: ${beta}; received 0`]);
    expect(problems(residual({ blocks: 2, branchMultiplier: -1 }))).toEqual([`model.residual.branchMultiplier: ${beta}; received -1`]);
    expect(problems(residual({ blocks: 2, multiplier: 1 }))[0]).toMatch(/^model\.residual\.multiplier: unknown field; expected only the fields blocks, branchMultiplier/);
    expect(problems(residual(4))).toEqual(['model.residual: expected a residual network: {"blocks": 4, "branchMultiplier"?: "1/sqrt(blocks)"}; received 4']);
  });

  it('a residual stream given more than one width (a list or a sweep entry)', () => {
    const many = (n: number, list: number[]) => `expected exactly one width with model.residual (the width m of the residual stream, like [1024]); received ${n} widths ${JSON.stringify(list)}`;
    expect(problems(residual({ blocks: 2 }, { hidden: [64, 64] }))).toEqual([`model.hidden: ${many(2, [64, 64])}`]);
    expect(problems(residual({ blocks: 2 }, { hidden: [[64, 32], [128, 64]] }))).toEqual([`model.hidden[0]: ${many(2, [64, 32])}`, `model.hidden[1]: ${many(2, [128, 64])}`]);
    expect(problems({ model: { inputDim: 2, residual: { blocks: 2 } }, data: { train: { kind: 'circle', n: 4 } }, sweep: { hidden: [[8, 8]] } })).toEqual([`sweep.hidden[0]: ${many(2, [8, 8])}`]);
  });

  it('the quadratic model with a residual net is accepted (second-order forward mode through the skips)', () => {
    expect(parseSpec({ ...residual({ blocks: 2 }), train: { quadratic: true } }).train.quadratic).toBe(true);
    expect(parseSpec({ ...residual({ blocks: 3 }, { parameterization: 'depth-mup' }), train: { quadratic: true, linearized: true } }).train.quadratic).toBe(true);
  });

  it('depth-mup without model.residual, or with another branch multiplier', () => {
    expect(problems({ model: { inputDim: 2, hidden: [64], parameterization: 'depth-mup' }, data: { train: { kind: 'circle', n: 4 } } })).toEqual([
      'model.parameterization: expected model.residual with parameterization "depth-mup" (the depth-µP of Tensor Programs VI scales residual branches; add "residual": {"blocks": B}, or use "mup" for a plain MLP); received "depth-mup" without model.residual',
    ]);
    expect(problems(residual({ blocks: 4, branchMultiplier: '1/blocks' }, { parameterization: 'depth-mup' }))).toEqual([
      'model.residual.branchMultiplier: expected "1/sqrt(blocks)" (or no branchMultiplier) with parameterization "depth-mup" (depth-µP\'s branch multiplier is 1/√B); received "1/blocks"',
    ]);
    expect(problems(residual({ blocks: 4, branchMultiplier: 0.5 }, { parameterization: 'depth-mup' }))[0]).toMatch(/^model\.residual\.branchMultiplier: expected "1\/sqrt\(blocks\)".*received 0\.5$/);
  });
});

describe('a residual spec resolves to the residual theory', () => {
  const X = [
    [1, 0],
    [0.6, 0.8],
    [-0.3, 0.2],
  ];
  it('theoryKernelConfig and analyticSpecKernels give the residual kernels (×α² in model units)', () => {
    const spec = parseSpec(residual({ blocks: 4 }, { weightStd: 1.4, biasStd: 0.2, activation: 'tanh', alpha: 2, centered: true }));
    const config = theoryKernelConfig(spec, [64]);
    expect(config).toEqual({ depth: 1, weightStd: 1.4, biasStd: 0.2, activation: 'tanh', residual: { blocks: 4, branchMultiplier: 0.5 } });
    const exact = residualKernels(config!, X);
    expect(analyticSpecKernels(spec, [64], 'dynamics', X)).toEqual(exact);
    const model = analyticSpecKernels(spec, [64], 'model', X)!;
    model.ntk.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(4 * exact.ntk[i][j], 12)));
    // and they differ from the plain MLP of the same width list
    const plain = analyticKernels({ depth: 1, weightStd: 1.4, biasStd: 0.2, activation: 'tanh' }, X);
    expect(Math.abs(plain.ntk[0][1] - exact.ntk[0][1])).toBeGreaterThan(0.05 * Math.abs(exact.ntk[0][1]));
  });

  it('no theory for a depth-mup or mup residual net (the theory is the NTK parameterization)', () => {
    expect(theoryKernelConfig(parseSpec(residual({ blocks: 4 }, { parameterization: 'depth-mup' })), [64])).toBeNull();
    expect(analyticSpecKernels(parseSpec(residual({ blocks: 4 }, { parameterization: 'mup' })), [64], 'model', X)).toBeNull();
  });
});

describe('a sweep over depth: sweep.grid over model.residual.blocks', () => {
  it('expands to one network per B, β resolved at each point; a bad B is reported at its grid value', () => {
    const input = { ...residual({ blocks: 2 }), sweep: { grid: { 'model.residual.blocks': [2, 8, 32] } } };
    const points = expandGrid(parseSpec(input));
    expect(points.map((p) => p.point)).toEqual([{ 'model.residual.blocks': 2 }, { 'model.residual.blocks': 8 }, { 'model.residual.blocks': 32 }]);
    expect(points.map((p) => mlpConfig(p.spec, [64]).residual)).toEqual([
      { blocks: 2, branchMultiplier: 1 / Math.sqrt(2) },
      { blocks: 8, branchMultiplier: 1 / Math.sqrt(8) },
      { blocks: 32, branchMultiplier: 1 / Math.sqrt(32) },
    ]);
    expect(problems({ ...residual({ blocks: 2 }), sweep: { grid: { 'model.residual.blocks': [2, 0] } } })).toEqual([
      'sweep.grid["model.residual.blocks"][1]: expected a number of residual blocks B: an integer from 1 to 4096; received 0',
    ]);
  });
});

describe('lstsq with a residual model', () => {
  it('random features freeze Dense_in and every block (0..B); freezing Dense_in alone is refused', () => {
    const lstsq = (frozen: number[]) => ({ ...residual({ blocks: 2 }, { frozen }), train: { optimizer: 'lstsq' } });
    expect(parseSpec(lstsq([0, 1, 2])).train.optimizer).toBe('lstsq');
    expect(problems(lstsq([0]))[0]).toMatch(/^train\.optimizer: expected a model linear in its trainable parameters.*\[0, 1, 2\].*received trainable non-readout layers \[1, 2\]$/);
  });
});
