// train.compare (random features, linearised model and network side by side): its spec checks.
import { describe, expect, it } from 'vitest';
import { SpecError, parseSpec } from '../../src/spec';

const base = { model: { inputDim: 3, hidden: [8] }, data: { train: { kind: 'sphere', n: 4 }, target: { kind: 'quadratic' } } };
const issues = (input: unknown) => {
  try {
    parseSpec(input);
  } catch (e) {
    if (e instanceof SpecError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
};

describe('train.compare in the spec', () => {
  it('defaults to false and parses true', () => {
    expect(parseSpec(base).train.compare).toBe(false);
    expect(parseSpec({ ...base, train: { compare: true } }).train.compare).toBe(true);
  });

  it('refuses a non-boolean by field path', () => {
    expect(issues({ ...base, train: { compare: 'yes' } })).toEqual(['train.compare: expected true or false (train random features, the linearised model and the network side by side); received the string "yes"']);
  });

  it('refuses frozen layers beside it, at model.frozen', () => {
    const found = issues({ ...base, model: { ...base.model, frozen: [0] }, train: { compare: true } });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^model\.frozen: expected no frozen layers with train\.compare .*; received \[0\]$/);
    expect(issues({ ...base, model: { ...base.model, frozen: [0] } })).toEqual([]);
  });

  it('a misspelt compare is caught with a suggestion', () => {
    expect(issues({ ...base, train: { comprae: true } })[0]).toMatch(/^train\.comprae: unknown field \(did you mean "compare"\?\)/);
  });
});
