// The Node side of the autotuning cache: one JSON file, { [adapter key]: AutotuneReport }.
// Its path: WIDENET_AUTOTUNE_CACHE, else $XDG_CACHE_HOME/widenet/autotune.json, else
// ~/.cache/widenet/autotune.json. Kept apart from autotune.ts so that pages never import node:fs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AutotuneCache, AutotuneReport } from './autotune';

export function defaultAutotuneCachePath(): string {
  if (process.env.WIDENET_AUTOTUNE_CACHE) return process.env.WIDENET_AUTOTUNE_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'widenet', 'autotune.json');
}

export function fileCache(path = defaultAutotuneCachePath()): AutotuneCache & { entries(): Record<string, AutotuneReport> } {
  const readAll = (): Record<string, AutotuneReport> => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Record<string, AutotuneReport>;
    } catch {
      return {}; // missing or unreadable: an empty cache (the search runs and rewrites it)
    }
  };
  return {
    where: path,
    entries: readAll,
    load: (key) => readAll()[key] ?? null,
    save: (key, report) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify({ ...readAll(), [key]: report }, null, 2) + '\n');
    },
  };
}
