// The particle view: hidden neurons of a two-layer network drawn with a WebGPU render pipeline
// that reads the weight buffers the trainer writes (shaders/render/particles.wgsl), so 10^5 to
// 10^6 neurons cost one instanced draw and no copy of the weights to the CPU. The view
// transform (zoom, pan) is a gl-matrix orthographic matrix.
//
// The drawing is a src/gpu/ facility (src/gpu/render.ts, PointSprites): an offscreen render copied
// into a 2-D canvas here (headless Chromium on SwiftShader cannot present a 'webgpu' canvas; see
// there). The copy also lets the page count the pixels drawn, which is what the tests read
// (headless screenshots of WebGPU output are unreliable).
import { mat4 } from 'gl-matrix';
import type { Runtime } from '../../src/index';
import { PointSprites } from '../../src/gpu/render';
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
  private readonly sprites: PointSprites;
  private busy = false;
  /** half extent of the data square shown */
  radius = 3;
  center: [number, number] = [0, 0];
  frames = 0;
  lastInstances = 0;
  /** pixels that are not background in the last frame */
  lit = 0;

  constructor(rt: Runtime, parent: HTMLElement, opts: { id: string; size?: number }) {
    const size = opts.size ?? 320;
    this.canvas = document.createElement('canvas');
    this.canvas.id = opts.id;
    this.canvas.className = 'gpu-view';
    this.canvas.width = this.canvas.height = size;
    parent.append(this.canvas);
    this.ctx2d = this.canvas.getContext('2d')!;
    this.sprites = new PointSprites(rt, { label: 'particles', code: source, size, uniformBytes: UNIFORM_BYTES, background: BACKGROUND });
    this.canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.radius *= e.deltaY > 0 ? 1.15 : 1 / 1.15;
    }, { passive: false });
  }

  private uniformBlock(src: ParticleSource): ArrayBuffer {
    const [E, m, d] = src.w1.shape;
    const e = Math.min(src.member ?? 0, E - 1);
    const transform = mat4.ortho(mat4.create(), this.center[0] - this.radius, this.center[0] + this.radius, this.center[1] - this.radius, this.center[1] + this.radius, -1, 1);
    const data = new ArrayBuffer(UNIFORM_BYTES);
    new Float32Array(data, 0, 16).set(transform);
    const size = 2.5 / this.canvas.width; // ≈ 1.25 px half size in clip units (clip spans 2)
    new Float32Array(data, 64, 2).set([size, size]);
    new Uint32Array(data, 72, 6).set([m, d, e * m * d, e * src.w2.shape[1] * m, 0, 1]);
    return data;
  }

  /** Draws the neurons of one member (skipped while the previous frame is still on its way). */
  async draw(src: ParticleSource): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const m = src.w1.shape[1];
      // PointSprites submits the compute work recorded so far before its draw reads the weights
      const drawn = this.sprites.draw(this.uniformBlock(src), [src.w1, src.w2], m);
      this.lastInstances = m;
      const pixels = await drawn;
      const size = this.canvas.width;
      const image = this.ctx2d.createImageData(size, size);
      image.data.set(pixels);
      let lit = 0;
      for (let x = 0; x < pixels.length; x += 4) if (pixels[x] !== 255 || pixels[x + 1] !== 255 || pixels[x + 2] !== 255) lit++;
      this.ctx2d.putImageData(image, 0, 0);
      this.lit = lit;
      this.frames++;
    } finally {
      this.busy = false;
    }
  }

  destroy(): void {
    this.sprites.destroy();
    this.canvas.remove();
  }
}
