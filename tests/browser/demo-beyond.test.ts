// Beyond the kernel (demos/beyond) in headless Chromium on SwiftShader: the catapult preset (the uv
// model of examples/catapult.json, ηλ₀ = 3) spikes, falls and reports its catapult while the
// linearised model diverges on its own (a notice; the network goes on); the lazy preset keeps the
// three models together below the edge; URL state round-trips; exports; bad URL state is refused.
import { describe, expect, it } from 'vitest';
import { parseSpecText } from '../../src/spec';
import type { Catapult, DivergenceRecord } from '../../src/dynamics/records';
import { screenshot, withBrowser } from '../helpers/browser';
import { SCRIPT, expectClean, expectRefused, exportVia, handle, openDemo, waitFor } from './helpers';

interface BeyondData {
  step: number;
  records: number;
  functionPoints: number;
  functionCounts: number[];
  lossCounts: number[];
  modelRecords: { network: number; linearized: number; quadratic: number };
  sharpnessCounts: number[];
  gapCounts: number[];
  first: { trainLoss: number } | null;
  initialSharpness: number | null;
  sharpness: number | null;
  catapult: Catapult | null;
  sideDivergences: DivergenceRecord[];
  notices: string;
  diverged: DivergenceRecord | null;
  clipped: string[];
  last: { trainLoss: number; linearTrainLoss?: number; quadraticTrainLoss?: number; linearGap: number | null; quadraticGap?: number | null } | null;
}
const dataOf = (h: { data: Record<string, unknown> }) => h.data as unknown as BeyondData;
const DONE = (steps: number) => `h.steps >= ${steps} && !h.running && h.data.records === ${steps + 1}`;

