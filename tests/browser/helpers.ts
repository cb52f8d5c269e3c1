// Shared checks of the demo-page tests: open a page with the long-task recorder, wait for the
// page to be ready (window.__widenetPage.ready), and hold it to the common rules: no console
// error, no page error, no main-thread task over 1 s.
import { expect } from 'vitest';
import type { PageHandle } from '../../demos/ui/page';
import { longTasks, recordLongTasks, screenshot, type BrowserSession, type PageContext } from '../helpers/browser';

export const LONG_TASK_LIMIT_MS = 1000;

export async function openDemo(session: BrowserSession, path: string, timeout = 60_000): Promise<PageContext> {
  const ctx = await session.open(path, { beforeGoto: recordLongTasks });
  try {
    await ctx.page.waitForFunction(() => window.__widenetPage?.ready === true, { timeout, polling: 100 });
  } catch (e) {
    await screenshot(ctx.page, `timeout-${path.replace(/[^a-z0-9]+/gi, '-')}`);
    throw new Error(`${path}: not ready within ${timeout} ms; console:\n${ctx.consoleLog.join('\n')}`, { cause: e });
  }
  return ctx;
}

export const handle = (ctx: PageContext): Promise<PageHandle> => ctx.page.evaluate(() => JSON.parse(JSON.stringify(window.__widenetPage)) as PageHandle);

/** Waits until `predicate(handle)` holds (evaluated in the page on window.__widenetPage). */
export async function waitFor(ctx: PageContext, predicate: string, timeout = 90_000): Promise<PageHandle> {
  try {
    await ctx.page.waitForFunction(`(() => { const h = window.__widenetPage; return !!h && (${predicate}); })()`, { timeout, polling: 100 });
  } catch (e) {
    const h = await handle(ctx).catch(() => null);
    throw new Error(`timed out waiting for ${predicate}; handle: ${JSON.stringify(h)?.slice(0, 2000)}\nconsole:\n${ctx.consoleLog.join('\n')}`, { cause: e });
  }
  return handle(ctx);
}

/** No console errors, no page errors, no long task over the limit. */
export async function expectClean(ctx: PageContext): Promise<void> {
  expect(ctx.pageErrors, 'page errors').toEqual([]);
  expect(ctx.consoleErrors, 'console errors').toEqual([]);
  const tasks = await longTasks(ctx.page);
  expect(Math.max(0, ...tasks), `long tasks (ms): ${tasks.map((t) => t.toFixed(0)).join(', ')}`).toBeLessThan(LONG_TASK_LIMIT_MS);
}

/** Clicks an export button and returns the export it recorded. */
export async function exportVia(ctx: PageContext, buttonId: string): Promise<PageHandle['exports'][number]> {
  const before = (await handle(ctx)).exports.length;
  await ctx.page.click(`#${buttonId}`);
  const h = await waitFor(ctx, `h.exports.length > ${before}`, 30_000);
  return h.exports[h.exports.length - 1];
}

/** Bad URL values every page must refuse: a non-number, a negative and a huge number, a script fragment. */
export const SCRIPT = '<script>window.__pwned=1</script>';
export const IMG = '<img src=x onerror="window.__pwned=1">';

/** The refused-state banner: visible, lists each param, holds no markup. */
export async function expectRefused(ctx: PageContext, params: string[]): Promise<PageHandle> {
  const h = await handle(ctx);
  const refused = h.urlProblems.map((p) => p.param);
  for (const p of params) expect(refused, `refused params (${JSON.stringify(h.urlProblems)})`).toContain(p);
  const banner = await ctx.page.$eval('#url-problems', (el) => ({ display: getComputedStyle(el).display, height: el.getBoundingClientRect().height, text: el.textContent ?? '', children: el.children.length }));
  expect(banner.display).not.toBe('none');
  expect(banner.height).toBeGreaterThan(0);
  expect(banner.children, 'banner holds text only').toBe(0);
  for (const p of params) expect(banner.text).toContain(p);
  expect(await ctx.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  // the tab answers
  expect(await ctx.page.evaluate(() => 1 + 1)).toBe(2);
  return h;
}
