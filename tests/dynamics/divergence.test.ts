// Undefined is not divergent (issue 10): an observable that is 0/0 for the data is null and the
// run goes on; only non-finite parameters, outputs or losses end a width, and the divergence line
// names the quantity. Kernel observables use Θ_η, the kernel GD follows, so they are α-free and
// width-independent under mean-field and µP.
import { describe, expect, it } from 'vitest';
import { Experiment, type DivergenceRecord, type RunLine, type SweepSummary } from '../../src/dynamics/experiment';
import { parseSpec, SpecError, type ExperimentSpecInput } from '../../src/spec';
import { records, runSpec } from '../helpers/experiment';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

const run = (spec: ExperimentSpecInput) => runSpec(ctx.rt, spec);
const divergence = (lines: RunLine[]) => (lines.find((l) => 'diverged' in l) as { diverged: DivergenceRecord } | undefined)?.diverged ?? null;

const base = { model: { inputDim: 2, hidden: [16] }, data: { train: { kind: 'circle' as const, n: 8 }, target: { kind: 'sin' as const } }, train: { steps: 4, recordEvery: 2 } };

describe('undefined observables are null, not a divergence', () => {
  it('all-zero targets: the two-layer linear model a·w/√m on x = 1, y = 0 trains at a stable lr', async () => {
    const lines = await run({ model: { inputDim: 1, hidden: [1], activation: 'identity' }, data: { train: { kind: 'points', x: [[1]], y: [[0]] } }, train: { lr: 0.5, steps: 10, recordEvery: 5 } });
    expect(divergence(lines)).toBeNull();
    const recs = records(lines);
    expect(recs.map((r) => r.step)).toEqual([0, 5, 10]);
    for (const r of recs) {
      expect(r.alignment).toBeNull(); // yᵀΘy/(‖Θ‖·‖y‖²) = 0/0
      expect(Number.isFinite(r.trainLoss)).toBe(true);
    }
    expect(recs[2].trainLoss).toBeLessThan(recs[0].trainLoss);
  });
  it('a zero NTK (all-zero inputs, no bias): ntkChange and alignment are null, the loss stays put', async () => {
    const lines = await run({ model: { inputDim: 2, hidden: [8] }, data: { train: { kind: 'points', x: [[0, 0], [0, 0]], y: [[1], [-1]] } }, train: { lr: 0.5, steps: 4, recordEvery: 2 } });
    expect(divergence(lines)).toBeNull();
    for (const r of records(lines)) {
      expect(r.ntkChange).toBeNull();
      expect(r.alignment).toBeNull();
      expect(r.ntkEigenvalues.every((v) => v === 0)).toBe(true);
      expect(r.trainLoss).toBeCloseTo(0.5, 6); // f = 0: ½·mean(y²)
    }
  });
  it('one point with a constant target, SGD with batches of 1, ensemble of 2: every record finite', async () => {
    const lines = await run({ model: { inputDim: 2, hidden: [8], ensemble: 2, biasStd: 0.2 }, data: { train: { kind: 'points', x: [[0.5, -0.5]], y: [[2]] }, test: { kind: 'points', x: [[0.5, -0.5], [0.5, -0.5]], y: [[2], [2]] } }, train: { optimizer: 'sgd', batchSize: 1, lr: 0.5, steps: 6, recordEvery: 3, linearized: true } });
    expect(divergence(lines)).toBeNull();
    for (const r of records(lines)) {
      expect(r.ntkChange).not.toBeNull();
      expect(r.alignment).not.toBeNull();
      expect(r.linearGap).not.toBeNull();
    }
    expect(records(lines).at(-1)!.trainLoss).toBeLessThan(records(lines)[0].trainLoss);
  });
  it('a sweep whose ntkChange is null has a null slope, not NaN', async () => {
    const lines = await run({ model: { inputDim: 2, hidden: [[8], [16]] }, data: { train: { kind: 'points', x: [[0, 0], [0, 0]], y: [[1], [-1]] } }, train: { lr: 0.5, steps: 2, recordEvery: 2 } });
    const summary = (lines.at(-1) as { summary: SweepSummary }).summary;
    expect(summary.slopes.ntkChange).toBeNull();
  });
});

describe('divergence names the quantity', () => {
  it('outputs that overflow float32 at initialisation (σ_w = 1e30) end the width at step 0, without a crash', async () => {
    const lines = await run({ ...base, model: { ...base.model, weightStd: 1e30 } });
    const d = divergence(lines)!;
    expect(d).not.toBeNull();
    expect(d.step).toBe(0);
    expect(d.reason).toMatch(/network's outputs on the train set became non-finite/);
    expect(lines).toHaveLength(1);
  });
  it('a learning rate far above the edge: the parameters of a named layer, and a suggested rate below it', async () => {
    const lines = await run({ ...base, train: { lr: 1e4, steps: 40, recordEvery: 40 } });
    const d = divergence(lines)!;
    expect(d.reason).toMatch(/parameters of layer \d became non-finite/);
    expect(d.suggestedMaxLr).not.toBeNull();
    expect(d.suggestedMaxLr!).toBeLessThan(d.lr);
  });
  it('Experiment.train notices a divergence itself (pages train without recording every frame)', async () => {
    const exp = await Experiment.create(ctx.rt, parseSpec({ ...base, train: { lr: 1e4, steps: 40 } }));
    try {
      await exp.train(40);
      expect(exp.diverged?.reason).toMatch(/parameters of layer \d became non-finite/);
    } finally {
      exp.dispose();
    }
  });
  it('α outside float32 range is refused by field path, not run', () => {
    for (const alpha of [1e20, 1e-20, 1e-300]) {
      expect(() => parseSpec({ ...base, model: { ...base.model, alpha } })).toThrow(SpecError);
      try {
        parseSpec({ ...base, model: { ...base.model, alpha } });
      } catch (e) {
        expect((e as SpecError).issues[0].path).toBe('model.alpha');
      }
    }
  });
});

describe('kernel observables follow Θ_η', () => {
  it('the same net at α = 1 and α = 4 (centred): identical ntkEigenvalues, as Θ_η is α-free', async () => {
    const spec = (alpha: number) => ({ ...base, model: { ...base.model, alpha, centered: true }, train: { steps: 0 }, observe: { spectrum: 3 } });
    const [a, b] = [records(await run(spec(1)))[0], records(await run(spec(4)))[0]];
    a.ntkEigenvalues.forEach((v, i) => expect(b.ntkEigenvalues[i]).toBeCloseTo(v, 4));
  });
  it('mean-field with biases: the top eigenvalue and the stable rate do not fall with width; GD at lr 0.5 does not diverge', async () => {
    const lines = await run({
      seed: 1, model: { inputDim: 2, hidden: [[256], [4096]], parameterization: 'meanfield', biasStd: 0.4, ensemble: 2 },
      data: { train: { kind: 'circle', n: 8 }, target: { kind: 'sin' } }, train: { lr: 0.5, steps: 20, recordEvery: 20 }, observe: { spectrum: 1 },
    });
    expect(divergence(lines)).toBeNull();
    const first = records(lines).filter((r) => r.step === 0);
    const ratio = first[1].ntkEigenvalues[0] / first[0].ntkEigenvalues[0];
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
