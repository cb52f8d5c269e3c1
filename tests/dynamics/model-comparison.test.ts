// train.compare: random features (RF), the linearised network (NT) and the network (NN) side by
// side (src/dynamics/model-comparison.ts), and the closed-form population risks of
// src/theory/quadratic-risk.ts against the trained models.
import { describe, expect, it } from 'vitest';
import { Experiment } from '../../src/dynamics/experiment';
import type { ModelComparisonRecord, RunRecord } from '../../src/dynamics/records';
import { quadraticTargetMatrices } from '../../src/data';
import { parseSpec, specData, type ExperimentSpecInput } from '../../src/spec';
import { bestRankQuadraticRisk, linearizedQuadraticRisk, randomFeaturesQuadraticRisk } from '../../src/theory';
import { records, runSpec } from '../helpers/experiment';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const models = (r: RunRecord): ModelComparisonRecord => {
  expect(r.models, `record at step ${r.step}`).toBeDefined();
  return r.models!;
};

describe('train.compare: RF, NT and NN on the same task', () => {
  // a deep µP network: RF freezes layers 0 and 1, trains the readout only
  const spec: ExperimentSpecInput = {
    seed: 4,
    model: { inputDim: 3, hidden: [24, 24], activation: 'tanh', parameterization: 'mup', ensemble: 2 },
    data: { train: { kind: 'sphere', n: 12 }, test: { kind: 'sphere', n: 12 }, target: { kind: 'teacher', hidden: [4, 4], activation: 'tanh' } },
    train: { lr: 0.5, steps: 6, recordEvery: 3, compare: true },
    observe: { spectrum: 0 },
  };

  it('every record has the three models; same θ₀, so the same initial losses; RF has its first layers frozen', async () => {
    const rs = records(await runSpec(ctx.rt, spec));
    expect(rs.map((r) => r.step)).toEqual([0, 3, 6]);
    for (const r of rs) {
      const m = models(r);
      expect(m.nn).toEqual({ trainLoss: r.trainLoss, testLoss: r.testLoss });
      expect(m.nt).toEqual({ trainLoss: r.linearTrainLoss, testLoss: r.linearTestLoss });
      expect(m.population).toBeNull(); // tanh: no closed form
    }
    const [first, , last] = rs.map(models);
    for (const which of ['trainLoss', 'testLoss'] as const) {
      expect(first.rf[which]).toBe(first.nn[which]);
      expect(first.nt[which]).toBe(first.nn[which]);
    }
    expect(last.rf.weightChange!.slice(0, 2)).toEqual([0, 0]);
    expect(last.rf.weightChange![2]).toBeGreaterThan(0);
    expect(rs[2].weightChange[0]).toBeGreaterThan(0); // the network's own first layer moves
    expect(last.rf.trainLoss!).toBeLessThan(first.rf.trainLoss!);
    // the three really are different models after training
    expect(last.rf.trainLoss).not.toBe(last.nn.trainLoss);
    expect(last.nt.trainLoss).not.toBe(last.nn.trainLoss);

    // RF is exactly the run with model.frozen = [0, 1] and nothing else
    const frozen = records(await runSpec(ctx.rt, { ...spec, model: { ...spec.model, frozen: [0, 1] }, train: { ...spec.train, compare: false } }));
    frozen.forEach((r, i) => {
      const rf = models(rs[i]).rf;
      expect(rf.trainLoss).toBeCloseTo(r.trainLoss, 12);
      expect(rf.testLoss).toBeCloseTo(r.testLoss!, 12);
      expect(rf.weightChange).toEqual(r.weightChange);
    });
  });
});

