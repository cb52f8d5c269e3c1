// The quadratic model f₀ + J·δ + ½·δᵀHδ and its gradient (J + Hδ)ᵀr of a RESIDUAL net
// (h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})), src/nets/second-order.ts) against the explicit float64 Hessian
// (hyper-dual numbers through the residual forward, tests/helpers/hessian-ref.ts) for B = 1..3, with and
// without bias, k = 1 and 3, ntk / mup / depth-mup; the reference itself against the chain-rule Jacobian
// and finite differences; and exactness: with the identity activation f is multilinear in the dense layers
// (degree one in each layer's parameters), so the quadratic model equals the network for any δ on at most
// two layers (e.g. B = 1 with Dense_in frozen: bilinear in (W_1, W_out)) and not for δ on three.
import { describe, expect, it } from 'vitest';
import { Experiment, type RunRecord } from '../../src/dynamics/experiment';
import { Tensor } from '../../src/gpu/tensor';
import { axpy } from '../../src/kernels/elementwise';
import { Mlp, type MlpConfig } from '../../src/nets/mlp';
import { vjp } from '../../src/nets/gradients';
import type { Parameterization } from '../../src/nets/parameterization';
import { curvatures, quadraticForward, quadraticVjp, releaseQuadraticForward } from '../../src/nets/second-order';
import { parseSpec } from '../../src/spec';
import { records, runSpec } from '../helpers/experiment';
import { expectClose, testData, useRuntime } from '../helpers/gpu';
import { outputDerivatives } from '../helpers/hessian-ref';
import { jacobian, readLayers } from '../helpers/net-f64';
import { checkQuadraticModel, flatMember, readAll, testTangent } from '../helpers/net-check';

const ctx = useRuntime();
const X = [[0.3, -1.2], [1.1, 0.4], [-0.6, 0.9]];
const n = X.length;
const PARAMS: Parameterization[] = ['ntk', 'mup', 'depth-mup'];

function config(p: Parameterization, B: number, k: number, biasStd: number, act: string, E = 1, seed = 5): MlpConfig {
  // depth-mup fixes β = 1/√B; elsewhere β = 0.7 (not 1, so a missing β shows)
  const beta = p === 'depth-mup' ? 1 / Math.sqrt(B) : 0.7;
  return { inputDim: 2, hidden: [3], outputDim: k, activation: act, parameterization: p, weightStd: 1.3, biasStd, ensemble: E, seed, residual: { blocks: B, branchMultiplier: beta } };
}

describe('the residual hyper-dual reference', () => {
  it('its J is the chain-rule Jacobian and its H the central differences of that Jacobian (B = 2, k = 2, tanh, bias)', async () => {
    const { rt } = ctx;
    const beta = 0.7;
    const net = new Mlp(rt, config('ntk', 2, 2, 0.5, 'tanh'));
    const layers = await readLayers(net, 0);
    const params: { arr: Float64Array; i: number }[] = layers.flatMap((l) => [...Array.from(l.w, (_, i) => ({ arr: l.w, i })), ...(l.b ? Array.from(l.b, (_, i) => ({ arr: l.b!, i })) : [])]);
    const x = X[1];
    const { f, J, H } = outputDerivatives(layers, 'tanh', x, beta);
    const chain = jacobian(layers, 'tanh', x, beta);
    expectClose(f, chain.f, { atol: 1e-12, rtol: 1e-12 }, 'f');
    J.forEach((row, a) => expectClose(row, chain.rows[a], { atol: 1e-12, rtol: 1e-10 }, `J output ${a}`));
    const eps = 1e-5;
    params.forEach(({ arr, i }, p) => {
      const v = arr[i];
      arr[i] = v + eps;
      const jp = jacobian(layers, 'tanh', x, beta).rows;
      arr[i] = v - eps;
      const jm = jacobian(layers, 'tanh', x, beta).rows;
      arr[i] = v;
      for (let a = 0; a < 2; a++) expectClose(H[a][p], Array.from(jp[a], (u, q) => (u - jm[a][q]) / (2 * eps)), { atol: 1e-7, rtol: 1e-6 }, `H output ${a} row ${p}`);
    });
    net.dispose();
  });
});

