// The structured empirical NTK equals the explicit per-example-Jacobian contraction (float64).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp } from '../../src/nets/mlp';
import { PARAMETERIZATIONS, type Parameterization } from '../../src/nets/parameterization';
import { crossKernels, empiricalKernels, toExampleMajor, traceForm } from '../../src/ntk/empirical';
import { jacobianContractionNtk } from '../../src/ntk/jacobian';
import { expectClose, testData, useRuntime } from '../helpers/gpu';
import { jacobian, ntkByJacobian, readLayers } from '../helpers/net-f64';

const ctx = useRuntime();

const X = [[0.3, -1.2, 0.5], [1.1, 0.4, -0.7], [-0.6, 0.9, 1.3], [0.2, 0.1, -0.4], [-1.5, -0.3, 0.8]];

interface Case { hidden: number[]; k: number; p: Parameterization; biasStd: number; act: string; alpha?: number; centered?: boolean; ensemble?: number }
const CASES: Case[] = [];
for (const p of PARAMETERIZATIONS) {
  CASES.push({ hidden: [7], k: 1, p, biasStd: 0, act: 'relu' });
  CASES.push({ hidden: [6, 5], k: 3, p, biasStd: 0.5, act: 'tanh' });
  CASES.push({ hidden: [5, 4, 6], k: 1, p, biasStd: 0.3, act: 'erf', ensemble: 2 });
}
CASES.push({ hidden: [8, 3], k: 3, p: 'ntk', biasStd: 0, act: 'gelu', alpha: 2.5, centered: true });
CASES.push({ hidden: [9], k: 3, p: 'standard', biasStd: 1, act: 'softplus', alpha: 0.5 });

describe('structured empirical NTK = explicit Jacobian contraction', () => {
  for (const c of CASES) {
    it(`${c.p}, hidden [${c.hidden}], k ${c.k}, bias ${c.biasStd}, ${c.act}, α ${c.alpha ?? 1}${c.centered ? ' centred' : ''}, E ${c.ensemble ?? 1}`, async () => {
      const { rt } = ctx;
      const net = new Mlp(rt, { inputDim: 3, hidden: c.hidden, outputDim: c.k, activation: c.act, parameterization: c.p, weightStd: 1.3, biasStd: c.biasStd, alpha: c.alpha, centered: c.centered, ensemble: c.ensemble, seed: 42 });
      const x = Tensor.from(rt, X.flat(), [X.length, 3], 'x');
      const { ntk, nngp, layers } = empiricalKernels(rt, net, x, { perLayer: true });
      const E = net.ensemble;
      const data = await ntk.read();
      const full = toExampleMajor(data, E, c.k, X.length);
      const trace = traceForm(data, E, c.k, X.length);
      const nngpData = await nngp.read();
      for (let e = 0; e < E; e++) {
        const ref = ntkByJacobian(await readLayers(net, e), c.act, X, c.alpha ?? 1);
        const scale = Math.max(...ref.map(Math.abs));
        expectClose(full[e], ref, { atol: 2e-5 * scale, rtol: 1e-4 }, `member ${e} full NTK`);
        // trace form averages the k diagonal output blocks
        const N = X.length * c.k;
        const refTrace = Float64Array.from({ length: X.length ** 2 }, (_, t) => {
          const [i, j] = [Math.floor(t / X.length), t % X.length];
          let s = 0;
          for (let a = 0; a < c.k; a++) s += ref[(i * c.k + a) * N + j * c.k + a];
          return s / c.k;
        });
        expectClose(trace[e], refTrace, { atol: 2e-5 * scale, rtol: 1e-4 }, `member ${e} trace`);
        // per-layer contributions sum to the total
        const sumLayers = new Float64Array(data.length / E);
        for (const layer of layers!) (await layer.read()).subarray(e * sumLayers.length, (e + 1) * sumLayers.length).forEach((v, i) => (sumLayers[i] += v));
        expectClose(sumLayers, data.subarray(e * sumLayers.length, (e + 1) * sumLayers.length), { atol: 1e-5 * scale, rtol: 1e-5 }, 'layers sum');
        expect(nngpData.slice(e * 25, (e + 1) * 25).every((v) => Number.isFinite(v))).toBe(true);
      }
      // forward pass agrees with the float64 reference
      const cache = net.forward(x);
      const f = await cache.output.read();
      const refLayers = await readLayers(net, 0);
      X.forEach((row, i) => expectClose(f.subarray(i * c.k, (i + 1) * c.k), jacobian(refLayers, c.act, row).f, { atol: 1e-5, rtol: 1e-4 }, `f(x${i})`));
      net.dispose();
    });
  }

  it('two-layer ReLU without bias: Θ(x, −x) = 0 at any width', async () => {
    const { rt } = ctx;
    for (const width of [16, 1000]) {
      const xs = [0.4, -1.1, 0.7, -0.4, 1.1, -0.7];
      const net = new Mlp(rt, { inputDim: 3, hidden: [width], outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 3 });
      const theta = await empiricalKernels(rt, net, Tensor.from(rt, xs, [2, 3])).ntk.read();
      expect(Math.abs(theta[1])).toBeLessThan(1e-6 * Math.abs(theta[0]));
      expect(theta[0]).toBeGreaterThan(0);
      net.dispose();
    }
  });
});

