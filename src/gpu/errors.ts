// Typed errors: every failure names what was wrong and what was expected.

export class WidenetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No WebGPU adapter could be found (browser without WebGPU, or Node without a Vulkan driver). */
export class NoAdapterError extends WidenetError {}

/** The GPUDevice was lost (driver reset, destroy(), out of memory...). Acquire a new one with acquireDevice(). */
export class DeviceLostError extends WidenetError {
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(`GPU device lost (reason: ${reason}): ${detail || 'no message'}. Call acquireDevice() again to get a new device.`);
  }
}

/** An uncaptured GPU error (validation, out-of-memory, internal) reported by the device. */
export class GpuError extends WidenetError {
  constructor(
    readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'unknown',
    detail: string,
  ) {
    super(`GPU ${kind} error: ${detail}`);
  }
}

/** A tensor or dispatch that the device's limits cannot hold. */
export class LimitExceededError extends WidenetError {
  constructor(
    readonly what: string,
    readonly requested: number,
    readonly limitName: string,
    readonly limit: number,
  ) {
    super(`${what} needs ${requested.toLocaleString('en-US')} but the device's ${limitName} is ${limit.toLocaleString('en-US')}`);
  }
}

/** Operand shapes that do not fit together. */
export class ShapeError extends WidenetError {}

/** An activation name that widenet does not know. */
export class UnknownActivationError extends WidenetError {
  constructor(
    readonly activation: string,
    readonly known: readonly string[],
  ) {
    super(`unknown activation "${activation}"; expected one of: ${known.join(', ')}`);
  }
}
