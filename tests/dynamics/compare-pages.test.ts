// train.compare on the pages' path: Experiment.create/train/record (what demos/ui/training.ts drives,
// a few steps per frame) trains the random-features model beside the network exactly as the CLI's
// runner does (runExperiment, which `widenet run` calls), through the same Experiment.step, so the
// `models` blocks are the same numbers.
import { describe, expect, it } from 'vitest';
import { Experiment, type RunRecord } from '../../src/dynamics/experiment';
import { parseSpec, type ExperimentSpecInput } from '../../src/spec';
import { records, runSpec } from '../helpers/experiment';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

describe('train.compare: the pages and the CLI runner give the same models block', () => {
  const input: ExperimentSpecInput = {
    seed: 9,
    model: { inputDim: 2, hidden: [16], activation: 'tanh', parameterization: 'ntk', biasStd: 0.3, ensemble: 2 },
    data: { train: { kind: 'circle', n: 6 }, test: { kind: 'circle', n: 5 }, target: { kind: 'sin' } },
    train: { lr: 1, steps: 6, recordEvery: 3, compare: true },
    observe: { spectrum: 0 },
  };

  it('records at steps 0, 3, 6: identical rf, nt, nn losses and rf weight changes', async () => {
    const cli = records(await runSpec(ctx.rt, input));
    expect(cli.map((r) => r.step)).toEqual([0, 3, 6]);

    // the pages' driver: train in uneven chunks, as frames do, and record at the same steps
    const exp = await Experiment.create(ctx.rt, parseSpec(input, 'page state', { training: true }));
    const pages: RunRecord[] = [];
    try {
      for (const chunks of [[], [2, 1], [1, 2]]) {
        for (const c of chunks) await exp.train(c);
        const r = await exp.record();
        if ('diverged' in r) throw new Error(r.diverged.reason);
        pages.push(r);
      }
    } finally {
      exp.dispose();
    }
    expect(pages.map((r) => r.step)).toEqual([0, 3, 6]);
    pages.forEach((r, i) => {
      expect(r.models, `pages' record at step ${r.step}`).toBeDefined();
      expect(r.models).toEqual(cli[i].models);
    });
    // the comparison moved: random features (readout only) differ from the network after training
    const last = pages[2].models!;
    expect(last.rf.weightChange![0]).toBe(0);
    expect(last.rf.weightChange![1]).toBeGreaterThan(0);
    expect(last.rf.trainLoss).not.toBe(last.nn.trainLoss);
    expect(last.nt.trainLoss).not.toBe(last.nn.trainLoss);
    expect(last.nn.trainLoss).toBeLessThan(pages[0].models!.nn.trainLoss!);
  });
});
