// A point's state between two records (src/dynamics/checkpoint.ts): saved after a record, written to
// bytes and read back, restored into a fresh Experiment of the same spec, the runner goes on and
// prints exactly the lines of the uninterrupted run (JSON text equal), for every kind of state:
// heavy-ball velocities, the linearised and quadratic models, SGD's shuffles mid-epoch, a centred
// model, train.compare's second model, a side model that diverged before the checkpoint.
import { describe, expect, it } from 'vitest';
import { CheckpointError, decodeState, encodeState, type SavedState } from '../../src/dynamics/checkpoint';
import { Experiment, runExperiment, type RunLine } from '../../src/dynamics/experiment';
import { parseSpec, type ExperimentSpecInput } from '../../src/spec';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();

const base = (train: Partial<ExperimentSpecInput['train']>, model: Partial<ExperimentSpecInput['model']> = {}, extra: Partial<ExperimentSpecInput> = {}): ExperimentSpecInput => ({
  seed: 3,
  model: { inputDim: 2, hidden: [[24]], activation: 'tanh', parameterization: 'ntk', ...model },
  data: { train: { kind: 'circle', n: 6 }, test: { kind: 'circle', n: 5 }, target: { kind: 'sin' } },
  train: { lr: 0.5, steps: 12, recordEvery: 3, ...train },
  observe: { spectrum: 2 },
  ...extra,
});

/** The uninterrupted lines, then the lines of a run stopped after `after` records and continued from the checkpoint taken there. */
async function stopAndResume(input: ExperimentSpecInput, after: number): Promise<{ whole: string[]; resumed: string[]; bytes: number }> {
  const spec = parseSpec(input);
  const whole: string[] = [];
  for await (const line of runExperiment(ctx.rt, spec)) whole.push(JSON.stringify(line));
  let current: Experiment | null = null;
  const before: RunLine[] = [];
  let saved: Uint8Array | null = null;
  let records = 0;
  for await (const line of runExperiment(ctx.rt, spec, { onExperiment: (e) => (current = e) })) {
    before.push(line);
    if ('step' in line && ++records === after) {
      saved = encodeState(await current!.saveState());
      break; // the generator's finally disposes the experiment: a stopped process
    }
  }
  const state: SavedState = decodeState(saved!, 'test checkpoint');
  const resumed = before.map((l) => JSON.stringify(l));
  for await (const line of runExperiment(ctx.rt, spec, { resumePoint: { index: 0, lines: before, state } })) resumed.push(JSON.stringify(line));
  return { whole, resumed, bytes: saved!.byteLength };
}

describe('checkpoints of a point', () => {
  it('GD with heavy-ball momentum, the linearised and the quadratic model: the resumed run prints the uninterrupted lines', async () => {
    const r = await stopAndResume(base({ momentum: 0.9, quadratic: true, linearized: true }), 2);
    expect(r.resumed).toEqual(r.whole);
    expect(r.whole.length).toBeGreaterThan(4);
  });

  it('SGD stopped inside an epoch (n = 9, batches of 4: two an epoch; stopped at step 3), centred, with weight decay', async () => {
    const r = await stopAndResume(base({ optimizer: 'sgd', batchSize: 4, momentum: 0.5, weightDecay: 0.01 }, { centered: true, alpha: 2 }, { data: { train: { kind: 'circle', n: 9 }, test: { kind: 'circle', n: 5 }, target: { kind: 'sin' } } }), 2);
    expect(r.resumed).toEqual(r.whole);
  });

  it('train.compare (a second model beside the network) and a deeper net', async () => {
    const r = await stopAndResume(base({ compare: true }, { hidden: [[16, 16]], activation: 'relu' }, { data: { train: { kind: 'sphere', n: 6 }, test: { kind: 'sphere', n: 5 }, target: { kind: 'quadratic' } } } as Partial<ExperimentSpecInput>), 2);
    expect(r.resumed).toEqual(r.whole);
  });

  it('after the linearised model diverged alone (its line before the checkpoint), the resumed run keeps it stopped', async () => {
    // the uv model of catapult.test.ts at ηλ₀ ≈ 3: the linearised model overflows, the network catapults
    const uv: ExperimentSpecInput = {
      seed: 2,
      model: { inputDim: 1, hidden: [64], outputDim: 1, activation: 'identity', parameterization: 'ntk', weightStd: 1, biasStd: 0 },
      data: { train: { kind: 'points', x: [[1]], y: [[0]] } },
      train: { lr: 1.5, steps: 300, recordEvery: 20, linearized: true },
      observe: { spectrum: 1 },
    };
    const r = await stopAndResume(uv, 12);
    expect(r.whole.some((l) => l.includes('"model":"linearized"'))).toBe(true);
    expect(r.whole.findIndex((l) => l.includes('"model":"linearized"'))).toBeLessThan(12);
    expect(r.resumed).toEqual(r.whole);
  });

  it('refuses a file that is not a checkpoint, a cut one, and one of another model', async () => {
    expect(() => decodeState(new TextEncoder().encode('{"step": 3}'), 'x.ckpt')).toThrow(/x\.ckpt is not a widenet checkpoint \(it does not start with "widenet-checkpoint 1"\)/);
    const spec = parseSpec(base({ momentum: 0.5 }));
    const a = await Experiment.create(ctx.rt, spec);
    const bytes = encodeState(await a.saveState());
    a.dispose();
    expect(() => decodeState(bytes.subarray(0, bytes.length - 3), 'x.ckpt')).toThrow(/buffer "quadraticVelocity|buffer ".*" runs past its end: the file was cut/);
    const other = await Experiment.create(ctx.rt, parseSpec(base({ momentum: 0.5 }, { hidden: [[32]] })));
    try {
      await expect(other.restoreState(decodeState(bytes, 'x.ckpt'))).rejects.toThrow(CheckpointError);
      await expect(other.restoreState(decodeState(bytes, 'x.ckpt'))).rejects.toThrow(/the checkpoint's buffer "net\.W0" has 192 bytes, the model's 256/);
    } finally {
      other.dispose();
    }
  });
});
