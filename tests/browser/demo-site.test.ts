// The static site `npm run build` writes (what `npm start` serves with vite preview): every page
// is there, "/" leads to the index, and a page built with its WGSL inlined trains in Chromium.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build, preview } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, withBrowser } from '../helpers/browser';
import { expectClean, openDemo, waitFor } from './helpers';

const outDir = mkdtempSync(join(tmpdir(), 'widenet-site-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('built demo site', () => {
  it('builds every page and serves them with vite preview', async () => {
    await build({ configFile: join(REPO_ROOT, 'vite.config.ts'), root: REPO_ROOT, mode: 'production', logLevel: 'error', build: { outDir, emptyOutDir: true } });
    for (const page of ['index.html', 'demos/index.html', 'demos/regimes/index.html', 'demos/ntk/index.html', 'demos/sweep/index.html', 'demos/coord/index.html', 'demos/generalization/index.html', 'demos/beyond/index.html']) {
      expect(existsSync(join(outDir, page)), page).toBe(true);
    }
    const server = await preview({ configFile: join(REPO_ROOT, 'vite.config.ts'), root: REPO_ROOT, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
    const address = server.httpServer.address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${address.port}`;
    await withBrowser(async (session) => {
      const root = await fetch(`${baseUrl}/`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/demos/index.html');
      const ctx = await openDemo(session, '/demos/regimes/index.html?width=16&n=4&steps=2&spf=2&depth=1');
      const h = await waitFor(ctx, 'h.steps >= 2 && !h.running');
      expect(h.error).toBeNull();
      expect((h.data.panels as { records: number }[]).map((p) => p.records)).toEqual([2, 2]);
      await expectClean(ctx);
    }, { server: async () => ({ baseUrl, close: () => server.close() }) });
  });
});
