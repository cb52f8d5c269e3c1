// Memory of the two ways to compute the empirical NTK at initialisation, from the real tensor
// sizes, in one place: the decision in-memory / streamed (`widenet ntk`), its errors and the
// bench read these functions.
//
// In memory (Mlp + empiricalKernels), with E members, n inputs, widths m_0 = d, m_1..m_L, m_{L+1} = k:
//   parameters  W_l [E, m_l, m_{l−1}], b_l [E, m_l], and the init draw [m_l, m_{l−1}] each passes through
//   forward     h_l, x_l = φ(h_l), φ'(h_l)  [E, n, m_l] (l ≤ L), f [E, n, k]
//   signals     δ_l [E, k, n, m_l], and the product δ_{l+1}·W_{l+1} [E, k·n, m_l] (l < L)
//   kernels     Θ [E, k, n, k, n], per-layer G_x [E, n, n] and G_δ [E, k·n, k·n], NNGP [E, n, n]
// A residual net (MlpConfig.residual) is counted as the plain MLP of its dense layers, [d, m × (B + 1), k]
// (an upper bound: its stream h is updated in place, and each skip adds into a signal already counted).
// Every tensor allocated is counted once. Freed buffers stay in the runtime's pool (resident on
// SwiftShader, where GPU memory is host memory) and are only ever reused, so this sum bounds the
// buffers' part of the process's resident size (up to the pool's size-class rounding, ≤ 1 MiB each).
import { WidenetError } from '../gpu/errors';
import { BACKEND_PADDING } from '../gpu/runtime';
import type { MlpConfig } from '../nets/mlp';
import { layerScales } from '../nets/parameterization';
import { denseWidths } from '../nets/residual';
import { streamingPeakBytes } from './streaming';

export interface TensorBytes {
  name: string;
  /** 1..L+1 for a layer's tensors, null for the inputs and kernels */
  layer: number | null;
  shape: number[];
  bytes: number;
}

const F32 = 4;
const tensor = (name: string, layer: number | null, shape: number[]): TensorBytes => ({ name, layer, shape, bytes: F32 * shape.reduce((a, b) => a * b, 1) });

/** Every tensor that building an Mlp of `config` and its empirical kernels on n inputs allocates. */
export function inMemoryNtkTensors(config: MlpConfig, n: number): TensorBytes[] {
  const E = config.ensemble ?? 1;
  const d = config.inputDim;
  const k = config.outputDim;
  const widths = denseWidths(config);
  const L = widths.length - 2;
  const scales = layerScales(config.parameterization, widths, config.weightStd, config.biasStd);
  const out: TensorBytes[] = [tensor('x', null, [n, d])];
  scales.forEach((s, i) => {
    const l = i + 1;
    out.push(tensor(`W${l}`, l, [E, s.fanOut, s.fanIn]), tensor(`W${l} init draw`, l, [s.fanOut, s.fanIn]));
    if (s.biasMult !== 0) out.push(tensor(`b${l}`, l, [E, s.fanOut]), tensor(`b${l} init draw`, l, [s.fanOut]));
    if (l <= L) {
      const m = s.fanOut;
      out.push(tensor(`h${l}`, l, [E, n, m]), tensor(`x${l} = φ(h${l})`, l, [E, n, m]), tensor(`φ'(h${l})`, l, [E, n, m]), tensor(`δ${l}`, l, [E, k, n, m]));
      if (l < L) out.push(tensor(`δ${l + 1}·W${l + 1}`, l, [E, k * n, m]));
      out.push(tensor(`G_x${l - 1}`, null, [E, n, n]));
      out.push(tensor(`G_δ${l}`, null, [E, k * n, k * n]));
    } else {
      out.push(tensor('f', l, [E, n, k]), tensor(`G_x${L}`, null, [E, n, n]));
    }
  });
  out.push(tensor('Θ', null, [E, k, n, k, n]), tensor('NNGP', null, [E, n, n]), tensor('I_k', null, [k, k]));
  return out;
}