describe('beyond-the-kernel page', () => {
  it('catapult preset: spike, fall, catapult reported, linearised model diverges alone; lazy preset; URL; exports; bad URLs', async () => {
    await withBrowser(async (session) => {
      // the catapult preset is the default; 70 steps: the linearised model's displacement overflows float32 near step 64
      const ctx = await openDemo(session, '/demos/beyond/index.html?steps=70&spf=10');
      let h = await waitFor(ctx, DONE(70), 120_000);
      expect(h.error).toBeNull();
      expect(h.urlProblems).toEqual([]);
      expect(h.state).toMatchObject({ preset: 'catapult', task: 'point', act: 'identity', param: 'ntk', width: 256, lr: 1.575 });
      let d = dataOf(h);
      expect(d.diverged).toBeNull();
      // ηλ₀ between 2 and 4 at step 0, below 2 at the end
      expect(d.initialSharpness!).toBeGreaterThan(2.5);
      expect(d.initialSharpness!).toBeLessThan(3.5);
      expect(d.sharpness!).toBeLessThan(2);
      // the catapult, from the records (the library's detectCatapult)
      expect(d.catapult).not.toBeNull();
      expect(d.catapult!.rise).toBeGreaterThan(2);
      expect(d.catapult!.fallStep).toBeGreaterThan(d.catapult!.peakStep);
      expect(await ctx.page.$eval('#catapult', (e) => e.textContent ?? '')).toMatch(/^Catapult: the train loss rose ×/);
      // the linearised model diverged on its own; the network went on to the end, the quadratic model with it
      const linear = d.sideDivergences.filter((s) => s.model === 'linearized');
      expect(linear.length).toBe(1);
      expect(linear[0].step).toBeGreaterThan(40);
      expect(linear[0].step).toBeLessThan(70);
      expect(d.sideDivergences.filter((s) => s.model === 'quadratic')).toEqual([]);
      expect(d.notices).toContain('The linearised model: diverged at step');
      expect(d.notices).toContain('The network goes on');
      const shown = await ctx.page.$eval('#side-notices', (e) => ({ display: getComputedStyle(e).display, text: e.textContent ?? '' }));
      expect(shown.display).not.toBe('none');
      expect(shown.text).toBe(d.notices);
      // three loss curves and the sharpness series hold data: the network's and the quadratic model's at
      // every record (the quadratic model of the uv network is the network), the linearised model's until it stopped
      // (the plot of log₁₀ loss leaves out exact zeros: the network's loss may reach float32's floor)
      expect(d.modelRecords.network).toBe(71);
      expect(d.modelRecords.quadratic).toBe(71);
      expect(d.modelRecords.linearized).toBe(linear[0].step);
      expect(d.lossCounts[0]).toBeGreaterThan(40);
      expect(d.lossCounts[2]).toBeGreaterThan(40);
      expect(d.lossCounts[1]).toBe(linear[0].step);
      expect(d.sharpnessCounts).toEqual([71, 71]);
      expect(d.last!.linearTrainLoss).toBeUndefined();
      expect(d.last!.linearGap).toBeNull();
      expect(Math.abs(d.last!.quadraticTrainLoss! - d.last!.trainLoss)).toBeLessThan(1e-4);
      // function view: network and quadratic model over x ∈ [−2, 2], the train point; no linearised curve after it stopped
      expect(d.functionPoints).toBe(81);
      expect(d.functionCounts[1]).toBe(81);
      expect(d.functionCounts[2]).toBe(0);
      expect(d.functionCounts[3]).toBe(81);
      expect(d.functionCounts[4]).toBe(1);
      expect(await ctx.page.$eval('#status', (e) => e.textContent ?? '')).toMatch(/software.*steps\/s/);
      await screenshot(ctx.page, 'demo-beyond-catapult');
      await expectClean(ctx);
      const csv = await exportVia(ctx, 'export-csv');
      expect(csv.text.split('\n')[0]).toContain('quadraticTrainLoss');
      expect(csv.text.split('\n')[0]).toContain('sharpness');
      expect(csv.text.trim().split('\n').length).toBe(1 + 71);
      const json = JSON.parse((await exportVia(ctx, 'export-json')).text) as { catapult: Catapult; sideDivergences: DivergenceRecord[] };
      expect(json.catapult).toEqual(d.catapult);
      expect(json.sideDivergences.map((s) => s.model)).toEqual(['linearized']);
      expect((await exportVia(ctx, 'export-png')).bytes).toBeGreaterThan(1000);
      const spec = parseSpecText((await exportVia(ctx, 'export-spec')).text);
      expect(spec.train).toMatchObject({ lr: 1.575, steps: 70, linearized: true, quadratic: true, recordEvery: 1 });
      expect(spec.model).toMatchObject({ hidden: [256], activation: 'identity', parameterization: 'ntk', biasStd: 0 });

      // the lazy preset, chosen by its control: the state and the URL follow, the three models agree below the edge
      await ctx.page.select('#ctl-preset', 'lazy');
      h = await waitFor(ctx, `h.state.preset === 'lazy' && ${DONE(30)}`, 120_000);
      expect(ctx.page.url()).toContain('preset=lazy');
      expect(ctx.page.url()).toContain('act=tanh');
      expect(h.state).toMatchObject({ task: 'circle', width: 512, lr: 1, bias: true, steps: 30 });
      d = dataOf(h);
      expect(d.initialSharpness!).toBeLessThan(2);
      expect(d.sharpness!).toBeLessThan(2);
      // it learns: the loss falls below half its start
      expect(d.last!.trainLoss).toBeLessThan(0.5 * d.first!.trainLoss);
      expect(d.catapult).toBeNull();
      expect(d.sideDivergences).toEqual([]);
      expect(d.lossCounts).toEqual([31, 31, 31]);
      expect(d.modelRecords).toEqual({ network: 31, linearized: 31, quadratic: 31 });
      const { trainLoss, linearTrainLoss, quadraticTrainLoss } = d.last!;
      // the three agree: losses within 1% of the starting loss, outputs within 5% of the labels' unit scale (RMS)
      const L0 = d.first!.trainLoss;
      expect(Math.abs(linearTrainLoss! - trainLoss)).toBeLessThan(0.01 * L0);
      expect(Math.abs(quadraticTrainLoss! - trainLoss)).toBeLessThan(0.01 * L0);
      expect(d.last!.linearGap!).toBeLessThan(0.05);
      expect(d.last!.quadraticGap!).toBeLessThan(0.05);
      expect(d.functionCounts.slice(0, 4)).toEqual([81, 81, 81, 81]); // target, network, linearised, quadratic
      expect(d.functionCounts[4]).toBe(8);
      await screenshot(ctx.page, 'demo-beyond-lazy');
      await expectClean(ctx);

      // another control leaves the preset: "custom" (and restarts)
      await ctx.page.select('#ctl-act', 'erf');
      h = await waitFor(ctx, `h.state.act === 'erf' && h.state.preset === 'custom' && h.data.records >= 1`, 60_000);
      expect(ctx.page.url()).toContain('preset=custom');
      await ctx.page.close();

      // the URL reproduces the run (shortened to 10 steps: the catapult's spike and fall are over by then)
      const url = '/demos/beyond/index.html?steps=10&spf=10&seed=1';
      const first = await openDemo(session, url);
      const d1 = dataOf(await waitFor(first, DONE(10)));
      expect(d1.catapult).not.toBeNull();
      const firstUrl = first.page.url();
      await first.page.close();
      const again = await openDemo(session, firstUrl.slice(firstUrl.indexOf('/demos/')));
      const h2 = await waitFor(again, DONE(10));
      expect(h2.state).toEqual((await handle(again)).state);
      expect(dataOf(h2).last!.trainLoss).toBe(d1.last!.trainLoss);
      expect(dataOf(h2).catapult).toEqual(d1.catapult);
      await expectClean(again);
      await again.page.close();
      // bad URL state
      const bad = await openDemo(session, `/demos/beyond/index.html?preset=${encodeURIComponent(SCRIPT)}&width=0&lr=-1&act=swish&task=plane&run=0`);
      const hb = await expectRefused(bad, ['preset', 'width', 'lr', 'act', 'task']);
      expect(hb.state).toMatchObject({ preset: 'catapult', width: 256, lr: 1.575, act: 'identity', task: 'point' });
      await expectClean(bad);
    });
  }, 300_000);
});
