// Residual MLPs (issue 14) against an explicit float64 Jacobian (tests/helpers/net-f64.ts):
// the forward pass, the structured empirical NTK and its per-layer terms, J·v and Jᵀr, for B = 1..3,
// with and without bias, k = 1 and 3, every parameterization; the reference itself against
// finite differences; cross kernels, Θ_η with frozen layers, and the refusals.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp, type MlpConfig } from '../../src/nets/mlp';
import { dynamicsKernelScales, type Parameterization } from '../../src/nets/parameterization';
import { crossKernels, empiricalKernels, toExampleMajor } from '../../src/ntk/empirical';
import { jacobianContractionNtk } from '../../src/ntk/jacobian';
import { inMemoryNtkBytes, planKernels } from '../../src/ntk/memory';
import { streamedKernels } from '../../src/ntk/streaming';
import { mlpGradRef, ntkRows } from '../../src/check/reference';
import { expectClose, useRuntime } from '../helpers/gpu';
import { gramOfRows, jacobian, jacobianFd, readLayers } from '../helpers/net-f64';
import { expectJacobianProducts, gpuJacobianProducts } from '../helpers/net-check';

const ctx = useRuntime();

const X = [[0.3, -1.2, 0.5], [1.1, 0.4, -0.7], [-0.6, 0.9, 1.3], [0.2, 0.1, -0.4]];
const n = X.length;

const PARAMS: Parameterization[] = ['ntk', 'standard', 'mup', 'meanfield', 'depth-mup'];
const ACTS = ['tanh', 'relu', 'erf'];

function config(p: Parameterization, B: number, k: number, biasStd: number, extra: Partial<MlpConfig> = {}): MlpConfig {
  // depth-mup fixes β = 1/√B; elsewhere β = 0.8 (an arbitrary multiplier, not 1, so a missing β shows)
  const beta = p === 'depth-mup' ? 1 / Math.sqrt(B) : 0.8;
  return { inputDim: 3, hidden: [6], outputDim: k, activation: ACTS[B - 1], parameterization: p, weightStd: 1.3, biasStd, seed: 7 + B, residual: { blocks: B, branchMultiplier: beta }, ...extra };
}

describe('the float64 reference', () => {
  for (const [act, bias] of [['tanh', 0.5], ['gelu', 0]] as const) {
    it(`chain-rule Jacobian = central differences (B = 3, k = 2, ${act}, bias ${bias})`, async () => {
      const { rt } = ctx;
      const net = new Mlp(rt, { ...config('ntk', 3, 2, bias), activation: act });
      const layers = await readLayers(net, 0);
      for (const x of X.slice(0, 2)) {
        const exact = jacobian(layers, act, x, 0.8).rows;
        const fd = jacobianFd(layers, act, x, 0.8);
        exact.forEach((row, a) => expectClose(row, fd[a], { atol: 1e-7, rtol: 1e-6 }, `output ${a}`));
      }
      net.dispose();
    });
  }
});

describe('the benchmarks\' float64 residual references (src/check/reference.ts)', () => {
  it('ntkRows and mlpGradRef with β equal the explicit Jacobian (ntk, no bias, k = 1, B = 3)', async () => {
    const { rt } = ctx;
    const beta = 0.6;
    const net = new Mlp(rt, { ...config('ntk', 3, 1, 0), weightStd: 1, residual: { blocks: 3, branchMultiplier: beta } });
    const layers = await readLayers(net, 0);
    const jac = X.map((x) => jacobian(layers, 'erf', x, beta));
    const full = gramOfRows(jac.map((j) => j.rows));
    const rows = ntkRows(X.flat(), n, 3, layers.map((l) => l.w), [0, 1, 2, 3], 'erf', beta);
    expectClose(rows.flatMap((r) => Array.from(r)), full, { atol: 1e-12, rtol: 1e-10 }, 'ntkRows');
    const y = [0.5, -0.2, 0.1, 0.9];
    const grads = mlpGradRef(X.flat(), y, n, 3, layers.map((l) => l.w), 'erf', beta);
    const gRef = new Float64Array(jac[0].rows[0].length);
    jac.forEach((j, i) => j.rows[0].forEach((v, p) => (gRef[p] += (v * (j.f[0] - y[i])) / n)));
    expectClose(grads.flatMap((g) => Array.from(g)), gRef, { atol: 1e-12, rtol: 1e-10 }, 'mlpGradRef');
    net.dispose();
  });
});

