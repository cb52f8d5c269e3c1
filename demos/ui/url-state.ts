// Page state in the URL: every page declares its fields (a small zod schema each, parsing the
// query string's text), reads them once at load and writes them back on every change, so that a
// link reproduces the view, the seed included. A field whose text does not parse, or is out of
// range, falls back to its default and is reported (shown on the page through textContent only,
// never as HTML); an unknown parameter is reported and ignored.
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
const numberText = (what: string) => z.string().trim().regex(NUMBER_TEXT, { error: `expected ${what}` }).transform(Number);

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

/** Reads the fields from a query string; every bad or unknown parameter becomes a problem and the default is used. */
export function readUrlState<F extends Fields>(fields: F, search: string): { state: StateOf<F>; problems: UrlProblem[] } {
  const params = new URLSearchParams(search);
  const state: Record<string, unknown> = {};
  const problems: UrlProblem[] = [];
  for (const [key, field] of Object.entries(fields)) {
    state[key] = field.default;
    const raw = params.get(key);
    if (raw === null) continue;
    const parsed = field.schema.safeParse(raw);
    if (parsed.success) state[key] = parsed.data;
    else {
      const message = parsed.error.issues[0]?.message ?? `expected ${field.what}`;
      problems.push({ param: key, message: `${message}; received ${shownValue(raw)}; using ${field.format(field.default)}` });
    }
  }
  for (const key of new Set(params.keys())) {
    if (!(key in fields)) problems.push({ param: shownValue(key).slice(1, -1), message: `unknown parameter (known: ${Object.keys(fields).join(', ')}); ignored` });
  }
  return { state: state as StateOf<F>, problems };
}

/** The query string of a state (every field, so that a link is complete). */
export function formatUrlState<F extends Fields>(fields: F, state: StateOf<F>): string {
  const params = new URLSearchParams();
  for (const [key, field] of Object.entries(fields)) params.set(key, field.format((state as Record<string, unknown>)[key]));
  return `?${params.toString()}`;
}

/** The fields every training page has: `seed` (seeds everything: initialisation, data) and `run` (0: load paused). */
export const commonFields = () => ({ seed: intField(0, 2 ** 31 - 1, 0), run: boolField(true) });
