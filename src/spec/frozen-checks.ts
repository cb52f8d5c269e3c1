// Cross-field checks of `model.frozen` (the layers that do not train): each listed once, and at least
// one layer left to train. A spec that freezes every layer trains nothing (a constant loss under
// "gd"/"sgd", one unchanged record under "lstsq"), so it is refused rather than run.
import { formatPath, type Path } from './vocabulary';

/** `readout` is the readout layer's index (layers are 0 … readout); undefined where the depth is unknown. */
export function checkFrozenLayers(model: Record<string, unknown> | undefined, readout: number | undefined, issue: (path: Path, message: string) => void): void {
  if (!model || !Array.isArray(model.frozen)) return;
  const frozen = model.frozen as unknown[];
  const seen = new Map<number, number>();
  frozen.forEach((index, i) => {
    if (typeof index !== 'number' || !Number.isSafeInteger(index)) return;
    const first = seen.get(index);
    if (first !== undefined) issue(['model', 'frozen', i], `expected each layer index once; received ${index}, a duplicate of ${formatPath(['model', 'frozen', first])}`);
    else seen.set(index, i);
  });
  if (readout === undefined) return;
  const layers = Array.from({ length: readout + 1 }, (_, l) => l);
  if (layers.every((l) => seen.has(l))) {
    issue(['model', 'frozen'], `expected at least one trainable layer (layers 0 … ${readout}, ${readout} = readout; random features freeze all but the readout: [${layers.slice(0, -1).join(', ')}]); received ${JSON.stringify(frozen)}, which freezes every layer, so nothing would train`);
  }
}
