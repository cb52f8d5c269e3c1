// The CPU data module: seeded PRNG, generated input sets, targets and buildDataSet.
import { describe, it, expect } from 'vitest';
import { countSharedInputs } from '../../src/spec/warnings';
import {
  DataError,
  Rng,
  activationRms,
  buildDataSet,
  deriveSeed,
  encodeLabels,
  generateClassification,
  generateInputs,
  makeTarget,
} from '../../src/data/index';
import type { DataSetSpec, GeneratedKind, TargetSpec } from '../../src/spec/schema';

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('Rng', () => {
  it('is deterministic per (seed, stream) and differs across seeds and streams', () => {
    const draw = (seed: number, stream = 0) => {
      const r = new Rng(seed, stream);
      return Array.from({ length: 16 }, () => r.nextU32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7, 0)).not.toEqual(draw(7, 1));
    // seeds that share their low 32 bits still differ
    expect(draw(5)).not.toEqual(draw(5 + 2 ** 32));
    expect(draw(Number.MAX_SAFE_INTEGER)).toEqual(draw(Number.MAX_SAFE_INTEGER));
  });

  it('gives uniforms in [0, 1) and standard normals', () => {
    const r = new Rng(1);
    const u = Array.from({ length: 20000 }, () => r.uniform());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.0102); // 5 σ, σ = √(1/12/n)
    const z = Array.from({ length: 20000 }, () => r.normal());
    expect(Math.abs(mean(z))).toBeLessThan(0.036); // 5 σ
    expect(Math.abs(mean(z.map((v) => v * v)) - 1)).toBeLessThan(0.05); // 5 σ, σ = √(2/n)
  });

  it('refuses bad seeds and derives safe seeds', () => {
    expect(() => new Rng(-1)).toThrow(/non-negative integer/);
    expect(() => new Rng(1.5)).toThrow(/received 1.5/);
    const s = deriveSeed(3, 3);
    expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
    expect(s).toBe(deriveSeed(3, 3));
    expect(s).not.toBe(deriveSeed(4, 3));
  });
});

describe('generateInputs', () => {
  const kinds: GeneratedKind[] = ['circle', 'sphere', 'gaussian', 'spirals', 'xor', 'circles'];

  it('has the right shape and is deterministic per seed', () => {
    for (const kind of kinds) {
      const d = kind === 'sphere' || kind === 'gaussian' ? 5 : 2;
      const a = generateInputs(kind, 33, d, 11, 0.05);
      expect(a).toHaveLength(33);
      for (const row of a) expect(row).toHaveLength(d);
      expect(a.flat().every(Number.isFinite)).toBe(true);
      expect(generateInputs(kind, 33, d, 11, 0.05)).toEqual(a);
      expect(generateInputs(kind, 33, d, 12, 0.05)).not.toEqual(a);
    }
  });

  it('puts circle points exactly on the unit circle at angles 2πi/n', () => {
    const n = 12;
    const x = generateInputs('circle', n, 2, 0);
    x.forEach(([a, b], i) => {
      expect(Math.hypot(a, b)).toBeCloseTo(1, 14);
      expect(a).toBe(Math.cos((2 * Math.PI * i) / n));
      expect(b).toBe(Math.sin((2 * Math.PI * i) / n));
    });
    // noiseless circle does not depend on the seed
    expect(generateInputs('circle', n, 2, 99)).toEqual(x);
  });

  it('puts sphere points on the sphere of radius √d (or the radius given), roughly centred', () => {
    const x = generateInputs('sphere', 5000, 4, 3);
    for (const row of x) expect(Math.hypot(...row)).toBeCloseTo(2, 12); // √4
    for (let j = 0; j < 4; j++) expect(Math.abs(mean(x.map((r) => r[j])))).toBeLessThan(0.071); // 5 σ, σ = √(r²/d/n) = √(1/n)
    // an explicit radius scales the same directions
    const unit = generateInputs('sphere', 5000, 4, 3, 0, 1);
    unit.forEach((row, i) => row.forEach((v, j) => expect(2 * v).toBeCloseTo(x[i][j], 12)));
    expect(() => generateInputs('sphere', 5, 4, 3, 0, 0)).toThrow('expected a sphere radius: a finite number > 0; received 0');
  });

  it('draws gaussian inputs with mean 0 and identity covariance (n = 20000)', () => {
    const n = 20000;
    const d = 3;
    const x = generateInputs('gaussian', n, d, 5);
    for (let j = 0; j < d; j++) {
      const col = x.map((r) => r[j]);
      expect(Math.abs(mean(col))).toBeLessThan(0.036); // 5 σ, σ = 1/√n ≈ 0.0071
      expect(Math.abs(mean(col.map((v) => v * v)) - 1)).toBeLessThan(0.05); // 5 σ, σ = √(2/n) = 0.01
      for (let k = j + 1; k < d; k++) expect(Math.abs(mean(x.map((r) => r[j] * r[k])))).toBeLessThan(0.036);
    }
  });

  it('refuses planar kinds off the plane and unknown kinds, with clear messages', () => {
    expect(() => generateInputs('circle', 8, 3, 0)).toThrow(DataError);
    expect(() => generateInputs('circle', 8, 3, 0)).toThrow('data kind "circle" is planar: expected inputDim = 2 (or use "sphere" or "gaussian"); received inputDim = 3');
    expect(() => generateInputs('spirals', 8, 1, 0)).toThrow(/planar/);
    expect(() => generateInputs('moons' as GeneratedKind, 8, 2, 0)).toThrow('unknown generated data kind "moons"; expected one of: circle, sphere, gaussian, spirals, xor, circles');
    expect(() => generateInputs('gaussian', 0, 2, 0)).toThrow(/number of points/);
    expect(() => generateInputs('gaussian', 4, 2, 0, -1)).toThrow(/noise level/);
  });
});

