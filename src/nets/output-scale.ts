// The model a network stands for: z = α·f(θ), or α·(f(θ) − f(θ₀)) when centred, with the lazy-training
// output scale α of Chizat, Oyallon & Bach (arXiv:1812.07956). This is the one home of α and the
// centring: kernels of z carry α² (modelKernelFactor), outputs are read as z (modelOutputs), and the
// trainer's rates η·lrScale/α² come from parameterization.dynamicsKernelScales with this α.
import type { MlpConfig } from './mlp';

/** α and the centring of a network config (α defaults to 1, centring to off). */
export function outputScale(config: Pick<MlpConfig, 'alpha' | 'centered'>): { alpha: number; centered: boolean } {
  return { alpha: config.alpha ?? 1, centered: config.centered ?? false };
}

/** Θ and the NNGP of z are α² times those of f (the centring shifts z by a constant). */
export function modelKernelFactor(config: Pick<MlpConfig, 'alpha'>): number {
  const { alpha } = outputScale(config);
  return alpha * alpha;
}

/** z = α·f − α·f₀ (centred) or α·f, in float64, for raw outputs f and f₀ of the same shape. */
export function modelOutputs(config: Pick<MlpConfig, 'alpha' | 'centered'>, f: ArrayLike<number>, f0: ArrayLike<number>): Float64Array {
  const { alpha, centered } = outputScale(config);
  return Float64Array.from({ length: f.length }, (_, i) => alpha * f[i] - (centered ? alpha * f0[i] : 0));
}
