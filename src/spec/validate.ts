// Validation of experiment specs: parseSpec / parseSpecText refuse an invalid spec with a
// SpecError that lists every problem as `path: expected …; received …` (the CLI prints them
// and exits with code 2, DESIGN.md §5).

import type { z } from 'zod';
import { experimentSpecSchema, closest, type ExperimentSpec } from './schema';

/** One problem in a spec. `path` is dotted/bracketed (`model.hidden[0]`, `data.train.x[2]`); '' is the spec itself. */
export interface SpecIssue {
  path: string;
  message: string;
  /** 1-based position in the spec's text, for JSON syntax errors. */
  line?: number;
  column?: number;
}

/** How many issues SpecError's message lists (all of them stay in `issues`). */
const MESSAGE_ISSUES = 50;

export class SpecError extends Error {
  override readonly name = 'SpecError';
  /** The CLI's exit code for an invalid spec. */
  readonly exitCode = 2;
  readonly issues: SpecIssue[];
  /** Where the spec came from (a file name, "spec", "URL"). */
  readonly source: string;

  constructor(issues: SpecIssue[], source = 'spec') {
    super(formatSpecIssues(issues, source));
    this.issues = issues;
    this.source = source;
  }
}

/** `invalid experiment spec (source): N problems` followed by one `  path: message` line per issue. */
export function formatSpecIssues(issues: readonly SpecIssue[], source = 'spec'): string {
  const lines = issues.slice(0, MESSAGE_ISSUES).map((i) => `  ${i.path === '' ? '(spec)' : i.path}: ${i.message}`);
  if (issues.length > MESSAGE_ISSUES) lines.push(`  … and ${issues.length - MESSAGE_ISSUES} more`);
  return `invalid experiment spec (${source}): ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
}

export type SpecResult = { ok: true; spec: ExperimentSpec } | { ok: false; issues: SpecIssue[] };

/** Validates without throwing (for demo pages that show the problems next to the input). */
export function safeParseSpec(input: unknown): SpecResult {
  const result = experimentSpecSchema.safeParse(input, { error: fallbackMessage });
  if (result.success) return { ok: true, spec: result.data };
  return { ok: false, issues: convertIssues(result.error.issues, input, []) };
}

/** A validated spec with every default filled in; throws SpecError listing every problem. */
export function parseSpec(input: unknown, source = 'spec'): ExperimentSpec {
  const result = safeParseSpec(input);
  if (!result.ok) throw new SpecError(result.issues, source);
  return result.spec;
}

/** parseSpec of JSON text; a JSON syntax error is reported with its line and column. */
export function parseSpecText(text: string, source = 'spec'): ExperimentSpec {
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(clean);
  } catch (err) {
    const found = locateJsonError(clean) ?? fromEngineMessage(clean, err);
    const { line, column } = lineColumn(clean, found.pos);
    throw new SpecError([{ path: '', message: `invalid JSON at line ${line}, column ${column}: ${found.message}`, line, column }], source);
  }
  return parseSpec(raw, source);
}

/** Is this spec a width sweep (a list of width lists, in model.hidden or a sweep block)? */
export function isWidthSweep(spec: Pick<ExperimentSpec, 'model' | 'sweep'>): boolean {
  return spec.sweep !== undefined || Array.isArray(spec.model.hidden[0]);
}

/** The hidden-width lists to run: one entry for a single network, one per size for a sweep. */
export function specWidths(spec: Pick<ExperimentSpec, 'model' | 'sweep'>): number[][] {
  const hidden = spec.sweep?.hidden ?? spec.model.hidden;
  return isSweepList(hidden) ? hidden.map((w) => [...w]) : [[...hidden]];
}

const isSweepList = (h: number[] | number[][]): h is number[][] => Array.isArray(h[0]);

// ---------------------------------------------------------------------------------------------
// Paths and values.

/** ['model', 'hidden', 0] → 'model.hidden[0]'; odd keys are quoted: `data["my key"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** The raw input's value at a path; `present` is false when a key on the way is absent. */
function valueAt(input: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let value: unknown = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(value, key)) return { present: false, value: undefined };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { present: value !== undefined, value };
}

const SHORT = 60;

/** A short rendering of a received value: `"swish"`, `1.5`, `NaN`, `[1,2]`, `an array of 300 items`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return value.length > SHORT ? `${JSON.stringify(value.slice(0, SHORT))}… (${value.length} characters)` : JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value) || typeof value === 'object') {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json !== undefined && json.length <= SHORT) return json;
    if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
    const keys = Object.keys(value as object);
    return `an object with the fields ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}`;
  }
  return `a ${typeof value}`;
}

/** For type errors, say the type: `the string "NaN"`, `an array [1,2]`. */
function describeTyped(value: unknown): string {
  if (typeof value === 'string') return `the string ${describeValue(value)}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${describeValue(value)} (not a finite number)`;
  if (Array.isArray(value)) {
    const d = describeValue(value);
    return d.startsWith('an array') ? d : `the array ${d}`;
  }
  if (typeof value === 'object' && value !== null) {
    const d = describeValue(value);
    return d.startsWith('an object') ? d : `the object ${d}`;
  }
  return describeValue(value);
}

// ---------------------------------------------------------------------------------------------
// zod issues → SpecIssues.

function convertIssues(issues: readonly z.core.$ZodIssue[], input: unknown, base: readonly PropertyKey[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const iss of issues) {
    const path = [...base, ...iss.path];
    switch (iss.code) {
      case 'unrecognized_keys': {
        // schema.ts's strict() wrote one line per key, in key order.
        const lines = iss.message.split('\n');
        iss.keys.forEach((key, i) => out.push({ path: formatPath([...path, key]), message: lines[i] ?? lines[0] }));
        break;
      }
      case 'invalid_union': {
        if (iss.errors.length === 0) {
          out.push(withReceived(path, iss.message, input, 'invalid_value', 'options' in iss ? iss.options?.map(String) : undefined));
          break;
        }
        // Report the branch that came closest (fewest issues; the first on ties). When it only
        // failed at the union's own path (wrong type altogether), the union's message says more.
        let best = iss.errors[0];
        for (const branch of iss.errors) if (branch.length < best.length) best = branch;
        if (best.every((b) => b.path.length === 0 && b.code === 'invalid_type')) out.push(withReceived(path, iss.message, input, 'invalid_type'));
        else out.push(...convertIssues(best, input, path));
        break;
      }
      case 'custom':
        out.push({ path: formatPath(path), message: iss.message });
        break;
      case 'invalid_value':
        out.push(withReceived(path, iss.message, input, 'invalid_value', iss.values.map(String)));
        break;
      default:
        out.push(withReceived(path, iss.message, input, iss.code));
    }
  }
  return dedupe(out);
}

function withReceived(path: readonly PropertyKey[], message: string, input: unknown, code: string, choices?: string[]): SpecIssue {
  const { present, value } = valueAt(input, path);
  const at = formatPath(path);
  if (!present) return { path: at, message: `required field is missing; ${message}` };
  let received = code === 'invalid_type' ? describeTyped(value) : describeValue(value);
  if (choices && typeof value === 'string') {
    const guess = closest(value, choices);
    if (guess !== undefined) received += ` (did you mean ${JSON.stringify(guess)}?)`;
  }
  return { path: at, message: `${message}; received ${received}` };
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Messages for issues that no schema in schema.ts phrased (a safety net: every leaf there has
 * its own message). Always of the form "expected …", like the rest.
 */
function fallbackMessage(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${iss.expected === 'int' ? 'an integer' : iss.expected === 'array' || iss.expected === 'object' ? `an ${iss.expected}` : `a ${iss.expected}`}`;
    case 'too_small':
      return iss.origin === 'array' ? `expected at least ${iss.minimum} item${Number(iss.minimum) === 1 ? '' : 's'}` : `expected a value ${iss.inclusive ? '≥' : '>'} ${iss.minimum}`;
    case 'too_big':
      return iss.origin === 'array' ? `expected at most ${iss.maximum} items` : `expected a value ${iss.inclusive ? '≤' : '<'} ${iss.maximum}`;
    case 'invalid_value':
      return `expected one of ${iss.values.map((v) => (typeof v === 'string' ? v : String(v))).join(', ')}`;
    case 'invalid_union':
      return 'expected one of the allowed forms of this field';
    case 'unrecognized_keys':
      return iss.keys.map(() => 'unknown field').join('\n');
    default:
      return 'expected a valid value';
  }
}

// ---------------------------------------------------------------------------------------------
// JSON syntax errors. JSON.parse's messages and positions differ between engines (and some
// carry no position at all), so a small scanner finds the first error itself.

interface JsonProblem {
  pos: number;
  message: string;
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start + 1 };
}

function fromEngineMessage(text: string, err: unknown): JsonProblem {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  return { pos: m ? Number(m[1]) : text.length, message: message.replace(/ in JSON at position \d+.*$/, '') };
}

/** The first syntax error in `text` as JSON (RFC 8259), or null if there is none. */
export function locateJsonError(text: string): JsonProblem | null {
  let i = 0;
  const fail = (message: string, pos = i): never => {
    throw { pos, message } satisfies JsonProblem;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const shown = (pos: number) => (pos >= text.length ? 'the end of the text' : text.charCodeAt(pos) < 0x20 ? JSON.stringify(text[pos]) : `'${text[pos]}'`);
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    for (const word of ['NaN', 'Infinity', '-Infinity', 'undefined']) {
      if (text.startsWith(word, i)) fail(`${word} is not JSON: write a finite number (or null where allowed)`);
    }
    if (c === "'") fail('strings need double quotes in JSON');
    if (i >= text.length) fail('unexpected end of the text: expected a value');
    fail(`expected a value (an object, array, string, number, true, false or null); found ${shown(i)}`);
  };
  const object = () => {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail(text[i] === "'" ? 'property names need double quotes in JSON' : `expected a property name in double quotes; found ${shown(i)}`);
      string();
      ws();
      if (text[i] !== ':') fail(`expected ':' after the property name; found ${shown(i)}`);
      i++;
      value();
      ws();
      if (text[i] === ',') {
        const comma = i++;
        ws();
        if (text[i] === '}') fail("trailing comma before '}' (JSON allows none)", comma);
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`expected ',' or '}' after a property value; found ${shown(i)}`);
    }
  };
  const array = () => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      ws();
      if (text[i] === ',') {
        const comma = i++;
        ws();
        if (text[i] === ']') fail("trailing comma before ']' (JSON allows none)", comma);
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`expected ',' or ']' after an array element; found ${shown(i)}`);
    }
  };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return;
      }
      if (code < 0x20) fail('control character in a string (write \\n, \\t, …)');
      if (code === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('expected four hex digits after \\u');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`invalid escape \\${e ?? ''} in a string`);
      } else i++;
    }
  };
  const number = () => {
    const re = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) {
      if (text.startsWith('-Infinity', i)) fail('-Infinity is not JSON: write a finite number');
      fail('invalid number');
    }
    i += m![0].length;
    if (i < text.length && /[0-9.eE]/.test(text[i])) fail('invalid number (JSON allows no leading zeros, and a "." needs digits on both sides)');
  };
  try {
    ws();
    if (i >= text.length) fail('the text is empty: expected a JSON object');
    value();
    ws();
    if (i < text.length) fail(`unexpected text after the end of the JSON value: ${shown(i)}`);
    return null;
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'pos' in e && 'message' in e) return e as JsonProblem;
    throw e;
  }
}
