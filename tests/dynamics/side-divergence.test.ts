// A side model's overflow is its own divergence, also when an observable of it overflows first:
// in the catapult (uv model, ηλ₀ = 3) the linearised model grows by |1 − ηλ₀| = 2 per step, and its
// displacement Σ_p (η/η_p)·‖θ_p − θ_p(0)‖² (implicitBias.linearized) overflows float32 (near step 64)
// before its outputs do (near step 125). Recorded at every step, as the "Beyond the kernel" page does,
// that overflow must stop the linearised model with its own line, not end the network.
import { describe, expect, it } from 'vitest';
import { Experiment, type RunRecord } from '../../src/dynamics/experiment';
import { parseSpec } from '../../src/spec';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('side-model divergence from an overflowing observable', () => {
  it('uv model at ηλ₀ = 3, recorded every step: the linearised model stops alone, the network goes on', async () => {
    const spec = parseSpec({
      seed: 0,
      model: { inputDim: 1, hidden: [256], outputDim: 1, activation: 'identity', parameterization: 'ntk', weightStd: 1, biasStd: 0 },
      data: { train: { kind: 'points', x: [[1]], y: [[1]] } },
      train: { lr: 1.575, steps: 80, recordEvery: 1, linearized: true, quadratic: true }, // examples/catapult.json: ηλ₀ = 3.00
      observe: { spectrum: 1 },
    });
    const exp = await Experiment.create(ctx.rt, spec);
    try {
      const lines: { step: number; model: string; reason: string | null }[] = [];
      let last: RunRecord | null = null;
      // every step through the spike and fall (the catapult is read off the records), then from step 50 on
      for (let t = 0; t <= 80; t = t === 8 ? 50 : t + 1) {
        if (t === 50) await exp.train(50 - exp.stepIndex);
        const r = await exp.record();
        expect('diverged' in r, `network diverged at step ${t}: ${JSON.stringify(r).slice(0, 300)}`).toBe(false);
        last = r as RunRecord;
        lines.push(...exp.takeSideLines().map((l) => ({ step: l.diverged.step, model: l.diverged.model, reason: l.diverged.reason ?? null })));
        if (lines.length === 0) expect(last.linearTrainLoss, `step ${t}`).toBeDefined();
        if (t < 80 && t !== 8) await exp.train(1);
      }
      expect(lines.map((l) => l.model)).toEqual(['linearized']);
      expect(lines[0].step).toBeGreaterThan(40);
      expect(lines[0].step).toBeLessThan(80);
      expect(lines[0].reason).toContain('implicitBias.linearized');
      // after it: no linearised fields, a null displacement, the network and the quadratic model recorded
      expect(last!.linearTrainLoss).toBeUndefined();
      expect(last!.linearGap).toBeNull();
      expect(last!.implicitBias!.linearized).toBeNull();
      expect(Number.isFinite(last!.implicitBias!.network)).toBe(true);
      expect(last!.quadraticTrainLoss).toBeDefined();
      expect(last!.trainLoss).toBeLessThan(1e-3);
      expect(last!.catapult).not.toBeNull();
    } finally {
      exp.dispose();
    }
  });
});
