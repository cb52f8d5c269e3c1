// Seeded target functions x ↦ y ∈ R^outputDim (float64, CPU). Conventions: w denotes a random
// direction drawn uniformly on the unit sphere, so z = ⟨w, x⟩ lies in [−1, 1] on S^{d−1} and
// is N(0, 1) for x ~ N(0, I_d). Multi-output targets use independent draws per output.
// Scale: every target is one fixed function of x, written for inputs with ‖x‖² ≈ d (Ghorbani
// et al.'s x ∈ √d·S^{d−1}, arXiv:1904.12191; x ~ N(0, I_d)), where its arguments are O(1)
// for any d: ⟨w, x⟩ ~ N(0, 1) for a unit w. The data kinds "gaussian" and "sphere" (default
// radius √d) have that scale. On a sphere of radius R the arguments scale by R/√d (so on the
// unit sphere, R = 1, the teacher, single_index and quadratic targets shrank with d); sin and
// cos depend on the angle only.
import { activationRef } from '../kernels/activations';
import type { TargetSpec } from '../spec/schema';
import { TARGET_KINDS } from '../spec/schema';
import { DataError } from './errors';
import { MAX_CPU_ARRAY_NUMBERS, formatCount, withinBudget } from './limits';
import { Rng, STREAM } from './rng';

export type Target = (x: number[]) => number[];

/** Default activation of the teacher and single-index targets. */
export const DEFAULT_TARGET_ACTIVATION = 'relu';

const dot = (a: readonly number[], b: readonly number[]) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** c_φ = √E[φ(z)²], z ~ N(0, 1), by composite Simpson on [−12, 12] (activations grow at most quadratically). */
export function activationRms(phi: (z: number) => number): number {
  const steps = 4800;
  const a = -12;
  const h = 24 / steps;
  let s = 0;
  for (let k = 0; k <= steps; k++) {
    const z = a + k * h;
    const f = phi(z) ** 2 * Math.exp(-0.5 * z * z);
    s += f * (k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2);
  }
  return Math.sqrt(((s * h) / 3) / Math.sqrt(2 * Math.PI));
}

function checkInput(x: readonly number[], inputDim: number): void {
  if (x.length !== inputDim) throw new DataError(`expected an input of ${inputDim} numbers (inputDim = ${inputDim}); received ${x.length}`);
}

/** Safety net behind the spec's size check (schema.ts): one weight matrix of a target on the CPU. */
function checkWeights(what: string, fanOut: number, fanIn: number): void {
  if (fanOut * fanIn > MAX_CPU_ARRAY_NUMBERS) {
    throw new DataError(`${what}: expected fan-out × fan-in ${withinBudget('weights')}; received ${formatCount(fanOut)} × ${formatCount(fanIn)} = ${formatCount(fanOut * fanIn)}`);
  }
}

