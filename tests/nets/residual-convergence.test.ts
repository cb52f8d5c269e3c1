// PENDING (issue 14): needs the GPU residual network of branch r12-resnet. After that merge, move to
// tests/nets/residual-convergence.test.ts. Run 2026-12-01 on a local merge with r12-resnet (SwiftShader):
// relu B = 2: relative RMS error 0.406, 0.180, 0.090 at m = 64, 256, 1024, slope −0.54, ensemble-mean 0.090, 0.035, 0.014;
// erf B = 4: 0.313, 0.137, 0.065, slope −0.57, ensemble-mean 0.157, 0.064, 0.037 (both passed, 59 s).

// The empirical NTK of residual MLPs (GPU, src/nets + src/ntk) converges to the infinite-width one
// of src/theory/residual.ts like 1/√width (fixed seeds, ensembles), for B = 2 and 4.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { Mlp } from '../../src/nets/mlp';
import { empiricalKernels } from '../../src/ntk/empirical';
import { logLogSlope } from '../../src/dynamics/observables';
import { residualKernels } from '../../src/theory';
import { useRuntime } from '../helpers/gpu';
import { kernelErrors } from '../helpers/net-check';

const ctx = useRuntime();
const X = [[1, 0, 0.5], [0.2, -0.9, 0.4], [-0.7, 0.3, 1.1], [0.5, 0.5, -0.5], [-1, -0.2, 0.1]];

describe('convergence of the residual empirical NTK to the analytic one', () => {
  for (const [act, blocks, biasStd] of [['relu', 2, 0], ['erf', 4, 0.3]] as const) {
    it(`${act}, B = ${blocks}, β = 1/√B: RMS error over an ensemble of 8 falls like width^(−1/2)`, async () => {
      const { rt } = ctx;
      const widths = [64, 256, 1024];
      const E = 8;
      const beta = 1 / Math.sqrt(blocks);
      const residual = { blocks, branchMultiplier: beta };
      const exactFlat = residualKernels({ depth: 1, weightStd: 1.4, biasStd, activation: act, residual }, X).ntk.flat();
      const errors: number[] = [];
      const meanErrors: number[] = [];
      const x = Tensor.from(rt, X.flat(), [5, 3]);
      for (const m of widths) {
        const net = new Mlp(rt, { inputDim: 3, hidden: [m], outputDim: 1, activation: act, parameterization: 'ntk', weightStd: 1.4, biasStd, ensemble: E, seed: 2026, residual });
        const theta = await empiricalKernels(rt, net, x).ntk.read();
        const err = kernelErrors(theta, exactFlat, E);
        errors.push(err.rms);
        meanErrors.push(err.mean);
        net.dispose();
      }
      x.dispose();
      const slope = logLogSlope(widths, errors) ?? Number.NaN;
      console.info(`${act} B ${blocks}: relative RMS error ${errors.map((v) => v.toFixed(4)).join(', ')} at widths ${widths.join(', ')}; slope ${slope.toFixed(3)}; ensemble-mean error ${meanErrors.map((v) => v.toFixed(4)).join(', ')}`);
      expect(slope).toBeGreaterThan(-0.75);
      expect(slope).toBeLessThan(-0.3);
      meanErrors.forEach((v, i) => expect(v).toBeLessThan(errors[i]));
      expect(meanErrors[2]).toBeLessThan(0.06);
    }, 300_000);
  }
});
