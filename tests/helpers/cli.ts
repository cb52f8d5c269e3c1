// Running the built `widenet` command as a user does (`npm test` builds dist/cli first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = join(__dirname, '../../dist/cli/widenet.js');

export function widenet(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder and a writer of spec files in it (objects as JSON, strings as given). */
export function specFolder(prefix: string): { dir: string; specFile: (name: string, spec: unknown) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    specFile: (name, spec) => {
      const path = join(dir, name);
      writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec));
      return path;
    },
  };
}