describe('closed-form population risks (quadratic target, quadratic activation, sphere of radius √d)', () => {
  // d = 8, N = 3 neurons < d: none of the three models can represent the target, and the three risks differ
  const d = 8;
  const m = 3;
  const nTrain = 300;
  const nTest = 500;
  const spec: ExperimentSpecInput = {
    seed: 2,
    model: { inputDim: d, hidden: [m], activation: 'quadratic', parameterization: 'ntk' },
    data: { train: { kind: 'sphere', n: nTrain }, test: { kind: 'sphere', n: nTest }, target: { kind: 'quadratic' } },
    // lr below the stable 2n/λ_max; all three test losses moved by < 0.2% from step 500 to 2000 (SwiftShader run, 2026-12-01)
    train: { lr: 2, steps: 500, recordEvery: 500, compare: true },
    observe: { spectrum: 0 },
  };

  it('the trained RF, NT and NN reach their closed forms within the test set\'s sampling error', async () => {
    const parsed = parseSpec(spec);
    const radius = Math.sqrt(d);
    // the first-layer weights W of θ₀, to recompute the closed forms and their optimal predictors here
    const probe = await Experiment.create(ctx.rt, parsed);
    const flat = await probe.trainer.initial.layers[0].weight.read();
    probe.dispose();
    const W = Array.from({ length: m }, (_, i) => Array.from(flat.subarray(i * d, (i + 1) * d)));
    const B = quadraticTargetMatrices(d, 1, parsed.seed)[0];
    const closed = { rf: randomFeaturesQuadraticRisk(W, B, radius), nt: linearizedQuadraticRisk(W, B, radius), nn: bestRankQuadraticRisk(B, m, radius) };

    const rs = records(await runSpec(ctx.rt, spec));
    const last = models(rs[rs.length - 1]);
    expect(last.population!.radius).toBeCloseTo(radius, 12);
    for (const which of ['rf', 'nt', 'nn'] as const) expect(last.population![which]!).toBeCloseTo(closed[which].risk, 10);

    // sampling error of a test loss: the standard error of ½(f − y)² over the test points, for the optimal predictor
    const test = specData(parsed).test!;
    const form = (A: number[][], x: number[]) => x.reduce((s, xi, i) => s + xi * A[i].reduce((t, a, j) => t + a * x[j], 0), 0);
    // parameters of each model class (least-squares excess risk ≈ R·p/(n − p)): RF m; NT dim{A : (I−P)A(I−P) = 0}; NN rank-m symmetric
    const q = d - m;
    const params = { rf: m, nt: (d * (d + 1)) / 2 - (q * (q + 1)) / 2, nn: d * m - (m * (m - 1)) / 2 };
    const bands: Record<string, [number, number]> = {};
    for (const which of ['rf', 'nt', 'nn'] as const) {
      const R = closed[which].risk;
      const losses = test.x.map((x, i) => 0.5 * (form(closed[which].matrix, x) - test.y![i][0]) ** 2);
      const mean = losses.reduce((s, v) => s + v, 0) / nTest;
      const se = Math.sqrt(losses.reduce((s, v) => s + (v - mean) ** 2, 0) / (nTest - 1) / nTest);
      // the closed form itself against the optimal predictor on these test points
      expect(Math.abs(mean - R), `${which}: optimal predictor's test loss ${mean} against the closed form ${R}`).toBeLessThan(4 * se);
      bands[which] = [R - 4 * se, R + 4 * se + (3 * R * params[which]) / (nTrain - params[which])];
      const trained = last[which].testLoss!;
      expect(trained, `${which}: trained test loss against the closed form ${R}`).toBeGreaterThan(bands[which][0]);
      expect(trained, `${which}: trained test loss against the closed form ${R}`).toBeLessThan(bands[which][1]);
    }
    // no model's band holds another model's closed form: a model that reached another's risk would fail
    for (const which of ['rf', 'nt', 'nn'] as const) {
      for (const other of ['rf', 'nt', 'nn'] as const) {
        if (other === which) continue;
        const R = closed[other].risk;
        expect(R < bands[which][0] || R > bands[which][1], `${other}'s risk ${R} outside ${which}'s band [${bands[which]}]`).toBe(true);
      }
    }
  });
});
