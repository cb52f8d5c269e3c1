// A submit that throws during a readback: the caller gets the error, and nothing is left behind as
// an unhandled rejection (which would end a Node process, e.g. the CLI, even though the caller
// caught the error).
import { expect, it } from 'vitest';
import type { Runtime } from '../../src/gpu/runtime';
import { Tensor } from '../../src/gpu/tensor';
import { scale } from '../../src/kernels/elementwise';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

/** Runs `fn` while the device's queue.submit throws, then restores it. */
async function withFailingSubmit(rt: Runtime, fn: () => Promise<void>): Promise<void> {
  const queue = rt.device.queue;
  const submit = queue.submit;
  queue.submit = () => {
    throw new Error('injected submit failure');
  };
  try {
    await fn();
  } finally {
    queue.submit = submit;
  }
}

it('a submit that throws rejects the reads waiting on it and leaves the runtime usable', async () => {
  const { rt } = ctx;
  const t = Tensor.from(rt, [1, 2, 3]);
  scale(rt, 2, t);
  await withFailingSubmit(rt, async () => {
    await expect(t.read()).rejects.toThrow('injected submit failure');
  });
  // the next dispatch records into a new encoder (before the fix: "[CommandEncoder] is already finished")
  scale(rt, 2, t);
  expect(Array.from(await t.read()).every((v) => Number.isFinite(v))).toBe(true);
  t.dispose();
});

it('a failed submit during read() leaves no unhandled rejection behind', async () => {
  const { rt } = ctx;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const t = Tensor.from(rt, [1, 2, 3]);
  scale(rt, 2, t);
  await withFailingSubmit(rt, async () => {
    expect(() => rt.read(t, t.bytes)).toThrow('injected submit failure');
  });
  await new Promise((r) => setTimeout(r, 100));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled.map((e) => (e as Error).message)).toEqual([]);
  // and the runtime is still usable
  expect(Array.from(await t.read()).every(Number.isFinite)).toBe(true);
  t.dispose();
});
