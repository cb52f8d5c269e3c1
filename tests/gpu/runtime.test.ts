import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceLostError, GpuError, LimitExceededError, ShapeError } from '../../src/gpu/errors';
import { hash64 } from '../../src/gpu/hash';
import { ParamLayout } from '../../src/gpu/params';
import { BACKEND_PADDING, Runtime, allocationSize } from '../../src/gpu/runtime';
import { Tensor } from '../../src/gpu/tensor';
import { scale } from '../../src/kernels/elementwise';
import { matmul } from '../../src/kernels/matmul';
import { sum } from '../../src/kernels/reduce';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('device acquisition', () => {
  it('asks for the adapter maximum limits and reports the adapter', () => {
    const { adapter } = ctx.rt.ctx;
    for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension']) {
      expect(adapter.limits[name], name).toBeGreaterThan(0);
    }
    // WebGPU's default maxStorageBufferBindingSize is 128 MiB; the max asked for must be at least that
    expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(adapter.host).toBe('node');
    expect(typeof adapter.software).toBe('boolean');
    if (adapter.architecture === 'swiftshader') expect(adapter.software).toBe(true);
    expect(ctx.rt.ctx.hasTimestamps).toBe(adapter.features.includes('timestamp-query'));
  });
});

describe('limits', () => {
  it('refuses a tensor over maxStorageBufferBindingSize with its name, size and the limit', () => {
    const { rt } = ctx;
    const max = rt.limits.maxStorageBufferBindingSize;
    const n = max / 4 + 1;
    let error: unknown;
    try {
      Tensor.empty(rt, [n], 'huge');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LimitExceededError);
    const message = (error as Error).message;
    expect(message).toContain('tensor "huge"');
    expect(message).toContain(`[${n}]`);
    expect(message).toContain('maxStorageBufferBindingSize');
    expect(message).toContain(max.toLocaleString('en-US'));
  });

  it('checks the real allocation: a tensor of exactly the binding limit is a LimitExceededError, not an out-of-memory error', async () => {
    const { rt } = ctx;
    const max = Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
    const created = rt.stats.buffersCreated;
    // exactly the limit (1 GiB on SwiftShader, where Dawn's buffer of that size fails with
    // VK_ERROR_OUT_OF_DEVICE_MEMORY): refused before any allocation
    expect(() => Tensor.empty(rt, [max / 4], 'exact')).toThrow(LimitExceededError);
    expect(() => Tensor.empty(rt, [max / 4], 'exact')).toThrow(/tensor "exact".*the backend may add up to 256/);
    expect(rt.stats.buffersCreated).toBe(created);
    await rt.sync(); // no GPU error was raised behind the refusal
  });

  it('the pool rounding never pushes a buffer over either limit, and both limits are checked', () => {
    const MiB = 2 ** 20;
    const limits = { maxStorageBufferBindingSize: 1024 * MiB, maxBufferSize: 1024 * MiB };
    // a size class (multiple of 1 MiB) would round 1 GiB − 1 MiB + 4 up to the full limit
    const near = 1023 * MiB + 4;
    const size = allocationSize('near', near, limits);
    expect(size).toBeGreaterThanOrEqual(near);
    expect(size).toBeLessThanOrEqual(1024 * MiB - BACKEND_PADDING);
    // away from the limits: the pool's size classes (powers of two, then whole MiB)
    expect(allocationSize('small', 1000, limits)).toBe(1024);
    expect(allocationSize('mid', 3 * MiB + 1, limits)).toBe(4 * MiB);
    // maxBufferSize below the binding limit: it is the one that binds, rounding included
    const smallBuffer = { maxStorageBufferBindingSize: 2048 * MiB, maxBufferSize: 256 * MiB };
    expect(() => allocationSize('t', 256 * MiB, smallBuffer)).toThrow(/maxBufferSize/);
    expect(allocationSize('t', 255 * MiB + 4, smallBuffer)).toBeLessThanOrEqual(256 * MiB - BACKEND_PADDING);
    const smallBinding = { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 2048 * MiB };
    expect(() => allocationSize('t', 128 * MiB + 4, smallBinding)).toThrow(/maxStorageBufferBindingSize/);
    // a readback staging buffer (not bound as storage) is checked against maxBufferSize
    const { rt } = ctx;
    const t = Tensor.zeros(rt, [4]);
    expect(() => rt.read(t.buffer, rt.limits.maxBufferSize + 4)).toThrow(/readback .*maxBufferSize/);
    t.dispose();
  });

  it('folds a dispatch over the per-dimension workgroup limit', async () => {
    const { rt } = ctx;
    const max = rt.limits.maxComputeWorkgroupsPerDimension;
    expect(rt.fold(max)).toEqual([max, 1, 1]);
    const [x, y, z] = rt.fold(max + 1);
    expect(x).toBeLessThanOrEqual(max);
    expect(x * y * z).toBeGreaterThanOrEqual(max + 1);
    expect(() => rt.fold(max ** 3 + 1)).toThrow(LimitExceededError);
    // a real kernel over more than max·256 elements: every element must be touched, none twice
    const n = max * 256 + 1000;
    const t = Tensor.from(rt, new Float32Array(n).fill(1));
    scale(rt, 3, t);
    const total = (await sum(rt, t).read())[0];
    expect(total).toBe(3 * n);
    const back = await t.read();
    expect([back[0], back[n - 1], back[max * 256]]).toEqual([3, 3, 3]);
    t.dispose();
  });

  it('refuses bad shapes', () => {
    const { rt } = ctx;
    expect(() => Tensor.empty(rt, [3, 0], 'z')).toThrow(ShapeError);
    expect(() => Tensor.empty(rt, [2.5], 'z')).toThrow(/positive integers/);
    expect(() => Tensor.from(rt, [1, 2, 3], [2, 2], 'w')).toThrow(/3 values do not fill shape \[2,2\]/);
    const a = Tensor.zeros(rt, [3, 4], 'A');
    const b = Tensor.zeros(rt, [5, 2], 'B');
    expect(() => matmul(rt, a, b)).toThrow(/inner dimensions differ: op\(A\) "A" is 3×4 but op\(B\) "B" is 5×2/);
    expect(() => matmul(rt, Tensor.zeros(rt, [2, 3, 4]), Tensor.zeros(rt, [3, 4, 2]))).toThrow(/batch sizes 2 .* and 3/);
    expect(() => matmul(rt, a, Tensor.zeros(rt, [4, 2]), { bias: Tensor.zeros(rt, [3], 'b') })).toThrow(/bias "b" has 3 elements, expected N = 2/);
  });
});

