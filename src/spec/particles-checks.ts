// Cross-field check of `observe.particles` (called from cross-checks.ts): the particles (a_j, w_j)
// are the mean-field picture of a two-layer network, f(x) = (1/m)·Σ_j a_j·φ(w_j·x) (Mei, Montanari
// & Nguyen 2018, arXiv:1804.06561; Chizat & Bach 2018, arXiv:1805.09545): each hidden neuron is the
// pair of its readout weight and its input weights. A deeper or residual net has no such pairs, so a
// request for them is refused here rather than left unrecorded.
import { residualOf } from './residual-checks';
import { isCount, isRecord, plural, type Path } from './vocabulary';

/** `depth`: the hidden layers of the spec's width lists (undefined when they are malformed: they have their own issues). */
export function checkParticles(spec: Record<string, unknown>, depth: number | undefined, issue: (path: Path, message: string) => void): void {
  const observe = isRecord(spec.observe) ? spec.observe : undefined;
  const count = observe?.particles;
  if (!isCount(count)) return; // 0 (the default) asks for nothing; a malformed count has its own issue
  let network: string | null = null;
  const residual = residualOf(isRecord(spec.model) ? spec.model : undefined);
  if (residual) network = `a residual network (model.residual${isCount(residual.blocks) ? ` with ${plural(residual.blocks, 'block')}` : ''})`;
  else if (depth !== undefined && depth !== 1) network = `a network with ${plural(depth, 'hidden layer')}`;
  if (network === null) return;
  issue(['observe', 'particles'], `expected 0, or a network with one hidden layer and no residual blocks (the particles (a_j, w_j) are the mean-field picture of a two-layer network: each hidden neuron's readout weight and input weights); received ${count} for ${network}`);
}