export interface InMemoryNtkBytes {
  /** Σ over every tensor allocated (the bound above) */
  bytes: number;
  tensors: TensorBytes[];
  largest: TensorBytes;
  /** bytes of each layer's tensors (index 0 = layer 1), inputs and kernels left out */
  perLayer: number[];
}

/** The memory the in-memory empirical NTK of `config` on n inputs needs. */
export function inMemoryNtkBytes(config: MlpConfig, n: number): InMemoryNtkBytes {
  const tensors = inMemoryNtkTensors(config, n);
  const perLayer = new Array(denseWidths(config).length - 1).fill(0);
  for (const t of tensors) if (t.layer !== null) perLayer[t.layer - 1] += t.bytes;
  return { bytes: tensors.reduce((a, t) => a + t.bytes, 0), tensors, largest: tensors.reduce((a, t) => (t.bytes > a.bytes ? t : a)), perLayer };
}

/** What a computation may use: the whole process (`total`) and any one buffer (`buffer`), in bytes. */
export interface MemoryBudget {
  total: number;
  buffer: number;
  /** where the figures come from, for the output */
  source: string;
}

/** Fractions of the default budget: half the machine's free memory, half the adapter's buffer limit. */
export const DEFAULT_MEMORY_FRACTION = 0.5;
export const DEFAULT_BUFFER_FRACTION = 0.5;

/**
 * The budget: with `maxMemory` (bytes, --max-memory) the process may use that and a buffer may use
 * that up to the adapter's limits; otherwise ½·min(total, free) machine memory and ½ of the
 * adapter's min(maxBufferSize, maxStorageBufferBindingSize) per buffer (on SwiftShader the "GPU"
 * memory is host memory; on a GPU the adapter's limits are the only size WebGPU tells).
 */
export function memoryBudget(limits: Record<string, number>, machine: { total: number; free: number }, maxMemory?: number): MemoryBudget {
  // what the runtime lets one buffer be (it keeps BACKEND_PADDING of each limit free)
  const adapterBuffer = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize) - BACKEND_PADDING;
  if (maxMemory !== undefined) return { total: maxMemory, buffer: Math.min(maxMemory, adapterBuffer), source: '--max-memory (buffers also within the adapter\'s maxBufferSize / maxStorageBufferBindingSize)' };
  return {
    total: Math.floor(DEFAULT_MEMORY_FRACTION * Math.min(machine.total, machine.free)),
    buffer: Math.floor(DEFAULT_BUFFER_FRACTION * adapterBuffer),
    source: `default: ${DEFAULT_MEMORY_FRACTION} × min(total, free) machine memory; ${DEFAULT_BUFFER_FRACTION} × the adapter's min(maxBufferSize, maxStorageBufferBindingSize) per buffer`,
  };
}

/** A computation that the memory budget cannot hold (no way around it is available). */
export class MemoryBudgetError extends WidenetError {}

