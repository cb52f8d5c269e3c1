// Seeded input sets (float64, CPU). `noise` is always additive isotropic Gaussian noise
// N(0, noise²·I) on each point, drawn after the noiseless construction (default 0).
// Scale: "gaussian" and "sphere" (radius √d by default) have E‖x‖² = d, the scale the NTK
// parameterization's input kernel x·x'/d and the targets (targets.ts) are written for; the
// planar kinds lie in the unit disc.
import type { ClassificationKind, GeneratedKind } from '../spec/schema';
import { CLASSIFICATION_KINDS, GENERATED_KINDS, isClassificationKind } from '../spec/schema';
import { DataError } from './errors';
import { MAX_CPU_ARRAY_NUMBERS, formatCount, withinBudget } from './limits';
import { Rng, STREAM } from './rng';

// The two-class kinds are part of the spec's vocabulary (schema.ts); re-exported here, where they are built.
export { CLASSIFICATION_KINDS, isClassificationKind, type ClassificationKind };

/**
 * The deterministic grids (circle's angles, circles' angles, spirals' arm positions) of a test set
 * are shifted by this fraction of one grid step: θ_i = 2π(i + g)/n instead of 2πi/n. g = (√5 − 1)/2
 * is irrational, so a shifted grid shares no point with any unshifted one (a train grid of any n:
 * (i + g)/n_test = j/n_train has no solution), where a half step would still meet it (train n = 16,
 * test n = 8: 2π(i + ½)/8 = 2π(2i + 1)/16). The random kinds draw test inputs from their own stream.
 */
export const TEST_GRID_OFFSET = (Math.sqrt(5) - 1) / 2;

/** Radius of the inner ring of "circles" (the outer ring has radius 1). */
export const CIRCLES_INNER_RADIUS = 0.5;
/** Turns of each arm of "spirals". */
export const SPIRAL_TURNS = 2;

function checkCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new DataError(`expected a number of points: an integer ≥ 1; received ${String(n)}`);
}
function checkNoise(noise: number): void {
  if (!Number.isFinite(noise) || noise < 0) throw new DataError(`expected a noise level: a number ≥ 0; received ${String(noise)}`);
}
function checkDim(inputDim: number): void {
  if (!Number.isSafeInteger(inputDim) || inputDim < 1) throw new DataError(`expected an input dimension: an integer ≥ 1; received ${String(inputDim)}`);
}
/** The default sphere radius √d (Ghorbani et al., arXiv:1904.12191): ‖x‖² = d, so x·x'/d = 1 on the diagonal. */
export const defaultSphereRadius = (inputDim: number) => Math.sqrt(inputDim);

function checkOffset(offset: number): void {
  if (!(offset >= 0 && offset < 1)) throw new DataError(`expected a grid offset: a fraction of a step in [0, 1); received ${String(offset)}`);
}
function checkRadius(radius: number): void {
  if (!Number.isFinite(radius) || radius <= 0) throw new DataError(`expected a sphere radius: a finite number > 0; received ${String(radius)}`);
}
/** Safety net behind the spec's size check (schema.ts): n × inputDim numbers must fit the CPU budget. */
function checkSize(n: number, inputDim: number): void {
  if (n * inputDim > MAX_CPU_ARRAY_NUMBERS) {
    throw new DataError(`expected n × inputDim ${withinBudget('input numbers')}; received ${formatCount(n)} × ${formatCount(inputDim)} = ${formatCount(n * inputDim)}`);
  }
}
function addNoise(rng: Rng, x: number[], noise: number): number[] {
  if (noise > 0) for (let j = 0; j < x.length; j++) x[j] += noise * rng.normal();
  return x;
}

/**
 * n seeded inputs of dimension inputDim. The planar kinds (circle and the classification sets,
 * whose labels are dropped here) need inputDim = 2. `radius` is the sphere's (default √d);
 * `gridOffset` shifts the deterministic grids by that fraction of a step (TEST_GRID_OFFSET for test sets).
 */
