// bench-ntk's check at a GPU's sizes (bench/ntk.ts ntkCheck): past 2^31 multiply-adds of reference
// it compares the 16×16 block of 16 sampled examples with ntkRows of those inputs alone. Forced
// here at a small size (maxWork 0): the structured kernel passes, and a wrong entry inside the
// block is a mismatch named by its indices in the full Θ.
import { describe, expect, it } from 'vitest';
import { randn } from '../../src/kernels/init';
import { Mlp } from '../../src/nets/mlp';
import { empiricalKernels } from '../../src/ntk/empirical';
import { sampleRows } from '../../src/check/reference';
import { ntkCheck } from '../../bench/ntk';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('bench-ntk block check', () => {
  it('the structured eNTK passes on a block of sampled examples; a wrong entry there fails, named in full-Θ indices', async () => {
    const { rt } = ctx;
    const [n, d] = [40, 8];
    const net = new Mlp(rt, { inputDim: d, hidden: [256, 64], outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 2 });
    const x = randn(rt, [n, d], { seed: 9 });
    const t = empiricalKernels(rt, net, x).ntk;
    const got = await t.read();
    const weights = await Promise.all(net.layers.map((l) => l.weight.read()));
    const check = ntkCheck(await x.read(), n, d, weights, 'relu', 0);
    const ok = check(got);
    expect(ok.mismatch).toBeUndefined();
    expect(ok.checked).toMatch(/max rel err \d\.\de-\d+ \(16×16 block of sampled examples\)/);
    const [i, j] = [sampleRows(n, 16)[3], sampleRows(n, 16)[5]];
    const bad = Float32Array.from(got);
    bad[i * n + j] *= 1.1;
    expect(check(bad).mismatch).toMatch(new RegExp(`^Θ\\(${i}, ${j}\\) is `));
    [t, x].forEach((v) => v.dispose());
    net.dispose();
  }, 60_000);
});
