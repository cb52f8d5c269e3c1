// model.frozen (spec/frozen-checks.ts): each layer listed once, and at least one layer left to train.
import { describe, expect, it } from 'vitest';
import { safeParseSpec } from '../../src/spec';

function problems(input: unknown): string[] {
  const result = safeParseSpec(input);
  if (result.ok) throw new Error(`expected the spec to be refused: ${JSON.stringify(input)}`);
  return result.issues.map((i) => `${i.path}: ${i.message}`);
}
const spec = (model: Record<string, unknown>, train: Record<string, unknown> = {}) => ({
  model: { inputDim: 2, hidden: [32], ...model },
  data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin' } },
  train: { lr: 1, steps: 2, ...train },
});

describe('model.frozen', () => {
  it('refuses freezing every layer, under gd and lstsq alike', () => {
    const message = 'model.frozen: expected at least one trainable layer (layers 0 … 1, 1 = readout; random features freeze all but the readout: [0]); received [0,1], which freezes every layer, so nothing would train';
    expect(problems(spec({ frozen: [0, 1] }))).toEqual([message]);
    expect(problems(spec({ frozen: [1, 0] }, { optimizer: 'lstsq', lr: 1 }))).toEqual([message.replace('[0,1]', '[1,0]')]);
    expect(problems(spec({ hidden: [8, 8], frozen: [0, 1, 2] }))).toEqual([
      'model.frozen: expected at least one trainable layer (layers 0 … 2, 2 = readout; random features freeze all but the readout: [0, 1]); received [0,1,2], which freezes every layer, so nothing would train',
    ]);
  });

  it('refuses a layer listed twice, by the path of the repeat', () => {
    expect(problems(spec({ frozen: [1, 1] }))).toEqual(['model.frozen[1]: expected each layer index once; received 1, a duplicate of model.frozen[0]']);
  });

  it('accepts random features and a frozen readout with a trainable input layer', () => {
    expect(safeParseSpec(spec({ frozen: [0] })).ok).toBe(true);
    expect(safeParseSpec(spec({ frozen: [1] })).ok).toBe(true);
    expect(safeParseSpec(spec({ frozen: [0] }, { optimizer: 'lstsq' })).ok).toBe(true);
  });
});
