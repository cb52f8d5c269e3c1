// The learned function of a 2-D task as a heatmap: values on a G×G grid over the square
// [−r, r]², painted into a 2-D canvas through a gl-matrix transform (grid cell → pixel), with
// the training points (coloured by label) and the zero level of a second field (the
// kernel-regression prediction) overlaid. 2-D canvases screenshot normally in headless tests.
import { mat2d, vec2 } from 'gl-matrix';

export class Heatmap {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  /** filled cells in the last draw (what tests read) */
  cells = 0;

  constructor(parent: HTMLElement, opts: { id: string; size?: number }) {
    this.canvas = document.createElement('canvas');
    this.canvas.id = opts.id;
    this.canvas.width = this.canvas.height = opts.size ?? 320;
    parent.append(this.canvas);
    this.ctx = this.canvas.getContext('2d')!;
  }

  /** The grid points, row-major from (−r, −r): what the caller evaluates the functions on. */
  static grid(g: number, r: number): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < g; i++) for (let j = 0; j < g; j++) out.push([-r + (2 * r * (j + 0.5)) / g, -r + (2 * r * (i + 0.5)) / g]);
    return out;
  }

  /**
   * values: G·G numbers (row-major, as `grid`); overlay: the same layout (its zero level is drawn);
   * points: [x, y, label]; r: half extent of the square.
   */
  draw(values: number[], g: number, r: number, opts: { overlay?: number[] | null; points?: [number, number, number][] } = {}): void {
    const { ctx, canvas } = this;
    const size = canvas.width;
    // data (x, y) → pixel: scale by size/(2r), flip y, move the origin to the centre
    const toPixel = mat2d.create();
    mat2d.translate(toPixel, toPixel, [size / 2, size / 2]);
    mat2d.scale(toPixel, toPixel, [size / (2 * r), -size / (2 * r)]);
    const scale = Math.max(1e-12, ...values.map((v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
    const image = ctx.createImageData(g, g);
    this.cells = 0;
    for (let i = 0; i < g; i++) for (let j = 0; j < g; j++) {
      const v = values[i * g + j];
      const p = 4 * ((g - 1 - i) * g + j); // image rows top to bottom = y from r down to −r
      const t = Number.isFinite(v) ? Math.max(-1, Math.min(1, v / scale)) : 0;
      if (Number.isFinite(v)) this.cells++;
      // diverging: blue (> 0) – white – red (< 0)
      image.data[p] = t < 0 ? 255 : Math.round(255 * (1 - t * 0.85));
      image.data[p + 1] = Math.round(255 * (1 - Math.abs(t) * 0.6));
      image.data[p + 2] = t > 0 ? 255 : Math.round(255 * (1 + t * 0.85));
      image.data[p + 3] = 255;
    }
    const cellCanvas = new OffscreenCanvas(g, g);
    cellCanvas.getContext('2d')!.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(cellCanvas, 0, 0, size, size);
    const px = (x: number, y: number) => vec2.transformMat2d(vec2.create(), [x, y], toPixel);
    if (opts.overlay) {
      // zero level of the overlay: a dot on every grid edge where it changes sign
      ctx.fillStyle = '#111';
      const at = (i: number, j: number) => opts.overlay![i * g + j];
      const cell = (2 * r) / g;
      for (let i = 0; i < g; i++) for (let j = 0; j < g; j++) {
        const here = at(i, j);
        for (const [di, dj] of [[0, 1], [1, 0]]) {
          if (i + di >= g || j + dj >= g) continue;
          const there = at(i + di, j + dj);
          if (Math.sign(here) !== Math.sign(there)) {
            const f = here / (here - there);
            const [x, y] = px(-r + cell * (j + 0.5 + dj * f), -r + cell * (i + 0.5 + di * f));
            ctx.fillRect(x - 1, y - 1, 2, 2);
          }
        }
      }
    }
    for (const [x, y, label] of opts.points ?? []) {
      const [u, v] = px(x, y);
      ctx.beginPath();
      ctx.arc(u, v, 3, 0, 2 * Math.PI);
      ctx.fillStyle = label > 0 ? '#0b3d91' : '#8b1a10';
      ctx.strokeStyle = '#fff';
      ctx.fill();
      ctx.stroke();
    }
  }
}
