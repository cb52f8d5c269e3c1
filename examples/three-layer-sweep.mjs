#!/usr/bin/env node
// The sample-size sweep of examples/three-layer-teacher.json (docs/dynamics-and-records.md): for each
// n, the three-layer network of the example, the same with one hidden layer, and kernel regression
// with each network's own NTK at initialisation (the records' kernelRegression.empirical, at the same
// gradient-descent time); one JSON line per n with the last records' test losses.
// Usage: npm run -s build:cli && node examples/three-layer-sweep.mjs [n …]   (default 32 64 128 256)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = JSON.parse(readFileSync(join(root, 'examples/three-layer-teacher.json'), 'utf8'));
const sizes = process.argv.slice(2).map(Number);
for (const n of sizes) if (!Number.isSafeInteger(n) || n < 1) throw new Error(`expected sample sizes: integers ≥ 1; received ${n}`);
const dir = mkdtempSync(join(tmpdir(), 'three-layer-'));

/** The last record of `widenet run` on a spec. */
function lastRecord(spec) {
  const file = join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const out = execFileSync(process.execPath, [join(root, 'dist/cli/widenet.js'), 'run', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  const diverged = lines.find((l) => l.diverged);
  if (diverged) throw new Error(`n = ${spec.data.train.n}, hidden ${JSON.stringify(spec.model.hidden)}: diverged: ${diverged.diverged.reason}`);
  return lines.filter((l) => 'step' in l).at(-1);
}

try {
  for (const n of sizes.length ? sizes : [32, 64, 128, 256]) {
    const spec = { ...base, data: { ...base.data, train: { ...base.data.train, n } } };
    const three = lastRecord(spec);
    const two = lastRecord({ ...spec, model: { ...spec.model, hidden: [spec.model.hidden[0]] } });
    console.log(JSON.stringify({
      n,
      threeLayer: { trainLoss: three.trainLoss, testLoss: three.testLoss },
      twoLayer: { trainLoss: two.trainLoss, testLoss: two.testLoss },
      kernelThreeLayerNtk: three.kernelRegression.empirical,
      kernelTwoLayerNtk: two.kernelRegression.empirical,
    }));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
