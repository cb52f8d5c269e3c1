import { describe, expect, it } from 'vitest';
import { UnknownActivationError } from '../../src/gpu/errors';
import { Tensor } from '../../src/gpu/tensor';
import { ACTIVATION_NAMES, activationRef, erf64 } from '../../src/kernels/activations';
import { activate, activateWithDerivative, add, axpy, broadcastProduct, broadcastProductRef, contiguousStrides, elementwiseRef, hadamard, scale, secondOrderAdjoints, secondOrderTangents } from '../../src/kernels/elementwise';
import { EPS32, expectClose, testData, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('erf', () => {
  it('float64 reference matches known values', () => {
    // erf(0.5), erf(1), erf(2), erf(3.5) to 15 digits (Abramowitz & Stegun Table 7.1 / DLMF)
    expect(erf64(0.5)).toBeCloseTo(0.520499877813047, 14);
    expect(erf64(1)).toBeCloseTo(0.842700792949715, 14);
    expect(erf64(2)).toBeCloseTo(0.995322265018953, 14);
    expect(erf64(-3.5)).toBeCloseTo(-0.999999256901628, 14);
  });

  it('WGSL erf has max |error| ≤ 1e-6 over the reals', async () => {
    const { rt } = ctx;
    // dense grid on [-8, 8] (covers the series/approximation switch at |x| = 1) plus huge values
    const xs: number[] = [];
    for (let i = -80000; i <= 80000; i++) xs.push(i * 1e-4);
    xs.push(-1e30, -50, 50, 1e30, 1e-30, -1e-30, 0.9999999, 1.0000001);
    const x = Float32Array.from(xs);
    const y = await activate(rt, Tensor.from(rt, x), 'erf').read();
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i] - erf64(x[i])));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });
});

describe('activations', () => {
  const x = Float32Array.from([...testData(997, 5, -6, 6), 0, -0, 1e-8, -1e-8, 20, -20, 88, -88]);
  for (const name of ACTIVATION_NAMES) {
    it(`${name}: φ, φ', φ'' and the fused pass against float64`, async () => {
      const { rt } = ctx;
      const t = Tensor.from(rt, x);
      for (const order of [0, 1, 2] as const) {
        const ref = elementwiseRef.activate(x, name, order);
        expectClose(await activate(rt, t, name, order).read(), ref, { atol: 2e-6, rtol: 4e-6 }, `${name} order ${order}`);
      }
      const { act, dact } = activateWithDerivative(rt, t, name);
      expectClose(await act.read(), elementwiseRef.activate(x, name, 0), { atol: 2e-6, rtol: 4e-6 }, `${name} fused φ`);
      expectClose(await dact.read(), elementwiseRef.activate(x, name, 1), { atol: 2e-6, rtol: 4e-6 }, `${name} fused φ'`);
    });
  }

  it('NaN comes out as NaN for every activation and derivative', async () => {
    const { rt } = ctx;
    const t = Tensor.from(rt, [NaN, 1, NaN, -1]);
    for (const name of ACTIVATION_NAMES) {
      for (const order of [0, 1, 2] as const) {
        const y = await activate(rt, t, name, order).read();
        expect([Number.isNaN(y[0]), Number.isNaN(y[2])], `${name} order ${order}`).toEqual([true, true]);
        expect(Number.isNaN(y[1]), `${name} order ${order} on a number`).toBe(Number.isNaN(activationRef(name, order)(1)));
      }
    }
  });

  it('an unknown activation is refused by name, with the known ones listed', () => {
    const { rt } = ctx;
    const t = Tensor.from(rt, [1, 2]);
    expect(() => activate(rt, t, 'swish')).toThrow(UnknownActivationError);
    expect(() => activate(rt, t, 'swish')).toThrow(/unknown activation "swish"; expected one of: identity, relu/);
  });
});

describe('binary and in-place kernels', () => {
  for (const n of [1, 5, 257, 100003]) {
    it(`add, hadamard, axpy, scale on ${n} elements`, async () => {
      const { rt } = ctx;
      const xd = testData(n, 1);
      const yd = testData(n, 2);
      const x = Tensor.from(rt, xd);
      const y = Tensor.from(rt, yd);
      // one rounding per product and per sum: atol scales with |α| + |β| (operands are in [−1, 1])
      const tol = { atol: 2 * 5 * EPS32, rtol: 2 * EPS32 };
      expectClose(await add(rt, x, y, 2, -3).read(), elementwiseRef.add(xd, yd, 2, -3), tol, 'add');
      expectClose(await hadamard(rt, x, y, 0.5).read(), elementwiseRef.hadamard(xd, yd, 0.5), tol, 'hadamard');
      axpy(rt, 1.5, x, y);
      expectClose(await y.read(), elementwiseRef.add(xd, yd, 1.5, 1), tol, 'axpy');
      scale(rt, -2, x);
      expectClose(await x.read(), elementwiseRef.add(xd, xd, -2, 0), tol, 'scale');
    });
  }

  it('mismatched sizes are refused with both names and shapes', () => {
    const { rt } = ctx;
    expect(() => add(rt, Tensor.zeros(rt, [3], 'u'), Tensor.zeros(rt, [4], 'v'))).toThrow(/"u" has 3 elements \[3\] but "v" has 4/);
  });
});

