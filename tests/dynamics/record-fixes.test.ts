// Records after the hostile-user run of round 13 (tiny networks on SwiftShader): full-batch "sgd"
// is "gd" in its records and closed form, lstsq has no sharpness, and the kernels file after a
// divergence holds the last finite Θ_t with its own step (kernels-file.ts).
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/dynamics/sweep';
import type { KernelsFile } from '../../src/dynamics/kernels-file';
import type { DivergenceRecord } from '../../src/dynamics/records';
import { parseSpec, type ExperimentSpecInput } from '../../src/spec';
import { records, runSpec } from '../helpers/experiment';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const base = (train: Record<string, unknown>, model: Record<string, unknown> = {}): ExperimentSpecInput => ({
  seed: 0,
  model: { inputDim: 2, hidden: [16], activation: 'relu', parameterization: 'ntk', ...model },
  data: { train: { kind: 'circle', n: 4 }, test: { kind: 'circle', n: 3 }, target: { kind: 'sin' } },
  train: { lr: 1, steps: 2, recordEvery: 2, ...train },
});

describe('full-batch sgd', () => {
  it('prints the records of gd, closed form included (kernelRegression.mode "gd", the same modes[].predicted)', async () => {
    const gd = records(await runSpec(ctx.rt, base({ optimizer: 'gd' })));
    // batchSize null and batchSize = n (4) are both the full batch
    for (const batchSize of [null, 4]) expect(records(await runSpec(ctx.rt, base({ optimizer: 'sgd', batchSize }))), `batchSize ${batchSize}`).toEqual(gd);
    expect(gd.map((r) => r.kernelRegression?.mode)).toEqual(['gd', 'gd']);
    // minibatches are not gd: gradient flow is their closed form
    const mini = records(await runSpec(ctx.rt, base({ optimizer: 'sgd', batchSize: 2 })));
    expect(mini.at(-1)!.kernelRegression!.mode).toBe('flow');
  });
});

describe('lstsq', () => {
  it('records no sharpness (the solve does not depend on train.lr), where gd records η·λ_max/n', async () => {
    const spec = (lr: number) => base({ optimizer: 'lstsq', lr, steps: 1, recordEvery: 1 }, { frozen: [0] });
    for (const lr of [1, 1000]) for (const r of records(await runSpec(ctx.rt, spec(lr)))) expect(r.sharpness, `lr ${lr}, step ${r.step}`).toBeNull();
    const gd = records(await runSpec(ctx.rt, base({ steps: 0 }, { frozen: [0] })));
    expect(gd[0].sharpness).toBeGreaterThan(0);
  });
});

describe('the kernels file after a divergence', () => {
  it('holds the last finite Θ_t with the step of its record and the divergence, never a NaN', async () => {
    const files: KernelsFile[] = [];
    const lines = [];
    for await (const line of runExperiment(ctx.rt, parseSpec(base({ lr: 1000, steps: 20, recordEvery: 5 })), { onWidthEnd: async (e) => void files.push(await e.kernelsFile()) })) lines.push(line);
    const divergence = lines.find((l): l is { diverged: DivergenceRecord } => 'diverged' in l)!.diverged;
    const last = records(lines).at(-1)!;
    expect(files).toHaveLength(1);
    const [file] = files;
    expect(file.diverged).toEqual({ step: divergence.step, reason: divergence.reason });
    expect(file.step).toBe(last.step);
    expect(file.step!).toBeLessThan(divergence.step);
    expect(file.current!.flat().every(Number.isFinite)).toBe(true);
    expect(file.initial!.flat().every(Number.isFinite)).toBe(true);
    // at step 0 (the only record before lr 1000 blows up) Θ_t is Θ₀
    if (file.step === 0) expect(file.current).toEqual(file.initial);
    // a run that does not diverge gets Θ_t at its end, without a diverged field
    const fine: KernelsFile[] = [];
    for await (const line of runExperiment(ctx.rt, parseSpec(base({ steps: 2 })), { onWidthEnd: async (e) => void fine.push(await e.kernelsFile()) })) void line;
    expect(fine[0].step).toBe(2);
    expect(fine[0].diverged).toBeUndefined();
    expect(fine[0].current).not.toEqual(fine[0].initial);
  });
});