describe('pipelines, buffers and uniforms', () => {
  it('caches pipelines by a hash of the final WGSL, constants and layout', async () => {
    const { rt } = ctx;
    const a = Tensor.zeros(rt, [9, 9]);
    matmul(rt, a, a, { version: 'v1_naive' });
    const compiled = rt.stats.pipelinesCompiled;
    matmul(rt, a, a, { version: 'v1_naive' });
    expect(rt.stats.pipelinesCompiled).toBe(compiled);
    matmul(rt, a, a, { version: 'v1_naive', activation: 'tanh' }); // other constants: another pipeline
    expect(rt.stats.pipelinesCompiled).toBe(compiled + 1);
    expect(hash64('a')).not.toBe(hash64('b'));
    expect(hash64('fn main() {}')).toMatch(/^[0-9a-f]{16}$/);
    await rt.sync();
  });

  it('pools buffers: a disposed buffer is reused', () => {
    const { rt } = ctx;
    const t = Tensor.empty(rt, [1000]);
    t.dispose();
    const reused = rt.stats.buffersReused;
    Tensor.empty(rt, [1000]).dispose();
    expect(rt.stats.buffersReused).toBe(reused + 1);
  });

  it('one uniform layout gives both the WGSL struct and the bytes', () => {
    const layout = new ParamLayout([['m', 'u32'], ['shift', 'i32'], ['alpha', 'f32'], ['n', 'u32'], ['beta', 'f32']] as const);
    expect(layout.wgsl()).toBe('struct Params {\n  m: u32,\n  shift: i32,\n  alpha: f32,\n  n: u32,\n  beta: f32,\n}\n');
    expect(layout.byteSize).toBe(32);
    const view = new DataView(layout.pack({ m: 7, shift: -2, alpha: 0.5, n: 2 ** 32 - 1, beta: -1.25 }));
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true), view.getUint32(12, true), view.getFloat32(16, true)]).toEqual([7, -2, 0.5, 2 ** 32 - 1, -1.25]);
    expect(() => layout.pack({ m: 1.5, shift: 0, alpha: 0, n: 0, beta: 0 })).toThrow(/"m" \(u32\) must be an integer/);
  });

  it('records many kernels into one submission; a readback is the sync point', async () => {
    const { rt } = ctx;
    const t = Tensor.from(rt, [1, 2, 3]);
    const flushes = rt.stats.flushes;
    for (let i = 0; i < 10; i++) scale(rt, 2, t);
    expect(rt.stats.flushes).toBe(flushes);
    expect(Array.from(await t.read())).toEqual([1024, 2048, 3072]);
    expect(rt.stats.flushes).toBe(flushes + 1);
  });

  it('readMany reads several tensors back in one submission', async () => {
    const { rt } = ctx;
    const [a, b] = [Tensor.from(rt, [1, 2, 3]), Tensor.from(rt, [4, 5])];
    scale(rt, 2, a);
    scale(rt, 3, b);
    const flushes = rt.stats.flushes;
    const [ra, rb] = await rt.readMany([a, b]);
    expect(rt.stats.flushes).toBe(flushes + 1);
    expect(Array.from(ra)).toEqual([2, 4, 6]);
    expect(Array.from(rb)).toEqual([12, 15]);
    [a, b].forEach((t) => t.dispose());
  });

  it('measures GPU time with timestamp queries where offered', async () => {
    const { rt } = ctx;
    const a = Tensor.zeros(rt, [128, 128]);
    const { ms, source } = await rt.time(() => matmul(rt, a, a));
    expect(source).toBe(rt.ctx.hasTimestamps ? 'timestamp' : 'wall');
    expect(ms).toBeGreaterThan(0);
    expect(Number.isFinite(ms)).toBe(true);
  });

  it('a WGSL compilation error is a typed error naming the kernel', async () => {
    const { rt } = ctx;
    await expect(rt.compile({ label: 'broken kernel', code: '@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }', storage: [] })).rejects.toThrow(GpuError);
    await expect(rt.compile({ label: 'broken kernel', code: '@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }', storage: [] })).rejects.toThrow(/broken kernel/);
  });
});

