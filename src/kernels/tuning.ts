// The tile configurations chosen by autotuning (src/kernels/autotune.ts), per device. matmul()
// and gram() read them here synchronously; this module imports nothing, so the kernels can
// consult it without an import cycle with the search that fills it.

/** What the search chose on one adapter: override constants per matmul version, and Gram's WG. */
export interface TunedTiles {
  matmul: Partial<Record<string, Record<string, number>>>;
  gram?: { wg: number };
}

const chosen = new WeakMap<object, TunedTiles>();

/** Records the choice for a device (keyed by the GPUDevice object, so a new device starts untuned). */
export function setTunedTiles(device: object, tiles: TunedTiles | null): void {
  if (tiles) chosen.set(device, tiles);
  else chosen.delete(device);
}

export function tunedTiles(device: object): TunedTiles | undefined {
  return chosen.get(device);
}
