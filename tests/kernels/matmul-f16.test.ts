// The f16 matmul path (precision 'f16', and 'f16_emulated' where the adapter lacks shader-f16)
// against float64: the operands' rounding to f16 modelled exactly (roundToF16, itself checked
// against every f16 value), the stated error bound (f16ProductBound, from u = 2⁻¹¹), and proof that
// the rounding really happens.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { roundArrayToF16, roundToF16 } from '../../src/check/reference';
import { EPS16, f16ProductBound } from '../../src/check/tolerance';
import { FeatureUnavailableError, hasFeature } from '../../src/kernels/features';
import { MATMUL_F16_VERSIONS, matmul, matmulPrecisionsFor, matmulProblem, matmulRef, type MatmulPrecision } from '../../src/kernels/matmul';
import { dispatchedPrograms, expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

/** IEEE binary16 bits → value, written independently of roundToF16. */
function f16FromBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

describe('roundToF16 (the float64 model of the conversion)', () => {
  it('matches known f16 encodings', () => {
    expect(roundToF16(0.1)).toBe(f16FromBits(0x2e66)); // 0.0999755859375
    expect(roundToF16(1 / 3)).toBe(f16FromBits(0x3555)); // 0.333251953125
    expect(roundToF16(Math.PI)).toBe(f16FromBits(0x4248)); // 3.140625
    expect(roundToF16(-65504)).toBe(-65504);
    expect(roundToF16(65519.99)).toBe(65504);
    expect(roundToF16(65520)).toBe(Infinity); // the tie goes to the even neighbour 2^16, out of range
    expect(roundToF16(2 ** -24)).toBe(2 ** -24); // smallest subnormal
    expect(roundToF16(2 ** -25)).toBe(0); // tie between 0 and 2⁻²⁴: even
    expect(roundToF16(3 * 2 ** -26)).toBe(2 ** -24);
    expect(roundToF16(1 + 2 ** -11)).toBe(1); // tie: even mantissa
    expect(roundToF16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(Number.isNaN(roundToF16(NaN))).toBe(true);
    expect(Object.is(roundToF16(-0), -0)).toBe(true);
  });

  it('fixes every finite f16 value, rounds every midpoint to the even neighbour and everything else to the nearest', () => {
    const positives: number[] = [];
    for (let h = 0; h < 0x7c00; h++) positives.push(f16FromBits(h));
    let worst = 0;
    const wrong: string[] = []; // collected, one expect at the end (31 744 values)
    const check = (x: number, want: number) => {
      if (!Object.is(roundToF16(x), want) && wrong.length < 5) wrong.push(`roundToF16(${x}) = ${roundToF16(x)}, expected ${want}`);
    };
    for (let i = 0; i < positives.length; i++) {
      const v = positives[i];
      check(v, v);
      check(-v, -v);
      if (i + 1 === positives.length) break;
      const next = positives[i + 1];
      const mid = (v + next) / 2; // exact in float64
      check(mid, i % 2 === 0 ? v : next); // patterns i and i + 1: the even one has an even pattern
      const gap = next - v;
      check(mid - gap / 8, v);
      check(mid + gap / 8, next);
      // the relative error of a normal value's rounding is at most u = 2⁻¹¹
      if (v >= 2 ** -14) worst = Math.max(worst, Math.abs(roundToF16(mid - gap / 1024) - (mid - gap / 1024)) / (mid - gap / 1024));
    }
    expect(wrong).toEqual([]);
    expect(worst).toBeLessThanOrEqual(EPS16);
    expect(worst).toBeGreaterThan(EPS16 * 0.99);
  });
});

interface Case { m: number; n: number; k: number; batch?: number; transA?: boolean; transB?: boolean }
// ragged tiles (v5: 128×64), vec4 and scalar loads, both transposes, a batch
const CASES: Case[] = [
  { m: 1, n: 1, k: 1 },
  { m: 17, n: 19, k: 23 },
  { m: 131, n: 66, k: 20 },
  { m: 132, n: 68, k: 24, transA: true },
  { m: 29, n: 31, k: 37, transB: true, batch: 2 },
  { m: 40, n: 44, k: 36, transA: true, transB: true },
];

/** Per entry: the exact float64 product of the unrounded operands, of the f16-rounded ones, and f16ProductBound. */
function references(aData: Float32Array, bData: Float32Array, p: ReturnType<typeof matmulProblem>) {
  const abs = (x: ArrayLike<number>) => Float64Array.from(x, Math.abs);
  const ones = (x: ArrayLike<number>) => new Float64Array(x.length).fill(1);
  const exact = matmulRef(aData, bData, p);
  const rounded = matmulRef(roundArrayToF16(aData), roundArrayToF16(bData), p);
  const sumAbs = matmulRef(abs(aData), abs(bData), p);
  const rowAbs = matmulRef(abs(aData), ones(bData), p); // Σ_q |a_iq|
  const colAbs = matmulRef(ones(aData), abs(bData), p); // Σ_q |b_qj|
  const bound = Float64Array.from(exact, (_, i) => f16ProductBound(p.k, sumAbs[i], rowAbs[i] + colAbs[i]));
  return { exact, rounded, bound };
}

/** max_ij |gpu − exact| / bound_ij (≤ 1: within the stated accuracy). */
const boundRatio = (got: ArrayLike<number>, exact: ArrayLike<number>, bound: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Number.isNaN(got[i]) ? Infinity : Math.abs(got[i] - exact[i]) / bound[i]);
  return worst;
};

describe('matmul f16 precisions', () => {
  for (const precision of ['f16', 'f16_emulated'] as const satisfies readonly MatmulPrecision[]) {
    for (const c of CASES) {
      it(`${precision} ${c.batch ?? 1}×${c.m}×${c.n}×${c.k}${c.transA ? ' Aᵀ' : ''}${c.transB ? ' Bᵀ' : ''}`, async ({ skip }) => {
        const { rt } = ctx;
        if (precision === 'f16' && !hasFeature(rt, 'shader-f16')) skip("the adapter has no 'shader-f16' (SwiftShader offers none): f16_emulated checks the same rounding");
        const batch = c.batch ?? 1;
        const aShape = c.transA ? [c.k, c.m] : [c.m, c.k];
        const bShape = c.transB ? [c.n, c.k] : [c.k, c.n];
        const aData = testData(batch * c.m * c.k, 7 + c.m);
        const bData = testData(batch * c.n * c.k, 13 + c.n);
        const a = Tensor.from(rt, aData, batch > 1 ? [batch, ...aShape] : aShape, 'A');
        const b = Tensor.from(rt, bData, batch > 1 ? [batch, ...bShape] : bShape, 'B');
        const p = matmulProblem(a, b, c.transA, c.transB);
        const got = await matmul(rt, a, b, { transA: c.transA, transB: c.transB, precision }).read();
        const ref = references(aData, bData, p);
        // the stated accuracy: within f16ProductBound of the unrounded product, entry by entry
        expect(boundRatio(got, ref.exact, ref.bound), 'max |error| / f16ProductBound').toBeLessThanOrEqual(1);
        if (precision === 'f16_emulated') {
          // the rounding is exactly round-to-nearest f16: f32 accuracy against the rounded operands' product
          expectClose(got, ref.rounded, tolerance(c.k), `${precision} against the f16-rounded operands`);
        }
        if (c.k > 1) {
          // and it happens: the result is not the f32 product (which would be within f32 tolerance of the exact one)
          const f32Tol = tolerance(c.k);
          const outside = Array.from(got).some((g, i) => Math.abs(g - ref.exact[i]) > f32Tol.atol + f32Tol.rtol * Math.abs(ref.exact[i]));
          expect(outside, 'some entry differs from the f32 product by more than f32 rounding').toBe(true);
        }
        [a, b].forEach((t) => t.dispose());
      });
    }
  }

  it('measured error at K = 64 … 4096 stays within the bound (f16 where offered, else f16_emulated)', async () => {
    const { rt } = ctx;
    const precision: MatmulPrecision = hasFeature(rt, 'shader-f16') ? 'f16' : 'f16_emulated';
    const [m, n] = [16, 16];
    const lines: string[] = [];
    for (const k of [64, 256, 1024, 4096]) {
      const aData = testData(m * k, k);
      const bData = testData(k * n, k + 1);
      const a = Tensor.from(rt, aData, [m, k]);
      const b = Tensor.from(rt, bData, [k, n]);
      const p = matmulProblem(a, b);
      const got = await matmul(rt, a, b, { precision }).read();
      const ref = references(aData, bData, p);
      let maxErr = 0;
      let maxRel = 0; // relative to Σ|a||b|, the scale of the bound
      const sumAbs = matmulRef(Float64Array.from(aData, Math.abs), Float64Array.from(bData, Math.abs), p);
      for (let i = 0; i < got.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(got[i] - ref.exact[i]));
        maxRel = Math.max(maxRel, Math.abs(got[i] - ref.exact[i]) / sumAbs[i]);
      }
      const ratio = boundRatio(got, ref.exact, ref.bound);
      lines.push(`K=${k}: max |C − C64| = ${maxErr.toExponential(2)}, max |C − C64|/Σ|a||b| = ${maxRel.toExponential(2)}, max error/bound = ${ratio.toFixed(3)}`);
      expect(ratio, `K = ${k}`).toBeLessThanOrEqual(1);
      [a, b].forEach((t) => t.dispose());
    }
    console.log(`f16 matmul accuracy (${precision}, ${m}×${n}×K, operands uniform in [−1, 1]):\n${lines.join('\n')}`);
  });

  it('is never the default, and is refused clearly where it cannot run', async () => {
    const { rt } = ctx;
    const a = Tensor.from(rt, testData(8 * 8, 1), [8, 8]);
    const b = Tensor.from(rt, testData(8 * 8, 2), [8, 8]);
    const programs = await dispatchedPrograms(rt, () => {
      matmul(rt, a, b);
      matmul(rt, a, b, { version: 'v5_bigtile' });
      matmul(rt, a, b, { precision: 'f16_emulated' });
    });
    expect(programs.map((p) => p.label)).toEqual([expect.not.stringMatching(/f16/), 'matmul v5_bigtile vec4 AB', 'matmul v5_bigtile vec4 AB f16_emulated']);
    expect(programs.every((p) => !p.code.startsWith('enable f16;'))).toBe(true);
    expect(MATMUL_F16_VERSIONS).toEqual(['v5_bigtile']);
    expect(matmulPrecisionsFor(rt)).toEqual(hasFeature(rt, 'shader-f16') ? ['f32', 'f16', 'f16_emulated'] : ['f32', 'f16_emulated']);
    expect(() => matmul(rt, a, b, { precision: 'f16_emulated', version: 'v2_regtile' })).toThrow(/precision 'f16_emulated' is implemented by v5_bigtile only, not by v2_regtile/);
    expect(() => matmul(rt, a, b, { precision: 'f8' as never })).toThrow(/unknown precision "f8"; expected one of: f32, f16, f16_emulated/);
    if (!hasFeature(rt, 'shader-f16')) {
      expect(() => matmul(rt, a, b, { precision: 'f16' })).toThrow(FeatureUnavailableError);
      expect(() => matmul(rt, a, b, { precision: 'f16' })).toThrow(/matmul precision 'f16' needs the WebGPU feature 'shader-f16'/);
    }
    [a, b].forEach((t) => t.dispose());
  });
});