describe('generateClassification', () => {
  it('gives balanced 0/1 classes, deterministic per seed', () => {
    for (const kind of ['spirals', 'xor', 'circles'] as const) {
      for (const n of [100, 101]) {
        const { x, labels } = generateClassification(kind, n, 4, 0.1);
        expect(x).toHaveLength(n);
        expect(labels).toHaveLength(n);
        expect(labels.every((c) => c === 0 || c === 1)).toBe(true);
        const ones = labels.filter((c) => c === 1).length;
        expect(ones).toBe(Math.floor(n / 2));
        expect(generateClassification(kind, n, 4, 0.1)).toEqual({ x, labels });
        expect(generateClassification(kind, n, 5, 0.1).x).not.toEqual(x);
      }
    }
    expect(() => generateClassification('moons' as 'xor', 4, 0, 0)).toThrow(/unknown classification data kind "moons"/);
  });

  it('builds the noiseless constructions', () => {
    const xor = generateClassification('xor', 200, 1, 0);
    xor.x.forEach(([a, b], i) => expect(a * b > 0 ? 0 : 1).toBe(xor.labels[i]));
    const circles = generateClassification('circles', 50, 1, 0);
    circles.x.forEach((p, i) => expect(Math.hypot(...p)).toBeCloseTo(circles.labels[i] === 0 ? 1 : 0.5, 14));
    const spirals = generateClassification('spirals', 50, 1, 0);
    spirals.x.forEach((p) => expect(Math.hypot(...p)).toBeLessThan(1));
    // the arms never reach the origin (where both would start: one input with both labels), r = t = (j + 1)/(m + 1)
    spirals.x.forEach((p, i) => expect(Math.hypot(...p)).toBeCloseTo((Math.floor(i / 2) + 1) / 26, 14));
    for (const n of [2, 3, 50, 51]) {
      const s = generateClassification('spirals', n, 1, 0);
      expect(countSharedInputs(s.x.filter((_, i) => s.labels[i] === 0), s.x.filter((_, i) => s.labels[i] === 1)), `n = ${n}`).toBe(0);
    }
    // the two arms are point reflections of each other
    expect(spirals.x[2][0]).toBeCloseTo(-spirals.x[3][0], 14);
    expect(spirals.x[2][1]).toBeCloseTo(-spirals.x[3][1], 14);
  });
});

