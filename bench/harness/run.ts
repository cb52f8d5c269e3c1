// `widenet bench`: builds the bench page, serves it on 127.0.0.1, opens it in headless Chromium
// (puppeteer-core) on the GPU when there is one and on SwiftShader otherwise, runs the suites in
// the page, and writes <out>/<adapter>-<date>.json, a Markdown report and one SVG per suite.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AutotuneReport } from '../../src/kernels/autotune';
import { fileCache } from '../../src/kernels/autotune-node';
import type { BenchRequest, BenchResult, Impl, PageReport, Preset, SuiteName } from '../page/types';
import { CHROMIUM_PATH, assertChromium, chromiumArgs, gpuLikely, type BrowserMode } from './chromium';
import { markdownReport, suiteChart } from './report';
import { PAGE_PATH, buildPage, serveStatic } from './serve';

export interface BenchJson {
  adapter: Record<string, unknown>;
  software: boolean;
  date: string;
  preset: Preset;
  browser: { version: string; mode: BrowserMode; detection: string; flags: string[] };
  timing: { timestampQuery: boolean; fullResolution: boolean; runs: number };
  peers: Record<string, string>;
  autotune: AutotuneReport | null;
  results: BenchResult[];
  ms: number;
}

export interface RunBenchOptions {
  preset?: Preset;
  suites?: SuiteName[];
  /** only these implementations (default all) */
  impls?: Impl[];
  /** where the JSON, Markdown and SVGs go (default bench/results) */
  outDir?: string;
  /** also write the JSON here */
  jsonPath?: string;
  /** the autotuning cache file (default: WIDENET_AUTOTUNE_CACHE or ~/.cache/widenet/autotune.json); null: none */
  autotuneCache?: string | null;
  autotune?: boolean;
  budgetMs?: number;
  runs?: number;
  log?: (line: string) => void;
}

/** The repository root: the nearest folder above this module with widenet's package.json (works from source and from dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'widenet') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('widenet bench: cannot find the repository root (package.json named "widenet") above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export async function runBench(options: RunBenchOptions = {}): Promise<{ json: BenchJson; files: string[] }> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const t0 = performance.now();
  assertChromium();
  const root = repoRoot();
  const site = join(root, 'dist', 'bench');
  log('bench: building the page (vite)…');
  await buildPage(root, site);
  const { server, baseUrl } = await serveStatic(site);
  const puppeteer = (await import('puppeteer-core')).default; // a devDependency, loaded only here
  const cache = options.autotuneCache === null ? null : fileCache(options.autotuneCache); // undefined: the default path
  const userDataDir = mkdtempSync(join(tmpdir(), 'widenet-bench-'));
  let browser: Awaited<ReturnType<typeof puppeteer.launch>> | null = null;
  try {
    // GPU flags when the machine looks like it has one; the page's adapter confirms it or we fall back
    let mode: BrowserMode = gpuLikely() ? 'gpu' : 'swiftshader';
    let detection = mode === 'gpu' ? 'GPU device found; the browser adapter is hardware' : 'no GPU device found (no /dev/nvidia0 or /dev/dri/renderD128, or WIDENET_BROWSER_GPU=0)';
    const open = async (m: BrowserMode) => {
      const args = chromiumArgs(userDataDir, { mode: m, developerFeatures: true });
      browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args, protocolTimeout: 3 * 3600_000 });
      const page = await browser.newPage();
      page.on('console', (msg) => { if (msg.text().startsWith('[bench]')) log(msg.text()); else if (msg.type() === 'error') log(`[page error] ${msg.text()}`); });
      page.on('pageerror', (e) => log(`[page exception] ${e instanceof Error ? e.message : String(e)}`));
      await page.goto(`${baseUrl}${PAGE_PATH}`, { waitUntil: 'load', timeout: 60_000 });
      await page.waitForFunction(() => window.__widenetBench?.ready === true, { timeout: 60_000 });
      const info = await page.evaluate(async () => {
        const a = await navigator.gpu?.requestAdapter();
        return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}` : null;
      });
      return { page, args, info };
    };
    let opened = await open(mode);
    if (mode === 'gpu' && (!opened.info || /swiftshader|llvmpipe|lavapipe/i.test(opened.info))) {
      detection = `GPU flags gave ${opened.info ? `a software adapter (${opened.info})` : 'no adapter'}: fell back to SwiftShader`;
      await browser!.close();
      mode = 'swiftshader';
      opened = await open(mode);
    }
    if (!opened.info) throw new Error(`the browser offers no WebGPU adapter (mode ${mode}); check that Chromium has SwiftShader (/usr/lib/chromium/vk_swiftshader_icd.json) or a Vulkan GPU driver`);
    log(`bench: browser mode ${mode}, adapter ${opened.info}`);
    const request: BenchRequest & { autotuneEntries?: Record<string, AutotuneReport> } = {
      preset: options.preset ?? 'full',
      suites: options.suites ?? ['matmul', 'gram', 'activation', 'ntk', 'training'],
      impls: options.impls,
      budgetMs: options.budgetMs,
      runs: options.runs,
      autotune: options.autotune,
      autotuneEntries: cache ? cache.entries() : {},
    };
    let report: PageReport;
    try {
      report = await opened.page.evaluate((req) => window.__widenetBench.run(req), request);
    } catch (e) {
      throw new Error(`benchmark failed in the page: ${(e as Error).message.split('\n')[0]}`);
    }
    const tuned = report.autotune as AutotuneReport | null;
    if (cache && tuned?.source === 'search') cache.save(tuned.key, { ...tuned, cache: cache.where });
    const json: BenchJson = {
      adapter: report.adapter,
      software: report.software,
      date: new Date().toISOString().slice(0, 10),
      preset: report.preset,
      browser: { version: await browser!.version(), mode, detection, flags: opened.args.filter((f) => !f.startsWith('--user-data-dir')) },
      timing: { timestampQuery: report.timestampQuery, fullResolution: opened.args.includes('--enable-webgpu-developer-features'), runs: Math.max(5, options.runs ?? 5) },
      peers: report.peers,
      autotune: tuned ? { ...tuned, cache: cache?.where ?? 'none' } : null,
      results: report.results,
      ms: performance.now() - t0,
    };
    return { json, files: await writeReport(json, options.outDir ?? join(root, 'bench', 'results'), options.jsonPath) };
  } finally {
    await (browser as { close(): Promise<void> } | null)?.close().catch(() => undefined);
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Writes <adapter>-<date>.json, .md and -<suite>.svg into outDir (and the JSON to jsonPath too); returns the paths. */
export async function writeReport(json: BenchJson, outDir: string, jsonPath?: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const a = json.adapter;
  const base = `${slug([a.vendor, a.architecture].filter(Boolean).join('-') || 'adapter')}-${json.date}`;
  const files: string[] = [];
  const charts: Record<string, string> = {};
  for (const suite of ['matmul', 'gram', 'activation', 'ntk', 'training'] as SuiteName[]) {
    const svg = await suiteChart(json, suite);
    if (!svg) continue;
    const name = `${base}-${suite}.svg`;
    writeFileSync(join(outDir, name), svg);
    charts[suite] = name;
    files.push(join(outDir, name));
  }
  const text = JSON.stringify(json, null, 2) + '\n';
  writeFileSync(join(outDir, `${base}.json`), text);
  writeFileSync(join(outDir, `${base}.md`), markdownReport(json, charts));
  files.unshift(join(outDir, `${base}.json`), join(outDir, `${base}.md`));
  if (jsonPath) {
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, text);
    files.push(jsonPath);
  }
  return files;
}
