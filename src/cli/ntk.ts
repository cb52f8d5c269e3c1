// `widenet ntk SPEC.json`: the kernels on the train inputs before training (DESIGN.md §5):
// one JSON object per width: {"width", "adapter", "empirical" (ensemble mean, trace form),
// "empiricalStd" (E > 1), "nngp", "analytic": {"ntk", "nngp"} | null}, and "empiricalFull"
// ((n·k)×(n·k), row i·k + a) when k > 1; "kernel" (which kernel this is), "path" (in memory or
// streamed over the width, chosen against a memory budget: src/ntk/memory.ts) and
// "peakResidentBytes". A non-finite kernel entry is an error (NonFiniteError), never a null.
import { freemem, totalmem } from 'node:os';
import { WidenetError } from '../gpu/errors';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { Mlp } from '../nets/mlp';
import { empiricalKernels, traceForm } from '../ntk/empirical';
import { toExampleMajor } from '../ntk/empirical';
import { analyticSpecKernels, mlpConfig, specData, specWidths, type ExperimentSpec } from '../spec';
import { memoryBudget, planKernels, type KernelPath } from '../ntk/memory';
import { streamedEnsembleKernels } from '../ntk/streaming';
import { modelKernelFactor } from '../nets/output-scale';

/** What `widenet ntk` prints, in the words of DESIGN.md §5 (not the Θ_η of widenet run's records). */
export const KERNEL_LABEL = "plain α²·J·Jᵀ (neural-tangents' empirical NTK; training follows the learning-rate-weighted Θ_η, see widenet run)";

/** A kernel with non-finite entries (float32 overflow): an error naming the quantity, never a silent null. */
export class NonFiniteError extends WidenetError {}

export interface NtkOptions {
  /** --max-memory: the process's memory budget in bytes (default: src/ntk/memory.ts memoryBudget) */
  maxMemory?: number;
}

/** Peak resident size of this process so far (bytes): getrusage's ru_maxrss, in KiB on Linux. */
export const peakResidentBytes = (): number => process.resourceUsage().maxRSS * 1024;

const countNonFinite = (values: ArrayLike<number>): number => {
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
  return bad;
};

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

export async function ntkCommand(rt: Runtime, spec: ExperimentSpec, write: (obj: unknown) => void, options: NtkOptions = {}): Promise<void> {
  const X = specData(spec).train.x;
  const n = X.length;
  const m = spec.model;
  const k = m.outputDim;
  const budget = memoryBudget(rt.limits, { total: totalmem(), free: freemem() }, options.maxMemory);
  // the factors a float32 overflow comes from: Θ ∝ α², ∝ ‖x‖² (ntk: x·x'/d), and per layer ∝ σ_w² (times ½ for ReLU)
  const maxNorm2 = X.reduce((max, p) => Math.max(max, p.reduce((a, v) => a + v * v, 0)), 0);
  const factors = `the kernel scales with α² = ${modelKernelFactor(m).toPrecision(3)}, with the inputs' squared norm, largest ‖x‖² = ${maxNorm2.toPrecision(3)}, and layer by layer with σ_w² = ${(m.weightStd ** 2).toPrecision(3)}`;
  for (const hidden of specWidths(spec)) {
    const config = mlpConfig(spec, hidden);
    const plan: KernelPath = planKernels(config, n, budget); // throws a MemoryBudgetError naming the layer
    const x = Tensor.from(rt, X.flat(), [n, m.inputDim], 'x');
    let data: Float32Array;
    let nngpData: Float32Array;
    if (plan.kind === 'in-memory') {
      const net = new Mlp(rt, config);
      const kernels = empiricalKernels(rt, net, x);
      data = await kernels.ntk.read();
      nngpData = await kernels.nngp.read();
      [kernels.ntk, kernels.nngp].forEach((t) => t.dispose());
      net.dispose();
    } else {
      ({ ntk: data, nngp: nngpData } = await streamedEnsembleKernels(rt, config, x, { chunk: plan.chunkWidth }));
    }
    x.dispose();
    await rt.sync();
    rt.trimPool(); // the next width starts from an empty pool: resident memory is this width's
    const E = config.ensemble ?? 1;
    const problems = ([['empirical NTK', data], ['empirical NNGP', nngpData]] as const)
      .map(([name, v]) => [name, countNonFinite(v), v.length] as const)
      .filter(([, bad]) => bad > 0)
      .map(([name, bad, all]) => `${name} at width [${hidden}]: ${bad} of ${all} entries are non-finite`);
    if (problems.length > 0) throw new NonFiniteError(`${problems.join('; ')} (overflow in float32, whose largest number is 3.4e38: ${factors})`);
    const trace = meanStd(traceForm(data, E, k, n));
    const nngp = meanStd(Array.from({ length: E }, (_, e) => Float64Array.from(nngpData.subarray(e * n * n, (e + 1) * n * n))));
    // the analytic kernels of the model α·f (neural-tangents' NTK parameterization; spec/resolve.ts)
    const analytic = analyticSpecKernels(spec, hidden, 'model', X);
    if (analytic) {
      const bad = countNonFinite([...analytic.ntk.flat(), ...analytic.nngp.flat()]);
      if (bad > 0) throw new NonFiniteError(`analytic (infinite-width) kernels at width [${hidden}]: ${bad} of ${2 * n * n} entries are non-finite (overflow in float64: ${factors})`);
    }
    const out: Record<string, unknown> = {
      width: hidden,
      adapter: { vendor: rt.ctx.adapter.vendor, architecture: rt.ctx.adapter.architecture, description: rt.ctx.adapter.description, software: rt.ctx.adapter.software },
      outputs: k,
      ensemble: E,
      kernel: KERNEL_LABEL,
      path: plan,
      peakResidentBytes: peakResidentBytes(),
      traceForm: k > 1 ? 'mean over the k outputs (neural-tangents default)' : 'single output',
      empirical: toMatrix(trace.mean, n, n),
      empiricalStd: E > 1 ? toMatrix(trace.std, n, n) : null,
      nngp: toMatrix(nngp.mean, n, n),
      analytic,
    };
    if (k > 1) out.empiricalFull = toMatrix(meanStd(toExampleMajor(data, E, k, n)).mean, n * k, n * k);
    write(out);
  }
}