describe('makeTarget', () => {
  const specs: TargetSpec[] = [
    { kind: 'teacher', hidden: [16, 8], activation: 'tanh' },
    { kind: 'teacher', hidden: [] },
    { kind: 'single_index' },
    { kind: 'single_index', activation: 'tanh' },
    { kind: 'quadratic' },
  ];

  it('gives finite, deterministic targets of the right size', () => {
    const x = generateInputs('gaussian', 20, 4, 0);
    for (const spec of specs) {
      const ys = x.map(makeTarget(spec, 4, 3, 1));
      for (const y of ys) expect(y).toHaveLength(3);
      expect(ys.flat().every(Number.isFinite)).toBe(true);
      expect(x.map(makeTarget(spec, 4, 3, 1))).toEqual(ys);
      expect(x.map(makeTarget(spec, 4, 3, 2))).not.toEqual(ys);
    }
  });

  it('normalises the teacher to E[y²] ≈ 1 on gaussian inputs', () => {
    expect(activationRms((z) => Math.max(z, 0))).toBeCloseTo(Math.SQRT1_2, 10);
    const x = generateInputs('gaussian', 200, 8, 0);
    const y2: number[] = [];
    for (let seed = 0; seed < 40; seed++) {
      const f = makeTarget({ kind: 'teacher', hidden: [64, 64] }, 8, 1, seed);
      for (const row of x) y2.push(f(row)[0] ** 2);
    }
    // 40 teachers: the spread is dominated by the teachers' own scale, so a loose tolerance
    expect(mean(y2)).toBeGreaterThan(0.6);
    expect(mean(y2)).toBeLessThan(1.5);
  });

  it('centres the quadratic target', () => {
    const x = generateInputs('gaussian', 20000, 6, 9);
    const f = makeTarget({ kind: 'quadratic' }, 6, 1, 3);
    const y = x.map((r) => f(r)[0]);
    expect(Math.abs(mean(y))).toBeLessThan(0.036); // 5 σ, Var y = 1
    expect(Math.abs(mean(y.map((v) => v * v)) - 1)).toBeLessThan(0.15);
    const s = generateInputs('sphere', 20000, 6, 9);
    expect(Math.abs(mean(s.map((r) => f(r)[0])))).toBeLessThan(0.031); // 5 σ, Var y = d/(d + 2) on the sphere of radius √d
  });

  it('matches sin(θ) and cos(fθ) exactly on the circle', () => {
    const x = generateInputs('circle', 64, 2, 0);
    const sin = makeTarget({ kind: 'sin' }, 2, 1, 0);
    const cos3 = makeTarget({ kind: 'cos', frequency: 3 }, 2, 1, 0);
    x.forEach((p, i) => {
      const theta = Math.atan2(p[1], p[0]);
      expect(sin(p)[0]).toBe(Math.sin(theta));
      expect(sin(p)[0]).toBeCloseTo(Math.sin((2 * Math.PI * i) / 64), 14);
      expect(cos3(p)[0]).toBeCloseTo(Math.cos((3 * 2 * Math.PI * i) / 64), 12);
    });
  });

  it('refuses what it cannot build, with clear messages', () => {
    expect(() => makeTarget({ kind: 'sin' }, 3, 1, 0)).toThrow('the sin target is a function of the angle of a planar input: expected inputDim = 2; received inputDim = 3');
    expect(() => makeTarget({ kind: 'cos' }, 2, 2, 0)).toThrow(/expected outputDim = 1; received outputDim = 2/);
    expect(() => makeTarget({ kind: 'quadratic' }, 1, 1, 0)).toThrow(/needs inputDim ≥ 2/);
    expect(() => makeTarget({ kind: 'nope' } as unknown as TargetSpec, 2, 1, 0)).toThrow('unknown target kind "nope"; expected one of: teacher, single_index, quadratic, sin, cos');
    expect(() => makeTarget({ kind: 'single_index', activation: 'swish' } as unknown as TargetSpec, 2, 1, 0)).toThrow(/unknown activation "swish"/);
    expect(() => makeTarget({ kind: 'single_index' }, 2, 1, 0)([1, 2, 3])).toThrow(/expected an input of 2 numbers/);
  });
});

