// Dawn's toggles in Node (src/gpu/device.ts dawnToggles): timestamps at full resolution
// (timestamp_quantization disabled; with Dawn's default every pass's timestamp difference here was
// a multiple of 65 536 ns), and an f16 request refused by name where the adapter has no shader-f16.
import { describe, expect, it } from 'vitest';
import { Runtime } from '../../src/gpu/runtime';
import { NoAdapterError } from '../../src/gpu/errors';
import { dawnFlags, dawnToggles } from '../../src/gpu/device';
import { randn } from '../../src/kernels/init';
import { matmul } from '../../src/kernels/matmul';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('Dawn toggles', () => {
  it('the create() flags: quantisation always off, the NVIDIA f16 toggle only when f16 is asked', () => {
    expect(dawnFlags(dawnToggles({}))).toEqual(['disable-dawn-features=timestamp_quantization']);
    expect(dawnFlags(dawnToggles({ f16: true }))).toEqual(['enable-dawn-features=vulkan_enable_f16_on_nvidia', 'disable-dawn-features=timestamp_quantization']);
    expect(ctx.rt.ctx.adapter.dawnToggles).toEqual({ enabled: [], disabled: ['timestamp_quantization'] });
  });

  it('GPU times are not quantised to 65 536 ns', async () => {
    const { rt } = ctx;
    if (!rt.ctx.hasTimestamps) return expect(rt.ctx.adapter.features).not.toContain('timestamp-query');
    const a = randn(rt, [32, 32], { seed: 1 });
    const ns: number[] = [];
    for (let i = 0; i < 6; i++) ns.push(Math.round((await rt.time(() => matmul(rt, a, a))).ms * 1e6));
    a.dispose();
    // quantised, every value would be a multiple of 2^16 ns; at full resolution that has odds of 2^-16 per value
    expect(ns.filter((t) => t % 65536 !== 0).length, `timestamps (ns): ${ns.join(', ')}`).toBeGreaterThan(0);
  });

  it('f16 asked on an adapter without shader-f16 is refused with the adapter named', async () => {
    if (ctx.rt.ctx.adapter.features.includes('shader-f16')) {
      const rt = await Runtime.create({ f16: true });
      expect(rt.ctx.adapter.features).toContain('shader-f16');
      expect(rt.ctx.adapter.dawnToggles?.enabled).toContain('vulkan_enable_f16_on_nvidia');
      rt.destroy();
      return;
    }
    const error = await Runtime.create({ f16: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAdapterError);
    expect((error as Error).message).toMatch(/f16 was requested but the adapter \(.+\) does not offer 'shader-f16'/);
  });
});
