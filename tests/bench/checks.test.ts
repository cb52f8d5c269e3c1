// The Node benchmarks' float64 checks (bench/check.ts): a wrong kernel result is reported as a
// mismatch with its worst element and is not timed; a right one passes with its "checked" line;
// the references they use agree with the tests' own (explicit Jacobian, GPU streaming).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { matmul } from '../../src/kernels/matmul';
import { randn } from '../../src/kernels/init';
import { streamedKernels } from '../../src/ntk/streaming';
import { ntkRows, sampleEntries } from '../../src/check/reference';
import { compare } from '../../bench/check';
import { checkProduct, kernelMismatches, kernelTable, measure } from '../../bench/kernels';
import { checkNtk, streamedNtkRef } from '../../bench/ntk';
import { checkStep } from '../../bench/train';
import { tolerance } from '../helpers/gpu';
import { ntkByJacobian } from '../helpers/net-f64';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('Node benchmark checks', () => {
  it('compare names the worst element and reports the relative error', () => {
    const ref = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const ok = compare(Float32Array.from(ref), ref, tolerance(1, 1), 'full');
    expect(ok.mismatch).toBeUndefined();
    expect(ok.checked).toMatch(/^max rel err \S+ \(full\)$/);
    const bad = Float32Array.from(ref);
    bad[17] += 1e-3;
    bad[3] = NaN;
    const c = compare(bad, ref, tolerance(1, 1), 256, (i) => `C(${i})`);
    expect(c.mismatch).toMatch(/^C\(3\) is NaN, float64 reference/);
    expect(c.checked).toMatch(/\(256 sampled\)$/);
  });

  it('sampleEntries: distinct, in range, corners first', () => {
    const e = sampleEntries(300, 500);
    expect(e.length).toBe(256);
    expect(new Set(e.map(([i, j]) => i * 500 + j)).size).toBe(256);
    expect(e.slice(0, 4)).toEqual([[0, 0], [0, 499], [299, 0], [299, 499]]);
    expect(e.every(([i, j]) => i >= 0 && i < 300 && j >= 0 && j < 500)).toBe(true);
  });

  it('a wrong matmul is a mismatch and is not timed; the right one is timed and checked (full and sampled)', async () => {
    const { rt } = ctx;
    for (const [m, n, k] of [[33, 17, 40], [1 << 10, 1 << 10, 1 << 9]]) {
      const a = randn(rt, [m, k], { seed: 1, name: 'A' });
      const b = randn(rt, [k, n], { seed: 2, name: 'B' });
      const c = Tensor.empty(rt, [m, n], 'C');
      const right = await measure(rt, () => matmul(rt, a, b, { out: c }), 1, checkProduct(a, b, c, m, n, k));
      expect(right.mismatch).toBeUndefined();
      expect(right.checked).toMatch(m * n * k <= 2 ** 28 ? /\(full\)$/ : /\(256 sampled\)$/);
      expect(right.ms).toBeGreaterThan(0);
      // a product off by 1% (a wrong scale) everywhere
      const wrong = await measure(rt, () => matmul(rt, a, b, { out: c, alpha: 1.01 }), 1, checkProduct(a, b, c, m, n, k));
      expect(wrong.mismatch).toMatch(/^C\(\d+, \d+\) is \S+, float64 reference \S+ \(atol/);
      expect(Number.isNaN(wrong.ms)).toBe(true);
      [a, b, c].forEach((t) => t.dispose());
    }
    const results = [{ kernel: 'matmul', version: 'v1_naive', shape: [2, 2, 2, 1], ms: null, gflops: null, gbps: null, checked: 'max rel err 1.0e-2 (full)', mismatch: 'C(0, 1) is 2, float64 reference 1' }];
    expect(kernelTable(results)).toContain('| max rel err 1.0e-2 (full) | mismatch: C(0, 1) is 2, float64 reference 1 |');
    expect(kernelMismatches(results)).toEqual(['matmul v1_naive 2×2×2×1: C(0, 1) is 2, float64 reference 1']);
  });

  it('streamedNtkRef (float64, from the Philox streams) equals the GPU streamed kernel and ntkRows equals the Jacobian contraction', async () => {
    const { rt } = ctx;
    const [n, d, m] = [4, 2, 3000];
    const config = { inputDim: d, hidden: [m], outputDim: 1, activation: 'relu', parameterization: 'ntk' as const, weightStd: 1, biasStd: 0, seed: 0 };
    const x = randn(rt, [n, d], { seed: 7, name: 'x' });
    const xd = await x.read();
    const { ntk } = await streamedKernels(rt, config, x, { chunk: 1024 });
    const ref = streamedNtkRef(config, xd, n, d);
    const rows = [0, 1, 2, 3];
    expect(checkNtk(ntk, n, rows, ref).mismatch).toBeUndefined();
    expect(checkNtk(ntk.map((v) => 0.99 * v), n, rows, ref).mismatch).toMatch(/^Θ\(\d, \d\)/);
    x.dispose();
    // ntkRows against the explicit Jacobian of the same small net
    const w1 = Float64Array.from({ length: 5 * d }, (_, i) => Math.cos(i));
    const w2 = Float64Array.from({ length: 5 }, (_, i) => Math.sin(i + 1));
    const layers = [{ w: w1, b: null, fanIn: d, fanOut: 5, mult: 1 / Math.sqrt(d), biasMult: 0 }, { w: w2, b: null, fanIn: 5, fanOut: 1, mult: 1 / Math.sqrt(5), biasMult: 0 }];
    const X = Array.from({ length: n }, (_, i) => Array.from(xd.subarray(i * d, (i + 1) * d)));
    const full = ntkByJacobian(layers, 'relu', X);
    ntkRows(xd, n, d, [w1, w2], rows).forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(full[i * n + j], 12)));
  });

  it('checkStep accepts the float64 GD step and rejects a wrong one', () => {
    const [n, d, m, lr] = [8, 3, 16, 0.5];
    const x = Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, q) => Math.sin(1 + i * 0.37 + q * 1.3)));
    const y = x.map((row) => [Math.cos(row[0] + row[1])]);
    const w0 = [Float32Array.from({ length: m * d }, (_, i) => Math.cos(3 * i)), Float32Array.from({ length: m }, (_, i) => Math.sin(2 * i + 1))];
    // the step in float64 by finite differences of the loss: L(w) = 1/(2n)·Σ(f − y)²
    const loss = (w1: ArrayLike<number>, w2: ArrayLike<number>) => x.reduce((s, xi, i) => {
      let f = 0;
      for (let p = 0; p < m; p++) { let h = 0; for (let q = 0; q < d; q++) h += w1[p * d + q] * xi[q]; f += (w2[p] * Math.max(h / Math.sqrt(d), 0)) / Math.sqrt(m); }
      return s + (f - y[i][0]) ** 2 / (2 * n);
    }, 0);
    const grad = (w: Float32Array, other: Float32Array, first: boolean) => Float64Array.from(w, (_, i) => {
      const [p, q] = [Float64Array.from(w), Float64Array.from(w)];
      p[i] += 1e-6; q[i] -= 1e-6;
      return (first ? loss(p, other) - loss(q, other) : loss(other, p) - loss(other, q)) / 2e-6;
    });
    const g1 = grad(w0[0], w0[1], true);
    const g2 = grad(w0[1], w0[0], false);
    const w1 = [Float32Array.from(w0[0], (v, i) => v - lr * g1[i]), Float32Array.from(w0[1], (v, i) => v - lr * g2[i])];
    const ok = checkStep(x, y, m, lr, w0, w1);
    expect(ok.mismatch).toBeUndefined();
    expect(ok.checked).toMatch(/^W1: max rel err \S+ \(full\); w2: max rel err/);
    const bad = [w1[0].slice(), w1[1]];
    bad[0][5] -= lr * 0.1 * Math.max(...g1.map(Math.abs));
    expect(checkStep(x, y, m, lr, w0, bad).mismatch).toMatch(/^W1: element 5 is/);
  });
});