describe('buildDataSet', () => {
  it('returns points as given, and labels them with a target when y is missing', () => {
    const spec: DataSetSpec = { kind: 'points', x: [[1, 0], [0, 1]], y: [[1], [-1]] };
    const set = buildDataSet(spec, undefined, 2, 1, 0);
    expect(set).toEqual({ x: [[1, 0], [0, 1]], y: [[1], [-1]] });
    expect(set.x[0]).not.toBe(spec.x[0]); // copied
    expect(buildDataSet({ kind: 'points', x: [[1, 0]] }, undefined, 2, 1, 0).y).toBeNull();
    const labelled = buildDataSet({ kind: 'points', x: [[0, 1]] }, { kind: 'sin' }, 2, 1, 0);
    expect(labelled.y![0][0]).toBe(1);
    expect(() => buildDataSet({ kind: 'points', x: [[1, 0, 0]] }, undefined, 2, 1, 0)).toThrow('points x row 0: expected 2 numbers (inputDim = 2); received 3');
    expect(() => buildDataSet({ kind: 'points', x: [[1, 0]], y: [[1], [2]] }, undefined, 2, 1, 0)).toThrow(/expected 1 rows/);
  });

  it('generates and labels regression sets; train and test differ but share the target', () => {
    const target: TargetSpec = { kind: 'teacher', hidden: [8] };
    const train = buildDataSet({ kind: 'gaussian', n: 30 }, target, 3, 2, 4);
    const test = buildDataSet({ kind: 'gaussian', n: 30 }, target, 3, 2, 4, 'test');
    expect(train.x).toHaveLength(30);
    expect(train.y).toHaveLength(30);
    expect(train.y![0]).toHaveLength(2);
    expect(test.x).not.toEqual(train.x);
    expect(buildDataSet({ kind: 'gaussian', n: 30 }, target, 3, 2, 4)).toEqual(train);
    const f = makeTarget(target, 3, 2, 4);
    expect(test.y).toEqual(test.x.map(f));
    expect(buildDataSet({ kind: 'sphere', n: 5 }, undefined, 3, 1, 0).y).toBeNull();
  });

  it('labels classification sets ±1 (outputDim 1) or one-hot (outputDim 2)', () => {
    const pm = buildDataSet({ kind: 'xor', n: 10 }, undefined, 2, 1, 0);
    expect(pm.y!.map((r) => r[0])).toEqual([-1, 1, -1, 1, -1, 1, -1, 1, -1, 1]);
    const oneHot = buildDataSet({ kind: 'spirals', n: 4, noise: 0.1 }, undefined, 2, 2, 0);
    expect(oneHot.y).toEqual([[1, 0], [0, 1], [1, 0], [0, 1]]);
    expect(() => encodeLabels([0, 1], 3)).toThrow(/outputDim = 1 \(±1 labels\) or 2 \(one-hot labels\); received outputDim = 3/);
    expect(() => buildDataSet({ kind: 'circles', n: 4 }, { kind: 'sin' }, 2, 1, 0)).toThrow(/carries its own class labels/);
  });

  it('refuses unknown kinds and planar kinds off the plane', () => {
    expect(() => buildDataSet({ kind: 'moons', n: 4 } as unknown as DataSetSpec, undefined, 2, 1, 0)).toThrow('unknown data kind "moons"; expected one of: points, circle, sphere, gaussian, spirals, xor, circles');
    expect(() => buildDataSet({ kind: 'circle', n: 4 }, undefined, 3, 1, 0)).toThrow(/"circle" is planar/);
    expect(() => buildDataSet({ kind: 'xor', n: 4 }, undefined, 3, 1, 0)).toThrow(/"xor" is planar/);
  });
});

