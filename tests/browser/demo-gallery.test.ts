// The gallery pages of issue 15 (µTransfer, maximal stable lr, lazy–rich phase diagram) in
// headless Chromium on SwiftShader: each runs its tiny grid to the end, draws the figure of
// `widenet plot` with one mark per point (or per width), shows the grid summary, exports its
// data, figure and spec, keeps its state in the URL, refuses bad URL values; no console errors.
import { describe, expect, it } from 'vitest';
import { parseSpecText } from '../../src/spec';
import type { GridSummary } from '../../src/dynamics/records';
import { screenshot, withBrowser } from '../helpers/browser';
import { SCRIPT, expectClean, expectRefused, exportVia, handle, openDemo, waitFor } from './helpers';

interface GridData {
  points: number;
  done: number;
  remaining: number;
  figure: string;
  marks: Record<string, number>;
  summary: GridSummary | null;
  diverged: number;
}
const DONE = 'h.data.points > 0 && h.data.done === h.data.points && h.data.remaining === 0 && !h.running && h.data.marks && Object.keys(h.data.marks).length > 0';

describe('gallery pages: the headline figures as live grids', () => {
  it('µTransfer: loss against lr per width and parameterization, best lr per width, exports, URL', async () => {
    await withBrowser(async (session) => {
      const url = '/demos/mu-transfer/index.html?widths=8,16&params=standard,mup&lrmin=-2&lrmax=0&n=4&steps=3&seed=1';
      const ctx = await openDemo(session, url);
      const h = await waitFor(ctx, DONE, 240_000);
      expect(h.error).toBeNull();
      const data = h.data as unknown as GridData;
      expect(data.points).toBe(2 * 2 * 3);
      expect(data.figure).toBe('lr');
      // one symbol per point: a dot for a trained run, a cross for a diverged one
      expect(data.marks.symbol).toBe(12);
      expect(data.summary?.bestLr).toHaveLength(4);
      const table = await ctx.page.$eval('#summary', (el) => el.textContent ?? '');
      expect(table).toContain('best lr, mup width 16');
      await screenshot(ctx.page, 'demo-mu-transfer');
      await expectClean(ctx);
      const spec = parseSpecText((await exportVia(ctx, 'export-spec')).text);
      expect((spec.sweep as { grid: Record<string, unknown> }).grid).toEqual({ 'model.parameterization': ['standard', 'mup'], 'model.hidden': [[8], [16]], 'train.lr': [0.25, 0.5, 1] });
      expect(spec.train.steps).toBe(3);
      const csv = await exportVia(ctx, 'export-csv');
      expect(csv.text.trim().split('\n').length).toBe(1 + 12);
      const json = JSON.parse((await exportVia(ctx, 'export-json')).text) as { summary: GridSummary; lines: unknown[] };
      expect(json.summary.bestLr).toEqual(data.summary!.bestLr);
      const svg = await exportVia(ctx, 'export-svg');
      expect(svg.text).toMatch(/^<svg/);
      expect(svg.text).toContain('learning rate');
      expect((await exportVia(ctx, 'export-png')).bytes).toBeGreaterThan(1000);
      const vl = JSON.parse((await exportVia(ctx, 'export-vega-lite')).text) as { data: { values: unknown[] } };
      expect(vl.data.values).toHaveLength(12);
      expect(ctx.page.url()).toContain('lrmin=-2');
      await expectClean(ctx);
    });
  });

  it('maximal stable lr: the largest stable lr per width with its slope; a bad URL is refused', async () => {
    await withBrowser(async (session) => {
      const ctx = await openDemo(session, '/demos/max-lr/index.html?widths=8,32&params=standard,mup&lrmin=-3&lrmax=1&n=4&steps=4');
      const h = await waitFor(ctx, DONE, 240_000);
      expect(h.error).toBeNull();
      const data = h.data as unknown as GridData;
      expect(data.points).toBe(2 * 2 * 5);
      expect(data.figure).toBe('stable-lr');
      const curves = data.summary!.maxStableLr!;
      expect(curves).toHaveLength(2);
      // one symbol per (parameterization, width) that has a stable lr
      expect(data.marks.symbol).toBe(curves.flatMap((c) => c.lr).filter((lr) => lr !== null).length);
      const table = await ctx.page.$eval('#summary', (el) => el.textContent ?? '');
      expect(table).toContain('slope against width, standard');
      await screenshot(ctx.page, 'demo-max-lr');
      await expectClean(ctx);
      await ctx.page.close();

      const bad = await openDemo(session, `/demos/max-lr/index.html?widths=0&params=${encodeURIComponent(SCRIPT)}&lrmin=abc&run=0`);
      const hb = await expectRefused(bad, ['widths', 'params', 'lrmin']);
      expect(hb.state).toMatchObject({ widths: [16, 64, 256], params: ['standard', 'mup'], lrmin: -4 });
      await expectClean(bad);
    });
  });

  it('lazy–rich phase: NTK change over α × width, α* and its slope, the same numbers on reload', async () => {
    await withBrowser(async (session) => {
      const url = '/demos/phase/index.html?widths=8,32&amin=-1&amax=1&n=4&steps=4&lr=0.5';
      const ctx = await openDemo(session, url);
      const h = await waitFor(ctx, DONE, 240_000);
      expect(h.error).toBeNull();
      const data = h.data as unknown as GridData;
      expect(data.points).toBe(2 * 3);
      expect(data.figure).toBe('phase');
      // one cell (a coloured or a grey rect) and one label per point
      expect(data.marks.rect).toBe(6);
      expect(data.marks.text).toBe(6);
      expect(data.summary?.crossover?.curves[0].widths).toEqual([8, 32]);
      const table = await ctx.page.$eval('#summary', (el) => el.textContent ?? '');
      expect(table).toContain('α* at width 32');
      await screenshot(ctx.page, 'demo-phase');
      await expectClean(ctx);
      const spec = parseSpecText((await exportVia(ctx, 'export-spec')).text);
      expect(spec.model.centered).toBe(true);
      expect(spec.model.parameterization).toBe('ntk');
      await ctx.page.close();

      const again = await openDemo(session, url);
      const h2 = await waitFor(again, DONE, 240_000);
      expect((h2.data as unknown as GridData).summary).toEqual(data.summary);
      expect(await handle(again).then((x) => x.error)).toBeNull();
      await expectClean(again);
    });
  });
});
