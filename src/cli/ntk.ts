// `widenet ntk SPEC.json`: the kernels on the train inputs before training (DESIGN.md §5):
// one JSON object per width: {"width", "adapter", "empirical" (ensemble mean, trace form),
// "empiricalStd" (E > 1), "nngp", "analytic": {"ntk", "nngp"} | null}, and "empiricalFull"
// ((n·k)×(n·k), row i·k + a) when k > 1.
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { Mlp } from '../nets/mlp';
import { empiricalKernels, traceForm } from '../ntk/empirical';
import { toExampleMajor } from '../ntk/empirical';
import { specWidths, type ExperimentSpec } from '../spec';
import { mlpConfig, specData } from '../dynamics/experiment';
import { analyticKernels } from '../theory';

const toMatrix = (flat: ArrayLike<number>, rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => flat[i * cols + j]));

/** Mean and standard deviation over the ensemble of E flat matrices. */
function meanStd(members: Float64Array[]): { mean: Float64Array; std: Float64Array } {
  const E = members.length;
  const size = members[0].length;
  const mean = new Float64Array(size);
  const std = new Float64Array(size);
  for (const m of members) m.forEach((v, i) => (mean[i] += v / E));
  if (E > 1) {
    for (const m of members) m.forEach((v, i) => (std[i] += (v - mean[i]) ** 2 / (E - 1)));
    std.forEach((v, i) => (std[i] = Math.sqrt(v)));
  }
  return { mean, std };
}

export async function ntkCommand(rt: Runtime, spec: ExperimentSpec, write: (obj: unknown) => void): Promise<void> {
  const X = specData(spec).train.x;
  const n = X.length;
  const m = spec.model;
  const k = m.outputDim;
  for (const hidden of specWidths(spec)) {
    const net = new Mlp(rt, mlpConfig(spec, hidden));
    const x = Tensor.from(rt, X.flat(), [n, m.inputDim], 'x');
    const kernels = empiricalKernels(rt, net, x);
    const data = await kernels.ntk.read();
    const nngpData = await kernels.nngp.read();
    const E = net.ensemble;
    const trace = meanStd(traceForm(data, E, k, n));
    const nngp = meanStd(Array.from({ length: E }, (_, e) => Float64Array.from(nngpData.subarray(e * n * n, (e + 1) * n * n))));
    // the analytic kernels follow neural-tangents' NTK parameterization; the model α·f scales both by α²
    let analytic: { ntk: number[][]; nngp: number[][] } | null = null;
    if (m.parameterization === 'ntk') {
      const a = analyticKernels({ depth: hidden.length, weightStd: m.weightStd, biasStd: m.biasStd, activation: m.activation }, X);
      const a2 = m.alpha ** 2;
      analytic = { ntk: a.ntk.map((r) => r.map((v) => a2 * v)), nngp: a.nngp.map((r) => r.map((v) => a2 * v)) };
    }
    const out: Record<string, unknown> = {
      width: hidden,
      adapter: { vendor: rt.ctx.adapter.vendor, architecture: rt.ctx.adapter.architecture, description: rt.ctx.adapter.description, software: rt.ctx.adapter.software },
      outputs: k,
      ensemble: E,
      traceForm: k > 1 ? 'mean over the k outputs (neural-tangents default)' : 'single output',
      empirical: toMatrix(trace.mean, n, n),
      empiricalStd: E > 1 ? toMatrix(trace.std, n, n) : null,
      nngp: toMatrix(nngp.mean, n, n),
      analytic,
    };
    if (k > 1) out.empiricalFull = toMatrix(meanStd(toExampleMajor(data, E, k, n)).mean, n * k, n * k);
    write(out);
    [kernels.ntk, kernels.nngp, x].forEach((t) => t.dispose());
    net.dispose();
  }
}
