// Training residual nets with the unchanged trainer (GD, momentum, frozen blocks, α and centring,
// the linearised model) against float64 GD on the explicit residual Jacobian, and the per-layer
// observables (coordinates, weight changes, Θ_η) of a trained residual net against float64.
import { describe, expect, it } from 'vitest';
import { Trainer, type TrainerConfig } from '../../src/dynamics/trainer';
import { SpectralNorm, coordinates, dynamicsKernel, weightChanges, weightNorms } from '../../src/dynamics/observables';
import type { LossKind } from '../../src/kernels/loss';
import { Rng, deriveSeed } from '../../src/data/rng';
import { Mlp, type MlpConfig } from '../../src/nets/mlp';
import { expectClose, useRuntime } from '../helpers/gpu';
import { forward, gramOfRows, jacobian, readLayers, referenceTraining, type RefLayer } from '../helpers/net-f64';

const ctx = useRuntime();

const X = [[0.3, -1.2, 0.5], [1.1, 0.4, -0.7], [-0.6, 0.9, 1.3], [0.2, 0.1, -0.4], [0.9, -0.3, 0.2]];

const labels = (loss: LossKind, k: number) => X.map((_, i) => Array.from({ length: k }, (_, a) => (loss === 'mse' ? Math.sin(i + a) : loss === 'logistic' ? (i % 2 ? 1 : -1) : a === i % k ? 1 : 0)));

describe('GD on residual nets against float64', () => {
  const cases: { name: string; net: Partial<MlpConfig>; train: Partial<TrainerConfig>; k: number }[] = [
    { name: 'ntk, B = 2, MSE, momentum 0.5, block 1 frozen, linearised', net: { parameterization: 'ntk', residual: { blocks: 2, branchMultiplier: 0.7 } }, train: { momentum: 0.5, frozen: [1], linearized: true }, k: 2 },
    { name: 'depth-mup, B = 3, MSE, centred, α = 2, linearised', net: { parameterization: 'depth-mup', residual: { blocks: 3, branchMultiplier: 1 / Math.sqrt(3) }, alpha: 2, centered: true }, train: { linearized: true }, k: 1 },
    { name: 'meanfield (= µP), B = 1, logistic, Dense_in frozen', net: { parameterization: 'meanfield', residual: { blocks: 1, branchMultiplier: 1 } }, train: { loss: 'logistic', frozen: [0] }, k: 1 },
    { name: 'standard, B = 2, softmax, β = 1/B, momentum 0.9', net: { parameterization: 'standard', residual: { blocks: 2, branchMultiplier: 0.5 } }, train: { loss: 'softmax', momentum: 0.9 }, k: 3 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { rt } = ctx;
      const config: TrainerConfig = { optimizer: 'gd', lr: 0.3, momentum: 0, batchSize: null, loss: 'mse', frozen: [], linearized: false, ...c.train };
      const y = labels(config.loss, c.k);
      const netConfig: MlpConfig = { inputDim: 3, hidden: [6], outputDim: c.k, activation: 'tanh', parameterization: 'ntk', weightStd: 1.1, biasStd: 0.4, ensemble: 2, seed: 4, ...c.net };
      const beta = netConfig.residual!.branchMultiplier;
      const jac = (layers: RefLayer[], x: ArrayLike<number>) => jacobian(layers, 'tanh', x, beta);
      const trainer = new Trainer(rt, netConfig, { x: X, y }, config);
      await trainer.start();
      const before = await Promise.all([0, 1].map((e) => readLayers(trainer.net, e)));
      const steps = 3;
      trainer.step(steps);
      const options = { loss: config.loss, alpha: netConfig.alpha ?? 1, centred: !!netConfig.centered, rates: trainer.learningRates, momentum: config.momentum, steps };
      const delta = trainer.delta ? await Promise.all(trainer.delta.map(async (d) => ({ w: await d.weight.read(), b: d.bias ? await d.bias.read() : null }))) : null;
      for (let e = 0; e < 2; e++) {
        const expected = referenceTraining(before[e], jac, X, y, options);
        const actual = await readLayers(trainer.net, e);
        actual.forEach((layer, l) => {
          expectClose(layer.w, expected[l].w, { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} w`);
          if (layer.b) expectClose(layer.b, expected[l].b!, { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} b`);
          if (config.frozen.includes(l)) expect(Array.from(layer.w)).toEqual(Array.from(before[e][l].w));
          else expect(Math.max(...layer.w.map((v, p) => Math.abs(v - before[e][l].w[p])))).toBeGreaterThan(1e-6); // it did train
        });
        if (delta) {
          // the linearised model's θ − θ₀
          const lin = referenceTraining(before[e], jac, X, y, options, true);
          lin.forEach((layer, l) => {
            const { fanIn, fanOut } = trainer.net.layers[l].scales;
            const dRef = layer.w.map((v, p) => v - before[e][l].w[p]);
            expectClose(delta[l].w.subarray(e * fanIn * fanOut, (e + 1) * fanIn * fanOut), dRef, { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} linearised Δw`);
            if (layer.b) expectClose(delta[l].b!.subarray(e * fanOut, (e + 1) * fanOut), layer.b.map((v, p) => v - before[e][l].b![p]), { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} linearised Δb`);
          });
        }
      }
      expect(await trainer.divergence()).toBeNull();
      trainer.dispose();
    });
  }
});

