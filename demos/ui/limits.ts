// How wide a network the adapter holds: every tensor must fit one storage binding
// (maxStorageBufferBindingSize, and maxBufferSize). The largest are the activations and
// back-propagated signals [E, rows, m] and, with more than one hidden layer or any residual
// block, the weights [E, m, m]; the factor 2 leaves room for the buffer pool's size classes.
// A residual net (issue 14) has B + 2 dense layers (Dense_in, B branches, Dense_out) and B
// m×m branch weights. WebGPU exposes no total memory limit, so as a conservative budget the
// B + 1 stream activations together, and the B branch weights together, are held to one binding's
// size (the per-tensor limits divided by B + 1 and by B); a plain net keeps the per-tensor rule.
import type { Runtime } from '../../src/index';

export function maxWidthFor(rt: Runtime, opts: { ensemble: number; rows: number; depth: number; cap: number; blocks?: number }): number {
  const limit = Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
  const blocks = opts.blocks ?? 0;
  const byActivations = Math.floor(limit / (8 * opts.ensemble * opts.rows * Math.max(1, blocks + 1)));
  const squares = blocks > 0 ? blocks : opts.depth - 1;
  const byWeights = squares > 0 ? Math.floor(Math.sqrt(limit / (8 * opts.ensemble * (blocks > 0 ? blocks : 1)))) : opts.cap;
  return Math.max(1, Math.min(opts.cap, byActivations, byWeights));
}
