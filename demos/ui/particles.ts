// The particle view: hidden neurons of a two-layer network drawn with a WebGPU render pipeline
// that reads the weight buffers the trainer writes (shaders/render/particles.wgsl), so 10^5 to
// 10^6 neurons cost one instanced draw and no copy to the CPU. The view transform (zoom, pan)
// is a gl-matrix orthographic matrix. `probe()` renders once into an offscreen texture and
// counts the pixels drawn: headless screenshots of WebGPU canvases come out black, so tests
// (and the page's state) read that count instead.
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
  private readonly context: GPUCanvasContext;
  private readonly format: GPUTextureFormat;
  private pipelines = new Map<GPUTextureFormat, GPURenderPipeline>();
  private readonly uniforms: GPUBuffer;
  /** half extent of the data square shown */
  radius = 3;
  center: [number, number] = [0, 0];
  frames = 0;
  lastInstances = 0;

  constructor(private readonly rt: Runtime, parent: HTMLElement, opts: { id: string; size?: number }) {
    this.canvas = document.createElement('canvas');
    this.canvas.id = opts.id;
    this.canvas.className = 'gpu-view';
    this.canvas.width = this.canvas.height = opts.size ?? 320;
    parent.append(this.canvas);
    const context = this.canvas.getContext('webgpu');
    if (!context) throw new Error('this browser gives no WebGPU canvas context');
    this.context = context;
    this.format = navigator.gpu.getPreferredCanvasFormat();
    this.context.configure({ device: rt.device, format: this.format, alphaMode: 'premultiplied' });
    this.uniforms = rt.device.createBuffer({ size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'particle view' });
    this.canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.radius *= e.deltaY > 0 ? 1.15 : 1 / 1.15;
    }, { passive: false });
  }

  private pipeline(format: GPUTextureFormat): GPURenderPipeline {
    let p = this.pipelines.get(format);
    if (!p) {
      const module = this.rt.device.createShaderModule({ code: source, label: 'particles.wgsl' });
      p = this.rt.device.createRenderPipeline({
        layout: 'auto',
        label: 'particles',
        vertex: { module, entryPoint: 'vs_main' },
        fragment: {
          module,
          entryPoint: 'fs_main',
          targets: [{ format, blend: { color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' }, alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' } } }],
        },
        primitive: { topology: 'triangle-list' },
      });
      this.pipelines.set(format, p);
    }
    return p;
  }

  private writeUniforms(src: ParticleSource, pixels: number): number {
    const [E, m, d] = src.w1.shape;
    const e = Math.min(src.member ?? 0, E - 1);
    const transform = mat4.ortho(mat4.create(), this.center[0] - this.radius, this.center[0] + this.radius, this.center[1] - this.radius, this.center[1] + this.radius, -1, 1);
    const data = new ArrayBuffer(UNIFORM_BYTES);
    new Float32Array(data, 0, 16).set(transform);
    const size = 2.5 / pixels; // ≈ 1.25 px half size in clip units (clip spans 2)
    new Float32Array(data, 64, 2).set([size, size]);
    new Uint32Array(data, 72, 6).set([m, d, e * m * d, e * src.w2.shape[1] * m, 0, 1]);
    // Recorded compute work must reach the queue before this write and the draw that reads the weights.
    this.rt.flush();
    this.rt.device.queue.writeBuffer(this.uniforms, 0, data);
    return m;
  }

  private encode(target: GPUTextureView, format: GPUTextureFormat, src: ParticleSource, pixels: number): GPUCommandBuffer {
    const m = this.writeUniforms(src, pixels);
    const pipeline = this.pipeline(format);
    const bind = this.rt.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.uniforms } },
        { binding: 1, resource: { buffer: src.w1.buffer } },
        { binding: 2, resource: { buffer: src.w2.buffer } },
      ],
    });
    const encoder = this.rt.device.createCommandEncoder({ label: 'particles' });
    const pass = encoder.beginRenderPass({ colorAttachments: [{ view: target, clearValue: BACKGROUND, loadOp: 'clear', storeOp: 'store' }] });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.draw(6, m);
    pass.end();
    this.lastInstances = m;
    return encoder.finish();
  }

  /** Draws the neurons of one member into the canvas. */
  draw(src: ParticleSource): void {
    const texture = this.context.getCurrentTexture();
    this.rt.device.queue.submit([this.encode(texture.createView(), this.format, src, this.canvas.width)]);
    this.frames++;
  }

  /** Renders into an offscreen texture of the canvas's size and counts the pixels that are not background. */
  async probe(src: ParticleSource): Promise<number> {
    const size = this.canvas.width;
    const device = this.rt.device;
    const texture = device.createTexture({ size: [size, size], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC });
    const bytesPerRow = Math.ceil((size * 4) / 256) * 256;
    const readback = device.createBuffer({ size: bytesPerRow * size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const draw = this.encode(texture.createView(), 'rgba8unorm', src, size);
    const copy = device.createCommandEncoder();
    copy.copyTextureToBuffer({ texture }, { buffer: readback, bytesPerRow }, [size, size]);
    device.queue.submit([draw, copy.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const bytes = new Uint8Array(readback.getMappedRange().slice(0));
    readback.unmap();
    readback.destroy();
    texture.destroy();
    let lit = 0;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const i = y * bytesPerRow + x * 4;
      if (bytes[i] !== 255 || bytes[i + 1] !== 255 || bytes[i + 2] !== 255) lit++;
    }
    return lit;
  }

  destroy(): void {
    this.uniforms.destroy();
    this.canvas.remove();
  }
}