/** Bytes as "1.23 GB (1,234,567,890 bytes)". */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [[1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']];
  const [div, unit] = units.find(([d]) => bytes >= d) ?? [1, 'B'];
  return `${div === 1 ? bytes : (bytes / div).toPrecision(3)} ${unit} (${Math.round(bytes).toLocaleString('en-US')} bytes)`;
}

/** Largest hidden-neuron chunk per streamed pass (beyond it the dispatch count no longer matters). */
export const MAX_STREAM_CHUNK = 1 << 21;

/**
 * The chunk width c for streaming a two-layer network of width m within the budget: the largest
 * c ≤ min(m, MAX_STREAM_CHUNK) with 2·streamingPeakBytes ≤ budget.total (×2: the pool's size
 * classes) and its largest chunk tensor δ [k, n, c] (or w1 [c, d]) ≤ budget.buffer; then evened
 * out over ⌈m/c⌉ chunks. null when not even c = 1 fits (the (k·n)² kernels alone are too big).
 */
export function streamingChunk(n: number, d: number, k: number, m: number, budget: MemoryBudget): number | null {
  const fixed = 2 * streamingPeakBytes(n, d, k, 0);
  const perNeuron = 2 * (streamingPeakBytes(n, d, k, 1) - streamingPeakBytes(n, d, k, 0));
  const byTotal = Math.floor((budget.total - fixed) / perNeuron);
  const byBuffer = Math.floor(budget.buffer / (F32 * Math.max(k * n, d, 1)));
  const c = Math.min(byTotal, byBuffer, m, MAX_STREAM_CHUNK);
  if (c < 1) return null;
  return Math.ceil(m / Math.ceil(m / c));
}

export type KernelPath =
  | { kind: 'in-memory'; bytes: number; budgetBytes: number; bufferBudgetBytes: number }
  | { kind: 'streamed'; chunkWidth: number; chunks: number; peakBytes: number; inMemoryBytes: number; budgetBytes: number; bufferBudgetBytes: number; reason: string };

/**
 * In memory when every tensor fits a buffer and their sum the budget; otherwise streamed over
 * the width (two-layer networks only, src/ntk/streaming.ts); otherwise a MemoryBudgetError that
 * names the layer, what it needs and the budget.
 */
export function planKernels(config: MlpConfig, n: number, budget: MemoryBudget): KernelPath {
  const need = inMemoryNtkBytes(config, n);
  const budgetFields = { budgetBytes: budget.total, bufferBudgetBytes: budget.buffer };
  const overBuffer = need.largest.bytes > budget.buffer;
  if (!overBuffer && need.bytes <= budget.total) return { kind: 'in-memory', bytes: need.bytes, ...budgetFields };
  const reason = overBuffer
    ? `${need.largest.name} [${need.largest.shape}] needs ${formatBytes(need.largest.bytes)}, over the per-buffer budget of ${formatBytes(budget.buffer)} (all tensors: ${formatBytes(need.bytes)}, total budget ${formatBytes(budget.total)})`
    : `the in-memory network and kernels need ${formatBytes(need.bytes)}, over the budget of ${formatBytes(budget.total)}`;
  const where = `hidden [${config.hidden}]${config.residual ? ` with ${config.residual.blocks} residual blocks` : ''}, ensemble ${config.ensemble ?? 1}, n = ${n}`;
  if (config.hidden.length !== 1 || config.residual) {
    const l = need.perLayer.indexOf(Math.max(...need.perLayer)) + 1;
    throw new MemoryBudgetError(
      `the empirical NTK of ${where} does not fit in memory: ${reason}; layer ${l} (width ${denseWidths(config)[l]}) alone needs ${formatBytes(need.perLayer[l - 1])} ` +
        `(budget: ${budget.source}). Width streaming (src/ntk/streaming.ts) handles only two-layer networks (one hidden layer, no residual blocks); use narrower layers, fewer inputs or a larger --max-memory.`,
    );
  }
  const m = config.hidden[0];
  const c = streamingChunk(n, config.inputDim, config.outputDim, m, budget);
  if (c === null) {
    throw new MemoryBudgetError(
      `the empirical NTK of ${where} does not fit in memory (${reason}), and streamed over the width it still needs ${formatBytes(2 * streamingPeakBytes(n, config.inputDim, config.outputDim, 1))} ` +
        `for its (k·n)² = ${(config.outputDim * n) ** 2} kernel entries, over the budget of ${formatBytes(budget.total)} (${budget.source}); use fewer inputs or a larger --max-memory.`,
    );
  }
  return { kind: 'streamed', chunkWidth: c, chunks: Math.ceil(m / c), peakBytes: 2 * streamingPeakBytes(n, config.inputDim, config.outputDim, c), inMemoryBytes: need.bytes, ...budgetFields, reason };
}

/** "2e9", "2000000000", "512M", "2G", "1.5GiB" → bytes (K, M, G, T: powers of 1024). */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*(?:([kKmMgGtT])(?:i?[bB])?)?\s*$/.exec(text);
  const value = match ? Number(match[1]) * 1024 ** (match[2] ? 'kmgt'.indexOf(match[2].toLowerCase()) + 1 : 0) : NaN;
  if (!Number.isFinite(value) || value < 1) throw new RangeError(`expected a memory size in bytes ≥ 1, like 2e9, 512M or 2G (K, M, G, T = 1024^1..4); received "${text}"`);
  return Math.floor(value);
}
