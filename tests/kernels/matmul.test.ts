// Every matmul version against the float64 reference, over awkward shapes.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { activationRef } from '../../src/kernels/activations';
import { MATMUL_VERSIONS, chooseMatmulVersion, matmul, matmulProblem, matmulRef, vec4Path } from '../../src/kernels/matmul';
import { expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

interface Case { m: number; n: number; k: number; batchA?: number; batchB?: number; transA?: boolean; transB?: boolean }

// 1, primes, non-multiples of every tile (8, 32, 64), K ≫ M and N, batches, broadcasts, transposes.
const CASES: Case[] = [
  { m: 1, n: 1, k: 1 },
  { m: 1, n: 7, k: 3 },
  { m: 13, n: 1, k: 5 },
  { m: 17, n: 19, k: 23 },
  { m: 64, n: 64, k: 64 },
  { m: 65, n: 67, k: 31 },
  { m: 33, n: 36, k: 40 },            // vec4-aligned K and N, ragged M
  { m: 3, n: 5, k: 4099 },            // K ≫ M, N
  { m: 7, n: 11, k: 13, batchA: 3, batchB: 3 },
  { m: 7, n: 12, k: 16, batchA: 4, batchB: 1 },  // B broadcast
  { m: 9, n: 8, k: 5, batchA: 1, batchB: 2 },    // A broadcast
  { m: 29, n: 31, k: 37, transA: true },
  { m: 29, n: 31, k: 37, transB: true },
  { m: 33, n: 30, k: 40, transB: true, batchA: 2, batchB: 1 },  // vec4 along K for both (x·Wᵀ)
  { m: 40, n: 44, k: 36, transA: true, transB: true, batchA: 2, batchB: 2 },
  // past v5's 128×64 tile: vec4 A along K with scalar B; vec4 Aᵀ along M; vec4 Bᵀ along K, batched
  { m: 131, n: 66, k: 20 },
  { m: 132, n: 68, k: 24, transA: true },
  { m: 129, n: 130, k: 36, transB: true, batchA: 2, batchB: 2 },
];

function operands(c: Case) {
  const aShape = c.transA ? [c.k, c.m] : [c.m, c.k];
  const bShape = c.transB ? [c.n, c.k] : [c.k, c.n];
  const ba = c.batchA ?? 1;
  const bb = c.batchB ?? 1;
  return {
    aShape: ba > 1 || bb > 1 ? [ba, ...aShape] : aShape,
    bShape: ba > 1 || bb > 1 ? [bb, ...bShape] : bShape,
    aData: testData(ba * c.m * c.k, 11 + c.m),
    bData: testData(bb * c.n * c.k, 29 + c.n),
  };
}

describe('matmul', () => {
  for (const version of MATMUL_VERSIONS) {
    // v4 runs one workgroup per output (small outputs, K ≫ M·N): the cases past v5's tile would take minutes on a CPU adapter
    for (const c of CASES.filter((c) => version !== 'v4_splitk' || c.m * c.n * Math.max(c.batchA ?? 1, c.batchB ?? 1) <= 8192)) {
      it(`${version} ${c.batchA ?? 1}/${c.batchB ?? 1}×${c.m}×${c.n}×${c.k}${c.transA ? ' Aᵀ' : ''}${c.transB ? ' Bᵀ' : ''}`, async () => {
        const { rt } = ctx;
        const o = operands(c);
        const a = Tensor.from(rt, o.aData, o.aShape, 'A');
        const b = Tensor.from(rt, o.bData, o.bShape, 'B');
        const p = matmulProblem(a, b, c.transA, c.transB);
        const out = matmul(rt, a, b, { transA: c.transA, transB: c.transB, version });
        const ref = matmulRef(o.aData, o.bData, p);
        expectClose(await out.read(), ref, tolerance(c.k), `${version}${version === 'v2_regtile' && vec4Path(p) ? ` (vec4 ${vec4Path(p)})` : ''}`);
        [a, b, out].forEach((t) => t.dispose());
      });
    }

    it(`${version} fused epilogue: φ(α·AB + β·C + bias) with broadcast and batched bias`, async () => {
      const { rt } = ctx;
      const [m, n, k, batch] = [19, 21, 17, 2];
      const aData = testData(batch * m * k, 3);
      const bData = testData(k * n, 4);
      const cData = testData(batch * m * n, 5);
      for (const [biasData, act] of [[testData(n, 6), 'tanh'], [testData(batch * n, 7), 'relu']] as const) {
        const a = Tensor.from(rt, aData, [batch, m, k], 'A');
        const b = Tensor.from(rt, bData, [k, n], 'B');
        const c = Tensor.from(rt, cData, [batch, m, n], 'C');
        const bias = Tensor.from(rt, biasData, [biasData.length], 'bias');
        matmul(rt, a, b, { version, alpha: 0.5, beta: -1.5, out: c, bias, biasScale: 0.75, activation: act });
        const ref = matmulRef(aData, bData, matmulProblem(a, b), { alpha: 0.5, beta: -1.5, c: cData, bias: biasData, biasScale: 0.75, activation: activationRef(act, 0) });
        expectClose(await c.read(), ref, tolerance(k, 2), `${version} epilogue ${act}`);
      }
    });
  }

  it('β = 0 never reads C: NaN already in the output buffer does not leak', async () => {
    const { rt } = ctx;
    const a = Tensor.from(rt, testData(12, 1), [3, 4]);
    const b = Tensor.from(rt, testData(8, 2), [4, 2]);
    const c = Tensor.from(rt, new Float32Array(6).fill(NaN), [3, 2]);
    matmul(rt, a, b, { out: c });
    const ref = matmulRef(testData(12, 1), testData(8, 2), matmulProblem(a, b));
    expectClose(await c.read(), ref, tolerance(4));
  });

  it('NaN in an operand comes out as NaN in every version', async () => {
    const { rt } = ctx;
    const aData = testData(5 * 8, 1);
    aData[2 * 8 + 3] = NaN; // row 2
    const a = Tensor.from(rt, aData, [5, 8]);
    const b = Tensor.from(rt, testData(8 * 4, 2), [8, 4]);
    for (const version of MATMUL_VERSIONS) {
      const out = await matmul(rt, a, b, { version, activation: 'relu' }).read();
      for (let i = 0; i < 5; i++) for (let j = 0; j < 4; j++) expect(Number.isNaN(out[i * 4 + j]), `${version} (${i},${j})`).toBe(i === 2);
    }
  });

  it('the version is chosen in one place', () => {
    const base = { batch: 1, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    expect(chooseMatmulVersion({ ...base, m: 4, n: 4, k: 100000 }, { software: false })).toBe('v4_splitk');
    expect(chooseMatmulVersion({ ...base, m: 4, n: 4, k: 100000 }, { software: true })).toBe('v2_regtile');
    expect(chooseMatmulVersion({ ...base, m: 512, n: 512, k: 512 }, { software: true })).toBe('v2_regtile');
    expect(chooseMatmulVersion({ ...base, m: 512, n: 512, k: 512 }, { software: false })).toBe('v3_smem');
    // autotuning found v5's large tiles faster on this GPU: large outputs take them, small ones stay on v3
    expect(chooseMatmulVersion({ ...base, m: 512, n: 512, k: 512 }, { software: false }, 'v5_bigtile')).toBe('v5_bigtile');
    expect(chooseMatmulVersion({ ...base, m: 64, n: 512, k: 512 }, { software: false }, 'v5_bigtile')).toBe('v3_smem');
    expect(chooseMatmulVersion({ ...base, m: 512, n: 512, k: 512 }, { software: true }, 'v5_bigtile')).toBe('v2_regtile');
  });
});
