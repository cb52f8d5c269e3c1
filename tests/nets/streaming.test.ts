import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp, type MlpConfig } from '../../src/nets/mlp';
import { empiricalKernels } from '../../src/ntk/empirical';
import { streamedKernels, streamingPeakBytes } from '../../src/ntk/streaming';
import { analyticKernels } from '../../src/theory';
import { expectClose, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const X = [[0.6, -0.8], [1, 0], [-0.3, 0.2], [0, -1.4]];

describe('width streaming', () => {
  for (const [p, biasStd, k, act] of [['ntk', 0.4, 2, 'tanh'], ['mup', 0, 1, 'relu'], ['standard', 1, 3, 'gelu']] as const) {
    it(`streamed kernel equals the in-memory one (${p}, bias ${biasStd}, k ${k}, ${act}; chunks of 97 over width 1000)`, async () => {
      const { rt } = ctx;
      const config: MlpConfig = { inputDim: 2, hidden: [1000], outputDim: k, activation: act, parameterization: p, weightStd: 1.2, biasStd, alpha: 1.5, seed: 9, ensemble: 2 };
      const x = Tensor.from(rt, X.flat(), [4, 2], 'x');
      const net = new Mlp(rt, config);
      const memory = empiricalKernels(rt, net, x);
      const full = await memory.ntk.read();
      const nngp = await memory.nngp.read();
      const size = (k * 4) ** 2;
      for (const member of [0, 1]) {
        const streamed = await streamedKernels(rt, config, x, { chunk: 97, member });
        expect(streamed.chunks).toBe(11);
        const scale = Math.max(...full.map(Math.abs));
        expectClose(streamed.ntk, full.subarray(member * size, (member + 1) * size), { atol: 1e-5 * scale, rtol: 1e-5 }, 'ntk');
        expectClose(streamed.nngp, nngp.subarray(member * 16, (member + 1) * 16), { atol: 1e-5 * scale, rtol: 1e-5 }, 'nngp');
      }
      net.dispose();
    });
  }

  it('a two-layer ReLU network of width 5·10^7 at a small fraction of the memory its weights and activations need', async () => {
    const { rt } = ctx;
    const m = 50_000_000;
    const n = X.length;
    const chunk = 1 << 21;
    const config: MlpConfig = { inputDim: 2, hidden: [m], outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 1 };
    const x = Tensor.from(rt, X.flat(), [n, 2], 'x');
    const { ntk, nngp, chunks, peakBytes } = await streamedKernels(rt, config, x, { chunk });
    expect(chunks).toBe(Math.ceil(m / chunk));
    // holding it: weights (d + 1)·m plus h, φ, φ' and δ for n inputs: ≥ 4·m·(3 + 4n) bytes
    const heldBytes = 4 * m * (3 + 4 * n);
    expect(peakBytes).toBeLessThanOrEqual(2 * streamingPeakBytes(n, 2, 1, chunk)); // pool size classes round up ≤ 2×
    expect(peakBytes).toBeLessThan(heldBytes / 10);
    // at this width the empirical kernel is the infinite-width one to ~1/√m
    const { ntk: exact, nngp: exactNngp } = analyticKernels({ depth: 1, weightStd: 1, biasStd: 0, activation: 'relu' }, X);
    expectClose(ntk, exact.flat(), { atol: 2e-3, rtol: 2e-3 }, 'Θ vs Θ∞');
    expectClose(nngp, exactNngp.flat(), { atol: 2e-3, rtol: 2e-3 }, 'NNGP vs K∞');
  });
});
