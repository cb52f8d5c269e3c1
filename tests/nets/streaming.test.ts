import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp, type MlpConfig } from '../../src/nets/mlp';
import { empiricalKernels } from '../../src/ntk/empirical';
import { streamedEnsembleKernels, streamedKernels, streamingPeakBytes } from '../../src/ntk/streaming';
import { MemoryBudgetError, inMemoryNtkBytes, memoryBudget, parseByteSize, planKernels, streamingChunk } from '../../src/ntk/memory';
import { BACKEND_PADDING } from '../../src/gpu/runtime';
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

  it('a two-layer ReLU network of width 10^7 at a small fraction of the memory its weights and activations need', async () => {
    const { rt } = ctx;
    const m = 10_000_000;
    const n = X.length;
    const chunk = 1 << 19;
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
  }, 120_000); // about 15 s alone on two SwiftShader cores; leave room for a loaded machine

  it('inMemoryNtkBytes bounds the buffers the in-memory kernel allocates (live and pooled), to within the pool\'s size classes', async () => {
    const { rt } = ctx;
    for (const config of [
      { inputDim: 2, hidden: [1000], outputDim: 2, activation: 'tanh', parameterization: 'ntk', weightStd: 1, biasStd: 0.3, seed: 2, ensemble: 2 },
      { inputDim: 3, hidden: [300, 200], outputDim: 1, activation: 'relu', parameterization: 'mup', weightStd: 1, biasStd: 0, seed: 2, ensemble: 3 },
    ] satisfies MlpConfig[]) {
      await rt.sync();
      rt.trimPool();
      const created = rt.stats.buffersCreated;
      rt.peakLiveBytes = rt.liveBytes;
      const base = rt.liveBytes;
      const x = Tensor.from(rt, Array.from({ length: 4 * config.inputDim }, (_, i) => Math.sin(i)), [4, config.inputDim], 'x');
      const net = new Mlp(rt, config);
      const kernels = empiricalKernels(rt, net, x);
      await kernels.ntk.read();
      const need = inMemoryNtkBytes(config, 4);
      const buffersCreated = rt.stats.buffersCreated - created;
      // each tensor is rounded up to at most 2× (≤ 1 MiB: powers of two) or + 1 MiB; gram partials are tiny
      expect(rt.peakLiveBytes - base).toBeLessThanOrEqual(2 * need.bytes + buffersCreated * 2 ** 20);
      // and it is not a loose bound: the live peak is most of it (forward cache, signals and weights are held together)
      expect(rt.peakLiveBytes - base).toBeGreaterThan(0.4 * need.bytes);
      expect(need.largest.bytes).toBe(Math.max(...need.tensors.map((t) => t.bytes)));
      expect(need.perLayer).toHaveLength(config.hidden.length + 1);
      [kernels.ntk, kernels.nngp, x].forEach((t) => t.dispose());
      net.dispose();
    }
  });

  it('planKernels: in memory when it fits, streamed (two-layer) within the budget otherwise, else an error naming the layer', () => {
    const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };
    const config: MlpConfig = { inputDim: 2, hidden: [50_000_000], outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 1 };
    const roomy = memoryBudget(limits, { total: 64e9, free: 32e9 });
    expect(roomy.total).toBe(16e9);
    expect(roomy.buffer).toBe(Math.floor((2 ** 30 - BACKEND_PADDING) / 2));
    // h, φ, φ', δ [1, 4, 5·10^7] are 800 MB each: over half of a 1 GiB binding
    const plan = planKernels(config, 4, roomy);
    expect(plan.kind).toBe('streamed');
    if (plan.kind !== 'streamed') return;
    expect(plan.inMemoryBytes).toBe(4 * (2 * 2 * 5e7 + 2 * 5e7 + 4 * 4 * 5e7 + 4 * 2 + 4 + 16 * 5 + 1)); // W1 and its draw, W2 and its draw, h φ φ' δ, x, f, Grams/Θ/NNGP, I
    expect(plan.chunkWidth * plan.chunks).toBeGreaterThanOrEqual(5e7);
    expect(plan.peakBytes).toBeLessThanOrEqual(roomy.total);
    expect(planKernels({ ...config, hidden: [20_000_000] }, 4, roomy).kind).toBe('in-memory');
    // --max-memory: the total is the user's, a buffer may then use the adapter's whole limit
    const user = memoryBudget(limits, { total: 64e9, free: 32e9 }, 5e9);
    expect(user).toMatchObject({ total: 5e9, buffer: 2 ** 30 - BACKEND_PADDING });
    expect(planKernels(config, 4, user).kind).toBe('in-memory');
    const tight = memoryBudget(limits, { total: 64e9, free: 32e9 }, 1e6);
    const c = streamingChunk(4, 2, 1, 5e7, tight)!;
    expect(2 * streamingPeakBytes(4, 2, 1, c)).toBeLessThanOrEqual(1e6);
    expect(2 * streamingPeakBytes(4, 2, 1, Math.ceil(5e7 / (Math.ceil(5e7 / c) - 1)))).toBeGreaterThan(1e6); // one chunk fewer would not fit
    expect(() => planKernels({ ...config, hidden: [4096, 4096] }, 4, tight)).toThrow(MemoryBudgetError);
    expect(() => planKernels({ ...config, hidden: [4096, 4096] }, 4, tight)).toThrow(/layer 2 \(width 4096\) alone needs 134 MB.*budget.*only two-layer/);
    expect(() => planKernels(config, 400, tight)).toThrow(/\(k·n\)² = 160000 kernel entries, over the budget of 1\.00 MB/);
  });

  it('parseByteSize reads plain, exponent and binary-suffixed sizes and refuses the rest by value', () => {
    expect(parseByteSize('2e9')).toBe(2e9);
    expect(parseByteSize('512M')).toBe(512 * 2 ** 20);
    expect(parseByteSize('2G')).toBe(2 ** 31);
    expect(parseByteSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseByteSize('64k')).toBe(65536);
    for (const bad of ['', 'lots', '-1', '0', '2X', 'Infinity']) expect(() => parseByteSize(bad)).toThrow(new RegExp(`received "${bad}"`));
  });

  it('streamedEnsembleKernels gives every member in the layout of empiricalKernels', async () => {
    const { rt } = ctx;
    const config: MlpConfig = { inputDim: 2, hidden: [500], outputDim: 2, activation: 'relu', parameterization: 'ntk', weightStd: 1.3, biasStd: 0.2, seed: 5, ensemble: 2 };
    const x = Tensor.from(rt, X.flat(), [4, 2], 'x');
    const net = new Mlp(rt, config);
    const memory = empiricalKernels(rt, net, x);
    const [full, nngp] = [await memory.ntk.read(), await memory.nngp.read()];
    const streamed = await streamedEnsembleKernels(rt, config, x, { chunk: 128 });
    expect(streamed.chunks).toBe(2 * 4);
    const scale = Math.max(...full.map(Math.abs));
    expectClose(streamed.ntk, full, { atol: 1e-5 * scale, rtol: 1e-5 }, 'ntk');
    expectClose(streamed.nngp, nngp, { atol: 1e-5 * scale, rtol: 1e-5 }, 'nngp');
    [memory.ntk, memory.nngp, x].forEach((t) => t.dispose());
    net.dispose();
  });
});
