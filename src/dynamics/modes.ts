// Spectral bias (the `modes` block; docs/dynamics-and-records.md): the train residual r = y − z in
// the eigenbasis of a kernel Θ = Σ_i λ_i v_i v_iᵀ on the train set (N = n·k rows, example-major).
// Under the linearised dynamics with Θ = Θ_η (kernel-regression.ts) each coordinate decays on its own:
//   gradient flow  v_iᵀr(t) = e^(−λ_i·t/(n·k))·v_iᵀr(0),  t = η·step (÷ (1 − μ) with momentum μ)
//   plain GD       v_iᵀr_s  = (1 − η·λ_i/(n·k))^s·v_iᵀr(0)
// (with train.weightDecay, the ridge forms of modeDecay; t → ∞ for lstsq)
// so large-eigenvalue directions are learned first (Jacot et al. 2018; Arora et al. 2019, arXiv:1901.08584;
// Rahaman et al. 2019, arXiv:1806.08734). On points spread uniformly over the circle every rotation-invariant
// kernel is circulant, so its eigenvectors are the Fourier modes cos(jθ), sin(jθ) (eigenvalues in pairs).
// Sign convention: each v_i is oriented so that v_iᵀr(0) ≥ 0, so that members' projections average.
import type { KernelEigen } from './kernel-eigen';
import type { ClosedFormMode } from './closed-forms';
import { definedForAll, ensembleStats, type EnsembleStat, type ModeRecord } from './records';

/** The closed form's clock: plain GD steps, gradient-flow time, or t → ∞ (lstsq); ρ = n·k·λ_wd the ridge of train.weightDecay. */
export interface ModeClock {
  mode: ClosedFormMode;
  at: number;
  ridge?: number;
}

/**
 * The closed-form factor r_i(t)/r_i(0) of one mode (N = n·k): with weight decay (ridge ρ, kernel-regression.ts)
 * r_i(t) = (ρ + λ_i·decay_i)/(λ_i + ρ)·r_i(0), decay_i = (1 − η(λ_i + ρ)/N)^s (GD) or e^(−(λ_i + ρ)t/N) (flow),
 * and 0 (ρ = 0) or ρ/(λ_i + ρ) as t → ∞; ρ = 0 gives (1 − ηλ_i/N)^s and e^(−λ_i·t/N).
 */
export function modeDecay(lambda: number, clock: ModeClock, lr: number, N: number): number {
  const rho = clock.ridge ?? 0;
  if (lambda + rho === 0) return 1; // a null direction of the kernel is never learned
  const decay = clock.mode === 'limit' ? 0 : clock.mode === 'gd' ? (1 - (lr * (lambda + rho)) / N) ** clock.at : Math.exp((-(lambda + rho) * clock.at) / N);
  return (rho + lambda * decay) / (lambda + rho);
}

/**
 * The top `count` modes of one member: eigenvalue, the projections of the initial residual r₀, of the
 * network's residual r and of the linearised model's residual (null without one), and r₀'s projection
 * times the closed-form decay.
 */
export function residualModes(eigen: KernelEigen, count: number, residuals: { initial: ArrayLike<number>; network: ArrayLike<number>; linearized: ArrayLike<number> | null }, clock: ModeClock, lr: number): ModeRecord[] {
  const modes: ModeRecord[] = [];
  for (let i = 0; i < Math.min(count, eigen.N); i++) {
    const p0 = eigen.project(residuals.initial, i);
    const sign = p0 < 0 ? -1 : 1;
    const lambda = eigen.values[i];
    modes.push({
      eigenvalue: lambda,
      initial: sign * p0,
      residual: sign * eigen.project(residuals.network, i),
      linearized: residuals.linearized ? sign * eigen.project(residuals.linearized, i) : null,
      predicted: sign * p0 * modeDecay(lambda, clock, lr, eigen.N),
    });
  }
  return modes;
}

const MODE_FIELDS = ['eigenvalue', 'initial', 'residual', 'linearized', 'predicted'] as const;

/**
 * The members' mode lists (same length each) as their field-by-field ensemble mean and standard
 * deviation (records.ts ensembleStats): `std[field]` is a list over the modes, null where a member's
 * value is (linearized without a linearised model). `perMemberEigenvalues: false` for a kernel shared
 * by every member (Θ∞): its eigenvalues are taken as they are and get no std entry.
 */
export function modeStats(members: ModeRecord[][], o: { perMemberEigenvalues?: boolean } = {}): { mean: ModeRecord[]; std: Record<string, EnsembleStat> } {
  const count = members[0]?.length ?? 0;
  const shared = o.perMemberEigenvalues === false;
  const fields = Object.fromEntries(MODE_FIELDS.filter((f) => !(shared && f === 'eigenvalue')).map((f) => [f, Array.from({ length: count }, (_, i) => definedForAll(members.map((m) => m[i][f])))]));
  const { mean, std } = ensembleStats(fields);
  const pick = (f: string, i: number) => (mean[f] as (number | null)[])[i];
  return {
    mean: Array.from({ length: count }, (_, i) => ({
      eigenvalue: shared ? members[0][i].eigenvalue : (pick('eigenvalue', i) as number),
      initial: pick('initial', i) as number,
      residual: pick('residual', i) as number,
      linearized: pick('linearized', i),
      predicted: pick('predicted', i) as number,
    })),
    std,
  };
}
