// The NTK explorer (demos/ntk) in headless Chromium on SwiftShader, at tiny widths.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpecText } from '../../src/spec';
import { REPO_ROOT, screenshot, withBrowser } from '../helpers/browser';
import { IMG, SCRIPT, expectClean, expectRefused, exportVia, handle, openDemo, waitFor } from './helpers';

const SMALL = '/demos/ntk/index.html?w1=8&w2=32&layers=3&ens=3&points=9&steps=3&seed=5';

describe('NTK explorer page', () => {
  it('computes ensemble bands at small widths, exports, follows its controls and its URL, refuses bad URLs', async () => {
    await withBrowser(async (session) => {
      // --- runs and fills its plots
      const ctx = await openDemo(session, SMALL);
      let h = await waitFor(ctx, 'h.data.remaining === 0 && !h.running');
      expect(h.error).toBeNull();
      expect(h.urlProblems).toEqual([]);
      expect(h.adapter?.host).toBe('browser');
      expect(h.state).toMatchObject({ w1: 8, w2: 32, layers: 3, ens: 3, points: 9, seed: 5, wstd: 1, bias: 0.1 });
      // Jacot et al.'s set-up by default (σ_w = 1, β = 0.1), and the page says so
      expect((h.data as { setup: string }).setup).toBe('jacot');
      expect(await ctx.page.$eval('#setup-note', (el) => el.textContent ?? '')).toContain("Jacot et al.'s set-up (σ_w = 1, β = 0.1)");
      expect(await ctx.page.$eval('#ctl-setup', (el) => (el as HTMLSelectElement).value)).toBe('jacot');
      const data = h.data as { gammaPoints: number; infinitePoints: number; members: Record<string, { init: number; trained: number }>; initCounts: number[]; trainedCounts: number[]; initMean: number[] };
      expect(data.gammaPoints).toBe(9);
      expect(data.infinitePoints).toBe(9);
      expect(data.members['8'].init).toBe(3);
      expect(data.members['32'].init).toBe(3);
      // every series of the init plot: two widths × (mean, +σ, −σ) and the limit
      expect(data.initCounts).toEqual([9, 9, 9, 9, 9, 9, 9]);
      expect(data.members['8'].trained).toBe(3);
      expect(data.members['32'].trained).toBe(3);
      expect(data.trainedCounts).toEqual([9, 9, 9, 9, 9, 9, 9]);
      expect(h.steps).toBe(12);
      const status = await ctx.page.$eval('#status', (el) => el.textContent ?? '');
      expect(status).toContain('software');
      expect(status).toMatch(/members\/s/);
      await screenshot(ctx.page, 'demo-ntk');
      await expectClean(ctx);

      // --- exports: data, figure, spec (which widenet's own parser accepts)
      const csv = await exportVia(ctx, 'export-csv');
      expect(csv.name).toBe('ntk-explorer.csv');
      const lines = csv.text.trim().split('\n');
      expect(lines[0].split(',')).toContain('infinite');
      expect(lines.length).toBe(10);
      const png = await exportVia(ctx, 'export-png');
      expect(png.kind).toBe('figure');
      expect(png.bytes).toBeGreaterThan(1000);
      const spec = await exportVia(ctx, 'export-spec');
      const parsed = parseSpecText(spec.text, 'exported');
      expect(parsed.model.hidden).toEqual([[8, 8], [32, 32]]);
      expect(parsed.model.ensemble).toBe(3);
      expect(parsed.seed).toBe(5);
      // the paper's scales (NTK parameterization, σ_w = 1, β = 0.1)
      expect(parsed.model).toMatchObject({ parameterization: 'ntk', weightStd: 1, biasStd: 0.1 });
      // otherwise the same set-up as examples/jacot-2018.json, but for the widths, ensemble and seed of the URL
      // (the example file still has the He-scaled weightStd √2; left out of the comparison)
      const example = parseSpecText(readFileSync(join(REPO_ROOT, 'examples/jacot-2018.json'), 'utf8'));
      expect(parsed.data.train).toEqual(example.data.train);
      expect({ ...parsed.model, hidden: null, ensemble: null, weightStd: null }).toEqual({ ...example.model, hidden: null, ensemble: null, weightStd: null });

      // --- the He-scaled preset: σ_w = √2 in the state, the URL, the spec, the limit kernel and the page text
      const infiniteBefore = await ctx.page.evaluate(() => window.__widenetPage!.data.infinitePoints);
      expect(infiniteBefore).toBe(9);
      await ctx.page.select('#ctl-setup', 'he');
      h = await waitFor(ctx, "h.data.setup === 'he' && h.data.remaining === 0 && !h.running");
      expect(h.state.wstd).toBe(Math.SQRT2);
      expect(ctx.page.url()).toContain(`wstd=${Math.SQRT2}`);
      expect(await ctx.page.$eval('#setup-note', (el) => el.textContent ?? '')).toContain("the He-scaled variant (σ_w = √2, β = 0.1), not the paper's σ_w = 1");
      expect((h.data as typeof data).initMean).not.toEqual(data.initMean);
      expect(parseSpecText((await exportVia(ctx, 'export-spec')).text).model.weightStd).toBe(Math.SQRT2);
      await ctx.page.select('#ctl-setup', 'jacot');
      h = await waitFor(ctx, "h.data.setup === 'jacot' && h.data.remaining === 0 && !h.running");
      expect((h.data as typeof data).initMean).toEqual(data.initMean);

      // --- a control changes the state and the URL, and the page recomputes
      await ctx.page.select('#ctl-act', 'erf');
      h = await waitFor(ctx, "h.state.act === 'erf' && h.data.remaining === 0 && !h.running");
      expect(ctx.page.url()).toContain('act=erf');
      expect((h.data as typeof data).initCounts[6]).toBe(9);
      await expectClean(ctx);
      await ctx.page.close();

      // --- the same URL gives the same kernels
      const again = await openDemo(session, SMALL);
      const h2 = await waitFor(again, 'h.data.remaining === 0 && !h.running');
      expect((h2.data as typeof data).initMean).toEqual(data.initMean);
      await again.page.close();

      // --- bad URL state: refused with a visible message, defaults used, tab alive
      const bad = await openDemo(session, `/demos/ntk/index.html?w1=abc&w2=-5&layers=1e9&act=${encodeURIComponent(SCRIPT)}&ens=&seed=1.5&points=Infinity&${encodeURIComponent(IMG)}=1&run=0`);
      const hb = await expectRefused(bad, ['w1', 'w2', 'layers', 'act', 'ens', 'seed', 'points']);
      expect(hb.state).toMatchObject({ w1: 500, w2: 10000, layers: 4, act: 'relu', ens: 10, seed: 0, points: 65, wstd: 1, bias: 0.1 });
      expect(hb.urlProblems.some((p) => p.message.startsWith('unknown parameter'))).toBe(true);
      await screenshot(bad.page, 'demo-ntk-bad-url');
      await expectClean(bad);
      await bad.page.close();

      const huge = await openDemo(session, '/demos/ntk/index.html?w1=1e12&w2=99999999&ens=2&points=9&steps=0&run=0');
      const hh = await expectRefused(huge, ['w1', 'w2']);
      expect(hh.state).toMatchObject({ w1: 500, w2: 10000 });
      await expectClean(huge);
      void handle;
    });
  });
});
