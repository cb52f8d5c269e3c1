// Every example's target can be learned by its model (issue 10): for each examples/*.json with
// an MSE loss, kernel regression with the infinite-width kernel of the trainable layers, run to
// t → ∞, must fit the train set. A target orthogonal to everything the network can represent
// (sin 3θ on the circle for a bias-free two-layer ReLU net, whose features hold only the
// Fourier modes 0, 1 and the even ones) keeps the loss of the zero predictor at any width.
//
// Why the infinite-width kernel decides it (CPU only, no GPU):
// - gradient flow on the MSE from f = 0 ends at the projection of y onto the range of the kernel
//   Θ(X, X) of the trainable parameters; the train loss left is that of (I − P)y;
// - the range of a sum of PSD per-layer kernels with positive weights does not depend on the
//   weights, so per-layer multipliers and learning-rate scales (ntk, standard, meanfield, mup
//   differ only in those at initialisation) do not change it: src/theory's NTK (all layers
//   trained) or NNGP (only the readout trained: random features) of the same σ_w, σ_b,
//   activation and depth has the range of every parameterization;
// - every example is at least as wide as its train set, where the finite-width feature span
//   is the infinite-width one (each feature φ(w·x) lies in the span the kernel sees); a network
//   with every layer trained that is narrower than its train set (the n = 256 points of
//   three-layer-sweep.json, width 128) qualifies by its trainable weights P ≥ n·k instead, the
//   count its kernel J Jᵀ (rank ≤ min(P, n·k)) needs to have the infinite-width kernel's range.
// - a grid example (sweep.grid) is checked at every point that differs in what the check reads.
// Threshold: the t → ∞ loss below 1e-3 of the zero predictor's loss 1/(2nk)·Σy².

import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandGrid, parseSpec, parseSpecText, specGrid, specWidths, type ExperimentSpec } from '../../src/spec';
import { branchMultiplier, specData } from '../../src/spec/resolve';
import { KernelRegression } from '../../src/dynamics/kernel-regression';
import { analyticKernels } from '../../src/theory';

const EXAMPLES = join(__dirname, '../../examples');
const THRESHOLD = 1e-3;

/** Train loss at t → ∞ over the loss of f = 0, for gradient flow from f = 0 with the trainable layers' kernel. */
function unrepresentedFraction(spec: ExperimentSpec, o: { crossesThreshold?: boolean } = {}): { fraction: number; kernel: 'ntk' | 'nngp' } {
  const n = specData(spec).train.x.length;
  // a double-descent sweep crosses m = n on purpose: its widths at or past the threshold are checked
  const widths = specWidths(spec).filter((w) => !o.crossesThreshold || Math.min(...w) >= n);
  expect(widths.length, 'widths at or past the interpolation threshold').toBeGreaterThan(0);
  const depth = widths[0].length;
  const frozen = [...new Set(spec.model.frozen)].sort((a, b) => a - b);
  for (const w of widths) {
    if (frozen.length === 0 && Math.min(...w) < n) expect(trainableWeights(spec, w), `trainable weights of width ${w} against n·k = ${n * spec.model.outputDim}`).toBeGreaterThanOrEqual(n * spec.model.outputDim);
    else expect(Math.min(...w), `width ${w} against n = ${n} train points`).toBeGreaterThanOrEqual(n);
  }
  // a residual net (src/theory/residual.ts) has B + 1 dense layers below its readout
  const beta = branchMultiplier(spec);
  const residual = spec.model.residual && beta !== null ? { blocks: spec.model.residual.blocks, branchMultiplier: beta } : null;
  const readoutOnly = Array.from({ length: residual ? residual.blocks + 1 : depth }, (_, l) => l);
  let which: 'ntk' | 'nngp';
  if (frozen.length === 0) which = 'ntk';
  else if (JSON.stringify(frozen) === JSON.stringify(readoutOnly)) which = 'nngp'; // only the readout trains: Σ_L (readout weights and bias)
  else throw new Error(`no infinite-width kernel here for frozen layers [${frozen.join(', ')}] of a depth-${depth} network; extend this test`);

  const { x, y } = specData(spec).train;
  if (!y) throw new Error('the train set has no targets');
  const m = spec.model;
  const K = analyticKernels({ depth, weightStd: m.weightStd, biasStd: m.biasStd, activation: m.activation, residual }, x)[which];
  const k = y[0].length;
  const kr = new KernelRegression({ kernel: K, y, lr: 1 });
  // flow time at which every mode with λ ≥ 1e-7·λ_max has decayed by e^(−10) or more, while modes
  // at rounding level (≲ 1e-15·λ_max: the kernel's null space) keep all but ~1e-7 of their part
  const t = (1e8 * n * k) / kr.maxEigenvalue;
  const zeroLoss = y.flat().reduce((s, v) => s + v * v, 0) / (2 * n * k);
  return { fraction: kr.predict('flow', t).trainLoss / zeroLoss, kernel: which };
}

