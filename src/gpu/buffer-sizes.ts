// The sizes the runtime really allocates, checked against the device's limits before any
// allocation: a too-large tensor is a LimitExceededError that names it, never an out-of-memory error.
import { LimitExceededError } from './errors';

/**
 * Bytes a backend may add to a buffer beyond its WebGPU size (alignment of the driver's memory
 * requirements, robustness padding). Measured on SwiftShader (Dawn/Vulkan): maxBufferSize is
 * 1 GiB, a buffer of 1 GiB − 16 bytes allocates, one of 1 GiB − 12 or 1 GiB fails with
 * VK_ERROR_OUT_OF_DEVICE_MEMORY. So a size within this margin of a limit is refused up front as a
 * LimitExceededError instead of failing later as an out-of-memory GpuError.
 */
export const BACKEND_PADDING = 256;

export function checkBufferSize(what: string, size: number, limit: number, limitName: string): void {
  const usable = limit - BACKEND_PADDING;
  if (size > usable) {
    const detail = size > limit ? '' : `; the backend may add up to ${BACKEND_PADDING}, so at most ${usable.toLocaleString('en-US')} fit`;
    throw new LimitExceededError(what, size, `${limitName} (bytes${detail})`, limit);
  }
}

/**
 * The real size of a pooled storage buffer for `bytes`, after the limit checks: the pool's size
 * class, capped so that rounding never pushes it over a limit (near the limits the exact size,
 * 4-byte aligned, is allocated). Throws LimitExceededError naming the binding or buffer limit.
 */
export function allocationSize(what: string, bytes: number, limits: Record<string, number>): number {
  const { maxBufferSize, maxStorageBufferBindingSize } = limits;
  const exact = Math.max(16, Math.ceil(bytes / 4) * 4);
  checkBufferSize(what, exact, maxStorageBufferBindingSize, 'maxStorageBufferBindingSize');
  checkBufferSize(what, exact, maxBufferSize, 'maxBufferSize');
  const cap = Math.min(maxBufferSize, maxStorageBufferBindingSize) - BACKEND_PADDING;
  return Math.max(exact, Math.min(sizeClass(exact), cap));
}

/** Pool size classes: powers of two up to 1 MiB, then multiples of 1 MiB (bounded waste). */
function sizeClass(bytes: number): number {
  const MiB = 1 << 20;
  return bytes <= MiB ? 2 ** Math.ceil(Math.log2(bytes)) : Math.ceil(bytes / MiB) * MiB;
}
