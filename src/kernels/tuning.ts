// The tile configurations chosen by autotuning (src/kernels/autotune.ts), per device. matmul()
// and gram() read them here synchronously; this module imports nothing, so the kernels can
// consult it without an import cycle with the search that fills it. It also holds warnOnce, shared
// by the page and the Node caches.

/** What the search chose on one adapter: override constants per matmul version, and Gram's WG. */
export interface TunedTiles {
  matmul: Partial<Record<string, Record<string, number>>>;
  gram?: { wg: number };
}

const chosen = new WeakMap<object, TunedTiles>();

/** Records the choice for a device (keyed by the GPUDevice object, so a new device starts untuned).
 * Every constant must be a positive integer (a cached file is validated against the candidates
 * and the device's limits before it gets here: autotune.ts, cachedChoiceProblem). */
export function setTunedTiles(device: object, tiles: TunedTiles | null): void {
  if (tiles) {
    const values = [...Object.values(tiles.matmul).flatMap((c) => Object.entries(c ?? {})), ...(tiles.gram ? [['wg', tiles.gram.wg] as const] : [])];
    const bad = values.find(([, v]) => !Number.isInteger(v) || (v as number) < 1);
    if (bad) throw new Error(`tuned tile constant ${bad[0]} = ${JSON.stringify(bad[1])}: expected a positive integer`);
    chosen.set(device, tiles);
  }
  else chosen.delete(device);
}

export function tunedTiles(device: object): TunedTiles | undefined {
  return chosen.get(device);
}

const warned = new Set<string>();
/** Reports a message once per process (a bad cache entry would otherwise be reported at every read). */
export function warnOnce(warn: (message: string) => void, message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  warn(message);
}
