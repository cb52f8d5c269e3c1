// The quadratic model f₀ + J·δ + ½·δᵀHδ and its gradient (J + Hδ)ᵀr on the GPU against the explicit
// float64 Hessian (hyper-dual numbers, tests/helpers/hessian-ref.ts) on tiny nets: depths 1 to 3,
// with and without bias, k = 1 and 3, every parameterization in turn.
import { describe, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp } from '../../src/nets/mlp';
import { PARAMETERIZATIONS } from '../../src/nets/parameterization';
import { curvatures, quadraticForward, quadraticVjp, releaseQuadraticForward } from '../../src/nets/second-order';
import { expectClose, testData, useRuntime } from '../helpers/gpu';
import { outputDerivatives } from '../helpers/hessian-ref';
import { readLayers } from '../helpers/mlp-ref';

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
          const n = X.length;
          const net = new Mlp(rt, { inputDim: 2, hidden, outputDim: k, activation: act, parameterization: p, weightStd: 1.3, biasStd, ensemble: E, seed: 3 + c });
          const x = Tensor.from(rt, X.flat(), [n, 2]);
          const cache = net.forward(x);
          const curv = curvatures(rt, net, cache);
          // δ of O(1) relative size in the layer's own units (mup's readout init is 1/fanIn², so scale by init std)
          const delta = net.layers.map((layer, l) => ({
            weight: Tensor.from(rt, Array.from(testData(layer.weight.size, 100 + l), (v) => 0.4 * v * layer.scales.initStd), layer.weight.shape),
            bias: layer.bias ? Tensor.from(rt, Array.from(testData(layer.bias.size, 200 + l), (v) => 0.4 * v * layer.scales.biasStd), layer.bias.shape) : null,
          }));
          const rData = testData(E * n * k, 17);
          const r = Tensor.from(rt, rData, [E, n, k]);
          const fwd = quadraticForward(rt, net, cache, curv, delta);
          const grads = quadraticVjp(rt, net, cache, fwd, delta, r);
          const fq = await fwd.output.read();
          const gData = await Promise.all(grads.map(async (g) => ({ w: await g!.weight.read(), b: g!.bias ? await g!.bias.read() : null })));
          const vData = await Promise.all(delta.map(async (t) => ({ w: await t.weight.read(), b: t.bias ? await t.bias.read() : null })));
          for (let e = 0; e < E; e++) {
            const layers = await readLayers(net, e);
            const flat = (d: { w: Float32Array; b: Float32Array | null }[]) => d.flatMap((layer, l) => {
              const { fanIn, fanOut } = net.layers[l].scales;
              const w = Array.from(layer.w.subarray(e * fanIn * fanOut, (e + 1) * fanIn * fanOut));
              return layer.b ? [...w, ...Array.from(layer.b.subarray(e * fanOut, (e + 1) * fanOut))] : w;
            });
            const v = flat(vData);
            const P = v.length;
            const fRef: number[] = [];
            const gRef = new Float64Array(P);
            X.forEach((row, i) => {
              const { f, J, H } = outputDerivatives(layers, act, row);
              for (let a = 0; a < k; a++) {
                const Hv = H[a].map((hrow) => hrow.reduce((s, h, q) => s + h * v[q], 0));
                fRef.push(f[a] + J[a].reduce((s, j, q) => s + j * v[q], 0) + 0.5 * Hv.reduce((s, h, q) => s + h * v[q], 0));
                const ri = rData[(e * n + i) * k + a];
                for (let q = 0; q < P; q++) gRef[q] += (J[a][q] + Hv[q]) * ri;
              }
            });
            const fs = Math.max(...fRef.map(Math.abs));
            expectClose(fq.subarray(e * n * k, (e + 1) * n * k), fRef, { atol: 2e-5 * fs, rtol: 1e-4 }, `member ${e} f_quad`);
            const gs = Math.max(...gRef.map(Math.abs));
            expectClose(flat(gData), gRef, { atol: 2e-5 * gs, rtol: 1e-4 }, `member ${e} (J + Hδ)ᵀr`);
          }
          releaseQuadraticForward(fwd);
          fwd.output.dispose();
          Mlp.release(cache);
          curv.forEach((t) => t.dispose());
          net.dispose();
        });
      }
    }
  }
});
