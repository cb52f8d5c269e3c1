// Grids of experiments (DESIGN.md §5, issue 15): `sweep: {"grid": {"<dotted path>": [values, ...]}}`
// is the Cartesian product over any spec fields. A grid value replaces the base spec's value at
// its path, and each point is validated as a whole spec (validate.ts's parser), its problems
// reported at `sweep.grid["<path>"][j]` when they lie at or under a swept path.
//
// Point order: the grid's paths in the order written, the LAST path varying fastest (nested loops,
// like itertools.product): {"a": [1, 2], "b": [3, 4]} → (1,3) (1,4) (2,3) (2,4), indices 0…3.
// A width sweep in the base (model.hidden: [[256], [1024]] or sweep.hidden) with a grid that does
// not sweep model.hidden is the grid's first (slowest) axis "model.hidden"; a grid over
// model.hidden replaces it (the grid wins).
//
// Every other spec is a grid too, for the runner and the shards: a width sweep is one point per
// width list ({"model.hidden": [256]}), a single network one point ({}). Only sweep.grid specs
// print `point` on their lines (the width-list form keeps its output).
import type { z } from 'zod';
import { closest, experimentSpecSchema, type ExperimentSpec } from './schema';
import { isRecord } from './vocabulary';
import type { SpecIssue, SpecResult } from './validate';

/** The swept values of one point, by dotted path, in the grid's path order. */
export type GridPoint = Record<string, unknown>;

export interface ExpandedPoint {
  /** position in the point order (last path fastest) */
  index: number;
  point: GridPoint;
  /** the point's whole spec, validated, defaults filled in, one width list in model.hidden */
  spec: ExperimentSpec;
}

/** The grid of a spec with a sweep.grid block: paths (in order) and values. */
export type Grid = Record<string, unknown[]>;

/** Is this (raw or parsed) spec a grid (a sweep block with `grid`)? */
export function hasGrid(spec: unknown): boolean {
  return isRecord(spec) && isRecord(spec.sweep) && spec.sweep.grid !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Paths: a dotted path must name a field of the spec schema (any depth, a whole block too).

type AnySchema = z.core.$ZodType;

/** The fields of an object schema (through optional/default/prefault/pipe wrappers; a union's fields merged), or null for a leaf. */
function fieldsOf(schema: AnySchema): Record<string, AnySchema> | null {
  let s = schema as AnySchema & { _zod: { def: Record<string, unknown> } };
  for (;;) {
    const def = s._zod.def;
    if (def.innerType) s = def.innerType as typeof s;
    else if (def.type === 'pipe') s = def.in as typeof s;
    else break;
  }
  const def = s._zod.def;
  if (def.type === 'object') return def.shape as Record<string, AnySchema>;
  if (def.type === 'union') {
    const merged: Record<string, AnySchema> = {};
    let any = false;
    for (const option of def.options as AnySchema[]) {
      const f = fieldsOf(option);
      if (f) {
        any = true;
        for (const [k, v] of Object.entries(f)) merged[k] ??= v;
      }
    }
    return any ? merged : null;
  }
  return null;
}

/** Why a dotted path names no spec field (null when it names one). */
export function gridPathProblem(path: string): string | null {
  const example = 'expected a dotted path to a spec field, like "train.lr", "model.hidden" or "seed"';
  if (path === '' || path.split('.').some((k) => k === '')) return `expected a non-empty dotted path; ${example}`;
  const keys = path.split('.');
  if (keys[0] === 'sweep') return `a grid cannot sweep the sweep block itself; ${example}`;
  let fields = fieldsOf(experimentSpecSchema as unknown as AnySchema);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const at = keys.slice(0, i).join('.');
    if (!fields) return `${at} is a single value (a leaf of the spec), it has no field "${key}" (list entries cannot be swept one by one: sweep the whole list); ${example}`;
    const known = Object.keys(fields).filter((k) => !(i === 0 && k === 'sweep'));
    if (!Object.prototype.hasOwnProperty.call(fields, key) || (i === 0 && key === 'sweep')) {
      const guess = closest(key, known);
      const whole = guess ? [...keys.slice(0, i), guess].join('.') : undefined;
      return `unknown field path${whole ? ` (did you mean ${JSON.stringify(whole)}?)` : ''}; ${at ? `the fields of ${at} are` : 'the top-level fields are'} ${known.join(', ')}; ${example}`;
    }
    fields = fieldsOf(fields[key]);
  }
  return null;
}

