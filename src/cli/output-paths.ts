// The output paths of the commands (--out, --json, --export-entk), checked before any work: an
// empty value (an unset shell variable: `--out "$OUT"`) or a file whose folder is missing or not
// writable is refused up front, naming the flag, with exit code 2 (a usage error, like a bad
// spec), instead of a raw ENOENT after minutes of work or a silently ignored flag.
// Also the `{"failed": …}` line that ends the results of a run stopped by an error.
import { accessSync, constants, openSync, closeSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WidenetError } from '../gpu/errors';
import type { FailedLine } from '../dynamics/records';

/** The kernels file of a point in a results folder (a grid's points may share a width: their files carry the point index). */
export const kernelsFileName = (index: number, width: readonly number[], grid: boolean): string => `kernels-${grid ? `p${index}-` : ''}${width.join('x')}.json`;

/** The running point's saved state in a results folder (`widenet run --checkpoint`; resume.ts). */
export const CHECKPOINT_FILE = 'checkpoint.bin';

/** Writes a results-folder file whole: into `path.tmp`, then renamed over `path`, so a kill or a reader sees the old file or the new one. */
export function writeFileWhole(path: string, data: string | Uint8Array): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

/**
 * metrics.jsonl's text as its whole lines and, apart, a last line without its newline (cut while
 * being written: a kill), or null when the file ends in a newline or is empty.
 */
export function metricsLines(text: string): { lines: string[]; cut: string | null } {
  const lines = text.split('\n');
  const last = lines.pop()!;
  return { lines, cut: last === '' ? null : last };
}

/** An output path that cannot be used: named by its flag, exit code 2. */
export class OutputPathError extends WidenetError {
  readonly exitCode = 2;
}

/** Refuses an empty value: `--out ''` is an unset variable, never "no output". */
export function requireOutputPath(flag: string, value: string | undefined): void {
  if (value !== undefined && value.trim() === '') {
    throw new OutputPathError(`${flag}: expected a path; received an empty string (an unset shell variable, like --out "$OUT"?)`);
  }
}

/** stat, or undefined where nothing is (ENOENT) or a file stands in the way of a folder (ENOTDIR). */
const stat = (path: string) => {
  try {
    return statSync(path);
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw new OutputPathError(`cannot use ${path}: ${code(e)}`);
  }
};

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String((e as Error).message ?? e);

/**
 * Checks, before the work, that the file `path` of `flag` can be written: not empty, not a
 * folder, and its folder is a writable folder. With `createFolders` a missing folder is fine when
 * its nearest existing ancestor is a writable folder (the command creates the rest). Writability
 * is tested by creating and removing a probe file (access(2) says yes to root on /proc, where
 * creating a file still fails).
 */
export function checkOutputFile(flag: string, path: string | undefined, o: { createFolders?: boolean } = {}): void {
  if (path === undefined) return;
  requireOutputPath(flag, path);
  const target = resolve(path);
  const st = stat(target);
  if (st?.isDirectory()) throw new OutputPathError(`${flag} ${path}: expected a file name; that is a folder`);
  if (st) {
    try {
      accessSync(target, constants.W_OK);
    } catch (e) {
      throw new OutputPathError(`${flag} ${path}: the file exists and cannot be written (${code(e)})`);
    }
  }
  let folder = dirname(target);
  for (;;) {
    const f = stat(folder);
    if (f) {
      if (!f.isDirectory()) throw new OutputPathError(`${flag} ${path}: ${folder} is not a folder`);
      break;
    }
    if (!o.createFolders) throw new OutputPathError(`${flag} ${path}: the folder ${folder} does not exist; create it first`);
    const parent = dirname(folder);
    if (parent === folder) throw new OutputPathError(`${flag} ${path}: no existing folder above it`);
    folder = parent;
  }
  const probe = join(folder, `.widenet-write-test-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    throw new OutputPathError(`${flag} ${path}: cannot create files in the folder ${folder} (${code(e)})`);
  }
}

/** The message of an error on one line, without Dawn's native source locations ("at CheckVk… (…cpp:106)"). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^at /.test(l))
    .join(' ');
}

/** `{"failed": {width, point?, step, error, message}}`: the last line of a run stopped by an error (records.ts FailedLine). */
export function failedLine(error: unknown, width: number[] | null, point: Record<string, unknown> | null | undefined, step: number): FailedLine {
  const name = error instanceof Error ? error.name : 'Error';
  return { failed: { width, ...(point !== undefined ? { point } : {}), step, error: name, message: errorText(error) } };
}
