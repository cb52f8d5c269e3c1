// How wide a network the adapter holds: every tensor must fit one storage binding
// (maxStorageBufferBindingSize, and maxBufferSize). The largest are the activations and
// back-propagated signals [E, rows, m] and, with more than one hidden layer, the weights
// [E, m, m]; the factor 2 leaves room for the buffer pool's size classes.
import type { Runtime } from '../../src/index';

export function maxWidthFor(rt: Runtime, opts: { ensemble: number; rows: number; depth: number; cap: number }): number {
  const limit = Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
  const byActivations = Math.floor(limit / (8 * opts.ensemble * opts.rows));
  const byWeights = opts.depth > 1 ? Math.floor(Math.sqrt(limit / (8 * opts.ensemble))) : opts.cap;
  return Math.max(1, Math.min(opts.cap, byActivations, byWeights));
}
