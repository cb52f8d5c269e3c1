// The GPU observables against float64 computations on read-back parameters and activations.
import { SingularValueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { SpectralNorm, alignment, coordinates, logLogSlope, particles, pathNorm, relativeChange, topEigenvalues, weightChanges, weightNorms } from '../../src/dynamics/observables';
import { randn } from '../../src/kernels/init';
import { Mlp } from '../../src/nets/mlp';
import { testData, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

const memberMatrix = (data: Float32Array, e: number, rows: number, cols: number) =>
  new Matrix(Array.from({ length: rows }, (_, i) => Array.from(data.subarray(e * rows * cols + i * cols, e * rows * cols + (i + 1) * cols))));

describe('observables on the GPU', () => {
  it('weight changes: Frobenius exactly, spectral by power iteration against an SVD', async () => {
    const { rt } = ctx;
    const config = { inputDim: 5, hidden: [37, 23], outputDim: 3, activation: 'tanh', parameterization: 'ntk' as const, weightStd: 1, biasStd: 0, ensemble: 2, seed: 3 };
    const net = new Mlp(rt, config);
    const initial = new Mlp(rt, config);
    // move the weights: W ← W + a rank-one kick + noise, so the top singular value is well separated
    for (const [l, layer] of net.layers.entries()) {
      const noise = randn(rt, layer.weight.shape, { seed: 9, stream: l, scale: 0.05 });
      const data = await layer.weight.read();
      const kick = await noise.read();
      const [E, rows, cols] = layer.weight.shape;
      for (let e = 0; e < E; e++) for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[(e * rows + i) * cols + j] += kick[(e * rows + i) * cols + j] + 0.3 * Math.cos(i + e) * Math.sin(j + 1);
      rt.write(layer.weight.buffer, data);
    }
    const spectral = net.layers.map((layer, l) => new SpectralNorm(rt, 2, layer.scales.fanOut, layer.scales.fanIn, 1, l));
    const norms = await weightNorms(rt, initial, spectral);
    const changes = await weightChanges(rt, net, initial, norms, spectral);
    for (let l = 0; l < 3; l++) {
      const [E, rows, cols] = net.layers[l].weight.shape;
      const W = await net.layers[l].weight.read();
      const W0 = await initial.layers[l].weight.read();
      for (let e = 0; e < E; e++) {
        const D = memberMatrix(W, e, rows, cols).sub(memberMatrix(W0, e, rows, cols));
        const A0 = memberMatrix(W0, e, rows, cols);
        expect(changes.frobenius[l][e]).toBeCloseTo(D.norm('frobenius') / A0.norm('frobenius'), 5);
        const top = (m: Matrix) => new SingularValueDecomposition(m, { autoTranspose: true }).diagonal[0];
        expect(changes.spectral[l][e] / (top(D) / top(A0))).toBeCloseTo(1, 2);
      }
    }
  });

  it('coordinate check, path norm and particles against float64', async () => {
    const { rt } = ctx;
    const config = { inputDim: 3, hidden: [41], outputDim: 2, activation: 'relu', parameterization: 'meanfield' as const, weightStd: 1.3, biasStd: 0.4, ensemble: 3, seed: 5 };
    const net = new Mlp(rt, config);
    const initial = new Mlp(rt, { ...config, seed: 6 });
    const x = Tensor.from(rt, testData(7 * 3, 2), [7, 3]);
    const cache = net.forward(x);
    const cache0 = initial.forward(x);
    const coords = await coordinates(rt, cache, cache0, 3);
    const layers = [[cache.inputs[1], cache0.inputs[1]], [cache.output, cache0.output]];
    for (const [l, [a, b]] of layers.entries()) {
      const [ad, bd] = [await a.read(), await b.read()];
      const per = ad.length / 3;
      for (let e = 0; e < 3; e++) {
        let abs = 0;
        let diff = 0;
        for (let i = e * per; i < (e + 1) * per; i++) {
          abs += Math.abs(ad[i]);
          diff += Math.abs(ad[i] - bd[i]);
        }
        expect(coords[l].meanAbs[e]).toBeCloseTo(abs / per, 5);
        expect(coords[l].meanAbsChange[e]).toBeCloseTo(diff / per, 5);
      }
    }
    // path norm: mult₂·Σ_j ‖a_j‖·‖(mult₁ w_j, biasMult₁ b_j)‖
    const [first, readout] = net.layers;
    const [W, b, A] = [await first.weight.read(), await first.bias!.read(), await readout.weight.read()];
    const paths = await pathNorm(rt, net);
    for (let e = 0; e < 3; e++) {
      let s = 0;
      for (let j = 0; j < 41; j++) {
        let w2 = (first.scales.biasMult * b[e * 41 + j]) ** 2;
        for (let q = 0; q < 3; q++) w2 += (first.scales.mult * W[(e * 41 + j) * 3 + q]) ** 2;
        const a2 = A[(e * 2 + 0) * 41 + j] ** 2 + A[(e * 2 + 1) * 41 + j] ** 2;
        s += Math.sqrt(a2 * w2);
      }
      expect(paths[e] / (readout.scales.mult * s)).toBeCloseTo(1, 5);
    }
    const p = await particles(rt, net, 5);
    expect(p.a).toHaveLength(5);
    expect(p.w[2]).toHaveLength(4); // d weights and the bias
    expect(p.a[2]).toBeCloseTo(41 * readout.scales.mult * A[2], 5);
    expect(p.w[2][1]).toBeCloseTo(first.scales.mult * W[2 * 3 + 1], 6);
  });
});

describe('observables in float64', () => {
  it('relative change, alignment, eigenvalues and log-log slopes', () => {
    const K = [4, 1, 0, 1, 3, 1, 0, 1, 2];
    expect(relativeChange(K, K)).toBe(0);
    expect(relativeChange(K.map((v) => 1.1 * v), K)).toBeCloseTo(0.1, 12);
    // alignment of a kernel yyᵀ with y is 1; with an orthogonal target it is 0
    const y = [1, -1, 2];
    const yyT = y.flatMap((a) => y.map((b) => a * b));
    expect(alignment(yyT, y)).toBeCloseTo(1, 12);
    expect(alignment([1, 0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 0])).toBe(0);
    // 0/0 is undefined (null), never NaN: all-zero labels, a zero kernel, a change relative to zero
    expect(alignment(K, [0, 0, 0])).toBeNull();
    expect(alignment(new Array(9).fill(0), y)).toBeNull();
    expect(relativeChange(K, new Array(9).fill(0))).toBeNull();
    // eigenvalues of the tridiagonal [[4,1,0],[1,3,1],[0,1,2]] are 3 and 3 ± √3
    expect(topEigenvalues(K, 3, 2).map((v) => +v.toFixed(10))).toEqual([+(3 + Math.sqrt(3)).toFixed(10), 3]);
    expect(logLogSlope([10, 100, 1000], [1, 0.1, 0.01])).toBeCloseTo(-1, 12);
    expect(logLogSlope([10], [1])).toBeNull();
  });
});
