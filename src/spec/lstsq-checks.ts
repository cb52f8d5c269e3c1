// Cross-field checks of `train.optimizer: "lstsq"` (dynamics/lstsq.ts): the one-step solve exists
// only for the MSE loss and for models linear in their trainable parameters (random features:
// every layer but the readout frozen; or the linearised model, train.linearized), and it has no
// momentum or mini-batches.
import { isRecord, type Path } from './vocabulary';

export function checkLeastSquares(spec: Record<string, unknown>, depth: number | undefined, issue: (path: Path, message: string) => void): void {
  const train = isRecord(spec.train) ? spec.train : undefined;
  if (!train || train.optimizer !== 'lstsq') return;
  const model = isRecord(spec.model) ? spec.model : undefined;
  const loss = train.loss ?? 'mse';
  if (typeof loss === 'string' && loss !== 'mse') {
    issue(['train', 'loss'], `expected "mse" with optimizer "lstsq" (the one-step solve is least squares; train other losses with "gd" or "sgd"); received ${JSON.stringify(loss)}`);
  }
  if (typeof train.momentum === 'number' && train.momentum !== 0) {
    issue(['train', 'momentum'], `expected 0 with optimizer "lstsq" (a one-step solve has no momentum); received ${train.momentum}`);
  }
  if (train.batchSize !== undefined && train.batchSize !== null) {
    issue(['train', 'batchSize'], `expected null with optimizer "lstsq" (the solve uses the whole train set); received ${JSON.stringify(train.batchSize)}`);
  }
  if (train.quadratic === true) {
    issue(['train', 'quadratic'], 'expected false with optimizer "lstsq" (the quadratic model is not linear in its parameters, so it has no one-step solve; train it with "gd" or "sgd"); received true');
  }
  if (train.compare === true) {
    issue(['train', 'compare'], 'expected false with optimizer "lstsq" (the comparison trains the network beside its random features; solve each with its own spec); received true');
  }
  if (train.linearized === true || depth === undefined || !model) return;
  const frozen = Array.isArray(model.frozen) ? model.frozen : [];
  const trainable = Array.from({ length: depth }, (_, l) => l).filter((l) => !frozen.includes(l));
  if (trainable.length > 0) {
    issue(['train', 'optimizer'], `expected a model linear in its trainable parameters with optimizer "lstsq": random features (model.frozen listing every layer but the readout, [${Array.from({ length: depth }, (_, l) => l).join(', ')}]) or the linearised model (train.linearized: true); received trainable non-readout layer${trainable.length === 1 ? '' : 's'} [${trainable.join(', ')}]`);
  }
}