/** The weights (biases left out: a lower bound on P) of a network with every layer trained. */
function trainableWeights(spec: ExperimentSpec, hidden: number[]): number {
  const { inputDim: d, outputDim: k, residual } = spec.model;
  const sizes = residual ? [d, ...Array<number>(residual.blocks + 1).fill(hidden[0]), k] : [d, ...hidden, k];
  return sizes.slice(1).reduce((s, m, l) => s + sizes[l] * m, 0);
}

/** The specs to check: the example itself, or each point of its grid that differs in what the check reads (not lr, α, seed…). */
function specsOf(spec: ExperimentSpec): { label: string; spec: ExperimentSpec }[] {
  if (!specGrid(spec)) return [{ label: '', spec }];
  const seen = new Set<string>();
  return expandGrid(spec).flatMap((p) => {
    const { model: m, data } = p.spec;
    const key = JSON.stringify([m.hidden, m.residual, m.frozen, m.activation, m.weightStd, m.biasStd, m.inputDim, m.outputDim, data, p.spec.seed, p.spec.train.loss]);
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ label: ` at grid point ${p.index} ${JSON.stringify(p.point)}`, spec: p.spec }];
  });
}

const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();

describe('every example with an MSE loss has a target its model can represent', () => {
  it('finds the examples', () => {
    expect(files).toContain('random-features.json');
    expect(files).toContain('jacot-2018.json');
  });

  for (const file of files) {
    const base = parseSpecText(readFileSync(join(EXAMPLES, file), 'utf8'), file);
    const specs = specsOf(base).filter((s) => s.spec.train.loss === 'mse');
    if (specs.length === 0) continue;
    it(`${file}: the t → ∞ kernel-regression train loss is below ${THRESHOLD} of the zero predictor's${specs.length > 1 ? ` (${specs.length} grid points)` : ''}`, () => {
      for (const { label, spec } of specs) {
        const { fraction, kernel } = unrepresentedFraction(spec, { crossesThreshold: file.startsWith('double-descent') });
        expect(fraction, `${file}${label} (${kernel} of the trainable layers)`).toBeLessThan(THRESHOLD);
      }
    });
  }

  it('checks every point of a grid example: three-layer-sweep.json has the 8 networks of the old script', () => {
    const specs = specsOf(parseSpecText(readFileSync(join(EXAMPLES, 'three-layer-sweep.json'), 'utf8')));
    expect(specs).toHaveLength(8);
    // the old examples/three-layer-sweep.mjs ran three-layer-teacher.json with data.train.n replaced, and with hidden [m₁] beside it
    const teacher = JSON.parse(readFileSync(join(EXAMPLES, 'three-layer-teacher.json'), 'utf8'));
    const script = [32, 64, 128, 256].flatMap((n) => [[128, 128], [128]].map((hidden) => parseSpec({ ...teacher, model: { ...teacher.model, hidden }, data: { ...teacher.data, train: { ...teacher.data.train, n } } })));
    specs.forEach(({ spec }, i) => {
      const { sweep: _grid, ...point } = spec;
      const { sweep: _none, ...old } = script[i];
      expect(point, `grid point ${i}`).toEqual(old);
    });
  });

  it('the check catches an unrepresentable target: sin 3θ for a bias-free two-layer ReLU net on uniform circle points', () => {
    const base = {
      seed: 0,
      model: { inputDim: 2, hidden: [4096], activation: 'relu', parameterization: 'meanfield', frozen: [0] },
      data: { train: { kind: 'circle', n: 32 }, target: { kind: 'sin', frequency: 3 } },
    };
    // random features (the old examples/random-features.json) and the trained net alike keep all of the loss
    expect(unrepresentedFraction(parseSpec(base)).fraction).toBeGreaterThan(0.999);
    expect(unrepresentedFraction(parseSpec({ ...base, model: { ...base.model, frozen: [] } })).fraction).toBeGreaterThan(0.999);
    // the old regimes-test case (n = 12)
    expect(unrepresentedFraction(parseSpec({ ...base, data: { ...base.data, train: { kind: 'circle', n: 12 } } })).fraction).toBeGreaterThan(0.999);
    // an even frequency, or a bias (all Fourier modes), makes it learnable
    expect(unrepresentedFraction(parseSpec({ ...base, data: { ...base.data, target: { kind: 'sin', frequency: 2 } } })).fraction).toBeLessThan(THRESHOLD);
    expect(unrepresentedFraction(parseSpec({ ...base, model: { ...base.model, biasStd: 0.5 } })).fraction).toBeLessThan(THRESHOLD);
  });
});
