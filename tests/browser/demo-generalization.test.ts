// The Generalization page (issue 13) in headless Chromium on SwiftShader, at tiny sizes: every
// panel gets data, the double-descent peak of the ridgeless lstsq solve is at the grid width
// nearest m = n (within one grid step, as tests/dynamics/double-descent.test.ts holds the same
// set-up: n = 8 on the sphere in d = 4, ensemble 8) and a ridge lowers it, exports, URL state
// round-trips, bad URLs are refused, no console errors.
import { describe, expect, it } from 'vitest';
import { parseSpecText } from '../../src/spec';
import { screenshot, withBrowser } from '../helpers/browser';
import { SCRIPT, expectClean, expectRefused, exportVia, handle, openDemo, waitFor } from './helpers';

interface GenData {
  live: { records: number; lastStep: number | null };
  widthsDone: number[];
  ddDone: { ridgeless: number[]; ridge: number[] };
  counts: Record<'loss' | 'gap' | 'norms' | 'distance' | 'modes' | 'dd', number[]>;
  modes: { source: string; count: number };
  bias: { final: Record<string, { network: number; linearized: number | null; minNorm: number | null; functionDistance: number | null }> };
  dd: { n: number; nearestN: number; peakWidth: number | null; peakTestLoss: number | null; ridgePeakTestLoss: number | null; ridgeless: [number, number][]; ridge: [number, number][] };
  remaining: number;
  diverged: number;
}

const DD_WIDTHS = [4, 6, 8, 10, 12, 32];
const PAGE_URL = `/demos/generalization/index.html?width=32&n=5&steps=12&every=4&ens=1&modes=3&widths=16,64&ddn=8&ddd=4&ddwidths=${DD_WIDTHS.join(',')}&ddens=8&spf=12&seed=1`;
const DONE = 'h.data.remaining === 0 && !h.running';

