// Browser-test harness: a Vite dev server on 127.0.0.1 serving the demo pages from the repository
// root, and headless Chromium (puppeteer-core, Debian's /usr/bin/chromium) with WebGPU on
// SwiftShader, a CPU Vulkan. `withPage(path, fn)` opens http://127.0.0.1:PORT/PATH, hands the page
// to `fn` with the console and page errors collected so far, and always closes browser and server.
//
// Chromium flags (see /work/shared/ENVIRONMENT.md):
//   --enable-unsafe-webgpu              WebGPU on Linux is still behind this flag (Chromium 156).
//   --use-webgpu-adapter=swiftshader    Dawn's adapter is SwiftShader's Vulkan (no GPU here). Where a
//                                       GPU exists, set WIDENET_BROWSER_GPU=1: this flag is dropped and
//                                       --use-angle=vulkan --disable-vulkan-surface are added instead.
//   --enable-features=Vulkan            Dawn's Vulkan backend, which SwiftShader sits behind. (Measured
//                                       with Chromium 156: --enable-unsafe-webgpu alone already gives
//                                       the SwiftShader adapter here; these two keep it explicit.)
//   --no-sandbox                        the tests run as root (the sandbox refuses root).
//   --disable-background-networking --disable-component-update --disable-sync --no-first-run
//                                       no network in the test machines; no waiting on it.
//   --headless=new                      added by puppeteer itself for `headless: true`.
// Pages must come from http://127.0.0.1 (a secure context): about:blank and data: URLs have no
// navigator.gpu.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_PATH, chromiumArgs as sharedChromiumArgs } from '../../bench/harness/chromium';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_DIR = join(REPO_ROOT, 'test-results');

export { CHROMIUM_PATH };

/** The launch flags (bench/harness/chromium.ts); `webgpu: false` leaves out the WebGPU ones (a stock
 * browser: Chromium 156 on Linux then has navigator.gpu but requestAdapter() resolves to null). */
export function chromiumArgs(userDataDir: string, webgpu = true): string[] {
  return sharedChromiumArgs(userDataDir, { webgpu });
}

/** A TCP port on 127.0.0.1 that the OS reports free (listen on 0, read it, close). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A Vite dev server for the repository (root = repo, so /demos/index.html is the index demo). */
export async function startDevServer(): Promise<{ server: ViteDevServer; baseUrl: string }> {
  const server = await createServer({
    configFile: join(REPO_ROOT, 'vite.config.ts'),
    root: REPO_ROOT,
    mode: 'development',
    logLevel: 'warn',
    clearScreen: false,
    // hmr off: no websocket reconnect noise in the page's console. A port found free just
    // before: Vite 7 reads `port: 0` as "unset" and takes 5173, which another checkout's tests
    // on the same machine may hold.
    server: { host: '127.0.0.1', port: await freePort(), strictPort: true, hmr: false, open: false },
    // Pre-bundle the page's dependencies at start-up, so that no mid-load "optimized
    // dependencies changed, reloading" can happen while the test waits.
    optimizeDeps: { entries: ['demos/**/*.html'] },
  });
  await server.listen();
  const address = server.httpServer?.address() as AddressInfo | null;
  if (!address || typeof address === 'string') {
    await server.close();
    throw new Error('vite dev server did not report a TCP address');
  }
  return { server, baseUrl: `http://127.0.0.1:${address.port}` };
}

export interface PageContext {
  page: Page;
  browser: Browser;
  baseUrl: string;
  /** console messages of type "error", as "text (url:line)" */
  consoleErrors: string[];
  /** uncaught exceptions and unhandled rejections in the page */
  pageErrors: string[];
  /** console messages of every type, for diagnostics */
  consoleLog: string[];
}

export interface PageOptions {
  /** runs before navigation, e.g. page.evaluateOnNewDocument(...) */
  beforeGoto?: (page: Page) => Promise<void>;
  /** launch Chromium with the WebGPU flags (default true) */
  webgpu?: boolean;
  /** navigation timeout in ms (default 30 s) */
  gotoTimeout?: number;
}

/** Listens to a page's console and errors, into a PageContext. */
function attach(page: Page, browser: Browser, baseUrl: string): PageContext {
  const ctx: PageContext = { page, browser, baseUrl, consoleErrors: [], pageErrors: [], consoleLog: [] };
  page.on('console', (msg) => {
    const where = msg.location()?.url ? ` (${msg.location().url}:${msg.location().lineNumber ?? '?'})` : '';
    ctx.consoleLog.push(`[${msg.type()}] ${msg.text()}${where}`);
    if (msg.type() === 'error') ctx.consoleErrors.push(`${msg.text()}${where}`);
  });
  page.on('pageerror', (error) => ctx.pageErrors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error)));
  return ctx;
}

/** One dev server and one browser for several pages (each `open` is a new tab). */
export interface BrowserSession {
  baseUrl: string;
  browser: Browser;
  /** Opens `path` in a new tab, with the console and errors collected from the start. */
  open(path: string, options?: Omit<PageOptions, 'webgpu'>): Promise<PageContext>;
}

/** A running web server for the pages: the dev server by default, or e.g. `vite preview` of a build. */
export interface PageServer {
  baseUrl: string;
  close(): Promise<void>;
}

/** Starts a server (the dev server unless `options.server` gives another) and headless Chromium, hands them to `fn`, and always closes both. */
export async function withBrowser<T>(fn: (session: BrowserSession) => Promise<T>, options: { webgpu?: boolean; server?: () => Promise<PageServer> } = {}): Promise<T> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'widenet-chromium-'));
  let server: PageServer | null = null;
  let browser: Browser | null = null;
  try {
    const started = options.server ? await options.server() : await startDevServer().then(({ server: dev, baseUrl }) => ({ baseUrl, close: () => dev.close() }));
    server = started;
    const b = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: chromiumArgs(userDataDir, options.webgpu ?? true),
      protocolTimeout: 120_000,
    });
    browser = b;
    const session: BrowserSession = {
      baseUrl: started.baseUrl,
      browser: b,
      open: async (path, opts = {}) => {
        const page = await b.newPage();
        const ctx = attach(page, b, started.baseUrl);
        if (opts.beforeGoto) await opts.beforeGoto(page);
        await page.goto(`${started.baseUrl}${path}`, { waitUntil: 'load', timeout: opts.gotoTimeout ?? 30_000 });
        return ctx;
      },
    };
    return await fn(session);
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Opens `path` (e.g. "/demos/index.html") in headless Chromium served by Vite; closes everything after `fn`. */
export async function withPage<T>(path: string, fn: (ctx: PageContext) => Promise<T>, options: PageOptions = {}): Promise<T> {
  return withBrowser((session) => session.open(path, options).then(fn), { webgpu: options.webgpu });
}

/**
 * Records the page's long tasks (Long Tasks API) from before its first script, on
 * window.__longTasks as durations in ms. A task over 1 s means the main thread hung.
 */
export async function recordLongTasks(page: Page): Promise<void> {
  await page.evaluateOnNewDocument(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** The long tasks recorded so far (ms). */
export async function longTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __longTasks?: number[] }).__longTasks ?? []);
}

/** Saves a full-page screenshot as test-results/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.png`) as `${string}.png`;
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
