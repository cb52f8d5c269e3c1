import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';

// One config for three jobs:
//  - `vite build --mode cli`: bundles the Node command line (src/cli) into dist/cli, with the
//    WGSL sources inlined (they are imported with `?raw`), and the native `webgpu` package kept external.
//  - `vite` / `vite build`: the demo pages under demos/ (a multi-page app).
//  - `vitest`: the test suite, in Node, on real WebGPU (Dawn).
export default defineConfig(({ mode }) => {
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
          external: ['webgpu', /^node:/, 'vite', 'puppeteer-core'],
          // zod ships a comment Rollup cannot place; it is harmless
          onwarn: (warning, warn) => (warning.code === 'INVALID_ANNOTATION' ? undefined : warn(warning)),
          output: { format: 'es', entryFileNames: '[name].js', banner: (chunk) => (chunk.name === 'cli/widenet' ? '#!/usr/bin/env node' : '') },
        },
      },
      ssr: { noExternal: true, external: ['webgpu', 'vite', 'puppeteer-core'] },
    };
  }
  // One entry per demo page (the dev server serves them at /demos/...; tests/browser opens them).
  const pages: Record<string, string> = { index: resolve(__dirname, 'demos/index.html') };
  return {
    root: '.',
    build: { outDir: 'dist/site', emptyOutDir: true, rollupOptions: { input: pages } },
    test: {
      include: ['tests/**/*.test.ts'],
      // Each test file gets its own process: Dawn's native device is per process, and one
      // file's lost-device test must not leak into another's.
      pool: 'forks',
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // the JSON report lets .ci/run print a plain 'N passed, N failed' closing line
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  };
});
