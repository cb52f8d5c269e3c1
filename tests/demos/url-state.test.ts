// demos/ui/url-state.ts in Node: it is pure code (zod and URLSearchParams), so the rules of the
// pages' URL state are tested here without a browser.
import { describe, expect, it } from 'vitest';
import { MAX_SHOWN_PROBLEMS, boolField, intField, intListField, numberField, parseField, problemLines, readUrlState } from '../../demos/ui/url-state';
import { maxWidthFor } from '../../demos/ui/limits';
import { hiddenAndResidual, residualFields } from '../../demos/ui/residual';
import type { Runtime } from '../../src/index';

const fields = { width: intField(1, 4096, 64), alpha: numberField(0, 100, 1, { exclusiveMin: true }), centered: boolField(true), widths: intListField(1, 4096, 4, [16, 64]) };

describe('readUrlState', () => {
  it('reads good values and keeps defaults for absent ones', () => {
    const { state, problems } = readUrlState(fields, '?width=128&alpha=2.5e-1&centered=0');
    expect(state).toEqual({ width: 128, alpha: 0.25, centered: false, widths: [16, 64] });
    expect(problems).toEqual([]);
  });

  it('reports names of Object.prototype members as unknown parameters, not as known fields', () => {
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const { state, problems } = readUrlState(fields, `?${key}=1&width=32`);
      expect(state.width, key).toBe(32);
      expect(problems, key).toHaveLength(1);
      expect(problems[0].param).toBe(key);
      expect(problems[0].message).toBe('unknown parameter (known: width, alpha, centered, widths); ignored');
    }
  });

  it('a parameter given more than once uses its first value and says so', () => {
    const { state, problems } = readUrlState(fields, '?width=32&width=64&width=abc');
    expect(state.width).toBe(32);
    expect(problems).toEqual([{ param: 'width', message: 'given 3 times; using the first value, "32" (the others are ignored)' }]);
    // a refused first value is still refused (the default is used), with the repetition reported too
    const bad = readUrlState(fields, '?width=abc&width=64');
    expect(bad.state.width).toBe(fields.width.default);
    expect(bad.problems.map((p) => p.param)).toEqual(['width', 'width']);
    // an unknown parameter given twice is one problem
    expect(readUrlState(fields, '?zz=1&zz=2').problems).toHaveLength(1);
  });

  it('an out-of-range number gets the field\'s own message, overflow (1e400) included', () => {
    for (const text of ['1e400', '-1e400', '1e309', '5000', '0', '1.5']) {
      const { state, problems } = readUrlState(fields, `?width=${text}`);
      expect(state.width, text).toBe(64);
      expect(problems, text).toEqual([{ param: 'width', message: `expected an integer from 1 to 4096; received "${text}"; using 64` }]);
    }
    const alpha = readUrlState(fields, '?alpha=1e400').problems;
    expect(alpha).toEqual([{ param: 'alpha', message: 'expected a number > 0 and ≤ 100; received "1e400"; using 1' }]);
    const list = readUrlState(fields, '?widths=16,1e400').problems;
    expect(list[0].message).toBe('expected a comma-separated list of 1 to 4 integers from 1 to 4096; received "16,1e400"; using 16,64');
  });

  it('parseField gives the field\'s message for any refusal', () => {
    expect(parseField(fields.width, '12')).toEqual({ ok: true, value: 12 });
    expect(parseField(fields.width, '1e400')).toEqual({ ok: false, message: 'expected an integer from 1 to 4096' });
    expect(parseField(fields.centered, 'yes')).toEqual({ ok: false, message: 'expected 0 or 1' });
  });
});

describe('problemLines', () => {
  it('caps the banner at the first problems and counts the rest', () => {
    const search = `?${Array.from({ length: 15_000 }, (_, i) => `p${i}=1`).join('&')}`;
    const { problems } = readUrlState(fields, search);
    expect(problems).toHaveLength(15_000);
    const lines = problemLines(problems);
    expect(lines).toHaveLength(MAX_SHOWN_PROBLEMS + 1);
    expect(lines[0]).toMatch(/^• p0: unknown parameter/);
    expect(lines.at(-1)).toBe(`… and ${15_000 - MAX_SHOWN_PROBLEMS} more`);
  });

  it('lists every problem when there are few', () => {
    const lines = problemLines([{ param: 'a', message: 'x' }, { param: 'b', message: 'y' }]);
    expect(lines).toEqual(['• a: x', '• b: y']);
  });
});

// Issue 14: the residual controls' β field (demos/ui/residual.ts residualFields) and maxWidthFor with residual blocks.
describe('branchMultiplierField and residual widths', () => {
  it('takes the spec rules or a positive number, refuses anything else with its own wording', () => {
    const { beta, blocks } = residualFields();
    expect(parseField(beta, '1/sqrt(blocks)')).toEqual({ ok: true, value: '1/sqrt(blocks)' });
    expect(parseField(beta, '1/blocks')).toEqual({ ok: true, value: '1/blocks' });
    expect(parseField(beta, '0.25')).toEqual({ ok: true, value: 0.25 });
    for (const bad of ['0', '-1', 'abc', '1/sqrt(B)', '1e400', '101', '']) {
      expect(parseField(beta, bad), bad).toEqual({ ok: false, message: 'expected a branch multiplier: 1/sqrt(blocks), 1/blocks or a number > 0 and ≤ 100' });
    }
    expect(beta.format(0.5)).toBe('0.5');
    expect(parseField(blocks, '0')).toEqual({ ok: true, value: 0 });
    expect(parseField(blocks, '65').ok).toBe(false);
    const { state, problems } = readUrlState(residualFields(), '?blocks=3&beta=1%2Fblocks');
    expect(state).toEqual({ blocks: 3, beta: '1/blocks' });
    expect(problems).toEqual([]);
  });

  it('hiddenAndResidual: a plain MLP for 0 blocks, one stream width and model.residual otherwise', () => {
    expect(hiddenAndResidual(64, 3, 0, 0.5)).toEqual({ hidden: [64, 64, 64] });
    expect(hiddenAndResidual(64, 3, 4, '1/sqrt(blocks)')).toEqual({ hidden: [64], residual: { blocks: 4, branchMultiplier: '1/sqrt(blocks)' } });
  });

  it('maxWidthFor counts the B + 1 stream activations and the B m×m branch weights', () => {
    const rt = { limits: { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 31 } } as unknown as Runtime;
    const opts = { ensemble: 1, rows: 128, depth: 1, cap: 1 << 24 };
    // plain two-layer: only the activations [E, rows, m] bound it: 2^30/(8·128)
    expect(maxWidthFor(rt, opts)).toBe(2 ** 20);
    // B = 3: activations /4 → 2^18; weights √(2^30/(8·3)) = 6688.7 → 6688
    expect(maxWidthFor(rt, { ...opts, blocks: 3 })).toBe(6688);
    // a plain 2-hidden-layer net: one m×m matrix, √(2^30/8) = 11585
    expect(maxWidthFor(rt, { ...opts, depth: 2 })).toBe(11585);
  });
});
