// Implicit regularisation (the `implicitBias` block; docs/dynamics-and-records.md).
//
// GD with per-group rates η_p = η·s_p (s_p = Trainer.kernelScales, η_p/η) on the linearised model
// z = z₀ + J_z·Δθ moves Δθ = −Σ_t S·J_zᵀ·∂L/∂z, so Δθ stays in the range of S·J_zᵀ; where it
// interpolates (J_z Δθ = r₀ = y − z₀ on the train set) it is therefore
//   Δθ* = S J_zᵀ Θ_η⁻¹ r₀,  Θ_η = J_z S J_zᵀ,
// the minimiser of the S⁻¹-weighted norm ‖Δθ‖²_{S⁻¹} = Σ_p (η/η_p)·‖θ_p − θ_p(0)‖² among all
// interpolants, with value r₀ᵀ Θ_η⁻¹ r₀ (the minimum-norm solution; Gunasekar et al. 2018,
// arXiv:1802.08246, for the Euclidean case S = I). Frozen groups (s_p = 0) do not move and are left out.
// The function it computes on new inputs is the kernel-regression limit t → ∞,
//   z*(X*) = z₀(X*) + Θ_η(X*, X) Θ_η⁻¹ r₀.
import type { Runtime } from '../gpu/runtime';
import type { Tensor } from '../gpu/tensor';
import { add } from '../kernels/elementwise';
import { reduceBatches } from '../kernels/reduce';
import type { LayerTensors } from '../nets/gradients';

/**
 * Σ_p (1/s_p)·‖Δ_p‖² per member, for per-layer displacements Δ (weights and biases, [E, …]) and the
 * kernel scales s = η_p/η; a group with s_p = 0 (frozen) is skipped.
 */
export async function weightedDisplacement(rt: Runtime, E: number, deltas: { weight: Tensor; bias: Tensor | null }[], scales: { weight: readonly number[]; bias: readonly number[] }): Promise<Float64Array> {
  const parts: { tensor: Tensor; weight: number }[] = [];
  deltas.forEach((d, l) => {
    if (scales.weight[l] > 0) parts.push({ tensor: reduceBatches(rt, 'sumSquares', d.weight, E), weight: 1 / scales.weight[l] });
    if (d.bias && scales.bias[l] > 0) parts.push({ tensor: reduceBatches(rt, 'sumSquares', d.bias, E), weight: 1 / scales.bias[l] });
  });
  const values = await rt.readMany(parts.map((p) => p.tensor));
  parts.forEach((p) => p.tensor.dispose());
  return Float64Array.from({ length: E }, (_, e) => parts.reduce((s, p, i) => s + p.weight * values[i][e], 0));
}

/** The network's displacement θ(t) − θ(0), layer by layer (new tensors: the caller disposes them). */
export function networkDisplacement(rt: Runtime, net: { layers: { weight: Tensor; bias: Tensor | null }[] }, initial: { layers: { weight: Tensor; bias: Tensor | null }[] }): LayerTensors[] {
  return net.layers.map((layer, l) => ({
    weight: add(rt, layer.weight, initial.layers[l].weight, 1, -1),
    bias: layer.bias ? add(rt, layer.bias, initial.layers[l].bias!, 1, -1) : null,
  }));
}

/** RMS over entries of a − b. */
export function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}