/** A seeded target function for `spec`; the same (spec, dims, seed) always gives the same function. */
export function makeTarget(spec: TargetSpec, inputDim: number, outputDim: number, seed: number): Target {
  for (const [name, v] of [['inputDim', inputDim], ['outputDim', outputDim]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new DataError(`expected ${name}: an integer ≥ 1; received ${String(v)}`);
  }
  const rng = new Rng(seed, STREAM.target);
  const d = inputDim;
  switch (spec.kind) {
    case 'teacher': {
      // teacher: h₁ = W₁x/√d, h_{l+1} = W_{l+1}φ(h_l)/(c_φ√m_l), y = W_{L+1}φ(h_L)/(c_φ√m_L), all W ~ N(0, 1),
      // no biases, c_φ = √E[φ(z)²] (z ~ N(0,1)): E_W[y²] = 1 for x ~ N(0, I_d), ‖x‖²/d-scaled otherwise for relu.
      const phi = activationRef(spec.activation ?? DEFAULT_TARGET_ACTIVATION, 0);
      const widths = [d, ...spec.hidden, outputDim];
      widths.slice(1).forEach((fanOut, l) => checkWeights(`teacher layer ${l}`, fanOut, widths[l]));
      const cPhi = spec.hidden.length > 0 ? activationRms(phi) : 1;
      if (!(cPhi > 0) || !Number.isFinite(cPhi)) throw new DataError(`teacher activation "${spec.activation}" has E[φ(z)²] = ${cPhi ** 2}; expected a positive finite value`);
      const layers = widths.slice(1).map((fanOut, l) => Array.from({ length: fanOut }, () => rng.normals(widths[l])));
      return (x) => {
        checkInput(x, d);
        let a: number[] = x.slice();
        layers.forEach((W, l) => {
          const scale = l === 0 ? 1 / Math.sqrt(widths[0]) : 1 / (cPhi * Math.sqrt(widths[l]));
          const h = W.map((row) => dot(row, a) * scale);
          a = l === layers.length - 1 ? h : h.map(phi);
        });
        return a;
      };
    }
    case 'single_index': {
      // single_index: y_k = φ(⟨w_k, x⟩), w_k uniform on S^{d−1}, φ = spec.activation (default relu). On the sphere of
      // radius R the argument is R·⟨w_k, x/‖x‖⟩ with variance R²/d: 1 at the default R = √d, for any d.
      checkWeights('single_index target', outputDim, d);
      const phi = activationRef(spec.activation ?? DEFAULT_TARGET_ACTIVATION, 0);
      const ws = Array.from({ length: outputDim }, () => rng.unitVector(d));
      return (x) => {
        checkInput(x, d);
        return ws.map((w) => phi(dot(w, x)));
      };
    }
    case 'quadratic': {
      // quadratic: y_k = (⟨w_k, x⟩² − ‖x‖²/d)/√(2(1 − 1/d)) = xᵀB_k x with B_k ∝ w_k w_kᵀ − I/d traceless (Ghorbani et al. 2019,
      // arXiv:1904.12191): mean 0 under any rotation-invariant x, variance 1 for x ~ N(0, I_d). On the sphere of radius R,
      // ⟨w, x⟩² = R²·u with u ~ Beta(1/2, (d−1)/2): Var y = (R²/d)²·d/(d + 2), in [1/2, 1) at the default R = √d.
      if (d < 2) throw new DataError(`the quadratic target needs inputDim ≥ 2 (in one dimension the centred quadratic is identically 0); received inputDim = ${d}`);
      checkWeights('quadratic target', outputDim, d);
      const ws = quadraticDirections(rng, d, outputDim);
      const scale = QUADRATIC_SCALE(d);
      return (x) => {
        checkInput(x, d);
        const r2 = dot(x, x) / d;
        return ws.map((w) => (dot(w, x) ** 2 - r2) * scale);
      };
    }
    case 'sin':
    case 'cos': {
      // sin / cos: y = sin(f·θ) or cos(f·θ), θ = atan2(x₂, x₁) ∈ (−π, π], f = spec.frequency (default 1); no randomness.
      if (d !== 2) throw new DataError(`the ${spec.kind} target is a function of the angle of a planar input: expected inputDim = 2; received inputDim = ${d}`);
      if (outputDim !== 1) throw new DataError(`the ${spec.kind} target has one output: expected outputDim = 1; received outputDim = ${outputDim}`);
      const f = spec.frequency ?? 1;
      const wave = spec.kind === 'sin' ? Math.sin : Math.cos;
      return (x) => {
        checkInput(x, d);
        return [wave(f * Math.atan2(x[1], x[0]))];
      };
    }
    default:
      throw new DataError(`unknown target kind "${String((spec as { kind: unknown }).kind)}"; expected one of: ${TARGET_KINDS.join(', ')}`);
  }
}

/** s = 1/√(2(1 − 1/d)), the quadratic target's scale (variance 1 for x ~ N(0, I_d)). */
const QUADRATIC_SCALE = (d: number) => 1 / Math.sqrt(2 * (1 - 1 / d));
/** The quadratic target's directions w_k, one unit vector per output, in the order makeTarget draws them. */
const quadraticDirections = (rng: Rng, d: number, outputDim: number) => Array.from({ length: outputDim }, () => rng.unitVector(d));

/**
 * The matrices of the "quadratic" target, y_k = xᵀB_k x with B_k = s·(w_k w_kᵀ − I/d) (traceless, symmetric),
 * for the same (inputDim, outputDim, seed) as makeTarget: the closed-form population risks
 * (theory/quadratic-risk.ts) need the target's matrix itself.
 */
export function quadraticTargetMatrices(inputDim: number, outputDim: number, seed: number): number[][][] {
  const d = inputDim;
  if (!Number.isSafeInteger(d) || d < 2) throw new DataError(`the quadratic target needs inputDim ≥ 2; received inputDim = ${String(d)}`);
  if (!Number.isSafeInteger(outputDim) || outputDim < 1) throw new DataError(`expected outputDim: an integer ≥ 1; received ${String(outputDim)}`);
  checkWeights('quadratic target', outputDim, d * d);
  const s = QUADRATIC_SCALE(d);
  return quadraticDirections(new Rng(seed, STREAM.target), d, outputDim).map((w) =>
    Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => s * (w[i] * w[j] - (i === j ? 1 / d : 0)))),
  );
}
