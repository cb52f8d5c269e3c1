// Running the built `widenet` command as a user does (`npm test` builds dist/cli first).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = join(__dirname, '../../dist/cli/widenet.js');

export function widenet(args: string[], o: { env?: Record<string, string>; timeout?: number } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: o.timeout ?? 300_000, env: { ...process.env, ...o.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI as a running child process (for signals); `done` resolves with its exit and output. */
export function widenetChild(args: string[]): { child: ChildProcess; stdout: () => string; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, stdout: () => stdout, done };
}

/** stderr without the Vulkan loader's warnings of the first (driverless) instance on machines without a GPU. */
export const ownStderr = (stderr: string): string =>
  stderr
    .split('\n')
    .filter((l) => l.trim() && !/vkCreateInstance|CheckVkSuccessImpl/.test(l))
    .join('\n');

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