describe('residual forward, eNTK, JVP and VJP = explicit float64 Jacobian', () => {
  for (const p of PARAMS) {
    for (const B of [1, 2, 3]) {
      for (const [k, biasStd, E] of [[1, 0, 1], [3, 0.4, 2]] as const) {
        it(`${p}, B = ${B}, k = ${k}, bias ${biasStd}, E ${E}, ${ACTS[B - 1]}`, async () => {
          const { rt } = ctx;
          const cfg = config(p, B, k, biasStd, { ensemble: E, alpha: 1.5 });
          const beta = cfg.residual!.branchMultiplier;
          const net = new Mlp(rt, cfg);
          expect(net.layers.length).toBe(B + 2);
          expect(net.depth).toBe(B + 1);
          const x = Tensor.from(rt, X.flat(), [n, 3], 'x');
          const cache = net.forward(x);
          const { ntk, layers: perLayer } = empiricalKernels(rt, net, x, { perLayer: true, cache });
          const full = toExampleMajor(await ntk.read(), E, k, n);
          const perLayerData = await Promise.all(perLayer!.map(async (t) => toExampleMajor(await t.read(), E, k, n)));
          const f = await cache.output.read();
          // Jᵀr and J·v
          const products = await gpuJacobianProducts(rt, net, cache);
          for (let e = 0; e < E; e++) {
            const layers = await readLayers(net, e);
            const jac = X.map((row) => jacobian(layers, cfg.activation, row, beta));
            // forward
            jac.forEach((j, i) => expectClose(f.subarray((e * n + i) * k, (e * n + i + 1) * k), j.f, { atol: 1e-5 * Math.max(1, ...Array.from(j.f, Math.abs)), rtol: 1e-4 }, `member ${e} f(x${i})`));
            // full kernel Θ = α²·J Jᵀ
            const ref = gramOfRows(jac.map((j) => j.rows), 1.5);
            const scale = Math.max(...ref.map(Math.abs));
            expectClose(full[e], ref, { atol: 2e-5 * scale, rtol: 1e-4 }, `member ${e} NTK`);
            // each dense layer's term α²·J_l J_lᵀ (Dense_in, the B blocks, Dense_out)
            perLayerData.forEach((layerKernel, l) => {
              const refL = gramOfRows(jac.map((j) => j.perLayer[l]), 1.5);
              expectClose(layerKernel[e], refL, { atol: 2e-5 * scale, rtol: 1e-4 }, `member ${e} layer ${l} term`);
            });
            expectJacobianProducts(net, products, jac.map((j) => j.rows), e);
          }
          Mlp.release(cache);
          net.dispose();
        });
      }
    }
  }

  it('β = 0 is the plain MLP Dense_in → Dense_out (the blocks drop out of f and have zero gradient terms)', async () => {
    const { rt } = ctx;
    const net = new Mlp(rt, config('ntk', 2, 1, 0.3, { residual: { blocks: 2, branchMultiplier: 0 } }));
    const x = Tensor.from(rt, X.flat(), [n, 3]);
    const { layers } = empiricalKernels(rt, net, x, { perLayer: true });
    for (const l of [1, 2]) expect(Math.max(...Array.from(await layers![l].read(), Math.abs))).toBe(0);
    expect(Math.max(...Array.from(await layers![0].read(), Math.abs))).toBeGreaterThan(0);
    net.dispose();
  });
});

