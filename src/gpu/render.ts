// Render pipelines on the runtime's device: instanced point sprites drawn into an offscreen square
// image from storage tensors, then read back as RGBA bytes (the demo pages' particle view).
//
// Offscreen and read back rather than presented through a 'webgpu' canvas context: in headless
// Chromium on SwiftShader (the test machines) getCurrentTexture() on a canvas leaves the WebGPU
// instance unusable ("A valid external Instance reference no longer exists" at the next mapAsync,
// measured with Chromium 156). The bytes go to a 2-D canvas (putImageData) and can be counted.
import type { Runtime } from './runtime';
import type { Tensor } from './tensor';

export interface PointSpriteOptions {
  label: string;
  /** WGSL with entry points vs_main and fs_main; @group(0) @binding(0) is the uniform block,
   * bindings 1.. the storage tensors (read-only), in the order draw() is given them. */
  code: string;
  /** edge of the square image, in pixels */
  size: number;
  /** size of the uniform block in bytes */
  uniformBytes: number;
  /** the clear colour, RGBA in [0, 1] */
  background: { r: number; g: number; b: number; a: number };
}

/** Premultiplied-alpha blending: c = c_src + (1 − α_src)·c_dst. */
const BLEND: GPUBlendComponent = { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' };
const FORMAT: GPUTextureFormat = 'rgba8unorm';

/** An offscreen square image and the render pipeline that draws instanced sprites (a quad each: six
 * vertices, two triangles) into it. */
export class PointSprites {
  readonly size: number;
  private pipeline: GPURenderPipeline | null = null;
  private readonly uniforms: GPUBuffer;
  private readonly texture: GPUTexture;
  private readonly readback: GPUBuffer;
  /** rows of a texture-to-buffer copy are 256-byte aligned */
  private readonly bytesPerRow: number;

  constructor(private readonly rt: Runtime, private readonly options: PointSpriteOptions) {
    const { size, label } = options;
    this.size = size;
    const device = rt.device;
    this.uniforms = device.createBuffer({ size: options.uniformBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: `${label} view` });
    this.texture = device.createTexture({ size: [size, size], format: FORMAT, usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC, label });
    this.bytesPerRow = Math.ceil((size * 4) / 256) * 256;
    this.readback = device.createBuffer({ size: this.bytesPerRow * size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ, label: `${label} readback` });
  }

  private getPipeline(): GPURenderPipeline {
    if (!this.pipeline) {
      const device = this.rt.device;
      const module = device.createShaderModule({ code: this.options.code, label: `${this.options.label}.wgsl` });
      this.pipeline = device.createRenderPipeline({
        layout: 'auto',
        label: this.options.label,
        vertex: { module, entryPoint: 'vs_main' },
        fragment: { module, entryPoint: 'fs_main', targets: [{ format: FORMAT, blend: { color: BLEND, alpha: BLEND } }] },
        primitive: { topology: 'triangle-list' },
      });
    }
    return this.pipeline;
  }

  /**
   * Draws `instances` sprites with the uniform block `uniforms` and the storage tensors `storage`,
   * and resolves with the image: size² RGBA bytes, row by row from the top. The compute work the
   * runtime has recorded is submitted first, so the draw sees the tensors as that work leaves them.
   * Recording and submitting happen in the call (an error there throws); only the readback waits.
   */
  draw(uniforms: ArrayBuffer, storage: readonly Tensor[], instances: number): Promise<Uint8ClampedArray> {
    // Recorded compute work must reach the queue before this write and the draw that reads the tensors.
    this.rt.flush();
    const device = this.rt.device;
    device.queue.writeBuffer(this.uniforms, 0, uniforms);
    const pipeline = this.getPipeline();
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: this.uniforms } }, ...storage.map((t, i) => ({ binding: i + 1, resource: { buffer: t.buffer } }))],
    });
    const encoder = device.createCommandEncoder({ label: this.options.label });
    const pass = encoder.beginRenderPass({ colorAttachments: [{ view: this.texture.createView(), clearValue: this.options.background, loadOp: 'clear', storeOp: 'store' }] });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.draw(6, instances);
    pass.end();
    const size = this.size;
    encoder.copyTextureToBuffer({ texture: this.texture }, { buffer: this.readback, bytesPerRow: this.bytesPerRow }, [size, size]);
    device.queue.submit([encoder.finish()]);
    return this.readImage();
  }

  private async readImage(): Promise<Uint8ClampedArray> {
    const size = this.size;
    await this.readback.mapAsync(GPUMapMode.READ);
    // getMappedRange memory is detached by unmap(): copy the rows out first, without their padding.
    const bytes = new Uint8Array(this.readback.getMappedRange());
    const image = new Uint8ClampedArray(size * size * 4);
    for (let y = 0; y < size; y++) image.set(bytes.subarray(y * this.bytesPerRow, y * this.bytesPerRow + size * 4), y * size * 4);
    this.readback.unmap();
    return image;
  }

  destroy(): void {
    this.uniforms.destroy();
    this.texture.destroy();
    this.readback.destroy();
  }
}