/** `sweep.grid["train.lr"][2]`: where a grid value is, in the messages. */
export const gridPath = (path: string, j?: number): string => `sweep.grid[${JSON.stringify(path)}]${j === undefined ? '' : `[${j}]`}`;

// ---------------------------------------------------------------------------------------------
// Values at dotted paths.

function getAt(obj: unknown, keys: readonly string[]): unknown {
  let v = obj;
  for (const k of keys) {
    if (!isRecord(v)) return undefined;
    v = v[k];
  }
  return v;
}

/** A copy of `obj` with `value` at the dotted path (missing objects on the way are created). */
function setAt(obj: Record<string, unknown>, keys: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = keys;
  const inner = isRecord(obj[head]) ? (obj[head] as Record<string, unknown>) : {};
  return { ...obj, [head]: rest.length === 0 ? structuredClone(value) : setAt(inner, rest, value) };
}

/** Index → the value index of each axis (last axis fastest). */
function coordinates(index: number, sizes: readonly number[]): number[] {
  const out = new Array<number>(sizes.length);
  for (let a = sizes.length - 1; a >= 0; a--) {
    out[a] = index % sizes[a];
    index = Math.floor(index / sizes[a]);
  }
  return out;
}

/** The largest grid this parser expands (every point is validated and runs as its own network). */
export const MAX_GRID_POINTS = 100_000;

/**
 * The grid of a raw spec, normalised: the sweep.grid paths in order, preceded by "model.hidden"
 * when the base holds a width sweep the grid does not replace. Problems of the block itself
 * (bad paths, empty or non-list values, overlapping paths) are listed, not thrown.
 */
function readGrid(input: Record<string, unknown>): { grid: Grid; issues: SpecIssue[]; implicitWidths: string | null } {
  let implicitWidths: string | null = null;
  const issues: SpecIssue[] = [];
  const sweep = input.sweep as Record<string, unknown>;
  const grid: Grid = {};
  for (const key of Object.keys(sweep)) {
    if (key !== 'grid' && key !== 'hidden') issues.push({ path: `sweep.${key}`, message: 'unknown field; expected only the fields hidden, grid' });
  }
  if (!isRecord(sweep.grid)) {
    issues.push({ path: 'sweep.grid', message: `expected an object of dotted field paths and their value lists, like {"train.lr": [0.1, 1], "model.hidden": [[64], [256]]}; received ${JSON.stringify(sweep.grid) ?? String(sweep.grid)}` });
    return { grid, issues, implicitWidths };
  }
  const paths = Object.keys(sweep.grid);
  if (paths.length === 0) issues.push({ path: 'sweep.grid', message: 'expected at least one swept path, like {"train.lr": [0.1, 1]}; received {}' });
  for (const path of paths) {
    const values = sweep.grid[path];
    const problem = gridPathProblem(path);
    if (problem) issues.push({ path: gridPath(path), message: problem });
    else if (!Array.isArray(values) || values.length === 0) issues.push({ path: gridPath(path), message: `expected a non-empty list of values for ${path}, like [0.1, 1]; received ${JSON.stringify(values) ?? String(values)}` });
    else {
      const seen = new Map<string, number>();
      values.forEach((v, j) => {
        const key = JSON.stringify(v);
        if (key === undefined) issues.push({ path: gridPath(path, j), message: `expected a JSON value; received ${String(v)}` });
        else if (seen.has(key)) issues.push({ path: gridPath(path, j), message: `expected distinct values (a repeated point is run twice and gives its summaries no new point); received ${key}, a duplicate of ${gridPath(path, seen.get(key))}` });
        else seen.set(key, j);
      });
    }
    for (const other of paths) {
      if (other !== path && path.startsWith(`${other}.`)) issues.push({ path: gridPath(path), message: `expected paths that do not overlap; ${path} lies inside ${JSON.stringify(other)}, which the grid also sweeps` });
    }
  }
  if (issues.length) return { grid, issues, implicitWidths };
  // a width sweep in the base (model.hidden list of lists, or sweep.hidden) is the first axis unless the grid sweeps the widths
  const modelHidden = isRecord(input.model) ? input.model.hidden : undefined;
  const sweepsWidths = paths.some((p) => p === 'model' || p === 'model.hidden');
  if (sweep.hidden !== undefined && (modelHidden !== undefined || sweepsWidths)) {
    issues.push({ path: 'sweep.hidden', message: `expected the widths in one place only; received sweep.hidden and ${sweepsWidths ? 'a grid over model.hidden' : 'model.hidden'} (remove one of them)` });
    return { grid, issues, implicitWidths };
  }
  const base = modelHidden ?? sweep.hidden;
  if (!sweepsWidths && Array.isArray(base) && base.length > 0 && base.every(Array.isArray)) {
    const where = modelHidden !== undefined ? 'model.hidden' : 'sweep.hidden';
    const seen = new Map<string, number>();
    base.forEach((list, j) => {
      const key = JSON.stringify(list);
      if (seen.has(key)) issues.push({ path: `${where}[${j}]`, message: `expected distinct width lists in a sweep; received ${key}, a duplicate of ${where}[${seen.get(key)}]` });
      else seen.set(key, j);
    });
    grid['model.hidden'] = base;
    implicitWidths = where;
  }
  for (const path of paths) grid[path] = sweep.grid[path] as unknown[];
  const total = Object.values(grid).reduce((p, v) => p * v.length, 1);
  if (total > MAX_GRID_POINTS) issues.push({ path: 'sweep.grid', message: `expected at most ${MAX_GRID_POINTS} points; received ${total} (the product of the value counts ${Object.values(grid).map((v) => v.length).join(' × ')})` });
  return { grid, issues, implicitWidths };
}

