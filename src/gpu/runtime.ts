// The scheduler: buffers (pooled, limit-checked), pipelines (cached by hash), dispatches recorded
// into one command encoder and one compute pass per flush, and readback as the only sync point.
import { acquireDevice, type AcquireOptions, type GpuContext } from './device';
import { LimitExceededError, WidenetError } from './errors';
import type { ParamLayout } from './params';
import { Tensor } from './tensor';
import { BACKEND_PADDING, allocationSize, checkBufferSize } from './buffer-sizes';
import { PipelineCache } from './pipelines';

export { BACKEND_PADDING, allocationSize };

export type Access = 'read' | 'read_write';

/** What a kernel needs from the runtime to be compiled: WGSL text, constants and binding layout. */
export interface KernelProgram {
  label: string;
  code: string;
  /** `override` constants (workgroup and tile sizes, activation ids). */
  constants?: Record<string, number>;
  /** storage bindings 1..n in order; binding 0 is the uniform Params when `params` is given. */
  storage: readonly Access[];
  params?: ParamLayout;
  entryPoint?: string;
}

const UNIFORM_ALIGN = 256;
const UNIFORM_CHUNK = 64 * 1024;

interface UniformChunk {
  buffer: GPUBuffer;
  shadow: ArrayBuffer;
  used: number;
}

interface PendingRead {
  staging: GPUBuffer;
  bytes: number;
  resolve: (data: Float32Array) => void;
  reject: (e: unknown) => void;
}

/** The tile configurations autotuning chose on this runtime's device (src/kernels/autotune.ts fills
 * them, src/kernels/tuning.ts checks and reads them): override constants per matmul version, and
 * Gram's workgroup edge WG. */
export interface TunedTiles {
  matmul: Partial<Record<string, Record<string, number>>>;
  /** the tiled matmul version autotuning found fastest for large outputs on this adapter (v3 when absent) */
  matmulVersion?: string;
  /** the Gram's tiled edge, and the version autotuning timed fastest for eNTK-shaped Grams (chooseGramVersion; absent: decided from matmulVersion) */
  gram?: { wg: number; version?: string };
}

/** What read() and write() take: a tensor, or (inside src/gpu/ and in tests only) its raw buffer. */
type BufferOf = Tensor | GPUBuffer;
const rawBuffer = (x: BufferOf): GPUBuffer => (x instanceof Tensor ? x.buffer : x);

export interface RuntimeStats {
  pipelinesCompiled: number;
  pipelineCacheHits: number;
  buffersCreated: number;
  buffersReused: number;
  dispatches: number;
  flushes: number;
}

export class Runtime {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly pool = new Map<number, GPUBuffer[]>();
  private uniformChunks: UniformChunk[] = [];
  private freeUniformChunks: UniformChunk[] = [];
  private pendingReads: PendingRead[] = [];
  private pendingCopies: { src: GPUBuffer; dst: GPUBuffer; bytes: number; srcOffset: number }[] = [];
  readonly stats: RuntimeStats = { pipelinesCompiled: 0, pipelineCacheHits: 0, buffersCreated: 0, buffersReused: 0, dispatches: 0, flushes: 0 };
  /** Bytes held by live (not pooled) storage buffers. */
  liveBytes = 0;
  peakLiveBytes = 0;
  /** Autotuned tiles for this device; undefined until set (a new runtime starts untuned). */
  tuning: TunedTiles | undefined = undefined;

  /** Pipelines keyed by a hash of the final WGSL, constants and layout (pipelines.ts). */
  private readonly pipelines: PipelineCache;

  private constructor(readonly ctx: GpuContext) {
    this.pipelines = new PipelineCache(ctx.device, this.stats);
  }

  static async create(options: AcquireOptions = {}): Promise<Runtime> {
    return new Runtime(await acquireDevice(options));
  }

  /** @internal The raw device: for src/gpu/ and for tests that inject device faults (loss, a failing
   * submit, an uncaptured error). Code outside src/gpu/ goes through the runtime's methods. */
  get device(): GPUDevice {
    return this.ctx.device;
  }
  get limits(): Record<string, number> {
    return this.ctx.adapter.limits;
  }

  /** Throws the device-lost or uncaptured-GPU error, if one happened. */
  checkHealth(): void {
    if (this.ctx.lost) throw this.ctx.lost;
    const error = this.ctx.errors.shift();
    if (error) {
      this.ctx.errors.length = 0;
      throw error;
    }
  }

  // ---------------------------------------------------------------- buffers

  /**
   * The size a storage buffer of `bytes` really gets, checked against the limits: the pool's size
   * class (never above the limits: near them the exact size, 4-byte aligned, is used instead), and
   * that size plus the backend's padding must fit maxBufferSize and, since every pooled buffer is
   * bound as storage, maxStorageBufferBindingSize.
   */
  storageSize(what: string, bytes: number): number {
    return allocationSize(what, bytes, this.limits);
  }

  /** Checks a storage allocation of `bytes` (as really allocated) against the limits. */
  checkAllocation(what: string, bytes: number): void {
    this.storageSize(what, bytes);
  }

