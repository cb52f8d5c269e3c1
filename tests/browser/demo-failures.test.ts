// How the pages fail: every error or divergence of a page's experiment reaches its status line
// (and the error banner or the panel's note) with the reason, the loop stops instead of hanging,
// and what was drawn before stays consistent. Also the URL-state details that only a page shows
// (the capped banner, the α warning and its checkbox). Regimes page and width sweep, tiny widths.
import { describe, expect, it } from 'vitest';
import { withBrowser } from '../helpers/browser';
import { MAX_SHOWN_PROBLEMS } from '../../demos/ui/url-state';
import { expectClean, handle, openDemo, waitFor } from './helpers';

const SMALL = 'width=32&n=8&ens=1&steps=6&spf=2';
const statusText = (ctx: { page: import('puppeteer-core').Page }) => ctx.page.$eval('#status', (el) => el.textContent ?? '');

describe('page failures and URL-state details', () => {
  it('errors and divergences land in the status line; banner capped; α warning', async () => {
    await withBrowser(async (session) => {
      // --- URL details: prototype names are unknown, a repeated parameter uses its first value, the banner is capped
      const unknown = Array.from({ length: 30 }, (_, i) => `junk${i}=1`).join('&');
      const url = `/demos/regimes/index.html?constructor=1&__proto__=x&toString=2&${SMALL}&width=64&alpha=4&centered=0&run=0&${unknown}`;
      const ctx = await openDemo(session, url);
      let h = await handle(ctx);
      expect(h.state.width).toBe(32);
      const params = h.urlProblems.map((p) => p.param);
      for (const p of ['constructor', '__proto__', 'toString']) expect(params, p).toContain(p);
      expect(h.urlProblems.find((p) => p.param === 'width')?.message).toBe('given 2 times; using the first value, "32" (the others are ignored)');
      expect(h.urlProblems.length).toBe(3 + 1 + 30);
      const banner = await ctx.page.$eval('#url-problems', (el) => el.textContent ?? '');
      const bullets = banner.split('\n').filter((l) => l.startsWith('• '));
      expect(bullets.length).toBe(MAX_SHOWN_PROBLEMS);
      expect(banner).toContain(`… and ${h.urlProblems.length - MAX_SHOWN_PROBLEMS} more`);
      // --- α > 1 without centring: warned; the checkbox centres and the warning goes
      expect(h.warnings.length).toBe(1);
      expect(h.warnings[0]).toContain('model.alpha = 4 > 1 with "centered": false is not lazy training');
      expect(await ctx.page.$eval('#warnings', (el) => getComputedStyle(el).display)).not.toBe('none');
      expect(await ctx.page.$eval('#ctl-centered', (el) => (el as HTMLInputElement).checked)).toBe(false);
      await ctx.page.click('#ctl-centered');
      h = await waitFor(ctx, 'h.state.centered === true && h.warnings.length === 0 && h.data.panels?.length === 2 && h.data.panels.every((p) => p.records === 1)');
      expect(ctx.page.url()).toContain('centered=1');
      expect(await ctx.page.$eval('#warnings', (el) => getComputedStyle(el).display)).toBe('none');

      // --- an error inside a training step (here: reading results back from the GPU is refused, as on a lost
      // device) stops the loop and is shown. (A throwing queue.submit would be harsher: src/gpu/runtime.ts
      // keeps its finished encoder then, and the runtime stays unusable.)
      await ctx.page.evaluate(() => {
        const mapAsync = GPUBuffer.prototype.mapAsync;
        (window as unknown as { __restore: () => void }).__restore = () => (GPUBuffer.prototype.mapAsync = mapAsync);
        GPUBuffer.prototype.mapAsync = function () {
          return Promise.reject(new Error('injected readback failure'));
        };
      });
      await ctx.page.click('#step');
      h = await waitFor(ctx, 'h.error !== null', 30_000);
      expect(h.error).toMatch(/^ntk panel, (training|recording) at step \d+: .*injected readback failure/);
      expect(h.running).toBe(false);
      expect(await statusText(ctx)).toContain('stopped by an error: ntk panel');
      expect(await ctx.page.$eval('#note-a', (el) => el.textContent ?? '')).toContain('injected readback failure');
      expect(await ctx.page.$eval('#error', (el) => getComputedStyle(el).display)).not.toBe('none');
      // the tab answers; after the failure is gone, Reset clears the error and the page trains again
      await ctx.page.evaluate(() => (window as unknown as { __restore: () => void }).__restore());
      await ctx.page.click('#reset');
      h = await waitFor(ctx, 'h.error === null && h.data.panels?.length === 2 && h.data.panels.every((p) => p.records === 1)');
      expect(await statusText(ctx)).not.toContain('stopped by an error');
      await ctx.page.click('#step');
      h = await waitFor(ctx, 'h.steps >= 2 && !h.running');
      expect(h.error).toBeNull();
      expect(ctx.pageErrors).toEqual([]);
      await ctx.page.close();

      // --- a learning rate far past the stability edge: both panels diverge, the status line says so with the reason
      const hot = await openDemo(session, `/demos/regimes/index.html?${SMALL}&steps=40&lr=1000`);
      const hh = await waitFor(hot, 'h.data.panels?.length === 2 && !h.running && (h.error !== null || h.data.panels.every((p) => p.diverged || p.step >= 40))');
      expect(hh.error).toBeNull();
      const divergedPanels = (hh.data.panels as { parameterization: string; diverged: { step: number; reason: string } | null }[]).filter((p) => p.diverged);
      expect(divergedPanels.length, 'lr = 1000 diverges').toBeGreaterThan(0);
      const status = await statusText(hot);
      for (const p of divergedPanels) {
        expect(status).toContain(`${p.parameterization} panel: diverged at step ${p.diverged!.step} (${p.diverged!.reason})`);
      }
      await expectClean(hot);
      await hot.page.close();

      // --- α = 1e-300 is outside the spec's range (float32 rates η/α²): refused in the banner, the default used, and the page trains
      const tiny = await openDemo(session, `/demos/regimes/index.html?${SMALL}&alpha=1e-300`);
      const ht = await waitFor(tiny, 'h.data.panels?.length === 2 && !h.running && (h.error !== null || h.data.panels.every((p) => p.diverged || p.step >= 6))');
      expect(ht.error).toBeNull();
      expect(ht.state.alpha).toBe(1);
      expect(await tiny.page.$eval('#url-problems', (el) => el.textContent ?? '')).toMatch(/alpha: expected a number ≥ 1e-12 .*received "1e-300"/);
      for (const p of ht.data.panels as { diverged: unknown; last: { trainLoss: number } | null }[]) expect(Number.isFinite(p.last!.trainLoss)).toBe(true);
      expect(tiny.pageErrors).toEqual([]);
      expect(await tiny.page.evaluate(() => 1 + 1)).toBe(2);
      await tiny.page.close();

      // --- width sweep: a run that throws is named in the status line, and Play goes on with the next width
      const sweep = await openDemo(session, '/demos/sweep/index.html?widths=16,32&params=ntk&ens=1&steps=2&spf=2&n=8&run=0');
      await sweep.page.evaluate(() => {
        const mapAsync = GPUBuffer.prototype.mapAsync;
        let calls = 0;
        GPUBuffer.prototype.mapAsync = function (...args: Parameters<GPUBuffer['mapAsync']>) {
          // refuse one readback, the first width's first
          if (++calls === 1) return Promise.reject(new Error('injected readback failure'));
          return mapAsync.apply(this, args);
        };
      });
      await sweep.page.click('#play');
      const hs = await waitFor(sweep, 'h.error !== null && !h.running', 60_000);
      expect(hs.error).toMatch(/^ntk at width 16, step \d+: .*injected readback failure/);
      expect(await statusText(sweep)).toContain('stopped by an error: ntk at width 16');
      await sweep.page.click('#play');
      const hs2 = await waitFor(sweep, 'h.data.remaining === 0 && !h.running', 60_000);
      expect((hs2.data as { widthsDone: Record<string, number[]> }).widthsDone.ntk).toEqual([32]);
      expect(sweep.pageErrors).toEqual([]);
      await sweep.page.close();

      // --- NTK explorer: a member's training diverges (σ_w = 3 over 3 layers makes Θ ~ 3⁶ times larger; lr = 100); the error says where and why
      const ntk = await openDemo(session, '/demos/ntk/index.html?w1=8&w2=16&layers=3&wstd=3&ens=1&points=8&steps=100&lr=100');
      const hn = await waitFor(ntk, 'h.error !== null || (h.data.remaining === 0 && !h.running)', 60_000);
      expect(hn.error, JSON.stringify(hn.data)).toMatch(/^width (8|16), training \(100 steps\) and the kernel after it, members chunk 0: training diverged at step \d+ \(.+\)/);
      expect(await statusText(ntk)).toContain(`stopped by an error: ${hn.error}`);
      expect(ntk.pageErrors).toEqual([]);
    });
  });
});
