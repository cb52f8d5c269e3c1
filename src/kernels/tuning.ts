// The tile configurations chosen by autotuning (src/kernels/autotune.ts) live on the runtime
// (rt.tuning, so a new runtime, on a new device, starts untuned). matmul() and gram() read them
// here synchronously; this module imports only types, so the kernels can consult it without an
// import cycle with the search that fills it. It also holds warnOnce, shared by the page and the
// Node caches.
import type { Runtime, TunedTiles } from '../gpu/runtime';

export type { TunedTiles };

/** Records the choice for the runtime's device, or clears it (null).
 * Every constant must be a positive integer (a cached file is validated against the candidates
 * and the device's limits before it gets here: autotune.ts, cachedChoiceProblem). */
export function setTunedTiles(rt: Runtime, tiles: TunedTiles | null): void {
  if (tiles) {
    const values = [...Object.values(tiles.matmul).flatMap((c) => Object.entries(c ?? {})), ...(tiles.gram ? [['wg', tiles.gram.wg] as const] : [])];
    const bad = values.find(([, v]) => !Number.isInteger(v) || (v as number) < 1);
    if (bad) throw new Error(`tuned tile constant ${bad[0]} = ${JSON.stringify(bad[1])}: expected a positive integer`);
    rt.tuning = tiles;
  }
  else rt.tuning = undefined;
}

export function tunedTiles(rt: Runtime): TunedTiles | undefined {
  return rt.tuning;
}

const warned = new Set<string>();
/** Reports a message once per process (a bad cache entry would otherwise be reported at every read). */
export function warnOnce(warn: (message: string) => void, message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  warn(message);
}