describe('SGD on a residual net against float64', () => {
  it('ntk, B = 2, batches of 2 of 5 points over 3 epochs, momentum 0.5, linearised', async () => {
    const { rt } = ctx;
    const y = labels('mse', 2);
    const netConfig: MlpConfig = { inputDim: 3, hidden: [6], outputDim: 2, activation: 'tanh', parameterization: 'ntk', weightStd: 1.1, biasStd: 0.4, ensemble: 2, seed: 9, residual: { blocks: 2, branchMultiplier: 0.6 } };
    const config: TrainerConfig = { optimizer: 'sgd', lr: 0.5, momentum: 0.5, batchSize: 2, loss: 'mse', frozen: [], linearized: true };
    const trainer = new Trainer(rt, netConfig, { x: X, y }, config);
    await trainer.start();
    const before = await Promise.all([0, 1].map((e) => readLayers(trainer.net, e)));
    const steps = 5;
    trainer.step(steps);
    // the trainer's shuffle (trainer.ts: a Fisher–Yates shuffle per epoch from xoshiro stream 17 of the seed; the last partial batch dropped)
    const rng = new Rng(deriveSeed(netConfig.seed, 17));
    const batches: number[][] = [];
    while (batches.length < steps) {
      const order = X.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let b = 0; b < Math.floor(X.length / 2); b++) batches.push(order.slice(2 * b, 2 * b + 2));
    }
    const options = { loss: config.loss, alpha: 1, centred: false, rates: trainer.learningRates, momentum: 0.5, steps, batches };
    const jac = (layers: RefLayer[], x: ArrayLike<number>) => jacobian(layers, 'tanh', x, 0.6);
    const delta = await Promise.all(trainer.delta!.map(async (d) => await d.weight.read()));
    for (let e = 0; e < 2; e++) {
      const expected = referenceTraining(before[e], jac, X, y, options);
      const lin = referenceTraining(before[e], jac, X, y, options, true);
      const actual = await readLayers(trainer.net, e);
      actual.forEach((layer, l) => {
        expectClose(layer.w, expected[l].w, { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} w`);
        expectClose(layer.b!, expected[l].b!, { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} b`);
        const { fanIn, fanOut } = trainer.net.layers[l].scales;
        expectClose(delta[l].subarray(e * fanIn * fanOut, (e + 1) * fanIn * fanOut), lin[l].w.map((v, p) => v - before[e][l].w[p]), { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} linearised Δw`);
      });
    }
    trainer.dispose();
  });
});

describe('observables of a trained residual net', () => {
  it('coordinates and weight changes per dense layer, Θ_η, against float64 (B = 3, E = 2)', async () => {
    const { rt } = ctx;
    const B = 3;
    const beta = 1 / Math.sqrt(B);
    const netConfig: MlpConfig = { inputDim: 3, hidden: [8], outputDim: 1, activation: 'relu', parameterization: 'depth-mup', weightStd: 1.2, biasStd: 0.3, ensemble: 2, seed: 11, residual: { blocks: B, branchMultiplier: beta } };
    const config: TrainerConfig = { optimizer: 'gd', lr: 0.5, momentum: 0, batchSize: null, loss: 'mse', frozen: [2], linearized: false };
    const trainer = new Trainer(rt, netConfig, { x: X, y: labels('mse', 1) }, config);
    await trainer.start();
    const spectral = trainer.net.layers.map((layer, l) => new SpectralNorm(rt, 2, layer.scales.fanOut, layer.scales.fanIn, 11, 7919 + l));
    const norms = await weightNorms(rt, trainer.initial, spectral);
    trainer.step(4);
    const cache = trainer.net.forward(trainer.trainX);
    const coords = await coordinates(rt, cache, trainer.initialTrainCache(), 2);
    const changes = await weightChanges(rt, trainer.net, trainer.initial, norms, spectral);
    const theta = await dynamicsKernel(trainer.net, trainer.trainX, trainer.kernelScales, cache);
    expect(coords.length).toBe(B + 2);
    expect(changes.frobenius.length).toBe(B + 2);
    for (let e = 0; e < 2; e++) {
      const [now, then] = [await readLayers(trainer.net, e), await readLayers(trainer.initial, e)];
      // mean |x_l| and mean |x_l − x_l(0)|: the inputs of layers 1..B+1 (φ(h₀)..φ(h_B)), then f
      const fw = X.map((x) => forward(now, 'relu', x, beta));
      const fw0 = X.map((x) => forward(then, 'relu', x, beta));
      for (let l = 0; l <= B + 1; l++) {
        const at = (r: ReturnType<typeof forward>) => (l <= B ? r.xs[l + 1] : r.f);
        let abs = 0;
        let diff = 0;
        let count = 0;
        fw.forEach((r, i) => at(r).forEach((v, p) => {
          abs += Math.abs(v);
          diff += Math.abs(v - at(fw0[i])[p]);
          count++;
        }));
        expectClose([coords[l].meanAbs[e], coords[l].meanAbsChange[e]], [abs / count, diff / count], { atol: 1e-6, rtol: 1e-4 }, `member ${e} coordinates of layer ${l}`);
        // ‖W_l − W_l(0)‖_F / ‖W_l(0)‖_F
        const num = Math.sqrt(now[l].w.reduce((s, v, p) => s + (v - then[l].w[p]) ** 2, 0));
        const den = Math.sqrt(then[l].w.reduce((s, v) => s + v * v, 0));
        expectClose([changes.frobenius[l][e]], [num / den], { atol: 1e-6, rtol: 1e-3 }, `member ${e} weight change of layer ${l}`);
      }
      expect(changes.frobenius[2][e]).toBe(0); // frozen block 2
      // Θ_η = Σ_l (η_l/η)·J_l J_lᵀ at the trained parameters (k = 1, α = 1: the rates are the lrScales)
      const jac = X.map((x) => jacobian(now, 'relu', x, beta));
      const scales = trainer.kernelScales;
      const ref = new Float64Array(X.length ** 2);
      now.forEach((layer, l) => {
        const nw = layer.w.length;
        const rates = (p: number) => (p < nw ? scales.weight[l] : scales.bias[l]);
        const weighted = jac.map((j) => [Float64Array.from(j.perLayer[l][0], (v, p) => v * Math.sqrt(rates(p)))]);
        gramOfRows(weighted).forEach((v, t) => (ref[t] += v));
      });
      expectClose(theta[e], ref, { atol: 2e-5 * Math.max(...ref.map(Math.abs)), rtol: 1e-4 }, `member ${e} Θ_η`);
    }
    Mlp.release(cache);
    trainer.dispose();
  });
});
