// Regimes side by side (demos/regimes) in headless Chromium on SwiftShader, at tiny widths.
import { describe, expect, it } from 'vitest';
import { parseSpecText } from '../../src/spec';
import { screenshot, withBrowser } from '../helpers/browser';
import { SCRIPT, expectClean, expectRefused, exportVia, openDemo, waitFor } from './helpers';

const SMALL = '/demos/regimes/index.html?width=32&n=8&ens=1&steps=6&spf=2&seed=3';

interface PanelData {
  parameterization: string;
  step: number;
  records: number;
  lossCounts: number[];
  driftCounts: number[];
  functionPoints: number;
  functionCounts: number[] | null;
  heatmapCells: number | null;
  particles: { instances: number; frames: number; lit: number } | null;
  diverged: unknown;
  last: { trainLoss: number; ntkChange: number; weightChange: number[]; linearGap: number | null } | null;
}
const panelsOf = (h: { data: Record<string, unknown> }) => h.data.panels as PanelData[];

describe('regimes page', () => {
  it('trains both panels, draws curves, function and particles, exports, follows controls and URL, refuses bad URLs', async () => {
    await withBrowser(async (session) => {
      const ctx = await openDemo(session, SMALL);
      let h = await waitFor(ctx, 'h.steps >= 6 && !h.running && h.data.panels.every((p) => p.functionPoints > 0)');
      expect(h.error).toBeNull();
      expect(h.urlProblems).toEqual([]);
      const panels = panelsOf(h);
      expect(panels.map((p) => p.parameterization)).toEqual(['ntk', 'meanfield']);
      for (const p of panels) {
        expect(p.diverged).toBeNull();
        expect(p.step).toBe(6);
        // the initial record and one per 2 steps
        expect(p.records).toBe(4);
        expect(p.lossCounts[0]).toBe(4); // train loss
        expect(p.lossCounts[1]).toBe(4); // test loss
        expect(p.driftCounts[0]).toBeGreaterThanOrEqual(3); // NTK change (0 at step 0 is a log-scale gap)
        expect(p.driftCounts[3]).toBeGreaterThanOrEqual(3); // linear gap
        expect(p.functionPoints).toBe(96);
        expect(p.functionCounts![1]).toBe(96); // network
        expect(p.functionCounts![3]).toBe(96); // kernel regression Θ₀
        expect(p.functionCounts![5]).toBe(8); // train points
        expect(p.particles!.instances).toBe(32);
        expect(p.particles!.frames).toBeGreaterThan(0);
        expect(p.particles!.lit, 'pixels drawn by the particle pipeline').toBeGreaterThan(20);
        expect(p.last!.ntkChange).toBeGreaterThan(0);
        expect(Number.isFinite(p.last!.trainLoss)).toBe(true);
      }
      // NTK analytic kernel regression exists only for the ntk parameterization
      expect(panels[0].functionCounts![4]).toBe(96);
      expect(await ctx.page.$eval('#status', (el) => el.textContent ?? '')).toMatch(/software.*steps\/s/);
      await screenshot(ctx.page, 'demo-regimes');
      await expectClean(ctx);

      const csv = await exportVia(ctx, 'export-csv');
      expect(csv.text.split('\n')[0]).toContain('ntkChange');
      expect(csv.text.trim().split('\n').length).toBe(1 + 8);
      const png = await exportVia(ctx, 'export-png');
      expect(png.bytes).toBeGreaterThan(1000);
      const specB = parseSpecText((await exportVia(ctx, 'export-spec-b')).text);
      expect(specB.model).toMatchObject({ parameterization: 'meanfield', hidden: [32], ensemble: 1 });
      expect(specB.seed).toBe(3);

      // step: one tick while paused
      await ctx.page.click('#step');
      h = await waitFor(ctx, 'true');
      expect(panelsOf(h)[0].step).toBe(6); // already at the step budget: nothing more to do
      // a control changes the state, the URL and the panels
      await ctx.page.select('#ctl-pb', 'mup');
      h = await waitFor(ctx, "h.state.pb === 'mup' && h.data.panels[1]?.parameterization === 'mup' && h.steps >= 6 && !h.running");
      expect(ctx.page.url()).toContain('pb=mup');
      await ctx.page.select('#ctl-task', 'xor');
      h = await waitFor(ctx, "h.state.task === 'xor' && h.data.panels.every((p) => p.heatmapCells === 576) && h.steps >= 6 && !h.running");
      await screenshot(ctx.page, 'demo-regimes-xor');
      await expectClean(ctx);
      const first = panelsOf(await waitFor(ctx, 'true'));
      const xorUrl = ctx.page.url();
      await ctx.page.close();

      // the URL reproduces the run
      const again = await openDemo(session, xorUrl.slice(xorUrl.indexOf('/demos/')));
      const h2 = await waitFor(again, 'h.steps >= 6 && !h.running');
      expect(panelsOf(h2).map((p) => p.last!.trainLoss)).toEqual(first.map((p) => p.last!.trainLoss));
      await again.page.close();

      // bad URL state
      const bad = await openDemo(session, `/demos/regimes/index.html?width=-5&alpha=abc&task=${encodeURIComponent(SCRIPT)}&pa=swish&n=1e9&lr=0&run=0`);
      const hb = await expectRefused(bad, ['width', 'alpha', 'task', 'pa', 'n', 'lr']);
      expect(hb.state).toMatchObject({ width: 4096, alpha: 1, task: 'circle', pa: 'ntk', n: 32, lr: 1 });
      await screenshot(bad.page, 'demo-regimes-bad-url');
      await expectClean(bad);
      await bad.page.close();
      // a width over what this adapter can hold
      const huge = await openDemo(session, '/demos/regimes/index.html?width=16000000&n=8&steps=2&spf=2&run=0');
      const hh = await expectRefused(huge, ['width']);
      expect(hh.state.width as number).toBeLessThan(16_000_000);
      expect(hh.state.width as number).toBeGreaterThan(1000);
      await expectClean(huge);
    });
  });

  // Issue 14: a residual net (B = 2 blocks) in both panels; the panel on the right in depth-µP
  // (β = 1/√B), the left one ntk with the number β = 0.5; no particle view (not a two-layer net).
  it('trains residual nets (B = 2), exports model.residual, round-trips blocks and beta in the URL, refuses bad ones', async () => {
    await withBrowser(async (session) => {
      const ctx = await openDemo(session, '/demos/regimes/index.html?width=32&n=8&ens=1&steps=2&spf=2&seed=3&blocks=2&beta=0.5&pb=mup');
      let h = await waitFor(ctx, 'h.steps >= 2 && !h.running && h.data.panels.every((p) => p.functionPoints > 0)');
      expect(h.error).toBeNull();
      expect(h.urlProblems).toEqual([]);
      for (const p of panelsOf(h)) {
        expect(p.diverged).toBeNull();
        expect(p.records).toBe(2);
        expect(p.particles).toBeNull();
        // Dense_in, 2 branches, Dense_out
        expect(p.last!.weightChange.length).toBe(4);
        expect(p.last!.ntkChange).toBeGreaterThan(0);
        expect(p.functionCounts![1]).toBe(96);
      }
      const first = panelsOf(h).map((p) => p.last!.trainLoss);
      expect(await ctx.page.$eval('#panel-a h2', (el) => el.textContent ?? '')).toContain('B = 2, β = 0.5');
      const specA = parseSpecText((await exportVia(ctx, 'export-spec-a')).text);
      expect(specA.model).toMatchObject({ parameterization: 'ntk', hidden: [32], residual: { blocks: 2, branchMultiplier: 0.5 } });
      expect(ctx.page.url()).toContain('blocks=2');
      expect(ctx.page.url()).toContain('beta=0.5');
      const url = ctx.page.url();
      await expectClean(ctx);
      // the controls: depth-µP on the right with the default β rule
      await ctx.page.$eval('#ctl-beta', (el) => {
        (el as HTMLInputElement).value = '1/sqrt(blocks)';
        el.dispatchEvent(new Event('change'));
      });
      await ctx.page.select('#ctl-pb', 'depth-mup');
      h = await waitFor(ctx, "h.state.pb === 'depth-mup' && h.state.beta === '1/sqrt(blocks)' && h.data.panels[1]?.parameterization === 'depth-mup' && h.steps >= 2 && !h.running");
      expect(h.error).toBeNull();
      expect(panelsOf(h)[1].diverged).toBeNull();
      expect(new URL(ctx.page.url()).searchParams.get('beta')).toBe('1/sqrt(blocks)');
      const specB = parseSpecText((await exportVia(ctx, 'export-spec-b')).text);
      expect(specB.model).toMatchObject({ parameterization: 'depth-mup', hidden: [32], residual: { blocks: 2, branchMultiplier: '1/sqrt(blocks)' } });
      await expectClean(ctx);
      await ctx.page.close();

      // the first URL reproduces its run
      const again = await openDemo(session, url.slice(url.indexOf('/demos/')));
      const h2 = await waitFor(again, 'h.steps >= 2 && !h.running');
      expect(h2.urlProblems).toEqual([]);
      expect(h2.state).toMatchObject({ blocks: 2, beta: 0.5, pb: 'mup', width: 32, steps: 2 });
      expect(panelsOf(h2).map((p) => p.last!.trainLoss)).toEqual(first);
      await again.page.close();

      const bad = await openDemo(session, '/demos/regimes/index.html?blocks=65&beta=-1&run=0');
      const hb = await expectRefused(bad, ['blocks', 'beta']);
      expect(hb.state).toMatchObject({ blocks: 0, beta: '1/sqrt(blocks)' });
      await expectClean(bad);
    });
  });
});
