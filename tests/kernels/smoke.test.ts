import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { matmul, matmulProblem, matmulRef } from '../../src/kernels/matmul';
import { expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
describe('smoke', () => {
  it('round-trips a tensor and multiplies', async () => {
    const { rt } = ctx;
    const a = Tensor.from(rt, testData(6, 1), [2, 3], 'A');
    expect(Array.from(await a.read())).toEqual(Array.from(testData(6, 1)));
    const b = Tensor.from(rt, testData(12, 2), [3, 4], 'B');
    for (const version of ['v1_naive', 'v2_regtile', 'v3_smem', 'v4_splitk'] as const) {
      const c = matmul(rt, a, b, { version });
      const ref = matmulRef(testData(6, 1), testData(12, 2), matmulProblem(a, b));
      expectClose(await c.read(), ref, tolerance(3), version);
    }
  });
});