describe('residual quadratic model against the explicit Hessian', () => {
  let c = 0;
  for (const B of [1, 2, 3]) {
    for (const biasStd of [0, 0.5]) {
      for (const k of [1, 3]) {
        const p = PARAMS[c % PARAMS.length];
        const act = c % 2 ? 'tanh' : 'erf';
        const E = c % 4 === 3 ? 2 : 1;
        const seed = 11 + c++;
        it(`${p}, ${act}, B ${B}, bias ${biasStd}, k ${k}, E ${E}`, async () => {
          const { rt } = ctx;
          const net = new Mlp(rt, config(p, B, k, biasStd, act, E, seed));
          const beta = net.residual!.branchMultiplier;
          const { cache, fwd, delta, r, gData, release } = await checkQuadraticModel(rt, net, X, act, beta);
          // frozen Dense_in (and branch 1): the same gradients on the trainable layers, null on the frozen ones
          const frozen = B > 1 ? [0, 1] : [0];
          const part = quadraticVjp(rt, net, cache, fwd, delta, r, frozen);
          frozen.forEach((l) => expect(part[l]).toBeNull());
          const trainable = net.layers.map((_, l) => l).filter((l) => !frozen.includes(l));
          const partData = await readAll(part);
          for (let e = 0; e < E; e++) expectClose(flatMember(net, partData, e, trainable), flatMember(net, gData, e, trainable), { atol: 1e-6, rtol: 1e-5 }, `member ${e} frozen ${frozen}`);
          for (const g of part) if (g) [g.weight, g.bias].forEach((t) => t?.dispose());
          release();
          r.dispose();
          net.dispose();
        });
      }
    }
  }
});

describe('exactness with the identity activation (f multilinear in the dense layers)', () => {
  // δ on at most two layers: f(θ₀ + δ) is a polynomial of degree ≤ 2 in δ, so f_quad = f(θ₀ + δ) and
  // ∂f_quad/∂δ = J(θ₀ + δ) on those layers; on three layers the cubic term β²·… makes them differ.
  for (const [B, support, exact] of [[1, [1, 2], true], [2, [1, 3], true], [2, [0, 2], true], [2, [1, 2, 3], false]] as [number, number[], boolean][]) {
    it(`B ${B}, δ on layers [${support}]: ${exact ? 'f_quad = f and its gradient = the network\'s' : 'f_quad ≠ f'}`, async () => {
      const { rt } = ctx;
      const k = 2;
      const cfg = config('ntk', B, k, 0.5, 'identity', 1, 3);
      const net = new Mlp(rt, cfg);
      const moved = new Mlp(rt, cfg);
      const x = Tensor.from(rt, X.flat(), [n, 2]);
      const delta = testTangent(net, 1.0, support);
      // moved = θ₀ + δ (same seed, same θ₀)
      moved.layers.forEach((layer, l) => {
        axpy(rt, 1, delta[l].weight, layer.weight);
        if (layer.bias) axpy(rt, 1, delta[l].bias!, layer.bias);
      });
      const cache = net.forward(x);
      const curv = curvatures(rt, net, cache);
      const fwd = quadraticForward(rt, net, cache, curv, delta);
      const movedCache = moved.forward(x);
      const fq = Array.from(await fwd.output.read());
      const f = Array.from(await movedCache.output.read());
      const f0 = Array.from(await cache.output.read());
      const scale = Math.max(...f.map(Math.abs));
      // the displacement itself is large: f(θ₀ + δ) is far from f(θ₀)
      expect(Math.max(...f.map((v, i) => Math.abs(v - f0[i])))).toBeGreaterThan(0.1 * scale);
      if (exact) {
        expectClose(fq, f, { atol: 2e-5 * scale, rtol: 1e-4 }, 'f_quad = f(θ₀ + δ)');
        const frozen = net.layers.map((_, l) => l).filter((l) => !support.includes(l));
        const r = Tensor.from(rt, testData(n * k, 23), [1, n, k]);
        const gq = await readAll(quadraticVjp(rt, net, cache, fwd, delta, r, frozen));
        const g = await readAll(vjp(rt, moved, movedCache, r, frozen));
        const gs = Math.max(...flatMember(net, g, 0, support).map(Math.abs));
        expectClose(flatMember(net, gq, 0, support), flatMember(net, g, 0, support), { atol: 2e-5 * gs, rtol: 1e-4 }, '∂f_quad/∂δ = J(θ₀ + δ)ᵀr');
      } else {
        const gap = Math.max(...fq.map((v, i) => Math.abs(v - f[i])));
        expect(gap).toBeGreaterThan(1e-2 * scale);
      }
      releaseQuadraticForward(fwd);
      net.dispose();
      moved.dispose();
    });
  }
});

