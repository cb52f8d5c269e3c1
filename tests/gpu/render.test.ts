// PointSprites (src/gpu/render.ts): the particle view's render pipeline, drawn in Node on Dawn
// with the demo's own shader, read back as RGBA bytes.
import { describe, expect, it } from 'vitest';
import { PointSprites } from '../../src/gpu/render';
import { Tensor } from '../../src/gpu/tensor';
import { scale } from '../../src/kernels/elementwise';
import { useRuntime } from '../helpers/gpu';
import source from '../../shaders/render/particles.wgsl?raw';

const ctx = useRuntime();
const SIZE = 64;
const WHITE = { r: 1, g: 1, b: 1, a: 1 };

/** The View uniform of particles.wgsl: identity transform (data = clip coordinates), half size h. */
function view(m: number, d: number, h: number): ArrayBuffer {
  const data = new ArrayBuffer(96);
  new Float32Array(data, 0, 16).set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  new Float32Array(data, 64, 2).set([h, h]);
  new Uint32Array(data, 72, 6).set([m, d, 0, 0, 0, 1]);
  return data;
}

/** RGBA of pixel (column, row), row 0 at the top. */
const pixel = (image: Uint8ClampedArray, col: number, row: number) => Array.from(image.subarray((row * SIZE + col) * 4, (row * SIZE + col) * 4 + 4));
const isWhite = (p: number[]) => p[0] === 255 && p[1] === 255 && p[2] === 255;
/** clip (x, y) → pixel (column, row): x to the right, y up */
const at = (x: number, y: number): [number, number] => [Math.floor(((x + 1) / 2) * SIZE), Math.floor(((1 - y) / 2) * SIZE)];

describe('point sprites', () => {
  it('draws one sprite per instance where its weights put it, coloured by the sign of its readout weight', async () => {
    const { rt } = ctx;
    const sprites = new PointSprites(rt, { label: 'test sprites', code: source, size: SIZE, uniformBytes: 96, background: WHITE });
    // neuron 0 at (0.5, 0.5) with a > 0 (blue), neuron 1 at (−0.5, −0.5) with a < 0 (red)
    const w1 = Tensor.from(rt, [0.5, 0.5, -0.5, -0.5], [1, 2, 2], 'W1');
    const w2 = Tensor.from(rt, [1, -1], [1, 1, 2], 'W2');
    const image = await sprites.draw(view(2, 2, 0.1), [w1, w2], 2);
    expect(image.length).toBe(SIZE * SIZE * 4);
    const blue = pixel(image, ...at(0.5, 0.5));
    const red = pixel(image, ...at(-0.5, -0.5));
    expect(blue[2]).toBeGreaterThan(blue[0]);
    expect(red[0]).toBeGreaterThan(red[2]);
    expect(isWhite(pixel(image, ...at(0.5, -0.5)))).toBe(true);
    expect(isWhite(pixel(image, ...at(0, 0)))).toBe(true);
    // instances beyond the count are not drawn
    const one = await sprites.draw(view(2, 2, 0.1), [w1, w2], 1);
    expect(isWhite(pixel(one, ...at(-0.5, -0.5)))).toBe(true);
    expect(isWhite(pixel(one, ...at(0.5, 0.5)))).toBe(false);
    sprites.destroy();
    w1.dispose();
    w2.dispose();
  });

  it('sees the compute work recorded before the draw', async () => {
    const { rt } = ctx;
    const sprites = new PointSprites(rt, { label: 'test sprites', code: source, size: SIZE, uniformBytes: 96, background: WHITE });
    const w1 = Tensor.from(rt, [0.5, 0.5], [1, 1, 2], 'W1');
    const w2 = Tensor.from(rt, [1], [1, 1, 1], 'W2');
    const flushes = rt.stats.flushes;
    scale(rt, -1, w1); // recorded, not yet submitted: moves the neuron to (−0.5, −0.5)
    expect(rt.stats.flushes).toBe(flushes);
    const image = await sprites.draw(view(1, 2, 0.1), [w1, w2], 1);
    expect(rt.stats.flushes).toBe(flushes + 1);
    expect(isWhite(pixel(image, ...at(-0.5, -0.5)))).toBe(false);
    expect(isWhite(pixel(image, ...at(0.5, 0.5)))).toBe(true);
    sprites.destroy();
    w1.dispose();
    w2.dispose();
  });
});
