// The browser path end to end: the index demo (demos/index.html), served by Vite and opened in
// headless Chromium with WebGPU on SwiftShader, runs every matmul version through the library
// and compares it with the float64 reference; this test reads the outcome the page publishes on
// window.__widenet and holds each version to a float32 error bound of its own.
import { describe, expect, it } from 'vitest';
import type { PageOutcome } from '../../demos/index';
import { MATMUL_VERSIONS } from '../../src/kernels/matmul';
import { screenshot, withPage } from '../helpers/browser';

const PAGE = '/demos/index.html';
const WAIT_MS = 90_000;
/** float32 unit roundoff */
const U32 = 2 ** -24;
/** true unless told that the browser runs on a real GPU */
const EXPECT_SOFTWARE = process.env.WIDENET_BROWSER_GPU !== '1';

/**
 * Throws unless the page's outcome shows every matmul version correct: a finite max error below
 * 2·K·u·K (the float32 dot-product bound γ_K·Σ|a||b| with |a|, |b| ≤ 1, doubled for slack), below
 * the page's own tolerance, and that tolerance itself no looser than the bound.
 */
function assertKernelOutcome(outcome: PageOutcome | undefined): void {
  expect(outcome, 'window.__widenet').toBeDefined();
  const o = outcome!;
  expect(o.error, 'page error').toBeNull();
  expect(o.shape.k).toBeGreaterThan(1);
  const bound = 2 * o.shape.k * U32 * o.shape.k;
  expect(o.results.map((r) => r.version), 'versions checked').toEqual([...MATMUL_VERSIONS]);
  for (const r of o.results) {
    expect(typeof r.maxAbsErr, `${r.version} maxAbsErr type`).toBe('number');
    expect(Number.isFinite(r.maxAbsErr), `${r.version} maxAbsErr ${r.maxAbsErr} finite`).toBe(true);
    expect(r.maxAbsErr, `${r.version} maxAbsErr`).toBeGreaterThanOrEqual(0);
    expect(r.maxAbsErr, `${r.version} maxAbsErr vs float32 bound`).toBeLessThanOrEqual(bound);
    expect(r.tolerance, `${r.version} page tolerance`).toBeLessThanOrEqual(bound);
    expect(r.maxAbsErr, `${r.version} maxAbsErr vs page tolerance`).toBeLessThanOrEqual(r.tolerance);
    expect(r.ok, `${r.version} ok`).toBe(true);
  }
}