describe('issue 10: scale, size and degenerate cases', () => {
  const variance = (v: number[]) => {
    const m = mean(v);
    return mean(v.map((a) => (a - m) ** 2));
  };

  it('builds sphere inputs and targets in d = 200 000 (no spread of d arguments: no stack overflow)', () => {
    const d = 200_000;
    const x = generateInputs('sphere', 2, d, 0);
    let s = 0;
    for (const v of x[0]) s += v * v;
    expect(Math.sqrt(s)).toBeCloseTo(Math.sqrt(d), 8);
    const y = buildDataSet({ kind: 'sphere', n: 2 }, { kind: 'single_index', activation: 'identity' }, d, 1, 0).y!;
    expect(y.flat().every(Number.isFinite)).toBe(true);
  });

  it('on the default sphere (radius √d) the targets are O(1) for any d; on the unit sphere they shrank with d', () => {
    const n = 4000;
    for (const d of [4, 400]) {
      const x = generateInputs('sphere', n, d, 1);
      // single_index with φ = identity: y = ⟨w, x⟩, Var = R²/d = 1 (sampling sd of the variance √(2/n) ≈ 0.022)
      const lin = makeTarget({ kind: 'single_index', activation: 'identity' }, d, 1, 2);
      expect(variance(x.map((r) => lin(r)[0]))).toBeGreaterThan(0.85);
      expect(variance(x.map((r) => lin(r)[0]))).toBeLessThan(1.15);
      // quadratic: Var = d/(d + 2)
      const q = makeTarget({ kind: 'quadratic' }, d, 1, 2);
      expect(variance(x.map((r) => q(r)[0])) / (d / (d + 2))).toBeGreaterThan(0.8);
      expect(variance(x.map((r) => q(r)[0])) / (d / (d + 2))).toBeLessThan(1.2);
      // teacher (relu): E[y²] = ‖x‖²/d = 1 on average over teachers; one teacher is within a loose factor
      const t = makeTarget({ kind: 'teacher', hidden: [64] }, d, 1, 2);
      const ty2 = mean(x.map((r) => t(r)[0] ** 2));
      expect(ty2).toBeGreaterThan(0.2);
      expect(ty2).toBeLessThan(5);
      // the unit sphere: Var ⟨w, x⟩ = 1/d
      const unit = generateInputs('sphere', n, d, 1, 0, 1);
      expect(variance(unit.map((r) => lin(r)[0])) * d).toBeCloseTo(variance(x.map((r) => lin(r)[0])), 10);
    }
  });

  it('degenerate sizes give finite labels: n = 1, d = 1, every kind and target', () => {
    const targets: TargetSpec[] = [{ kind: 'teacher', hidden: [3] }, { kind: 'teacher', hidden: [] }, { kind: 'single_index' }, { kind: 'quadratic' }, { kind: 'sin' }, { kind: 'cos', frequency: 2 }];
    for (const kind of ['circle', 'sphere', 'gaussian'] as const) {
      for (const target of targets) {
        const set = buildDataSet({ kind, n: 1 }, target, 2, 1, 0);
        expect(set.x.flat().every(Number.isFinite) && set.y!.flat().every(Number.isFinite), `${kind} ${target.kind}`).toBe(true);
      }
    }
    for (const kind of ['spirals', 'xor', 'circles'] as const) expect(buildDataSet({ kind, n: 1 }, undefined, 2, 1, 0).y).toEqual([[-1]]);
    // d = 1: the sphere is {−r, +r}; a constant input (x = 0) labels finitely
    const line = generateInputs('sphere', 50, 1, 0, 0, 2);
    expect(new Set(line.map((r) => Math.abs(r[0])))).toEqual(new Set([2]));
    expect(buildDataSet({ kind: 'points', x: [[0, 0], [0, 0]] }, { kind: 'teacher', hidden: [4] }, 2, 1, 0).y).toEqual([[0], [0]]);
  });

  it('a target that overflows is a DataError naming the point, not NaN labels', () => {
    // (validation refuses such inputs: beyond float32 range; buildDataSet is also called directly)
    expect(() => buildDataSet({ kind: 'points', x: [[1, 0], [1e200, 0]] }, { kind: 'quadratic' }, 2, 1, 0)).toThrow('the "quadratic" target is not finite at train point 1 (x = [1e+200, 0]); expected finite labels');
  });
});
