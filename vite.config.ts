import { defineConfig, type Plugin } from 'vitest/config';
import { resolve } from 'node:path';
import { demoPageHtml } from './demos/page-html';

// One config for three jobs:
//  - `vite build --mode cli`: bundles the Node command line (src/cli) into dist/cli, with the
//    WGSL sources inlined (they are imported with `?raw`), and the native `webgpu` package kept external.
//  - `vite` / `vite build`: the demo pages under demos/ (a multi-page app).
//  - `vitest`: the test suite, in Node, on real WebGPU (Dawn).
/**
 * The demo pages live under /demos/: the dev and preview servers send "/" there, the static
 * build gets a root index.html that does the same, and `npm start` (vite preview) prints the
 * pages' address.
 */
function demoRoot(): Plugin {
  const redirect = (req: { url?: string }, res: { statusCode: number; setHeader(k: string, v: string): void; end(): void }, next: () => void) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.statusCode = 302;
      res.setHeader('Location', '/demos/index.html');
      res.end();
      return;
    }
    next();
  };
  return {
    name: 'widenet-demo-root',
    configureServer: (server) => void server.middlewares.use(redirect),
    configurePreviewServer: (server) => {
      server.middlewares.use(redirect);
      server.httpServer.once('listening', () => {
        const address = server.httpServer.address();
        if (address && typeof address === 'object') {
          const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          console.log(`\n  widenet demo pages: http://${host}:${address.port}/demos/index.html\n`);
        }
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'index.html', source: '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=demos/index.html"><a href="demos/index.html">widenet demo pages</a>\n' });
    },
  };
}

/** Test files that must not run beside another (vite.config.ts `test.projects`). */
const SERIAL_TESTS = ['tests/browser/**/*.test.ts', 'tests/setup/gpu-kit.test.ts'];

export default defineConfig(({ mode, command }) => {
  if (mode === 'cli') {
    return {
      build: {
        ssr: true,
        outDir: 'dist',
        emptyOutDir: false,
        target: 'node20',
        minify: false,
        sourcemap: true,
        rollupOptions: {
          input: {
            'cli/widenet': resolve(__dirname, 'src/cli/widenet.ts'),
            'lib/index': resolve(__dirname, 'src/index.ts'),
            'lib/theory': resolve(__dirname, 'src/theory/index.ts'),
          },
          // the bench harness's devDependencies stay external: loaded only by `widenet bench`
          external: ['webgpu', /^node:/, 'vite', 'puppeteer-core', '@resvg/resvg-js', 'canvas'],
          // zod ships a comment Rollup cannot place; it is harmless
          onwarn: (warning, warn) => (warning.code === 'INVALID_ANNOTATION' ? undefined : warn(warning)),
          output: { format: 'es', entryFileNames: '[name].js', banner: (chunk) => (chunk.name === 'cli/widenet' ? '#!/usr/bin/env node' : '') },
        },
      },
      ssr: { noExternal: true, external: ['webgpu', 'vite', 'puppeteer-core', '@resvg/resvg-js', 'canvas'] },
    };
  }
  // One entry per demo page (the dev server serves them at /demos/...; tests/browser opens them).
  const pages: Record<string, string> = {
    index: resolve(__dirname, 'demos/index.html'),
    regimes: resolve(__dirname, 'demos/regimes/index.html'),
    ntk: resolve(__dirname, 'demos/ntk/index.html'),
    sweep: resolve(__dirname, 'demos/sweep/index.html'),
    coord: resolve(__dirname, 'demos/coord/index.html'),
    'mu-transfer': resolve(__dirname, 'demos/mu-transfer/index.html'),
    'max-lr': resolve(__dirname, 'demos/max-lr/index.html'),
    phase: resolve(__dirname, 'demos/phase/index.html'),
    generalization: resolve(__dirname, 'demos/generalization/index.html'),
    beyond: resolve(__dirname, 'demos/beyond/index.html'),
  };
  return {
    root: '.',
    // relative asset paths: the static site works from any folder of a web server
    base: command === 'build' ? './' : '/',
    // each page's index.html comes from one template (demos/page-html.ts)
    plugins: [demoRoot(), demoPageHtml(__dirname)],
    build: {
      outDir: 'dist/site',
      emptyOutDir: true,
      // zod ships a comment Rollup cannot place; it is harmless
      rollupOptions: { input: pages, onwarn: (warning, warn) => (warning.code === 'INVALID_ANNOTATION' ? undefined : warn(warning)) },
    },
    preview: { host: '127.0.0.1', port: 4173 },
    // the pages' index.html are generated (demos/page-html.ts), so Vite's dependency scan, which reads
    // HTML files from disk, would find no page entry and discover uplot, gl-matrix, wgsl-preprocessor …
    // only on the first request, re-optimise, and answer that request 504 "Outdated Optimize Dep":
    // name the pages' scripts (and the harness page) as the scan's entries instead
    optimizeDeps: { entries: ['demos/index.ts', 'demos/*/main.ts', 'bench/page/index.html'] },
    test: {
      // Each test file gets its own process: Dawn's native device is per process, and one
      // file's lost-device test must not leak into another's.
      pool: 'forks',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // Two groups, one after the other. First the Node files, two at a time (each its own process
      // and device; on two cores one file's compile, I/O and process start overlap the other's GPU
      // work). Then, one at a time, the files that share something: the browser tests (one Vite
      // dependency cache, Chromium) and the GPU kit's test, which rebuilds dist/cli under the CLI tests.
      projects: [
        { extends: true, test: { name: 'node', include: ['tests/**/*.test.ts'], exclude: [...SERIAL_TESTS], maxWorkers: 2, sequence: { groupOrder: 0 } } },
        { extends: true, test: { name: 'serial', include: [...SERIAL_TESTS], fileParallelism: false, sequence: { groupOrder: 1 } } },
      ],
      // the JSON report lets .ci/run print a plain 'N passed, N failed' closing line
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  };
});