describe('the quadratic model\'s fused passes (secondOrderTangents, secondOrderAdjoints)', () => {
  // 1, a prime, one past the workgroup (256), a [E, n, m] batch of 3 × 7 × 131
  for (const n of [1, 13, 257, 3 * 7 * 131]) {
    it(`against float64 on ${n} elements, with and without ḧ`, async () => {
      const { rt } = ctx;
      const [a, c, v, w, b] = [1, 2, 3, 4, 5].map((seed) => testData(n, seed));
      const t = (d: Float32Array) => Tensor.from(rt, d, [n]);
      // at most three roundings a value (ẍ = φ''·ḣ·ḣ + φ'·ḧ), operands in [−1, 1]
      const tol = { atol: 4 * 2 * EPS32, rtol: 4 * EPS32 };
      for (const ddh of [t(w), null]) {
        const out = secondOrderTangents(rt, t(a), t(c), t(v), ddh);
        const want = elementwiseRef.secondOrderTangents(a, c, v, ddh ? w : null);
        expectClose(await out.dx.read(), want.dx, tol, 'ẋ');
        expectClose(await out.t.read(), want.t, tol, 't');
        expectClose(await out.ddx.read(), want.ddx, tol, ddh ? 'ẍ' : 'ẍ without ḧ');
      }
      const adj = secondOrderAdjoints(rt, t(a), t(c), t(b), t(w));
      const wantAdj = elementwiseRef.secondOrderAdjoints(a, c, b, w);
      expectClose(await adj.d.read(), wantAdj.d, tol, 'δ');
      expectClose(await adj.g.read(), wantAdj.g, tol, 'g');
    });
  }

  it('refuses operands of different sizes, naming them', () => {
    const { rt } = ctx;
    expect(() => secondOrderTangents(rt, Tensor.zeros(rt, [3], 'phi1'), Tensor.zeros(rt, [3], 'phi2'), Tensor.zeros(rt, [4], 'hdot'), null)).toThrow(/"phi1" has 3 elements \[3\] but "hdot" has 4/);
    expect(() => secondOrderAdjoints(rt, Tensor.zeros(rt, [3], 'phi1'), Tensor.zeros(rt, [3], 't'), Tensor.zeros(rt, [3], 'back'), Tensor.zeros(rt, [2], 'a'))).toThrow(/"phi1" has 3 elements \[3\] but "a" has 2/);
  });
});

describe('broadcast product z = α·x·(y + γ) + β·z', () => {
  // [shape, x strides, y strides]: full, row broadcast, column broadcast, rank 5 with two broadcast axes (the NTK's layout)
  const CASES: [number[], (s: number[]) => number[], (s: number[]) => number[]][] = [
    [[7], (s) => contiguousStrides(s), (s) => contiguousStrides(s)],
    [[5, 3], (s) => contiguousStrides(s), () => [0, 1]],
    [[5, 3], () => [1, 0], (s) => contiguousStrides(s)],
    [[2, 3, 5, 3, 5], (s) => contiguousStrides(s), () => [25, 0, 5, 0, 1]],
    [[1, 1, 1, 1, 1, 1], (s) => contiguousStrides(s), (s) => contiguousStrides(s)],
    [[2, 3, 2, 3, 2, 7], (s) => contiguousStrides(s), () => [0, 14, 0, 0, 7, 1]],
  ];
  for (const [shape, xs, ys] of CASES) {
    it(`over [${shape}]`, async () => {
      const { rt } = ctx;
      const sx = xs(shape);
      const sy = ys(shape);
      const size = (st: number[]) => shape.reduce((a, d, i) => a + (d - 1) * st[i], 0) + 1;
      const xd = testData(size(sx), 1);
      const yd = testData(size(sy), 2);
      const zd = testData(shape.reduce((a, b) => a * b, 1), 3);
      const z = Tensor.from(rt, zd, [zd.length], 'z');
      broadcastProduct(rt, shape, { tensor: Tensor.from(rt, xd), strides: sx }, { tensor: Tensor.from(rt, yd), strides: sy }, { alpha: 1.5, beta: -0.5, gamma: 0.25, out: z });
      expectClose(await z.read(), broadcastProductRef(shape, xd, sx, yd, sy, { alpha: 1.5, beta: -0.5, gamma: 0.25, z: zd }), { atol: 8 * EPS32, rtol: 4 * EPS32 }, 'broadcast');
    });
  }
  it('reads operands from a base offset', async () => {
    const { rt } = ctx;
    const xd = testData(40, 4);
    const yd = testData(12, 5);
    const z = broadcastProduct(rt, [3, 4], { tensor: Tensor.from(rt, xd), strides: [10, 1], offset: 7 }, { tensor: Tensor.from(rt, yd), strides: [0, 1], offset: 5 });
    expectClose(await z.read(), broadcastProductRef([3, 4], xd, [10, 1], yd, [0, 1], { ox: 7, oy: 5 }), { atol: 4 * EPS32, rtol: 4 * EPS32 }, 'offsets');
    expect(() => broadcastProduct(rt, [3, 4], { tensor: Tensor.from(rt, xd), strides: [10, 1], offset: 20 }, { tensor: Tensor.from(rt, yd), strides: [0, 1] })).toThrow(/too small/);
  });

  it('refuses an operand too small for its strides', () => {
    const { rt } = ctx;
    expect(() => broadcastProduct(rt, [4, 4], { tensor: Tensor.zeros(rt, [4], 'v'), strides: [1, 1] }, { tensor: Tensor.zeros(rt, [16]), strides: [4, 1] })).toThrow(/"v" \(4 elements\) is too small/);
  });
});
