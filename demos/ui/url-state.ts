// Page state in the URL: every page declares its fields (a small zod schema each, parsing the
// query string's text), reads them once at load and writes them back on every change, so that a
// link reproduces the view, the seed included. A field whose text does not parse, or is out of
// range, falls back to its default and is reported (shown on the page through textContent only,
// never as HTML) with the field's own "expected …" wording; an unknown parameter is reported and
// ignored (names are looked up as own keys only, so `constructor` or `__proto__` are unknown too);
// a parameter given more than once uses its first value (as URLSearchParams.get does) and the
// repetition is reported.
import { z } from 'zod';

export interface Field<T> {
  /** parses the URL text; failures carry the "expected …" message */
  schema: z.ZodType<T, string>;
  default: T;
  /** what the field takes, for the messages ("an integer from 1 to 4096") */
  what: string;
  format: (value: T) => string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each field has its own value type
export type Fields = Record<string, Field<any>>;
export type StateOf<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

export interface UrlProblem {
  param: string;
  message: string;
}

/** Numbers as written in a URL: decimal or exponent notation, nothing else (no hex, no "Infinity", no blanks). */
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** The text as a finite number: "1e400" overflows to Infinity, which is refused here with the field's wording. */
const numberText = (what: string) =>
  z.string().trim().regex(NUMBER_TEXT, { error: `expected ${what}` }).transform(Number).refine(Number.isFinite, { error: `expected ${what}` });

export function intField(min: number, max: number, def: number): Field<number> {
  const what = `an integer from ${min} to ${max}`;
  const e = { error: `expected ${what}` };
  return { schema: numberText(what).pipe(z.number().int(e).min(min, e).max(max, e)), default: def, what, format: String };
}

export function numberField(min: number, max: number, def: number, opts: { exclusiveMin?: boolean } = {}): Field<number> {
  const what = `a number ${opts.exclusiveMin ? '>' : '≥'} ${min} and ≤ ${max}`;
  const e = { error: `expected ${what}` };
  const base = z.number(e).max(max, e);
  return { schema: numberText(what).pipe(opts.exclusiveMin ? base.gt(min, e) : base.min(min, e)), default: def, what, format: (v) => String(v) };
}

export function enumField<const T extends readonly [string, ...string[]]>(values: T, def: T[number]): Field<T[number]> {
  const what = `one of ${values.join(', ')}`;
  return { schema: z.enum(values, { error: `expected ${what}` }) as unknown as z.ZodType<T[number], string>, default: def, what, format: String };
}

export function boolField(def: boolean): Field<boolean> {
  const what = '0 or 1';
  return { schema: z.enum(['0', '1', 'true', 'false'], { error: `expected ${what}` }).transform((v) => v === '1' || v === 'true'), default: def, what, format: (v) => (v ? '1' : '0') };
}

/** A comma-separated list of integers, e.g. widths "256,1024,4096". */
export function intListField(min: number, max: number, maxLength: number, def: number[]): Field<number[]> {
  const what = `a comma-separated list of 1 to ${maxLength} integers from ${min} to ${max}`;
  const e = { error: `expected ${what}` };
  return {
    schema: z
      .string()
      .transform((s) => s.split(','))
      .pipe(z.array(numberText(what).pipe(z.number().int(e).min(min, e).max(max, e)), e).min(1, e).max(maxLength, e)),
    default: def,
    what,
    format: (v) => v.join(','),
  };
}

/** A comma-separated list of distinct names from `values`, e.g. "ntk,meanfield". */
export function enumListField<const T extends readonly [string, ...string[]]>(values: T, maxLength: number, def: T[number][]): Field<T[number][]> {
  const what = `a comma-separated list of 1 to ${maxLength} distinct names from ${values.join(', ')}`;
  const e = { error: `expected ${what}` };
  return {
    schema: z
      .string()
      .transform((s) => s.split(','))
      .pipe(z.array(z.enum(values, e), e).min(1, e).max(maxLength, e).refine((list) => new Set(list).size === list.length, e)) as unknown as z.ZodType<T[number][], string>,
    default: def,
    what,
    format: (v) => v.join(','),
  };
}

/** The received text as shown in a message: quoted, control characters escaped, at most 40 characters. */
export function shownValue(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(cut);
}

/** A field's value from its text, or the field's own message ("expected …") whatever the schema's issue was. */
export function parseField<T>(field: Field<T>, text: string): { ok: true; value: T } | { ok: false; message: string } {
  const parsed = field.schema.safeParse(text);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: `expected ${field.what}` };
}

