// Reverse mode (gradients) and forward mode (JVP) against the float64 Jacobian: g = Jᵀr, J·v.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp } from '../../src/nets/mlp';
import { mseCotangent, vjp } from '../../src/nets/gradients';
import { PARAMETERIZATIONS } from '../../src/nets/parameterization';
import { expectClose, testData, useRuntime } from '../helpers/gpu';
import { jacobian, readLayers } from '../helpers/net-f64';
import { expectJacobianProducts, gpuJacobianProducts } from '../helpers/net-check';

const ctx = useRuntime();
const X = [[0.3, -1.2, 0.5], [1.1, 0.4, -0.7], [-0.6, 0.9, 1.3], [0.2, 0.1, -0.4]];

describe('gradients and JVP', () => {
  for (const p of PARAMETERIZATIONS) {
    for (const [hidden, k, biasStd, E] of [[[7], 1, 0, 1], [[6, 5], 2, 0.5, 2]] as const) {
      it(`${p}, hidden [${hidden}], k ${k}, bias ${biasStd}, E ${E}`, async () => {
        const { rt } = ctx;
        const n = X.length;
        const net = new Mlp(rt, { inputDim: 3, hidden: [...hidden], outputDim: k, activation: 'tanh', parameterization: p, weightStd: 1.2, biasStd, alpha: 1.5, ensemble: E, seed: 5 });
        const x = Tensor.from(rt, X.flat(), [n, 3]);
        const cache = net.forward(x);
        const products = await gpuJacobianProducts(rt, net, cache);
        for (let e = 0; e < E; e++) {
          const layers = await readLayers(net, e);
          // rows[i][a] = ∂f_a(x_i)/∂θ (α not included)
          expectJacobianProducts(net, products, X.map((row) => jacobian(layers, 'tanh', row).rows), e);
        }
        net.dispose();
      });
    }
  }

  it('MSE cotangent: α·(α·f − y)/(n·k)', async () => {
    const { rt } = ctx;
    const net = new Mlp(rt, { inputDim: 3, hidden: [5], outputDim: 2, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, alpha: 2, ensemble: 2, seed: 1 });
    const f = Tensor.from(rt, testData(2 * 4 * 2, 3), [2, 4, 2]);
    const y = Tensor.from(rt, testData(4 * 2, 4), [4, 2]);
    const r = await mseCotangent(rt, net, f, y).read();
    const fd = testData(16, 3);
    const yd = testData(8, 4);
    expectClose(r, Array.from(fd, (v, i) => (2 * (2 * v - yd[i % 8])) / 8), { atol: 1e-6, rtol: 1e-6 }, 'cotangent');
  });
});

describe('vjp with frozen layers', () => {
  it('skips the frozen layers and leaves the others unchanged', async () => {
    const { rt } = ctx;
    const net = new Mlp(rt, { inputDim: 3, hidden: [6, 5], outputDim: 2, activation: 'tanh', parameterization: 'ntk', weightStd: 1.2, biasStd: 0.3, ensemble: 2, seed: 9 });
    const x = Tensor.from(rt, X.flat(), [X.length, 3]);
    const cache = net.forward(x);
    const r = Tensor.from(rt, testData(2 * X.length * 2, 4), [2, X.length, 2]);
    const all = vjp(rt, net, cache, r);
    for (const frozen of [[0], [1], [0, 2], [0, 1]]) {
      const some = vjp(rt, net, cache, r, frozen);
      for (let l = 0; l < 3; l++) {
        if (frozen.includes(l)) expect(some[l], `layer ${l} frozen`).toBeNull();
        else {
          expect(Array.from(await some[l]!.weight.read())).toEqual(Array.from(await all[l]!.weight.read()));
          expect(Array.from(await some[l]!.bias!.read())).toEqual(Array.from(await all[l]!.bias!.read()));
        }
      }
    }
  });
});
