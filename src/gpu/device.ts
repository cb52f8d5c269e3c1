// Device acquisition: the one place that knows whether we run in a page or in Node.
import { DeviceLostError, GpuError, NoAdapterError } from './errors';

/** The Vulkan driver file that Debian's chromium package ships for SwiftShader (a CPU Vulkan). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The limits widenet asks for at the adapter's maximum. */
export const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export const OPTIONAL_FEATURES = ['timestamp-query', 'subgroups', 'shader-f16'] as const;

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true when the adapter is a CPU implementation (SwiftShader, a fallback adapter). */
  software: boolean;
  /** where the adapter came from: 'browser' (navigator.gpu) or 'node' (Dawn). */
  host: 'browser' | 'node';
  /** for Node: the Vulkan driver file that was forced, if any. */
  driver: string | null;
  limits: Record<string, number>;
  features: string[];
  /** Node only: the Dawn toggles passed to create() (enabled / disabled), e.g. timestamp_quantization disabled (full-resolution timestamps). */
  dawnToggles?: { enabled: string[]; disabled: string[] };
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  readonly hasTimestamps: boolean;
  /** Set when the device is lost; every later operation throws it. */
  lost: DeviceLostError | null;
  /** Uncaptured GPU errors since the last check (checked at every readback). */
  errors: GpuError[];
}

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Node only: use SwiftShader even where a hardware driver exists. */
  forceSoftware?: boolean;
  /**
   * Ask for 'shader-f16'. Dawn on NVIDIA/Vulkan hides it unless its toggle vulkan_enable_f16_on_nvidia
   * is set, which Node then passes to create(); the feature is requested only where the adapter offers it.
   */
  f16?: boolean;
}

/**
 * The Dawn toggles of a Node instance (create() flags, node-webgpu's README). Timestamps are always
 * requested at full resolution: Dawn quantises timestamp queries by default (a fingerprinting defence
 * of the browser), which blurs GPU times of short kernels; benchmark reports say so (adapter.dawnToggles).
 */
export function dawnToggles(options: AcquireOptions): { enabled: string[]; disabled: string[] } {
  return { enabled: options.f16 ? ['vulkan_enable_f16_on_nvidia'] : [], disabled: ['timestamp_quantization'] };
}

/** The create() flags of the toggles: enable-dawn-features=a,b / disable-dawn-features=c. */
export function dawnFlags(toggles: { enabled: string[]; disabled: string[] }): string[] {
  const flags: string[] = [];
  if (toggles.enabled.length) flags.push(`enable-dawn-features=${toggles.enabled.join(',')}`);
  if (toggles.disabled.length) flags.push(`disable-dawn-features=${toggles.disabled.join(',')}`);
  return flags;
}

function isSoftware(info: GPUAdapterInfo, adapter: GPUAdapter): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const fallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return fallback || /swiftshader|llvmpipe|lavapipe|software|warp/.test(text);
}

type NodeGpuFactory = { create: (flags: string[]) => GPU; globals: Record<string, unknown> };

async function loadNodeWebgpu(): Promise<NodeGpuFactory> {
  const specifier = 'webgpu';
  const mod = (await import(/* @vite-ignore */ specifier)) as NodeGpuFactory;
  // Dawn's classes (GPUBufferUsage, ...) must be globals for code written against the browser API.
  for (const [key, value] of Object.entries(mod.globals)) {
    if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
  }
  return mod;
}

async function nodeAdapter(options: AcquireOptions): Promise<{ adapter: GPUAdapter; driver: string | null; keepAlive: GPU }> {
  const { create } = await loadNodeWebgpu();
  const fsModule = 'node:fs';
  const { existsSync, mkdirSync } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs');
  const env = process.env;
  if (!env.XDG_RUNTIME_DIR) {
    // Vulkan's window-system layer prints an error per instance without one; a private temp dir quiets it
    const dir = `/tmp/widenet-runtime-${process.getuid?.() ?? 'user'}`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    env.XDG_RUNTIME_DIR = dir;
  }
  const flags = dawnFlags(dawnToggles(options));
  if (!options.forceSoftware) {
    const gpu = create(flags);
    const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (adapter) return { adapter, driver: env.VK_ICD_FILENAMES ?? null, keepAlive: gpu };
  }
  // No hardware adapter: fall back to Chromium's SwiftShader Vulkan driver, which the
  // Vulkan loader reads from VK_ICD_FILENAMES at the next instance creation.
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new NoAdapterError(
      `no WebGPU adapter found and the SwiftShader driver ${SWIFTSHADER_ICD} is missing; ` +
        'install it with: apt-get install -y chromium libvulkan1 (as root)',
    );
  }
  env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const gpu = create(flags);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new NoAdapterError(
      `no WebGPU adapter found, even with VK_ICD_FILENAMES=${SWIFTSHADER_ICD}; ` +
        'is the Vulkan loader installed? apt-get install -y libvulkan1 (as root)',
    );
  }
  return { adapter, driver: SWIFTSHADER_ICD, keepAlive: gpu };
}

