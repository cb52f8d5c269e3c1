// PENDING (issue 14): needs the GPU residual network of branch r12-resnet. After that merge, move to
// tests/dynamics/depth-coordinates.test.ts. Run 2026-12-01 on a local merge with r12-resnet (SwiftShader):
// both tests passed in 34 s; depth-µP sizes 0.432, 0.447, 0.457, 0.463 at B = 2, 4, 8, 16 (theory 0.437…0.447),
// changes 0.055…0.062; β = 1 sizes 0.515, 0.764, 1.755 at B = 2, 4, 8 and B = 16 diverged at lr 0.1.

// The depth-wise coordinate check (Tensor Programs VI, Yang, Yu, Zhu & Hayou, arXiv:2310.02244):
// at a fixed width, the size of the last block's activations φ(h_B) and their change after a few
// GD steps, against the number of blocks B. Under depth-µP (branch multiplier 1/√B, µP's Dense
// scales) both are flat in B; with the same Dense scales and β = 1 (no branch multiplier) they grow
// (for ReLU, σ_w = 1: the stream's variance grows by 1 + σ_w²/2 = 1.5 per block, so mean|φ(h_B)| ∝ 1.5^(B/2)).
// The size at initialisation is also the infinite-width prediction E|relu(u)| = √(Σ_B/(2π)),
// Σ_B from src/theory/residual.ts (µP's hidden Dense has the NTK parameterization's forward).
// The trainer and the records' `coordinates` observable directly (the whole Experiment's
// observables cost minutes on SwiftShader).
import { describe, expect, it } from 'vitest';
import { coordinates } from '../../src/dynamics/observables';
import { Trainer } from '../../src/dynamics/trainer';
import { Mlp } from '../../src/nets/mlp';
import { mlpConfig, parseSpec, specData, specLoss, type ExperimentSpecInput } from '../../src/spec';
import { residualVariances } from '../../src/theory';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const BLOCKS = [2, 4, 8, 16];
const WIDTH = 128;
const E = 4;

const specInput = (blocks: number, parameterization: 'depth-mup' | 'mup', branchMultiplier: number | '1/sqrt(blocks)'): ExperimentSpecInput => ({
  seed: 5,
  model: { inputDim: 4, hidden: [WIDTH], activation: 'relu', parameterization, residual: { blocks, branchMultiplier }, ensemble: E },
  data: { train: { kind: 'gaussian', n: 16 }, target: { kind: 'single_index', activation: 'tanh' } },
  train: { optimizer: 'gd', lr: 0.1, steps: 3 },
});

const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;

/** Ensemble means of mean|φ(h_B)| at initialisation, of its change after 3 GD steps, and of the output's change. */
async function sizes(parameterization: 'depth-mup' | 'mup', beta: number | '1/sqrt(blocks)', blocks: readonly number[]) {
  const { rt } = ctx;
  const out: { size0: number; change: number; outputChange: number }[] = [];
  for (const B of blocks) {
    const spec = parseSpec(specInput(B, parameterization, beta));
    const { train } = specData(spec);
    const trainer = new Trainer(rt, mlpConfig(spec, [WIDTH]), { x: train.x, y: train.y! }, {
      optimizer: 'gd', lr: spec.train.lr, momentum: 0, batchSize: null, loss: specLoss(spec), frozen: [], linearized: false,
    });
    await trainer.start();
    const init = await coordinates(rt, trainer.initialTrainCache(), trainer.initialTrainCache(), E);
    trainer.step(spec.train.steps);
    const cache = trainer.net.forward(trainer.trainX);
    const coords = await coordinates(rt, cache, trainer.initialTrainCache(), E);
    Mlp.release(cache);
    expect(coords.length).toBe(B + 2); // φ(h_0)..φ(h_B), f
    out.push({ size0: mean(init[B].meanAbs), change: mean(coords[B].meanAbsChange), outputChange: mean(coords[B + 1].meanAbsChange) });
    trainer.dispose();
  }
  return out;
}

const spread = (v: number[]) => Math.max(...v) / Math.min(...v);

describe('depth-wise coordinate check at width 128 (ensemble of 4, 3 GD steps at lr 0.1)', () => {
  it('depth-µP: activation sizes and their changes flat in B; sizes match the infinite-width theory', async () => {
    const s = await sizes('depth-mup', '1/sqrt(blocks)', BLOCKS);
    console.info('depth-mup', JSON.stringify(s));
    expect(spread(s.map((r) => r.size0))).toBeLessThan(1.25);
    expect(spread(s.map((r) => r.change))).toBeLessThan(1.5);
    expect(spread(s.map((r) => r.outputChange))).toBeLessThan(1.5);
    const x = specData(parseSpec(specInput(2, 'depth-mup', '1/sqrt(blocks)'))).train.x;
    BLOCKS.forEach((B, i) => {
      // E over the train inputs of √(Σ_B(x, x)/(2π)), Σ_0 = σ_w²·‖x‖²/d
      const predicted = mean(x.map((xi) => {
        const q0 = xi.reduce((a, v) => a + v * v, 0) / xi.length;
        const qB = residualVariances({ depth: 1, weightStd: 1, biasStd: 0, activation: 'relu', residual: { blocks: B, branchMultiplier: 1 / Math.sqrt(B) } }, q0)[B];
        return Math.sqrt(qB / (2 * Math.PI));
      }));
      console.info(B, s[i].size0, predicted);
      // finite width 128, 16 inputs, 4 members: within 15%
      expect(s[i].size0 / predicted).toBeGreaterThan(0.85);
      expect(s[i].size0 / predicted).toBeLessThan(1.15);
    });
  }, 600_000);

  it('β = 1 (µP Denses, no branch multiplier): sizes and changes grow with B (B = 2, 4, 8; B = 16 diverges at this lr)', async () => {
    const s = await sizes('mup', 1, [2, 4, 8]);
    console.info('beta=1', JSON.stringify(s));
    // at init ∝ 1.5^(B/2): 1.5³ ≈ 3.4 from B = 2 to 8
    expect(s[2].size0 / s[0].size0).toBeGreaterThan(2.5);
    expect(s[2].change / s[0].change).toBeGreaterThan(3);
    expect(s[2].outputChange / s[0].outputChange).toBeGreaterThan(2);
  }, 600_000);
});