describe('train.quadratic with model.residual (the trainer)', () => {
  it('GD on the quadratic model of a residual tanh net (B = 2, Dense_in frozen) equals float64 GD with the explicit Hessian, step by step', async () => {
    const Y = [[0.7], [-0.2], [0.4]];
    const lr = 0.8;
    const beta = 0.7;
    const spec = parseSpec({
      seed: 3, model: { inputDim: 2, hidden: [3], activation: 'tanh', parameterization: 'ntk', biasStd: 0.5, weightStd: 1.5, residual: { blocks: 2, branchMultiplier: beta }, frozen: [0] },
      data: { train: { kind: 'points', x: X, y: Y } }, train: { lr, steps: 6, quadratic: true },
    });
    const exp = await Experiment.create(ctx.rt, spec);
    try {
      const layers = await readLayers(exp.trainer.initial, 0);
      const derivs = X.map((x) => outputDerivatives(layers, 'tanh', x, beta));
      const P = derivs[0].J[0].length;
      const inputLayer = layers[0].fanIn * layers[0].fanOut + (layers[0].b ? layers[0].fanOut : 0); // frozen: the first parameters
      const delta = new Float64Array(P);
      for (let t = 0; t <= 6; t++) {
        const Hd = derivs.map((d) => d.H[0].map((row) => row.reduce((s, h, q) => s + h * delta[q], 0)));
        const fq = derivs.map((d, i) => d.f[0] + d.J[0].reduce((s, j, q) => s + j * delta[q], 0) + 0.5 * Hd[i].reduce((s, h, q) => s + h * delta[q], 0));
        const loss = fq.reduce((s, f, i) => s + (f - Y[i][0]) ** 2, 0) / (2 * n);
        const record = (await exp.record()) as RunRecord;
        expect(Math.abs(record.quadraticTrainLoss! - loss), `step ${t}`).toBeLessThan(1e-5 * loss + 1e-7);
        const g = new Float64Array(P);
        derivs.forEach((d, i) => d.J[0].forEach((j, q) => (g[q] += ((fq[i] - Y[i][0]) / n) * (j + Hd[i][q]))));
        g.forEach((v, q) => (delta[q] -= q < inputLayer ? 0 : lr * v));
        exp.trainer.step(1);
      }
      // it moved: the quadratic model's loss fell
      expect((await exp.record() as RunRecord).quadraticTrainLoss!).toBeLessThan(0.9 * (derivs.reduce((s, d, i) => s + (d.f[0] - Y[i][0]) ** 2, 0) / (2 * n)));
    } finally {
      exp.dispose();
    }
  });

  it('equals a bilinear residual network (identity, B = 1, Dense_in frozen) over training; the linearised model does not', async () => {
    const lines = await runSpec(ctx.rt, {
      seed: 4,
      model: { inputDim: 3, hidden: [8], outputDim: 2, activation: 'identity', parameterization: 'ntk', biasStd: 0.5, residual: { blocks: 1, branchMultiplier: 0.7 }, frozen: [0] },
      data: { train: { kind: 'gaussian', n: 6 }, test: { kind: 'gaussian', n: 4 }, target: { kind: 'teacher', hidden: [4], activation: 'tanh' } },
      train: { lr: 0.5, steps: 30, recordEvery: 10, linearized: true, quadratic: true },
    });
    const recs = records(lines);
    expect(recs.map((r) => r.step)).toEqual([0, 10, 20, 30]);
    expect(recs.at(-1)!.trainLoss).toBeLessThan(0.8 * recs[0].trainLoss); // it trained
    const scale = Math.sqrt(2 * recs[0].trainLoss);
    for (const r of recs) {
      expect(r.quadraticGap!).toBeLessThan(1e-4 * scale);
      expect(Math.abs(r.quadraticTrainLoss! - r.trainLoss)).toBeLessThan(1e-4 * r.trainLoss + 1e-7);
    }
    expect(recs.at(-1)!.linearGap!).toBeGreaterThan(1e-3 * scale);
  });
});