async function browserAdapter(options: AcquireOptions): Promise<GPUAdapter> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    throw new NoAdapterError(
      'this browser exposes no WebGPU (navigator.gpu is missing). Use a recent Chrome or Edge, or enable ' +
        'WebGPU: chrome://flags/#enable-unsafe-webgpu (Linux also needs --enable-features=Vulkan), ' +
        'Firefox Nightly dom.webgpu.enabled, Safari Technology Preview "WebGPU" feature flag.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new NoAdapterError(
      'navigator.gpu.requestAdapter() returned no adapter: WebGPU is exposed but no GPU is usable. In Chrome or Edge ' +
        'enable chrome://flags/#enable-unsafe-webgpu (on Linux also start with --enable-features=Vulkan), and check ' +
        'chrome://gpu for a blocklisted driver; a software adapter can be forced with --use-webgpu-adapter=swiftshader.',
    );
  }
  return adapter;
}

const inBrowser = () => typeof (globalThis as { window?: unknown }).window !== 'undefined' && typeof (globalThis as { navigator?: unknown }).navigator !== 'undefined';

// Dawn's GPU object must outlive the devices it made; hold it here, out of globalThis.
const nodeGpuHolders = new WeakMap<GPUDevice, GPU>();

/** Returns a ready device with the adapter's maximum limits and the optional features it offers. */
export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  let adapter: GPUAdapter;
  let driver: string | null = null;
  let keepAlive: GPU | null = null;
  const host = inBrowser() ? 'browser' : 'node';
  if (host === 'browser') adapter = await browserAdapter(options);
  else ({ adapter, driver, keepAlive } = await nodeAdapter(options));

  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = (adapter.limits as unknown as Record<string, number>)[name];
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  if (options.f16 && !adapter.features.has('shader-f16')) {
    throw new NoAdapterError(`f16 was requested but the adapter (${adapter.info.vendor} ${adapter.info.architecture}) does not offer 'shader-f16'${host === 'node' ? ' (even with the Dawn toggle vulkan_enable_f16_on_nvidia)' : ''}`);
  }
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'widenet' });
  if (keepAlive) nodeGpuHolders.set(device, keepAlive);

  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) limits[name] = (device.limits as unknown as Record<string, number>)[name];
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: isSoftware(info, adapter),
    host,
    driver,
    limits,
    features: [...device.features].sort(),
    ...(host === 'node' ? { dawnToggles: dawnToggles(options) } : {}),
  };
  const ctx: GpuContext = { device, adapter: summary, hasTimestamps: device.features.has('timestamp-query'), lost: null, errors: [] };
  void device.lost.then((info) => {
    ctx.lost = new DeviceLostError(info.reason ?? 'unknown', info.message);
  });
  device.addEventListener('uncapturederror', (event) => {
    // Handled here: the error is kept and thrown as a typed GpuError at the next check (every
    // readback). preventDefault() matters in Node: Dawn's binding printf()s every uncaptured error
    // not default-prevented to fd 1, which corrupted the CLI's JSON Lines on stdout.
    event.preventDefault();
    const error = (event as GPUUncapturedErrorEvent).error;
    const kind = error.constructor.name === 'GPUValidationError' ? 'validation' : error.constructor.name === 'GPUOutOfMemoryError' ? 'out-of-memory' : error.constructor.name === 'GPUInternalError' ? 'internal' : 'unknown';
    ctx.errors.push(new GpuError(kind, error.message));
  });
  return ctx;
}