void testData;

describe('explicit Jacobian contraction on the GPU (the benchmark baseline)', () => {
  for (const [biasStd, k, chunk] of [[0, 1, 64], [0.7, 2, 37]] as const) {
    it(`equals the structured kernel (bias ${biasStd}, k ${k}, chunks of ${chunk} over width 150)`, async () => {
      const { rt } = ctx;
      const net = new Mlp(rt, { inputDim: 3, hidden: [150], outputDim: k, activation: 'tanh', parameterization: 'ntk', weightStd: 1.1, biasStd, alpha: 1.7, seed: 8 });
      const x = Tensor.from(rt, X.flat(), [X.length, 3]);
      const structured = await empiricalKernels(rt, net, x).ntk.read();
      const jacobian = await jacobianContractionNtk(rt, net, x, chunk).read();
      const scale = Math.max(...structured.map(Math.abs));
      expectClose(jacobian, structured, { atol: 1e-5 * scale, rtol: 1e-5 }, 'J Jᵀ vs structured');
      net.dispose();
    });
  }
});

describe('cross kernels Θ(X1, X2)', () => {
  it('equal J(X1)·J(X2)ᵀ in float64, for k = 2 and an ensemble of 2', async () => {
    const { rt } = ctx;
    const X2 = [[0.9, -0.1, 0.2], [-0.4, 1.2, -0.8], [0.05, 0.5, 0.5]];
    const net = new Mlp(rt, { inputDim: 3, hidden: [6, 4], outputDim: 2, activation: 'gelu', parameterization: 'ntk', weightStd: 1.2, biasStd: 0.4, alpha: 1.3, ensemble: 2, seed: 12 });
    const { ntk } = await crossKernels(rt, net, Tensor.from(rt, X.flat(), [X.length, 3], 'x1'), Tensor.from(rt, X2.flat(), [X2.length, 3], 'x2'));
    const [n1, n2, k] = [X.length, X2.length, 2];
    for (let e = 0; e < 2; e++) {
      const layers = await readLayers(net, e);
      const J1 = X.map((x) => jacobian(layers, 'gelu', x).rows);
      const J2 = X2.map((x) => jacobian(layers, 'gelu', x).rows);
      const ref = new Float64Array(k * n1 * k * n2);
      for (let a = 0; a < k; a++) for (let i = 0; i < n1; i++) for (let b = 0; b < k; b++) for (let j = 0; j < n2; j++)
        ref[((a * n1 + i) * k + b) * n2 + j] = 1.3 ** 2 * J1[i][a].reduce((s, v, p) => s + v * J2[j][b][p], 0);
      const scale = Math.max(...ref.map(Math.abs));
      expectClose(ntk.subarray(e * ref.length, (e + 1) * ref.length), ref, { atol: 2e-5 * scale, rtol: 1e-4 }, `member ${e} cross NTK`);
    }
    net.dispose();
  });
});
