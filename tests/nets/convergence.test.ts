// The empirical NTK converges to the infinite-width one like 1/√width (fixed seeds, ensembles).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp } from '../../src/nets/mlp';
import { empiricalKernels } from '../../src/ntk/empirical';
import { logLogSlope } from '../../src/dynamics/observables';
import { analyticKernels } from '../../src/theory';
import { useRuntime } from '../helpers/gpu';
import { kernelErrors } from '../helpers/net-check';

const ctx = useRuntime();
const X = [[1, 0, 0.5], [0.2, -0.9, 0.4], [-0.7, 0.3, 1.1], [0.5, 0.5, -0.5], [-1, -0.2, 0.1]];

describe('convergence of the empirical NTK to the analytic one', () => {
  for (const [act, depth, biasStd] of [['relu', 1, 0], ['erf', 2, 0.3]] as const) {
    it(`${act}, depth ${depth}: RMS error over an ensemble of 24 falls like width^(−1/2)`, async () => {
      const { rt } = ctx;
      const widths = [128, 512, 2048];
      const E = 24;
      const { ntk: exact } = analyticKernels({ depth, weightStd: 1.4, biasStd, activation: act }, X);
      const exactFlat = exact.flat();
      const errors: number[] = [];
      const meanErrors: number[] = [];
      for (const m of widths) {
        const net = new Mlp(rt, { inputDim: 3, hidden: new Array(depth).fill(m), outputDim: 1, activation: act, parameterization: 'ntk', weightStd: 1.4, biasStd, ensemble: E, seed: 2024 });
        const theta = await empiricalKernels(rt, net, Tensor.from(rt, X.flat(), [5, 3])).ntk.read();
        const err = kernelErrors(theta, exactFlat, E);
        errors.push(err.rms);
        meanErrors.push(err.mean);
        net.dispose();
      }
      const slope = logLogSlope(widths, errors) ?? Number.NaN;
      console.info(`${act} depth ${depth}: relative RMS error ${errors.map((v) => v.toFixed(4)).join(", ")} at widths ${widths.join(", ")}; slope ${slope.toFixed(3)}; ensemble-mean error ${meanErrors.map((v) => v.toFixed(4)).join(", ")}`);
      // Θ − Θ∞ = O(1/√m) per member (Jacot et al. 2018; fluctuations, Hanin & Nica 2019)
      expect(slope).toBeGreaterThan(-0.7);
      expect(slope).toBeLessThan(-0.3);
      // the ensemble mean is closer than a single member, and at the widest width within a few percent
      meanErrors.forEach((v, i) => expect(v).toBeLessThan(errors[i]));
      expect(meanErrors[2]).toBeLessThan(0.03);
    });
  }
});