/** The raw input of one point: the base without the sweep block, with the point's values at their paths. */
function pointInput(base: Record<string, unknown>, grid: Grid, coords: readonly number[]): { input: Record<string, unknown>; point: GridPoint } {
  let input: Record<string, unknown> = { ...base };
  delete input.sweep;
  const point: GridPoint = {};
  Object.keys(grid).forEach((path, a) => {
    const value = grid[path][coords[a]];
    point[path] = value;
    input = setAt(input, path.split('.'), value);
  });
  return { input, point };
}

/**
 * Validates a raw spec with a sweep.grid block: the block, then every point as a whole spec
 * (`parsePoint`, validate.ts's parser for one spec). A point's problem at or under a swept path
 * is reported at that grid value, `sweep.grid["train.lr"][2]`; other problems once, at their
 * own path, prefixed by the first point that has them when not every point does.
 *
 * The parsed spec is the first point's, with `sweep: {grid}` (normalised: a width sweep of the
 * base as the axis "model.hidden"); expandGrid turns it into its points again.
 */
export function safeParseGrid(input: Record<string, unknown>, parsePoint: (input: unknown) => SpecResult): SpecResult {
  const { grid, issues, implicitWidths } = readGrid(input);
  if (issues.length) return { ok: false, issues };
  const paths = Object.keys(grid);
  const sizes = paths.map((p) => grid[p].length);
  const total = sizes.reduce((p, s) => p * s, 1);
  const out: SpecIssue[] = [];
  const seen = new Map<string, { first: number; count: number; issue: SpecIssue; point: GridPoint }>();
  let first: ExperimentSpec | null = null;
  for (let index = 0; index < total; index++) {
    const coords = coordinates(index, sizes);
    const { input: raw, point } = pointInput(input, grid, coords);
    let result = parsePoint(raw);
    // a point is one network: a width sweep as a grid value would run only its first width
    if (result.ok && Array.isArray(result.spec.model.hidden[0])) {
      const path = paths.includes('model.hidden') ? 'model.hidden' : 'model';
      result = { ok: false, issues: [{ path, message: 'expected one width list per grid value, like [256] (each point of a grid is one network: give each width list as its own value)' }] };
    }
    if (result.ok) {
      if (index === 0) first = result.spec;
      continue;
    }
    for (const issue of result.issues) {
      // at or under a swept path: the grid value is the culprit
      const a = paths.findIndex((p) => issue.path === p || issue.path.startsWith(`${p}.`) || issue.path.startsWith(`${p}[`));
      if (a >= 0) {
        const path = paths[a];
        const rest = issue.path.slice(path.length).replace(/^\./, '');
        // the base's width sweep (the implicit first axis) is reported where the user wrote it
        const value = path === 'model.hidden' && implicitWidths ? `${implicitWidths}[${coords[a]}]` : gridPath(path, coords[a]);
        const at = `${value}${rest ? (rest.startsWith('[') ? rest : `.${rest}`) : ''}`;
        const key = `${at}\u0000${issue.message}`;
        if (!seen.has(key)) seen.set(key, { first: index, count: 0, issue: { path: at, message: issue.message }, point });
        continue;
      }
      const key = `${issue.path}\u0000${issue.message}`;
      const s = seen.get(key);
      if (s) s.count++;
      else seen.set(key, { first: index, count: 1, issue, point });
    }
  }
  for (const { count, issue, first: index, point } of seen.values()) {
    // a problem every point shares belongs to the base spec; one that only some points have names the first of them
    if (count === 0 || count === total) out.push(issue);
    else out.push({ ...issue, message: `at grid point ${index} ${JSON.stringify(point)}${count > 1 ? ` (and ${count - 1} more)` : ''}: ${issue.message}` });
  }
  if (out.length) return { ok: false, issues: out };
  const spec = first!;
  const representative = { ...spec, sweep: { grid } } as ExperimentSpec;
  // defaults that depend on a swept field are filled per point by expandGrid, not copied from the first point
  if (paths.includes('model.inputDim') || paths.includes('model')) dropDefaultRadius(representative, input);
  return { ok: true, spec: representative };
}

