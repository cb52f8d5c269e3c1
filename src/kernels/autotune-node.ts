// The Node side of the autotuning cache: one JSON file, { [adapter key]: AutotuneReport }.
// Its path: WIDENET_AUTOTUNE_CACHE, else $XDG_CACHE_HOME/widenet/autotune.json, else
// ~/.cache/widenet/autotune.json. Kept apart from autotune.ts so that pages never import node:fs.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AutotuneCache, AutotuneReport } from './autotune';
import { warnOnce } from './tuning';

export function defaultAutotuneCachePath(): string {
  if (process.env.WIDENET_AUTOTUNE_CACHE) return process.env.WIDENET_AUTOTUNE_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'widenet', 'autotune.json');
}

/**
 * The cache file. A missing file is an empty cache; a file that is not JSON or not an object of
 * entries is reported once (via `warn`, default stderr) and read as empty, so the next search
 * rewrites it. Entries are validated where they are used (autotune.ts, cachedChoiceProblem).
 */
export function fileCache(path = defaultAutotuneCachePath(), warn: (message: string) => void = (m) => process.stderr.write(`widenet: ${m}\n`)): AutotuneCache & { entries(): Record<string, AutotuneReport> } {
  const readAll = (): Record<string, AutotuneReport> => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warnOnce(warn, `ignoring the autotune cache ${path}: ${(e as Error).message}`);
      return {}; // missing: an empty cache (the search runs and writes it)
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      warnOnce(warn, `ignoring the autotune cache ${path}: not valid JSON (${(e as Error).message})`);
      return {};
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      warnOnce(warn, `ignoring the autotune cache ${path}: expected an object of entries by adapter key, got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`);
      return {};
    }
    return data as Record<string, AutotuneReport>;
  };
  return {
    where: path,
    entries: readAll,
    load: (key) => {
      const all = readAll();
      return Object.hasOwn(all, key) ? all[key] : null;
    },
    save: (key, report) => {
      mkdirSync(dirname(path), { recursive: true });
      // written whole, then renamed over the cache: another widenet process reading it meanwhile
      // sees the old file or the new one, never half of one
      const partial = `${path}.${process.pid}.tmp`;
      writeFileSync(partial, JSON.stringify({ ...readAll(), [key]: report }, null, 2) + '\n');
      renameSync(partial, path);
    },
  };
}