describe('uncaptured GPU errors', () => {
  it('become a typed GpuError and print nothing on stdout (Dawn prints unhandled ones to fd 1)', () => {
    // a child process, because Dawn writes from native code to the process's own fd 1
    const lib = join(__dirname, '../../dist/lib/index.js');
    const script = `
      const { Runtime, GpuError } = await import(${JSON.stringify(lib)});
      const rt = await Runtime.create();
      rt.device.createBuffer({ size: rt.limits.maxBufferSize + 4, usage: GPUBufferUsage.STORAGE }); // a validation error nobody captures
      try { await rt.sync(); process.stderr.write('no error\\n'); }
      catch (e) { process.stderr.write((e instanceof GpuError ? 'typed ' : 'untyped ') + e.message.split('\\n')[0] + '\\n'); }
      rt.destroy();
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/typed GPU validation error: .*max buffer size/i);
    expect(r.stdout).toBe('');
  });
});

describe('device loss', () => {
  it('becomes a DeviceLostError naming the cause, and a new device can be acquired in the same process', async () => {
    const rt = await Runtime.create();
    const t = Tensor.from(rt, [1, 2, 3]);
    rt.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    await rt.device.lost;
    expect(() => scale(rt, 2, t)).toThrow(DeviceLostError);
    expect(() => Tensor.zeros(rt, [4])).toThrow(/GPU device lost \(reason: destroyed\)/);
    await expect(async () => t.read()).rejects.toThrow(DeviceLostError);
    const again = await Runtime.create();
    expect(Array.from(await scale(again, 2, Tensor.from(again, [1, 2, 3])).read())).toEqual([2, 4, 6]);
    again.destroy();
  });
});
