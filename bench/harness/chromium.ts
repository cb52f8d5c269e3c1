// Headless Chromium for WebGPU pages (shared by the benchmark harness and the browser tests).
// Flags (see /work/shared/ENVIRONMENT.md):
//   --enable-unsafe-webgpu              WebGPU on Linux is still behind this flag.
//   swiftshader mode: --use-webgpu-adapter=swiftshader   SwiftShader's CPU Vulkan (no GPU needed).
//   gpu mode: --use-angle=vulkan --disable-vulkan-surface the machine's Vulkan GPU driver, headless.
//   --enable-features=Vulkan            Dawn's Vulkan backend, behind both.
//   --enable-webgpu-developer-features  (benchmarks) timestamp queries at full resolution instead
//                                       of Chromium's 100 µs quantisation.
//   --no-sandbox                        runs as root in CI (the sandbox refuses root).
//   --disable-background-networking --disable-component-update --disable-sync --no-first-run
//                                       no network on the test machines; no waiting on it.
import { existsSync } from 'node:fs';

export type BrowserMode = 'gpu' | 'swiftshader';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Throws, saying what to install, when the browser is missing. */
export function assertChromium(path = CHROMIUM_PATH): void {
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}. Install Debian's package (as root: apt-get update && apt-get install -y chromium; it also brings SwiftShader), or point CHROMIUM_PATH at a Chromium/Chrome binary.`);
  }
}

/** The launch flags; `webgpu: false` leaves out the WebGPU ones (a stock browser). */
export function chromiumArgs(userDataDir: string, options: { mode?: BrowserMode; webgpu?: boolean; developerFeatures?: boolean } = {}): string[] {
  const mode = options.mode ?? (process.env.WIDENET_BROWSER_GPU === '1' ? 'gpu' : 'swiftshader');
  const webgpuFlags = [
    '--enable-unsafe-webgpu',
    ...(mode === 'gpu' ? ['--use-angle=vulkan', '--disable-vulkan-surface'] : ['--use-webgpu-adapter=swiftshader']),
    '--enable-features=Vulkan',
    ...(options.developerFeatures ? ['--enable-webgpu-developer-features'] : []),
  ];
  return [
    '--no-sandbox',
    ...(options.webgpu === false ? [] : webgpuFlags),
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${userDataDir}`,
  ];
}

/** Whether this machine looks like it has a GPU the browser could use: WIDENET_BROWSER_GPU=1/0
 * decides; otherwise an NVIDIA device node or a DRM render node. The page then confirms it (a
 * software adapter behind the GPU flags sends the harness back to SwiftShader). */
export function gpuLikely(): boolean {
  if (process.env.WIDENET_BROWSER_GPU === '1') return true;
  if (process.env.WIDENET_BROWSER_GPU === '0') return false;
  return existsSync('/dev/nvidia0') || existsSync('/dev/dri/renderD128');
}
