import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { rand, randn } from '../../src/kernels/init';
import { philox4x32, randomRef } from '../../src/kernels/rng';
import { expectClose, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('Philox random init', () => {
  it('matches the Philox-4x32-10 known-answer vectors (Random123 kat_vectors)', () => {
    expect(philox4x32([0, 0, 0, 0], [0, 0]).map((v) => v.toString(16).padStart(8, '0'))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    expect(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]).map((v) => v.toString(16).padStart(8, '0'))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
  });

  it('uniform values are bit-identical to the CPU generator', async () => {
    const { rt } = ctx;
    const got = await rand(rt, [1001], { seed: 2 ** 40 + 17, stream: 3, stream2: 9 }).read();
    const ref = randomRef('uniform', { seed: 2 ** 40 + 17, stream: 3, stream2: 9 }, 0, 1001);
    expect(Array.from(got)).toEqual(Array.from(ref, Math.fround));
  });

  it('normal values match the float64 Box–Muller of the same bits', async () => {
    const { rt } = ctx;
    const got = await randn(rt, [4099], { seed: 5, mean: 1, scale: 2 }).read();
    const ref = randomRef('normal', { seed: 5 }, 0, 4099, 1, 2);
    expectClose(got, ref, { atol: 2e-6, rtol: 2e-6 }, 'randn');
    const mean = got.reduce((a, b) => a + b) / got.length;
    const variance = got.reduce((a, b) => a + (b - mean) ** 2, 0) / got.length;
    expect(Math.abs(mean - 1)).toBeLessThan(5 * 2 / Math.sqrt(4099));
    expect(Math.abs(variance - 4)).toBeLessThan(0.3);
  });

  it('the same numbers however the work is split into chunks (any offset, any length)', async () => {
    const { rt } = ctx;
    const whole = await randn(rt, [1000], { seed: 11, stream: 1 }).read();
    const pieces: number[] = [];
    for (const [offset, n] of [[0, 3], [3, 1], [4, 250], [254, 333], [587, 413]]) {
      pieces.push(...(await randn(rt, [n], { seed: 11, stream: 1, offset }).read()));
    }
    expect(pieces).toEqual(Array.from(whole));
  });

  it('different seeds and streams give different numbers', async () => {
    const { rt } = ctx;
    const a = await randn(rt, [64], { seed: 1 }).read();
    const b = await randn(rt, [64], { seed: 2 }).read();
    const c = await randn(rt, [64], { seed: 1, stream: 1 }).read();
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('fills an existing tensor', async () => {
    const { rt } = ctx;
    const t = Tensor.zeros(rt, [8], 'w');
    randn(rt, [8], { seed: 3, out: t });
    expect((await t.read()).some((v) => v !== 0)).toBe(true);
  });
});