describe('index demo in headless Chromium (WebGPU on SwiftShader)', () => {
  it('runs every matmul version in the page and matches the float64 reference', async () => {
    await withPage(PAGE, async ({ page, consoleErrors, pageErrors, consoleLog }) => {
      try {
        await page.waitForFunction(() => window.__widenet !== undefined, { timeout: WAIT_MS, polling: 100 });
      } catch (e) {
        await screenshot(page, 'kernel-in-browser-timeout');
        throw new Error(`window.__widenet was not set within ${WAIT_MS} ms; console:\n${consoleLog.join('\n')}`, { cause: e });
      }
      const outcome = await page.evaluate(() => window.__widenet);
      await screenshot(page, 'kernel-in-browser');

      expect(pageErrors, 'page errors').toEqual([]);
      expect(consoleErrors, 'console errors').toEqual([]);
      assertKernelOutcome(outcome);

      const adapter = outcome!.adapter!;
      expect(adapter, 'adapter').toBeTruthy();
      expect(adapter.host).toBe('browser');
      expect(adapter.software, `software adapter (${adapter.vendor} / ${adapter.architecture} / ${adapter.description})`).toBe(EXPECT_SOFTWARE);
      expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      // The page shows the same adapter it reports, and no error box.
      const shown = await page.$eval('#adapter', (el) => el.textContent ?? '');
      expect(JSON.parse(shown)).toEqual(adapter);
      expect(await page.$eval('#error', (el) => getComputedStyle(el).display)).toBe('none');
      expect(await page.$$eval('#results tbody tr .ok', (cells) => cells.length)).toBe(MATMUL_VERSIONS.length);
    });
  });

  it('says what to enable on a browser without WebGPU', async () => {
    await withPage(
      PAGE,
      async ({ page, consoleErrors, pageErrors }) => {
        await page.waitForFunction(() => window.__widenet !== undefined, { timeout: WAIT_MS, polling: 100 });
        const outcome = (await page.evaluate(() => window.__widenet))!;
        await screenshot(page, 'kernel-in-browser-no-webgpu');
        expect(pageErrors, 'page errors').toEqual([]);
        expect(consoleErrors, 'console errors').toEqual([]);
        expect(outcome.errorName).toBe('NoAdapterError');
        expect(outcome.adapter).toBeNull();
        expect(outcome.results).toEqual([]);
        const box = await page.$eval('#error', (el) => ({ text: el.textContent ?? '', display: getComputedStyle(el).display, height: el.getBoundingClientRect().height }));
        expect(box.display).not.toBe('none');
        expect(box.height).toBeGreaterThan(0);
        expect(box.text).toBe(outcome.error);
        expect(box.text).toContain('enable-unsafe-webgpu');
      },
      {
        // A browser without WebGPU: navigator.gpu reads undefined before any page script runs.
        beforeGoto: (page) => page.evaluateOnNewDocument(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true })).then(() => undefined),
      },
    );
  });

  it('reports a visible error on a stock Chromium launched without the WebGPU flags', async () => {
    await withPage(
      PAGE,
      async ({ page, consoleErrors, pageErrors }) => {
        await page.waitForFunction(() => window.__widenet !== undefined, { timeout: WAIT_MS, polling: 100 });
        const outcome = (await page.evaluate(() => window.__widenet))!;
        await screenshot(page, 'kernel-in-browser-stock-chromium');
        expect(pageErrors, 'page errors').toEqual([]);
        expect(consoleErrors, 'console errors').toEqual([]);
        // Here navigator.gpu exists but requestAdapter() gives null: the other NoAdapterError path.
        expect(outcome.errorName).toBe('NoAdapterError');
        expect(outcome.results).toEqual([]);
        const box = await page.$eval('#error', (el) => ({ text: el.textContent ?? '', display: getComputedStyle(el).display }));
        expect(box.display).not.toBe('none');
        expect(box.text).toBe(outcome.error);
        expect(box.text).toContain('enable-unsafe-webgpu');
      },
      { webgpu: false },
    );
  });

  it('the outcome check rejects wrong kernel results', () => {
    const good = (): PageOutcome => ({
      adapter: null,
      shape: { m: 37, k: 53, n: 29 },
      results: MATMUL_VERSIONS.map((version) => ({ version, maxAbsErr: 1e-6, tolerance: 1e-4, ok: true })),
      error: null,
      errorName: null,
      ms: 0,
    });
    expect(() => assertKernelOutcome(good())).not.toThrow();
    const broken: [string, (o: PageOutcome) => void][] = [
      ['error far above the bound', (o) => (o.results[1].maxAbsErr = 0.25)],
      ['NaN error', (o) => (o.results[2].maxAbsErr = NaN)],
      ['infinite error', (o) => (o.results[0].maxAbsErr = Infinity)],
      ['missing error', (o) => delete (o.results[3] as Partial<PageOutcome['results'][number]>).maxAbsErr],
      ['a version not run', (o) => o.results.pop()],
      ['a loose page tolerance', (o) => ((o.results[0].tolerance = 1), (o.results[0].maxAbsErr = 0.5))],
      ['ok false', (o) => (o.results[0].ok = false)],
      ['page error', (o) => (o.error = 'boom')],
    ];
    for (const [what, breakIt] of broken) {
      const o = good();
      breakIt(o);
      expect(() => assertKernelOutcome(o), what).toThrow();
    }
    expect(() => assertKernelOutcome(undefined)).toThrow();
  });
});
