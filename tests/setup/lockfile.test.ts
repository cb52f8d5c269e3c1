// The lock file is complete and in sync with package.json, so that `npm ci` (which .ci/run uses)
// accepts it on every platform: the same direct dependencies at the same versions, and every
// optional dependency of a locked package (rollup's and esbuild's per-platform binaries) locked too.
// An npm that installs from an existing node_modules can drop the other platforms' entries; this
// test names them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
const pkg = read('package.json');
const lock = read('package-lock.json');
const locked: Record<string, { version?: string; optionalDependencies?: Record<string, string>; dependencies?: Record<string, string> }> = lock.packages;

/** Where npm would resolve `dep` from the package at `path` (nested node_modules first). */
function resolve(path: string, dep: string): string | null {
  for (let dir = path; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${dep}`;
    if (locked[candidate]) return candidate;
    if (!dir) return null;
  }
}

describe('package-lock.json', () => {
  it('lists package.json\'s direct dependencies with the same version ranges', () => {
    const root = locked[''];
    for (const field of ['dependencies', 'devDependencies'] as const) expect(root[field as 'dependencies'], field).toEqual(pkg[field]);
    for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>)) {
      expect(locked[`node_modules/${name}`]?.version, `${name} locked at the pinned version`).toBe(range);
    }
  });
  it('locks every optional (per-platform) dependency of every locked package', () => {
    const missing: string[] = [];
    for (const [path, meta] of Object.entries(locked)) {
      for (const dep of Object.keys(meta.optionalDependencies ?? {})) if (!resolve(path, dep)) missing.push(`${path || '(root)'} → ${dep}`);
      for (const dep of Object.keys(meta.dependencies ?? {})) if (!resolve(path, dep)) missing.push(`${path || '(root)'} → ${dep}`);
    }
    expect(missing, 'dependencies absent from the lock file (regenerate it with a fresh `npm install`)').toEqual([]);
  });
});