describe('residual cross kernels and Θ_η', () => {
  it('Θ(X1, X2) = α²·J(X1)·J(X2)ᵀ, B = 2, k = 2, E = 2', async () => {
    const { rt } = ctx;
    const X2 = [[0.9, -0.1, 0.2], [-0.4, 1.2, -0.8], [0.05, 0.5, 0.5]];
    const cfg = config('mup', 2, 2, 0.4, { ensemble: 2, alpha: 1.3, activation: 'gelu' });
    const net = new Mlp(rt, cfg);
    const { ntk } = await crossKernels(rt, net, Tensor.from(rt, X.flat(), [n, 3], 'x1'), Tensor.from(rt, X2.flat(), [X2.length, 3], 'x2'));
    const [n1, n2, k] = [n, X2.length, 2];
    for (let e = 0; e < 2; e++) {
      const layers = await readLayers(net, e);
      const J1 = X.map((x) => jacobian(layers, 'gelu', x, 0.8).rows);
      const J2 = X2.map((x) => jacobian(layers, 'gelu', x, 0.8).rows);
      const ref = new Float64Array(k * n1 * k * n2);
      for (let a = 0; a < k; a++) for (let i = 0; i < n1; i++) for (let b = 0; b < k; b++) for (let j = 0; j < n2; j++)
        ref[((a * n1 + i) * k + b) * n2 + j] = 1.3 ** 2 * J1[i][a].reduce((s, v, p) => s + v * J2[j][b][p], 0);
      expectClose(ntk.subarray(e * ref.length, (e + 1) * ref.length), ref, { atol: 2e-5 * Math.max(...ref.map(Math.abs)), rtol: 1e-4 }, `member ${e} cross NTK`);
    }
    net.dispose();
  });

  it('Θ_η = Σ_l (η_l/η)·J_l J_lᵀ under depth-mup with block 2 frozen (B = 3, k = 1, α = 2)', async () => {
    const { rt } = ctx;
    const cfg = config('depth-mup', 3, 1, 0.5, { alpha: 2 });
    const net = new Mlp(rt, cfg);
    const scales = dynamicsKernelScales(net.layers.map((l) => l.scales), 2, [2]);
    const theta = toExampleMajor(await empiricalKernels(rt, net, Tensor.from(rt, X.flat(), [n, 3]), { parameterScales: scales }).ntk.read(), 1, 1, n)[0];
    const layers = await readLayers(net, 0);
    const jac = X.map((x) => jacobian(layers, cfg.activation, x, 1 / Math.sqrt(3)));
    const ref = new Float64Array(n * n);
    layers.forEach((layer, l) => {
      // the weight block then the bias block of layer l, each with its own rate (α² of the model × 1/α² of the rates)
      const nw = layer.w.length;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        const [ri, rj] = [jac[i].perLayer[l][0], jac[j].perLayer[l][0]];
        let w = 0;
        let b = 0;
        for (let p = 0; p < ri.length; p++) (p < nw ? (w += ri[p] * rj[p]) : (b += ri[p] * rj[p]));
        ref[i * n + j] += 4 * (scales.weight[l] * w + scales.bias[l] * b);
      }
    });
    expect(scales.weight[2]).toBe(0);
    expectClose(theta, ref, { atol: 2e-5 * Math.max(...ref.map(Math.abs)), rtol: 1e-4 }, 'Θ_η');
    net.dispose();
  });
});

describe('residual refusals', () => {
  it('bad configs: clear errors naming the field', () => {
    const { rt } = ctx;
    expect(() => new Mlp(rt, { ...config('ntk', 2, 1, 0), residual: { blocks: 0, branchMultiplier: 1 } })).toThrow(/residual\.blocks must be an integer ≥ 1, got 0/);
    expect(() => new Mlp(rt, { ...config('ntk', 2, 1, 0), hidden: [6, 6] })).toThrow(/hidden must be \[m\], got \[6,6\]/);
    expect(() => new Mlp(rt, { ...config('ntk', 2, 1, 0), residual: { blocks: 2, branchMultiplier: NaN } })).toThrow(/branchMultiplier must be a finite number/);
    expect(() => new Mlp(rt, { ...config('ntk', 2, 1, 0), residual: null, parameterization: 'depth-mup' })).toThrow(/depth-mup.*residual networks only/);
    expect(() => new Mlp(rt, { ...config('depth-mup', 3, 1, 0), residual: { blocks: 4, branchMultiplier: 1 } })).toThrow(/1\/sqrt\(blocks\) = 0\.5 for 4 blocks, got 1/);
  });

  it('width streaming and the Jacobian baseline refuse residual nets; the memory plan sizes them and does not stream them', async () => {
    const { rt } = ctx;
    const cfg = config('ntk', 2, 1, 0);
    await expect(streamedKernels(rt, cfg, Tensor.from(rt, X.flat(), [n, 3]))).rejects.toThrow(/residual network \(2 blocks\) is not streamed/);
    const net = new Mlp(rt, cfg);
    expect(() => jacobianContractionNtk(rt, net, Tensor.from(rt, X.flat(), [n, 3]))).toThrow(/two-layer networks/);
    net.dispose();
    // sized as the plain MLP of its dense layers [3, 6, 6, 6, 1]: 4 layers
    const need = inMemoryNtkBytes(cfg, n);
    expect(need.perLayer.length).toBe(4);
    expect(need.tensors.find((t) => t.name === 'W3')!.shape).toEqual([1, 6, 6]);
    expect(planKernels(cfg, n, { total: 1e9, buffer: 1e8, source: 'test' }).kind).toBe('in-memory');
    expect(() => planKernels({ ...cfg, hidden: [1 << 12] }, 64, { total: 1e6, buffer: 1e6, source: 'test' })).toThrow(/with 2 residual blocks.*no residual blocks/);
  });
});
