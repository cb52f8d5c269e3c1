// Optional device features a kernel version may need ('subgroups', 'shader-f16'). The device
// requests them whenever the adapter offers them (src/gpu/device.ts, OPTIONAL_FEATURES); a kernel
// asks here whether this runtime's device has one, and a version forced on a device without it
// fails with this error instead of a shader-compilation error at the next readback.
import { WidenetError } from '../gpu/errors';
import type { Runtime } from '../gpu/runtime';

/** A kernel version was asked for on a device that lacks the feature it needs. */
export class FeatureUnavailableError extends WidenetError {
  constructor(
    readonly feature: string,
    readonly what: string,
    readonly available: readonly string[],
  ) {
    super(`${what} needs the WebGPU feature '${feature}', which this device does not have (it has: ${available.join(', ') || 'none'}); choose another version or precision`);
  }
}

export const hasFeature = (rt: Runtime, feature: string): boolean => rt.ctx.adapter.features.includes(feature);

export function requireFeature(rt: Runtime, feature: string, what: string): void {
  if (!hasFeature(rt, feature)) throw new FeatureUnavailableError(feature, what, rt.ctx.adapter.features);
}
