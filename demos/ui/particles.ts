// The particle view: hidden neurons of a two-layer network drawn with a WebGPU render pipeline
// that reads the weight buffers the trainer writes (shaders/render/particles.wgsl), so 10^5 to
// 10^6 neurons cost one instanced draw and no copy of the weights to the CPU. The view
// transform (zoom, pan) is a gl-matrix orthographic matrix.
//
// The finished image (size² RGBA bytes, 400 KB at 320²) is copied from an offscreen texture into
// a 2-D canvas rather than presented through a 'webgpu' canvas context: in headless Chromium on
// SwiftShader (the test machines) getCurrentTexture() on a canvas leaves the WebGPU instance
// unusable ("A valid external Instance reference no longer exists" at the next mapAsync,
// measured with Chromium 156). The copy also lets the page count the pixels drawn, which is what
// the tests read (headless screenshots of WebGPU output are unreliable).
import { mat4 } from 'gl-matrix';
import type { Runtime } from '../../src/index';
import type { Tensor } from '../../src/gpu/tensor';
import source from '../../shaders/render/particles.wgsl?raw';

export interface ParticleSource {
  /** [E, m, d] */
  w1: Tensor;
  /** [E, k, m] */
  w2: Tensor;
  member?: number;
}

const UNIFORM_BYTES = 96;
const BACKGROUND = { r: 1, g: 1, b: 1, a: 1 };

export class ParticleView {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx2d: CanvasRenderingContext2D;
  private pipeline: GPURenderPipeline | null = null;
  private readonly uniforms: GPUBuffer;
  private readonly texture: GPUTexture;
  private readonly readback: GPUBuffer;
  private readonly bytesPerRow: number;
  private busy = false;
  /** half extent of the data square shown */
  radius = 3;
  center: [number, number] = [0, 0];
  frames = 0;
  lastInstances = 0;
  /** pixels that are not background in the last frame */
  lit = 0;

  constructor(private readonly rt: Runtime, parent: HTMLElement, opts: { id: string; size?: number }) {
    const size = opts.size ?? 320;
    this.canvas = document.createElement('canvas');
    this.canvas.id = opts.id;
    this.canvas.className = 'gpu-view';
    this.canvas.width = this.canvas.height = size;
    parent.append(this.canvas);
    this.ctx2d = this.canvas.getContext('2d')!;
    const device = rt.device;
    this.uniforms = device.createBuffer({ size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'particle view' });
    this.texture = device.createTexture({ size: [size, size], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC, label: 'particles' });
    this.bytesPerRow = Math.ceil((size * 4) / 256) * 256;
    this.readback = device.createBuffer({ size: this.bytesPerRow * size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ, label: 'particles readback' });
    this.canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.radius *= e.deltaY > 0 ? 1.15 : 1 / 1.15;
    }, { passive: false });
  }

  private getPipeline(): GPURenderPipeline {
    if (!this.pipeline) {
      const module = this.rt.device.createShaderModule({ code: source, label: 'particles.wgsl' });
      const blend: GPUBlendComponent = { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' };
      this.pipeline = this.rt.device.createRenderPipeline({
        layout: 'auto',
        label: 'particles',
        vertex: { module, entryPoint: 'vs_main' },
        fragment: { module, entryPoint: 'fs_main', targets: [{ format: 'rgba8unorm', blend: { color: blend, alpha: blend } }] },
        primitive: { topology: 'triangle-list' },
      });
    }
    return this.pipeline;
  }

  private writeUniforms(src: ParticleSource): number {
    const [E, m, d] = src.w1.shape;
    const e = Math.min(src.member ?? 0, E - 1);
    const transform = mat4.ortho(mat4.create(), this.center[0] - this.radius, this.center[0] + this.radius, this.center[1] - this.radius, this.center[1] + this.radius, -1, 1);
    const data = new ArrayBuffer(UNIFORM_BYTES);
    new Float32Array(data, 0, 16).set(transform);
    const size = 2.5 / this.canvas.width; // ≈ 1.25 px half size in clip units (clip spans 2)
    new Float32Array(data, 64, 2).set([size, size]);
    new Uint32Array(data, 72, 6).set([m, d, e * m * d, e * src.w2.shape[1] * m, 0, 1]);
    // Recorded compute work must reach the queue before this write and the draw that reads the weights.
    this.rt.flush();
    this.rt.device.queue.writeBuffer(this.uniforms, 0, data);
    return m;
  }

  /** Draws the neurons of one member (skipped while the previous frame is still on its way). */
  async draw(src: ParticleSource): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const m = this.writeUniforms(src);
      const pipeline = this.getPipeline();
      const device = this.rt.device;
      const bind = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.uniforms } },
          { binding: 1, resource: { buffer: src.w1.buffer } },
          { binding: 2, resource: { buffer: src.w2.buffer } },
        ],
      });
      const encoder = device.createCommandEncoder({ label: 'particles' });
      const pass = encoder.beginRenderPass({ colorAttachments: [{ view: this.texture.createView(), clearValue: BACKGROUND, loadOp: 'clear', storeOp: 'store' }] });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.draw(6, m);
      pass.end();
      const size = this.canvas.width;
      encoder.copyTextureToBuffer({ texture: this.texture }, { buffer: this.readback, bytesPerRow: this.bytesPerRow }, [size, size]);
      device.queue.submit([encoder.finish()]);
      this.lastInstances = m;
      await this.readback.mapAsync(GPUMapMode.READ);
      const bytes = new Uint8Array(this.readback.getMappedRange());
      const image = this.ctx2d.createImageData(size, size);
      let lit = 0;
      for (let y = 0; y < size; y++) {
        const row = bytes.subarray(y * this.bytesPerRow, y * this.bytesPerRow + size * 4);
        image.data.set(row, y * size * 4);
        for (let x = 0; x < size * 4; x += 4) if (row[x] !== 255 || row[x + 1] !== 255 || row[x + 2] !== 255) lit++;
      }
      this.readback.unmap();
      this.ctx2d.putImageData(image, 0, 0);
      this.lit = lit;
      this.frames++;
    } finally {
      this.busy = false;
    }
  }

  destroy(): void {
    this.uniforms.destroy();
    this.texture.destroy();
    this.readback.destroy();
    this.canvas.remove();
  }
}
