// One activation table (src/theory/activation-table.ts): the spec's names, the theory, the kernels
// and the WGSL all read it. Checks that they agree: names and ids, the generated WGSL constants, and
// that every switch on ACT in shaders/ names every activation of the table by its constant.
// (The GPU's φ, φ', φ'' against the table's float64 ones: tests/kernels/elementwise.test.ts.)

import { describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES as TABLE_NAMES, ACTIVATION_TABLE, LEAKY_SLOPE, findActivation } from '../../src/theory/activation-table';
import { THEORY_ACTIVATIONS, theoryActivation, LEAKY_RELU_SLOPE } from '../../src/theory/activations';
import { ACTIVATION_NAMES, activation, activationWgslConstants, wgslActivationConstant, LEAKY_SLOPE as KERNEL_SLOPE } from '../../src/kernels/activations';
import { ACTIVATIONS } from '../../src/spec/schema';
import { shaderNames, shaderSource } from '../../src/kernels/shaders';

/** The body of each `switch <selector> { … }` in `text`, by brace matching. */
function switchBodies(text: string, selector: string): string[] {
  const bodies: string[] = [];
  const re = new RegExp(`switch\\s*\\(?\\s*${selector}\\s*\\)?\\s*\\{`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    bodies.push(text.slice(start, i - 1));
  }
  return bodies;
}

/** The selectors of a switch body's `case a, b, default:` clauses (top level only). */
function caseSelectors(body: string): string[] {
  const selectors: string[] = [];
  let depth = 0;
  let clause = '';
  for (const ch of body) {
    if (ch === '{') {
      if (depth === 0) {
        const m = /case\s+([^:]+):?\s*$/.exec(clause.trim()) ?? /^(default)\s*:?\s*$/.exec(clause.trim());
        if (m) selectors.push(...m[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0));
        clause = '';
      }
      depth++;
    } else if (ch === '}') depth--;
    else if (depth === 0) clause += ch;
  }
  return selectors;
}

describe('the activation table', () => {
  it('has unique names and ids, the id of each entry being its index', () => {
    expect(ACTIVATION_TABLE.map((a) => a.id)).toEqual(ACTIVATION_TABLE.map((_, i) => i));
    expect(new Set(TABLE_NAMES).size).toBe(TABLE_NAMES.length);
    expect(TABLE_NAMES).toEqual(ACTIVATION_TABLE.map((a) => a.name));
    expect(Object.isFrozen(TABLE_NAMES)).toBe(true);
  });

  it('is the one list of names: the spec, the theory and the kernels hold the same array', () => {
    expect(ACTIVATIONS).toBe(TABLE_NAMES);
    expect(THEORY_ACTIVATIONS).toBe(TABLE_NAMES);
    expect(ACTIVATION_NAMES).toBe(TABLE_NAMES);
  });

  it('is the one list of entries: the theory and the kernels return the same objects, with one leaky slope', () => {
    for (const name of TABLE_NAMES) {
      expect(theoryActivation(name), name).toBe(findActivation(name));
      expect(activation(name), name).toBe(findActivation(name));
    }
    expect(findActivation('swish')).toBeUndefined();
    expect(LEAKY_RELU_SLOPE).toBe(LEAKY_SLOPE);
    expect(KERNEL_SLOPE).toBe(LEAKY_SLOPE);
  });

  it('states the kink convention once: relu\'(0) = 0, leaky_relu\'(0) = the slope, φ\'\'(0) = 0', () => {
    expect(findActivation('relu')!.dphi(0)).toBe(0);
    expect(findActivation('leaky_relu')!.dphi(0)).toBe(LEAKY_SLOPE);
    expect(findActivation('relu')!.d2phi(0)).toBe(0);
    expect(findActivation('leaky_relu')!.d2phi(0)).toBe(0);
  });

  it("φ'' is the derivative of φ' (central differences) for every activation", () => {
    for (const { name, dphi, d2phi } of ACTIVATION_TABLE) {
      for (let x = -3.05; x <= 3; x += 0.1) {
        const h = 1e-5;
        expect(Math.abs((dphi(x + h) - dphi(x - h)) / (2 * h) - d2phi(x)), `${name}''(${x})`).toBeLessThan(1e-8);
      }
    }
  });

  it('carries a reference for every kernel map', () => {
    for (const a of ACTIVATION_TABLE) expect(a.reference.length, a.name).toBeGreaterThan(0);
  });
});

describe('the WGSL activation ids come from the table', () => {
  const source = shaderSource('common/activations');

  it('the generated constants give every entry its id, and the slope', () => {
    const generated = activationWgslConstants();
    for (const a of ACTIVATION_TABLE) {
      expect(generated).toContain(`const ${wgslActivationConstant(a.name)}: u32 = ${a.id}u;`);
    }
    expect(wgslActivationConstant('leaky_relu')).toBe('ACT_LEAKY_RELU');
    expect(generated).toMatch(new RegExp(`override LEAKY_SLOPE: f32 = ${LEAKY_SLOPE}(\\.0)?;`));
    // in front of common/activations.wgsl, declared once
    expect(source.startsWith(generated)).toBe(true);
    expect(source.split('override LEAKY_SLOPE').length).toBe(2);
    for (const a of ACTIVATION_TABLE) expect(source.split(`const ${wgslActivationConstant(a.name)}:`).length, a.name).toBe(2);
  });

  it('every switch on ACT in shaders/ names every table entry once, by its constant, and no bare number', () => {
    const constants = ACTIVATION_TABLE.map((a) => wgslActivationConstant(a.name)).sort();
    let switches = 0;
    for (const name of shaderNames()) {
      for (const body of switchBodies(shaderSource(name), 'ACT')) {
        switches++;
        const selectors = caseSelectors(body).filter((s) => s !== 'default');
        expect(selectors.filter((s) => /^\d/.test(s)), `${name}: bare numbers`).toEqual([]);
        expect([...selectors].sort(), `${name}: cases`).toEqual(constants);
      }
    }
    expect(switches).toBe(3); // φ, φ', φ'' in common/activations.wgsl
  });

  it('the switch parser sees a missing case and a bare number', () => {
    const body = switchBodies('switch ACT { case ACT_RELU: { return 1.0; } case 3u, ACT_TANH: { return 0.0; } default: { return x; } }', 'ACT');
    expect(body.length).toBe(1);
    expect(caseSelectors(body[0])).toEqual(['ACT_RELU', '3u', 'ACT_TANH', 'default']);
  });
});
