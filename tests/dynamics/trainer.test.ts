// The GPU trainer against a float64 trainer built on explicit Jacobians (tests/helpers/net-f64.ts):
// θ ← θ − η_p·v_p, v ← μ·v + g, g = Σ_i J_iᵀ r_i with r the loss cotangent of z = α·f − α·f₀,
// η_p = η·lrScale_p/α² and frozen layers untouched; weight decay λ adds λ·(η/η_p)·(θ − θ₀) to g.
import { describe, expect, it } from 'vitest';
import { Trainer, type TrainerConfig } from '../../src/dynamics/trainer';
import type { MlpConfig } from '../../src/nets/mlp';
import { expectClose, useRuntime } from '../helpers/gpu';
import { jacobian, readLayers, referenceTraining } from '../helpers/net-f64';

const ctx = useRuntime();

const X = [[0.3, -1.2, 0.5], [1.1, 0.4, -0.7], [-0.6, 0.9, 1.3], [0.2, 0.1, -0.4], [0.9, -0.3, 0.2]];

describe('GD with momentum against float64', () => {
  const cases: { name: string; net: Partial<MlpConfig>; train: Partial<TrainerConfig>; k: number }[] = [
    { name: 'mup, MSE, centred, α = 2, momentum 0.9', net: { parameterization: 'mup', alpha: 2, centered: true }, train: { loss: 'mse', momentum: 0.9 }, k: 2 },
    { name: 'ntk, softmax cross-entropy, layer 1 frozen', net: { parameterization: 'ntk' }, train: { loss: 'softmax', frozen: [1], momentum: 0.5 }, k: 3 },
    { name: 'meanfield (deep = µP), logistic', net: { parameterization: 'meanfield' }, train: { loss: 'logistic' }, k: 1 },
    { name: 'standard, MSE, plain GD', net: { parameterization: 'standard' }, train: { loss: 'mse' }, k: 1 },
    { name: 'mup, MSE, weight decay 0.8 towards θ₀, momentum 0.5, layer 0 frozen', net: { parameterization: 'mup', alpha: 2 }, train: { loss: 'mse', momentum: 0.5, weightDecay: 0.8, frozen: [0] }, k: 2 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { rt } = ctx;
      const k = c.k;
      const y = X.map((_, i) => Array.from({ length: k }, (_, a) => (c.train.loss === 'mse' ? Math.sin(i + a) : c.train.loss === 'logistic' ? (i % 2 ? 1 : -1) : a === i % k ? 1 : 0)));
      const netConfig: MlpConfig = { inputDim: 3, hidden: [6, 5], outputDim: k, activation: 'tanh', parameterization: 'ntk', weightStd: 1.1, biasStd: 0.4, ensemble: 2, seed: 4, ...c.net };
      const config: TrainerConfig = { optimizer: 'gd', lr: 0.4, momentum: 0, batchSize: null, loss: 'mse', frozen: [], linearized: false, ...c.train };
      const trainer = new Trainer(rt, netConfig, { x: X, y }, config);
      await trainer.start();
      const before = await Promise.all([0, 1].map((e) => readLayers(trainer.net, e)));
      trainer.step(3);
      for (let e = 0; e < 2; e++) {
        const expected = referenceTraining(before[e], (layers, x) => jacobian(layers, 'tanh', x), X, y, { loss: config.loss, alpha: netConfig.alpha ?? 1, centred: !!netConfig.centered, rates: trainer.learningRates, momentum: config.momentum, steps: 3, lr: config.lr, weightDecay: config.weightDecay });
        const actual = await readLayers(trainer.net, e);
        actual.forEach((layer, l) => {
          expectClose(layer.w, expected[l].w, { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} w`);
          if (layer.b) expectClose(layer.b, expected[l].b!, { atol: 2e-6, rtol: 2e-5 }, `member ${e} layer ${l} b`);
          if (config.frozen.includes(l)) expect(Array.from(layer.w)).toEqual(Array.from(before[e][l].w));
        });
      }
      expect(await trainer.divergence()).toBeNull();
      trainer.dispose();
    });
  }
});

describe('SGD', () => {
  it('is reproducible from the seed, lowers the loss, and visits every batch of an epoch', async () => {
    const { rt } = ctx;
    const n = 12;
    const x = Array.from({ length: n }, (_, i) => [Math.cos(i), Math.sin(i), 0.5]);
    const y = x.map((r) => [r[0] * r[1]]);
    const netConfig: MlpConfig = { inputDim: 3, hidden: [32], outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, ensemble: 1, seed: 2 };
    const config: TrainerConfig = { optimizer: 'sgd', lr: 0.5, momentum: 0.8, batchSize: 4, loss: 'mse', frozen: [], linearized: true };
    const runs: Float32Array[] = [];
    for (let run = 0; run < 2; run++) {
      const trainer = new Trainer(rt, netConfig, { x, y }, config);
      await trainer.start();
      trainer.step(9); // three epochs of three batches
      runs.push(await trainer.net.layers[0].weight.read());
      expect(await trainer.divergence()).toBeNull();
      trainer.dispose();
    }
    expect(Array.from(runs[0])).toEqual(Array.from(runs[1]));
  });
});
