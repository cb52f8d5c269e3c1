// The quadratic model f₀ + J·δ + ½·δᵀHδ and its gradient (J + Hδ)ᵀr on the GPU against the explicit
// float64 Hessian (hyper-dual numbers, tests/helpers/hessian-ref.ts) on tiny nets: depths 1 to 3,
// with and without bias, k = 1 and 3, every parameterization in turn.
import { describe, it } from 'vitest';
import { Mlp } from '../../src/nets/mlp';
import { PARAMETERIZATIONS } from '../../src/nets/parameterization';
import { useRuntime } from '../helpers/gpu';
import { checkQuadraticModel } from '../helpers/net-check';

const ctx = useRuntime();
const X = [[0.3, -1.2], [1.1, 0.4], [-0.6, 0.9]];

describe('quadratic model against the explicit Hessian', () => {
  let c = 0;
  for (const hidden of [[5], [4, 3], [3, 4, 3]]) {
    for (const biasStd of [0, 0.5]) {
      for (const k of [1, 3]) {
        const p = PARAMETERIZATIONS[c++ % PARAMETERIZATIONS.length];
        const act = c % 2 ? 'tanh' : 'erf';
        const E = c % 3 === 0 ? 2 : 1;
        it(`${p}, ${act}, hidden [${hidden}], bias ${biasStd}, k ${k}, E ${E}`, async () => {
          const { rt } = ctx;
          const net = new Mlp(rt, { inputDim: 2, hidden, outputDim: k, activation: act, parameterization: p, weightStd: 1.3, biasStd, ensemble: E, seed: 3 + c });
          const { release } = await checkQuadraticModel(rt, net, X, act);
          release();
          net.dispose();
        });
      }
    }
  }
});