export function generateInputs(kind: GeneratedKind, n: number, inputDim: number, seed: number, noise = 0, radius = defaultSphereRadius(inputDim), gridOffset = 0): number[][] {
  checkOffset(gridOffset);
  checkCount(n);
  checkDim(inputDim);
  checkNoise(noise);
  checkRadius(radius);
  checkSize(n, inputDim);
  if (!(GENERATED_KINDS as readonly string[]).includes(kind)) {
    throw new DataError(`unknown generated data kind "${String(kind)}"; expected one of: ${GENERATED_KINDS.join(', ')}`);
  }
  if (kind !== 'sphere' && kind !== 'gaussian' && inputDim !== 2) {
    throw new DataError(`data kind "${kind}" is planar: expected inputDim = 2 (or use "sphere" or "gaussian"); received inputDim = ${inputDim}`);
  }
  if (isClassificationKind(kind)) return generateClassification(kind, n, seed, noise, gridOffset).x;
  const rng = new Rng(seed, STREAM.inputs);
  const x: number[][] = [];
  for (let i = 0; i < n; i++) {
    let p: number[];
    if (kind === 'circle') {
      // circle: x_i = (cos θ_i, sin θ_i), θ_i = 2π(i + g)/n, i = 0..n−1, g = gridOffset (no randomness but the noise).
      const t = (2 * Math.PI * (i + gridOffset)) / n;
      p = [Math.cos(t), Math.sin(t)];
    } else if (kind === 'sphere') {
      // sphere: x = r·g/‖g‖ with g ~ N(0, I_d): uniform on the sphere r·S^{d−1} (d = 1: ±r), r = radius.
      p = rng.unitVector(inputDim);
      for (let j = 0; j < inputDim; j++) p[j] *= radius;
    } else {
      // gaussian: x ~ N(0, I_d).
      p = rng.normals(inputDim);
    }
    x.push(addNoise(rng, p, noise));
  }
  return x;
}

/**
 * A two-class planar set with labels 0/1; point i has label i mod 2 (classes alternate, so
 * the counts are ⌈n/2⌉ and ⌊n/2⌋). j = ⌊i/2⌋ indexes the point within its class of m points.
 */
export function generateClassification(kind: ClassificationKind, n: number, seed: number, noise = 0, gridOffset = 0): { x: number[][]; labels: number[] } {
  checkOffset(gridOffset);
  checkCount(n);
  checkNoise(noise);
  checkSize(n, 2);
  if (!isClassificationKind(kind)) {
    throw new DataError(`unknown classification data kind "${String(kind)}"; expected one of: ${CLASSIFICATION_KINDS.join(', ')}`);
  }
  const rng = new Rng(seed, STREAM.inputs);
  const x: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const j = Math.floor(i / 2);
    const m = c === 0 ? Math.ceil(n / 2) : Math.floor(n / 2);
    let p: number[];
    if (kind === 'spirals') {
      // spirals: two interleaved Archimedean arms, t = (j + 1 + g)/(m + 1) ∈ (0, 1), r = t,
      // θ = 2π·TURNS·t + π·c, x = r(cos θ, sin θ). t > 0: at t = 0 both arms would start at the
      // origin, one input with both labels (so it was, with t = (j + g)/m, before 2026-12-02).
      const t = (j + 1 + gridOffset) / (m + 1);
      const theta = 2 * Math.PI * SPIRAL_TURNS * t + Math.PI * c;
      p = [t * Math.cos(theta), t * Math.sin(theta)];
    } else if (kind === 'xor') {
      // xor: |x₁|, |x₂| ~ U[0, 1); class 0 in quadrants I/III (x₁x₂ > 0), class 1 in II/IV, quadrant drawn uniformly.
      const a = rng.uniform();
      const b = rng.uniform();
      const s = rng.nextU32() & 1 ? 1 : -1;
      p = c === 0 ? [s * a, s * b] : [s * a, -s * b];
    } else {
      // circles: concentric rings at equal angles θ = 2π(j + g)/m, class 0 at radius 1, class 1 at radius CIRCLES_INNER_RADIUS.
      const r = c === 0 ? 1 : CIRCLES_INNER_RADIUS;
      const theta = (2 * Math.PI * (j + gridOffset)) / m;
      p = [r * Math.cos(theta), r * Math.sin(theta)];
    }
    x.push(addNoise(rng, p, noise));
    labels.push(c);
  }
  return { x, labels };
}