describe('generalization page', () => {
  it('bounds, minimum-norm distance, modes and double descent; exports, URL state, bad URLs', async () => {
    await withBrowser(async (session) => {
      const ctx = await openDemo(session, PAGE_URL);
      let h = await waitFor(ctx, DONE);
      expect(h.error).toBeNull();
      const data = h.data as unknown as GenData;
      expect(data.diverged).toBe(0);
      // (1) records at steps 0, 4, 8, 12: train, test, gap, ℓ1 and ℓ2 Rademacher bounds, NTK bound (5 bias-free ReLU circle points: defined)
      expect(data.live).toEqual({ records: 4, lastStep: 12 });
      expect(data.counts.loss).toEqual([4, 4, 4, 4, 4]);
      expect(data.counts.gap).toEqual([4]);
      // (2) both widths: network, linearised, minNorm; relative gap and function distance
      expect(data.widthsDone).toEqual([16, 64]);
      expect(data.counts.norms).toEqual([2, 2, 2]);
      expect(data.counts.distance).toEqual([2, 2]);
      for (const w of ['16', '64']) {
        const b = data.bias.final[w];
        expect(b.minNorm!, `minNorm at ${w}`).toBeGreaterThan(0);
        expect(b.network, `network at ${w}`).toBeGreaterThan(0);
      }
      // (3) three modes of Θ_η(θ₀), each network residual and closed form at every record
      expect(data.modes).toEqual({ source: 'empirical', count: 3 });
      expect(data.counts.modes).toEqual([4, 4, 4, 4, 4, 4]);
      // (4) every width solved ridgeless and with ridge; the marked peak is the largest ridgeless test loss
      expect(data.ddDone).toEqual({ ridgeless: DD_WIDTHS, ridge: DD_WIDTHS });
      expect(data.counts.dd[0]).toBe(DD_WIDTHS.length);
      expect(data.counts.dd[1]).toBe(DD_WIDTHS.length);
      expect(data.counts.dd[3], 'one peak marker').toBe(1);
      const curve = JSON.stringify(data.dd.ridgeless.map(([w, l]) => [w, +l.toPrecision(3)]));
      console.log('double descent', curve, 'ridge', JSON.stringify(data.dd.ridge.map(([w, l]) => [w, +l.toPrecision(3)])), 'implicitBias', JSON.stringify(data.bias.final));
      expect(data.dd.peakTestLoss).toBe(Math.max(...data.dd.ridgeless.map(([, l]) => l)));
      expect(data.dd.nearestN).toBe(8);
      expect(Math.abs(DD_WIDTHS.indexOf(data.dd.peakWidth!) - DD_WIDTHS.indexOf(data.dd.nearestN)), `ridgeless peak at m = ${data.dd.peakWidth}: ${curve}`).toBeLessThanOrEqual(1);
      expect(data.dd.peakTestLoss!, curve).toBeGreaterThan(2 * data.dd.ridgeless[DD_WIDTHS.length - 1][1]);
      expect(data.dd.ridgePeakTestLoss!, JSON.stringify(data.dd.ridge)).toBeLessThan(0.5 * data.dd.peakTestLoss!);
      expect(h.steps).toBe(12 + 2 * 12 + 2 * DD_WIDTHS.length);
      expect(await ctx.page.$eval('#panel-dd-note', (el) => el.textContent ?? '')).toContain(`Ridgeless peak at m = ${data.dd.peakWidth}`);
      expect(await ctx.page.$eval('#panel-modes', (el) => el.textContent ?? '')).toContain('Fourier modes');
      await screenshot(ctx.page, 'demo-generalization');
      await expectClean(ctx);

      // exports: rows of every panel; the specs `widenet run` takes
      const csv = await exportVia(ctx, 'export-csv');
      expect(csv.text.trim().split('\n').length).toBe(1 + 4 + 2 + 2 * DD_WIDTHS.length);
      expect((await exportVia(ctx, 'export-png')).bytes).toBeGreaterThan(1000);
      const spec = parseSpecText((await exportVia(ctx, 'export-spec')).text);
      expect(spec.model.hidden).toEqual([32]);
      expect(spec.data.train).toMatchObject({ kind: 'circle', n: 5 });
      const ddSpec = parseSpecText((await exportVia(ctx, 'export-spec-double-descent-')).text);
      expect(ddSpec.train.optimizer).toBe('lstsq');
      expect(ddSpec.model.hidden).toEqual(DD_WIDTHS.map((w) => [w]));
      expect(parseSpecText((await exportVia(ctx, 'export-spec-widths-')).text).model.hidden).toEqual([[16], [64]]);

      // the URL the page wrote reproduces its state (loaded paused: run=0)
      const written = new URL(ctx.page.url());
      expect(written.searchParams.get('ddwidths')).toBe(DD_WIDTHS.join(','));
      written.searchParams.set('run', '0');
      await ctx.page.close();
      const again = await openDemo(session, written.pathname + written.search);
      let h2 = await handle(again);
      expect(h2.urlProblems).toEqual([]);
      expect({ ...h2.state, run: true }).toEqual(h.state);
      expect(h2.running).toBe(false);
      // a control writes the URL (and resets; paused, nothing runs)
      await again.page.select('#ctl-kernel', 'analytic');
      h2 = await waitFor(again, "h.state.kernel === 'analytic'");
      expect(again.page.url()).toContain('kernel=analytic');
      await again.page.$eval('#ctl-ddwidths', (el) => { (el as HTMLInputElement).value = '4,8,16'; el.dispatchEvent(new Event('change')); });
      h2 = await waitFor(again, 'h.state.ddwidths.length === 3');
      expect(again.page.url()).toContain('ddwidths=4%2C8%2C16');
      expect((h2.data as unknown as GenData).dd.nearestN).toBe(8);
      expect(h2.steps).toBe(0);
      await expectClean(again);
      await again.page.close();

      const bad = await openDemo(session, `/demos/generalization/index.html?param=${encodeURIComponent(SCRIPT)}&ddwidths=0,abc&ridge=0&kernel=both&run=0`);
      const hb = await expectRefused(bad, ['param', 'ddwidths', 'ridge', 'kernel']);
      expect(hb.state).toMatchObject({ param: 'ntk', ddwidths: [2, 4, 6, 8, 10, 12, 16, 32], ridge: 0.02, kernel: 'empirical' });
      expect((await handle(bad)).running).toBe(false);
      await expectClean(bad);
    });
  });
});