/** Reads the fields from a query string; every bad, repeated or unknown parameter becomes a problem (bad: the default is used). */
export function readUrlState<F extends Fields>(fields: F, search: string): { state: StateOf<F>; problems: UrlProblem[] } {
  const params = new URLSearchParams(search);
  const state: Record<string, unknown> = {};
  const problems: UrlProblem[] = [];
  for (const [key, field] of Object.entries(fields)) {
    state[key] = field.default;
    const given = params.getAll(key);
    if (given.length === 0) continue;
    const raw = given[0];
    const parsed = parseField(field, raw);
    if (parsed.ok) state[key] = parsed.value;
    else problems.push({ param: key, message: `${parsed.message}; received ${shownValue(raw)}; using ${field.format(field.default)}` });
    if (given.length > 1) problems.push({ param: key, message: `given ${given.length} times; using the first value, ${shownValue(raw)} (the others are ignored)` });
  }
  // own keys only: `constructor`, `__proto__`, `toString` … are not fields (`key in fields` would see Object.prototype)
  for (const key of new Set(params.keys())) {
    if (!Object.hasOwn(fields, key)) problems.push({ param: shownValue(key).slice(1, -1), message: `unknown parameter (known: ${Object.keys(fields).join(', ')}); ignored` });
  }
  return { state: state as StateOf<F>, problems };
}

/** How many problems a banner lists; the rest are counted (a link with 15 000 unknown parameters is one short banner). */
export const MAX_SHOWN_PROBLEMS = 10;

/** The banner's lines: the first MAX_SHOWN_PROBLEMS problems, then "… and N more". */
export function problemLines(problems: readonly UrlProblem[], max = MAX_SHOWN_PROBLEMS): string[] {
  const lines = problems.slice(0, max).map((p) => `• ${p.param}: ${p.message}`);
  if (problems.length > max) lines.push(`… and ${problems.length - max} more`);
  return lines;
}

/** The query string of a state (every field, so that a link is complete). */
export function formatUrlState<F extends Fields>(fields: F, state: StateOf<F>): string {
  const params = new URLSearchParams();
  for (const [key, field] of Object.entries(fields)) params.set(key, field.format((state as Record<string, unknown>)[key]));
  return `?${params.toString()}`;
}

/** The fields every training page has: `seed` (seeds everything: initialisation, data) and `run` (0: load paused). */
export const commonFields = () => ({ seed: intField(0, 2 ** 31 - 1, 0), run: boolField(true) });

/**
 * A residual branch multiplier β (model.residual.branchMultiplier, issue 14): one of the spec's
 * rules "1/sqrt(blocks)", "1/blocks", or a number > 0 and ≤ max.
 */
export function branchMultiplierField<const T extends readonly string[]>(rules: T, max: number, def: T[number] | number): Field<T[number] | number> {
  const what = `a branch multiplier: ${rules.join(', ')} or a number > 0 and ≤ ${max}`;
  const e = { error: `expected ${what}` };
  const rule = z.enum(rules as unknown as [string, ...string[]], e);
  return {
    schema: z.union([rule, numberText(what).pipe(z.number().gt(0, e).max(max, e))], e) as unknown as z.ZodType<T[number] | number, string>,
    default: def,
    what,
    format: String,
  };
}
