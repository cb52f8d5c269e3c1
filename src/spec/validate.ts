// Validation of experiment specs: parseSpec / parseSpecText refuse an invalid spec with a
// SpecError that lists every problem as `path: expected …; received …` (the CLI prints them
// and exits with code 2, DESIGN.md §5).

import type { z } from 'zod';
import { experimentSpecSchema, checkTrainingLabels, closest, formatPath, type ExperimentSpec } from './schema';
import { hasGrid, registerPointParser, safeParseGrid } from './grid';
import { fromEngineMessage, lineColumn, locateJsonError, scanJson, type Underflow } from './json-text';

export { findDuplicateKeys, locateJsonError, type DuplicateKey, type JsonProblem } from './json-text';

/** One problem in a spec. `path` is dotted/bracketed (`model.hidden[0]`, `data.train.x[2]`); '' is the spec itself. */
export interface SpecIssue {
  path: string;
  message: string;
  /** 1-based position in the spec's text, for JSON syntax errors and duplicate fields. */
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

export interface ParseOptions {
  /**
   * The spec is for training (`widenet run`, a page's Train button): also require labels for
   * data.train (validateForTraining). `widenet ntk` needs none, so the default is false.
   */
  training?: boolean;
}

/** Validates without throwing (for demo pages that show the problems next to the input). */
export function safeParseSpec(input: unknown, options: ParseOptions = {}): SpecResult {
  // a grid (sweep.grid): every point validated as a whole spec by this parser (grid.ts)
  if (hasGrid(input)) return safeParseGrid(input as Record<string, unknown>, (point) => safeParseSpec(point, options));
  const result = experimentSpecSchema.safeParse(input, { error: fallbackMessage });
  // the training checks read the raw input, so they are listed with the schema's problems, not after them
  const training = options.training ? validateForTraining(input) : [];
  if (result.success && training.length === 0) return { ok: true, spec: result.data };
  return { ok: false, issues: dedupe([...(result.success ? [] : convertIssues(result.error.issues, input, [])), ...training]) };
}

/**
 * The problems that make a spec unfit for training though it is valid (today: data.train has
 * no labels: no y with the points, no data.target for generated inputs). [] when it can train.
 * Accepts a parsed spec or raw input; `parseSpec(input, source, { training: true })` runs it too.
 */
export function validateForTraining(spec: unknown): SpecIssue[] {
  const issues: SpecIssue[] = [];
  checkTrainingLabels(spec, (path, message) => issues.push({ path: formatPath(path), message }));
  return issues;
}

/** A validated spec with every default filled in; throws SpecError listing every problem. */
export function parseSpec(input: unknown, source = 'spec', options: ParseOptions = {}): ExperimentSpec {
  const result = safeParseSpec(input, options);
  if (!result.ok) throw new SpecError(result.issues, source);
  return result.spec;
}

/**
 * parseSpec of JSON text; a JSON syntax error is reported with its line and column, and so is
 * each duplicate field (JSON.parse would silently keep the last value), listed with the
 * schema's problems.
 */
export function parseSpecText(text: string, source = 'spec', options: ParseOptions = {}): ExperimentSpec {
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(clean);
  } catch (err) {
    const found = locateJsonError(clean) ?? fromEngineMessage(clean, err);
    const { line, column } = lineColumn(clean, found.pos);
    throw new SpecError([{ path: '', message: `invalid JSON at line ${line}, column ${column}: ${found.message}`, line, column }], source);
  }
  const scan = scanJson(clean);
  if (scan.error) {
    // valid for JSON.parse but not for the scanner: only nesting beyond MAX_DEPTH
    const { line, column } = lineColumn(clean, scan.error.pos);
    throw new SpecError([{ path: '', message: `invalid spec at line ${line}, column ${column}: ${scan.error.message}`, line, column }], source);
  }
  const duplicates: SpecIssue[] = scan.duplicates.map((dup) => {
    const at = lineColumn(clean, dup.pos);
    const first = lineColumn(clean, dup.firstPos);
    return {
      path: formatPath(dup.path),
      message: `duplicate field at line ${at.line}, column ${at.column} (first at line ${first.line}, column ${first.column}); expected each field once (JSON keeps only the last value)`,
      line: at.line,
      column: at.column,
    };
  });
  const result = safeParseSpec(raw, options);
  if (result.ok && duplicates.length === 0) return result.spec;
  throw new SpecError([...duplicates, ...(result.ok ? [] : result.issues.map((issue) => showUnderflow(issue, scan.underflows, clean)))], source);
}

/** "received 0" for a literal such as 1e-400 that JSON read as 0: the message shows the literal and why. */
function showUnderflow(issue: SpecIssue, underflows: readonly Underflow[], text: string): SpecIssue {
  const u = underflows.find((x) => formatPath(x.path) === issue.path);
  if (!u || !/; received -?0$/.test(issue.message)) return issue;
  const { line, column } = lineColumn(text, u.pos);
  return { ...issue, message: issue.message.replace(/; received -?0$/, `; received ${u.literal} (line ${line}, column ${column}), which is below the smallest float64 number (about 4.9e-324): JSON reads it as 0`) };
}

// expandGrid (grid.ts) re-parses each point of a parsed grid with the one-spec parser
registerPointParser((point) => safeParseSpec(point));

/** Is this spec a width sweep (a list of width lists, in model.hidden or a sweep block)? A grid (sweep.grid) is not: see grid.ts. */
export function isWidthSweep(spec: Pick<ExperimentSpec, 'model' | 'sweep'>): boolean {
  return spec.sweep?.hidden !== undefined || Array.isArray(spec.model.hidden[0]);
}

/** The hidden-width lists to run: one entry for a single network, one per size for a sweep. */
export function specWidths(spec: Pick<ExperimentSpec, 'model' | 'sweep'>): number[][] {
  const hidden = spec.sweep?.hidden ?? spec.model.hidden;
  return isSweepList(hidden) ? hidden.map((w) => [...w]) : [[...hidden]];
}

const isSweepList = (h: number[] | number[][]): h is number[][] => Array.isArray(h[0]);

// ---------------------------------------------------------------------------------------------
// Paths and values.

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
