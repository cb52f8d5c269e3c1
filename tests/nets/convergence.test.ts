// The empirical NTK converges to the infinite-width one like 1/√width (fixed seeds, ensembles).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp } from '../../src/nets/mlp';
import { empiricalKernels } from '../../src/ntk/empirical';
import { analyticKernels } from '../../src/theory';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const X = [[1, 0, 0.5], [0.2, -0.9, 0.4], [-0.7, 0.3, 1.1], [0.5, 0.5, -0.5], [-1, -0.2, 0.1]];

/** least-squares slope of log(err) against log(width) */
function logLogSlope(widths: number[], errors: number[]): number {
  const lx = widths.map(Math.log);
  const ly = errors.map(Math.log);
  const mx = lx.reduce((a, b) => a + b) / lx.length;
  const my = ly.reduce((a, b) => a + b) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

describe('convergence of the empirical NTK to the analytic one', () => {
  for (const [act, depth, biasStd] of [['relu', 1, 0], ['erf', 2, 0.3]] as const) {
    it(`${act}, depth ${depth}: RMS error over an ensemble of 24 falls like width^(−1/2)`, async () => {
      const { rt } = ctx;
      const widths = [128, 512, 2048];
      const E = 24;
      const { ntk: exact } = analyticKernels({ depth, weightStd: 1.4, biasStd, activation: act }, X);
      const exactFlat = exact.flat();
      const norm = Math.sqrt(exactFlat.reduce((a, v) => a + v * v, 0));
      const errors: number[] = [];
      const meanErrors: number[] = [];
      for (const m of widths) {
        const net = new Mlp(rt, { inputDim: 3, hidden: new Array(depth).fill(m), outputDim: 1, activation: act, parameterization: 'ntk', weightStd: 1.4, biasStd, ensemble: E, seed: 2024 });
        const theta = await empiricalKernels(rt, net, Tensor.from(rt, X.flat(), [5, 3])).ntk.read();
        const size = exactFlat.length;
        let sq = 0;
        const mean = new Float64Array(size);
        for (let e = 0; e < E; e++) for (let i = 0; i < size; i++) {
          sq += (theta[e * size + i] - exactFlat[i]) ** 2;
          mean[i] += theta[e * size + i] / E;
        }
        errors.push(Math.sqrt(sq / E) / norm);
        meanErrors.push(Math.sqrt(mean.reduce((a, v, i) => a + (v - exactFlat[i]) ** 2, 0)) / norm);
        net.dispose();
      }
      const slope = logLogSlope(widths, errors);
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
