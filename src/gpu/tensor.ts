// A Tensor is an f32 GPU buffer with a shape (row-major). Its buffer comes from the runtime's
// pool and goes back there on dispose().
import { ShapeError } from './errors';
import type { Runtime } from './runtime';

let unnamed = 0;

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function checkShape(shape: readonly number[], name: string): void {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(`tensor "${name}": shape must be a non-empty list of positive integers, got [${shape}]`);
  }
}

export class Tensor {
  private disposed = false;

  private constructor(
    readonly rt: Runtime,
    /** @internal The storage buffer: used inside src/gpu/ only (the runtime takes tensors). */
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly name: string,
    /** false for views made by reshape(): only the owner returns the buffer to the pool. */
    private readonly owns = true,
  ) {}

  get size(): number {
    return shapeSize(this.shape);
  }
  get bytes(): number {
    return this.size * 4;
  }

  /** An uninitialised tensor (contents undefined until a kernel writes it). */
  static empty(rt: Runtime, shape: readonly number[], name = `t${unnamed++}`): Tensor {
    checkShape(shape, name);
    const bytes = shapeSize(shape) * 4;
    const buffer = rt.acquireStorage(`tensor "${name}" of shape [${shape.join(', ')}] (${bytes.toLocaleString('en-US')} bytes)`, bytes);
    return new Tensor(rt, buffer, [...shape], name);
  }

  static zeros(rt: Runtime, shape: readonly number[], name?: string): Tensor {
    const t = Tensor.empty(rt, shape, name);
    rt.clear(t, t.bytes);
    return t;
  }

  static from(rt: Runtime, data: ArrayLike<number>, shape: readonly number[] = [data.length], name?: string): Tensor {
    const t = Tensor.empty(rt, shape, name);
    if (data.length !== t.size) throw new ShapeError(`tensor "${t.name}": ${data.length} values do not fill shape [${shape}] (${t.size} elements)`);
    rt.write(t, data instanceof Float32Array ? data : Float32Array.from(data));
    return t;
  }

  /** Reads the values back (flushes the recorded work: the only synchronisation point). */
  async read(): Promise<Float32Array> {
    this.assertLive();
    return this.rt.read(this, this.bytes);
  }

  /** Same buffer, new shape with the same element count. */
  reshape(shape: readonly number[]): Tensor {
    checkShape(shape, this.name);
    if (shapeSize(shape) !== this.size) throw new ShapeError(`tensor "${this.name}": cannot reshape [${this.shape}] to [${shape}]`);
    return new Tensor(this.rt, this.buffer, [...shape], this.name, false);
  }

  /** Whether the two share one buffer (a reshape() view and its owner, or the same tensor). */
  aliases(other: Tensor): boolean {
    return this.buffer === other.buffer;
  }

  assertLive(): void {
    if (this.disposed) throw new ShapeError(`tensor "${this.name}" was disposed`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.owns) this.rt.releaseStorage(this.buffer);
  }
}