  /** A storage buffer of at least `bytes` (rounded up to a pool size class). */
  acquireStorage(what: string, bytes: number): GPUBuffer {
    this.checkHealth();
    const size = this.storageSize(what, bytes);
    const free = this.pool.get(size);
    let buffer = free?.pop();
    if (buffer) this.stats.buffersReused++;
    else {
      buffer = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: what });
      this.stats.buffersCreated++;
    }
    this.liveBytes += size;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    return buffer;
  }

  /** Returns a buffer to the pool. Commands already recorded that use it still see its old data,
   * because a later reuse is recorded after them in the same queue order. */
  releaseStorage(buffer: GPUBuffer): void {
    this.liveBytes -= buffer.size;
    const list = this.pool.get(buffer.size) ?? [];
    list.push(buffer);
    this.pool.set(buffer.size, list);
  }

  /** Frees every pooled buffer (the pool otherwise keeps them for reuse). */
  trimPool(): void {
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
  }

  /** Uploads data. Pending commands are flushed first: queue writes would otherwise overtake them. */
  write(target: BufferOf, data: ArrayBufferView, byteOffset = 0): void {
    this.checkHealth();
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(rawBuffer(target), byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  // ---------------------------------------------------------------- pipelines

  /** Compiles (or finds) the pipeline now and reports any compilation error with the shader's label. */
  async compile(program: KernelProgram): Promise<void> {
    await this.pipelines.compile(program);
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  // ---------------------------------------------------------------- dispatch

  /** Splits a linear workgroup count over x, y, z so that none exceeds maxComputeWorkgroupsPerDimension. */
  fold(groups: number, what = 'dispatch'): [number, number, number] {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [Math.max(groups, 1), 1, 1];
    const y = Math.ceil(groups / max);
    if (y <= max) return [Math.ceil(groups / y), y, 1];
    const z = Math.ceil(groups / (max * max));
    if (z > max) throw new LimitExceededError(`${what} of ${groups} workgroups`, groups, 'maxComputeWorkgroupsPerDimension³', max ** 3);
    return [max, Math.ceil(groups / (max * z)), z];
  }

  private uniformSlot(bytes: number): { chunk: UniformChunk; offset: number } {
    let chunk = this.uniformChunks[this.uniformChunks.length - 1];
    if (!chunk || chunk.used + bytes > UNIFORM_CHUNK) {
      chunk = this.freeUniformChunks.pop() ?? {
        buffer: this.device.createBuffer({ size: UNIFORM_CHUNK, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'params' }),
        shadow: new ArrayBuffer(UNIFORM_CHUNK),
        used: 0,
      };
      chunk.used = 0;
      this.uniformChunks.push(chunk);
    }
    const offset = chunk.used;
    chunk.used += Math.ceil(bytes / UNIFORM_ALIGN) * UNIFORM_ALIGN;
    return { chunk, offset };
  }

  private ensurePass(timestamps?: GPUComputePassTimestampWrites): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'widenet' });
    if (!this.pass) this.pass = this.encoder.beginComputePass({ label: 'widenet', timestampWrites: timestamps });
    return this.pass;
  }

  /**
   * Records one dispatch of `groups` workgroups (a linear count, folded over x/y/z here; shaders
   * recover the linear index from @builtin(workgroup_id) and @builtin(num_workgroups)).
   */
  dispatch(program: KernelProgram, tensors: readonly Tensor[], params: Record<string, number> | null, groups: number): void {
    this.checkHealth();
    if (tensors.length !== program.storage.length) throw new WidenetError(`${program.label}: expected ${program.storage.length} buffers, got ${tensors.length}`);
    const [x, y, z] = this.fold(groups, program.label);
    const { pipeline, layout } = this.pipelines.get(program);
    const entries: GPUBindGroupEntry[] = tensors.map((t, i) => ({ binding: i + 1, resource: { buffer: t.buffer } }));
    if (program.params) {
      if (!params) throw new WidenetError(`${program.label}: missing uniform parameters`);
      const { chunk, offset } = this.uniformSlot(program.params.byteSize);
      program.params.pack(params, chunk.shadow, offset);
      entries.push({ binding: 0, resource: { buffer: chunk.buffer, offset, size: program.params.byteSize } });
    }
    const bindGroup = this.device.createBindGroup({ layout, entries, label: program.label });
    const pass = this.ensurePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.stats.dispatches++;
  }

  /** Records a copy of `bytes` from one tensor's buffer to another's, at byte offsets (ends the
   * current compute pass; a new one starts on the next dispatch). */
  copy(src: Tensor, dst: Tensor, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.checkHealth();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'widenet' });
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    this.encoder.copyBufferToBuffer(src.buffer, srcOffset, dst.buffer, dstOffset, Math.ceil(bytes / 4) * 4);
  }

  /** Records a zero fill of the first `bytes` of a tensor's buffer. */
  clear(tensor: Tensor, bytes: number): void {
    this.checkHealth();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'widenet' });
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    this.encoder.clearBuffer(tensor.buffer, 0, Math.ceil(bytes / 4) * 4);
  }

  /** Submits everything recorded so far as one command buffer. */
  flush(): void {
    this.checkHealth();
    if (!this.encoder && this.pendingReads.length === 0) return;
    const reads = this.pendingReads;
    this.pendingReads = [];
    try {
      const encoder = this.encoder ?? this.device.createCommandEncoder({ label: 'widenet' });
      if (this.pass) this.pass.end();
      for (const c of this.pendingCopies) encoder.copyBufferToBuffer(c.src, c.srcOffset, c.dst, 0, c.bytes);
      for (const chunk of this.uniformChunks) this.device.queue.writeBuffer(chunk.buffer, 0, chunk.shadow, 0, chunk.used);
      this.device.queue.submit([encoder.finish()]);
    } catch (e) {
      // the recorded work is lost, and so are the reads waiting on it
      for (const r of reads) {
        r.staging.destroy();
        r.reject(e);
      }
      throw e;
    } finally {
      // a failed submit must not leave a finished encoder behind: the next dispatch starts afresh
      this.pendingCopies = [];
      this.freeUniformChunks.push(...this.uniformChunks);
      this.uniformChunks = [];
      this.encoder = null;
      this.pass = null;
    }
    this.stats.flushes++;
    for (const r of reads) {
      r.staging.mapAsync(GPUMapMode.READ, 0, r.bytes).then(
        () => {
          // getMappedRange memory is detached by unmap(): copy first.
          const data = new Float32Array(r.staging.getMappedRange(0, r.bytes).slice(0));
          r.staging.unmap();
          r.staging.destroy();
          try {
            this.checkHealth();
            r.resolve(data);
          } catch (e) {
            r.reject(e);
          }
        },
        (e) => {
          r.staging.destroy();
          r.reject(this.ctx.lost ?? this.ctx.errors.shift() ?? e);
        },
      );
    }
  }

  /** Reads `bytes` of a tensor back (flushes: the only synchronisation point). */
  read(source: BufferOf, bytes: number, byteOffset = 0): Promise<Float32Array> {
    this.checkHealth();
    const promise = this.enqueueRead(source, bytes, byteOffset);
    this.submitReads([promise]);
    return promise;
  }

  /** Reads several tensors back in one submission: one synchronisation point for all of them. */
  readMany(sources: readonly Tensor[]): Promise<Float32Array[]> {
    this.checkHealth();
    const promises = sources.map((t) => this.enqueueRead(t, t.bytes));
    this.submitReads(promises);
    return Promise.all(promises);
  }

  private enqueueRead(source: BufferOf, bytes: number, byteOffset = 0): Promise<Float32Array> {
    const size = Math.ceil(bytes / 4) * 4;
    // a staging buffer is not bound as storage: only maxBufferSize applies
    checkBufferSize(`readback of ${bytes.toLocaleString('en-US')} bytes`, size, this.limits.maxBufferSize, 'maxBufferSize');
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
    const promise = new Promise<Float32Array>((resolve, reject) => this.pendingReads.push({ staging, bytes: size, resolve, reject }));
    this.pendingCopies.push({ src: rawBuffer(source), dst: staging, bytes: size, srcOffset: byteOffset });
    return promise;
  }

  private submitReads(promises: readonly Promise<Float32Array>[]): void {
    try {
      this.flush();
    } catch (e) {
      // flush() rejected these reads' promises, which nobody will hold: mark them handled (an
      // unhandled rejection ends a Node process) and report the error here, where it happened
      for (const p of promises) p.catch(() => undefined);
      throw e;
    }
  }

  /** Waits until the GPU has finished everything submitted, then reports any GPU error. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkHealth();
  }

  // ---------------------------------------------------------------- timing

  /**
   * GPU time in milliseconds of the work that `record` records, from timestamp queries around one
   * compute pass where the adapter offers them, otherwise wall time around onSubmittedWorkDone.
   */
  async time(record: () => void): Promise<{ ms: number; source: 'timestamp' | 'wall' }> {
    await this.sync();
    if (!this.ctx.hasTimestamps) {
      const t0 = performance.now();
      record();
      await this.sync();
      return { ms: performance.now() - t0, source: 'wall' };
    }
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const readback = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.ensurePass({ querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
    record();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    this.encoder!.resolveQuerySet(querySet, 0, 2, resolve, 0);
    this.encoder!.copyBufferToBuffer(resolve, 0, readback, 0, 16);
    this.flush();
    await readback.mapAsync(GPUMapMode.READ);
    const [t0, t1] = new BigUint64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    readback.destroy();
    resolve.destroy();
    querySet.destroy();
    this.checkHealth();
    return { ms: Number(t1 - t0) / 1e6, source: 'timestamp' };
  }

  /** Releases every GPU object; the runtime cannot be used afterwards. */
  destroy(): void {
    this.trimPool();
    for (const c of [...this.uniformChunks, ...this.freeUniformChunks]) c.buffer.destroy();
    this.pipelines.clear();
    this.device.destroy();
  }
}