/** The sphere radius defaults to √d (schema.ts): when d is swept, leave it to each point (unless given). */
function dropDefaultRadius(spec: ExperimentSpec, input: Record<string, unknown>): void {
  for (const which of ['train', 'test'] as const) {
    const set = spec.data[which] as { kind: string; radius?: number } | undefined;
    if (set?.kind === 'sphere' && getAt(input, ['data', which, 'radius']) === undefined) {
      const { radius: _drop, ...rest } = set;
      (spec.data as Record<string, unknown>)[which] = rest;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Expansion.

let parsePointSpec: ((input: unknown) => SpecResult) | null = null;
/** validate.ts registers its one-spec parser here (the parser of a point; no import cycle). */
export function registerPointParser(parse: (input: unknown) => SpecResult): void {
  parsePointSpec = parse;
}

/** The grid of a parsed spec (normalised), or null when it has none. */
export function specGrid(spec: ExperimentSpec): Grid | null {
  return (spec.sweep as { grid?: Grid } | undefined)?.grid ?? null;
}

/** How many points a parsed spec has (widths of a width sweep; 1 for a single network). */
export function pointCount(spec: ExperimentSpec): number {
  const grid = specGrid(spec);
  if (grid) return Object.values(grid).reduce((p, v) => p * v.length, 1);
  const hidden = spec.sweep?.hidden ?? spec.model.hidden;
  return Array.isArray(hidden[0]) ? hidden.length : 1;
}

/**
 * The points of a parsed spec, in point order (last grid path fastest), each with its whole
 * validated spec holding one width list: a grid's Cartesian product; a width sweep's width lists
 * ({"model.hidden": [256]}, the spec otherwise unchanged); a single network's one point {}.
 * `indices` picks some points (a shard) without building the others.
 */
export function expandGrid(spec: ExperimentSpec, indices?: readonly number[]): ExpandedPoint[] {
  const total = pointCount(spec);
  const wanted = indices ?? Array.from({ length: total }, (_, i) => i);
  for (const i of wanted) if (!Number.isSafeInteger(i) || i < 0 || i >= total) throw new RangeError(`grid point ${i} does not exist: the spec has ${total} points (0 to ${total - 1})`);
  const grid = specGrid(spec);
  if (!grid) {
    const hidden = spec.sweep?.hidden ?? spec.model.hidden;
    if (!Array.isArray(hidden[0])) return wanted.map((index) => ({ index, point: {}, spec }));
    const lists = hidden as number[][];
    return wanted.map((index) => {
      const { sweep: _sweep, ...rest } = spec;
      return { index, point: { 'model.hidden': lists[index] }, spec: { ...rest, model: { ...spec.model, hidden: [...lists[index]] } } as ExperimentSpec };
    });
  }
  if (!parsePointSpec) throw new Error('expandGrid: the spec parser is not registered (import from src/spec, not src/spec/grid directly)');
  const paths = Object.keys(grid);
  const sizes = paths.map((p) => grid[p].length);
  return wanted.map((index) => {
    const { input, point } = pointInput(spec as unknown as Record<string, unknown>, grid, coordinates(index, sizes));
    const result = parsePointSpec!(input);
    // the spec was validated point by point when it was parsed: a failure here is a changed spec object
    if (!result.ok) throw new Error(`grid point ${index} ${JSON.stringify(point)} is not a valid spec: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    return { index, point, spec: result.spec };
  });
}

/** The first hidden width of a point's spec (the width the summaries' slopes are against). */
export function pointWidth(spec: ExperimentSpec): number[] {
  const h = spec.model.hidden;
  return Array.isArray(h[0]) ? [...(h as number[][])[0]] : [...(h as number[])];
}
