// Learning-rate scales of each parameterization, checked through the kernel GD follows,
// Θ_η = Σ_p lrScale_p·J_p J_pᵀ: under ntk, meanfield and mup its largest eigenvalue (hence the
// stable learning rate 2·n·k/λ_max) must not depend on the width, with biases and with k > 1
// outputs; under standard it grows like the width (standard needs η ∝ 1/width).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp } from '../../src/nets/mlp';
import { dynamicsKernelScales, layerScales, type Parameterization } from '../../src/nets/parameterization';
import { empiricalKernels, toExampleMajor } from '../../src/ntk/empirical';
import { topEigenvalues } from '../../src/dynamics/observables';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

// 8 points on the unit circle (as in the hostile-user report), d = 2
const X = Array.from({ length: 8 }, (_, i) => [Math.cos((2 * Math.PI * i) / 8 + 0.3), Math.sin((2 * Math.PI * i) / 8 + 0.3)]);

async function lambdaMax(parameterization: Parameterization, hidden: number[], k: number): Promise<number> {
  const { rt } = ctx;
  const net = new Mlp(rt, { inputDim: 2, hidden, outputDim: k, activation: 'relu', parameterization, weightStd: 1, biasStd: 0.4, ensemble: 2, seed: 3 });
  const x = Tensor.from(rt, X.flat(), [X.length, 2], 'x');
  const kernels = empiricalKernels(rt, net, x, { parameterScales: dynamicsKernelScales(net.layers.map((l) => l.scales), 1) });
  const members = toExampleMajor(await kernels.ntk.read(), 2, k, X.length);
  [kernels.ntk, kernels.nngp, x].forEach((t) => t.dispose());
  net.dispose();
  return Math.max(...members.map((m) => topEigenvalues(m, X.length * k, 1)[0]));
}

describe('learning-rate scales: λ_max(Θ_η) against width, biased nets', () => {
  const cases: { p: Parameterization; depth: number; k: number }[] = [
    { p: 'ntk', depth: 1, k: 1 }, { p: 'ntk', depth: 2, k: 3 },
    { p: 'meanfield', depth: 1, k: 1 }, { p: 'meanfield', depth: 1, k: 3 }, { p: 'meanfield', depth: 2, k: 1 },
    { p: 'mup', depth: 1, k: 1 }, { p: 'mup', depth: 1, k: 3 }, { p: 'mup', depth: 2, k: 3 },
  ];
  for (const c of cases) {
    it(`${c.p}, ${c.depth} hidden layer(s), k = ${c.k}: width-independent`, async () => {
      const small = await lambdaMax(c.p, Array(c.depth).fill(128), c.k);
      const large = await lambdaMax(c.p, Array(c.depth).fill(2048), c.k);
      // a 16× wider net: an O(1) kernel changes by finite-width fluctuations only (a factor well
      // under 2); a term scaling like m (the old mean-field readout bias) would give ~16×
      expect(large / small).toBeGreaterThan(0.5);
      expect(large / small).toBeLessThan(2);
    });
  }
  it('standard: grows like the width', async () => {
    const ratio = (await lambdaMax('standard', [2048], 1)) / (await lambdaMax('standard', [128], 1));
    expect(ratio).toBeGreaterThan(8);
    expect(ratio).toBeLessThan(32);
  });
  it('the readout bias of meanfield and mup (no width dimension) is unscaled; hidden biases scale with the width', () => {
    for (const p of ['meanfield', 'mup'] as const) {
      const scales = layerScales(p, [2, 512, 3], 1, 0.4);
      expect(scales[1].biasLrScale).toBe(1);
      expect(scales[0].biasLrScale).toBe(512);
      // Θ_η weights: lrScale/α², 0 when frozen
      const eta = dynamicsKernelScales(scales, 2, [0]);
      expect(eta.weight[0]).toBe(0);
      expect(eta.bias[1]).toBe(1 / 4);
    }
  });
});
