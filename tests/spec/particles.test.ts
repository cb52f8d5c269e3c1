// observe.particles: the neurons (a_j, w_j) of a two-layer network (src/spec/particles-checks.ts).
// Refused by field path for deep and residual nets (they have no such pairs), at validation and by
// the CLI with exit code 2; a two-layer net still records them.
import { describe, expect, it } from 'vitest';
import { Experiment } from '../../src/dynamics/experiment';
import { parseSpec, safeParseSpec, type ExperimentSpecInput } from '../../src/spec';
import { specFolder, widenet } from '../helpers/cli';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const spec = (model: Record<string, unknown>, particles = 4, extra: Record<string, unknown> = {}): ExperimentSpecInput =>
  ({ model: { inputDim: 2, hidden: [16], ...model }, data: { train: { kind: 'circle', n: 4 }, target: { kind: 'sin' } }, observe: { particles }, ...extra }) as ExperimentSpecInput;

function problems(input: unknown): string[] {
  const result = safeParseSpec(input);
  if (result.ok) throw new Error(`expected the spec to be refused: ${JSON.stringify(input)}`);
  return result.issues.map((i) => `${i.path || '(spec)'}: ${i.message}`);
}

const WHY = 'expected 0, or a network with one hidden layer and no residual blocks (the particles (a_j, w_j) are the mean-field picture of a two-layer network: each hidden neuron\'s readout weight and input weights)';

describe('observe.particles', () => {
  it('is refused by field path for a deep net, a deep width sweep and a residual net, saying why and what is allowed', () => {
    expect(problems(spec({ hidden: [16, 16] }))).toEqual([`observe.particles: ${WHY}; received 4 for a network with 2 hidden layers`]);
    expect(problems(spec({ hidden: [[8, 8, 8], [16, 16, 16]] }, 2))).toEqual([`observe.particles: ${WHY}; received 2 for a network with 3 hidden layers`]);
    expect(problems(spec({ hidden: undefined }, 4, { sweep: { hidden: [[8, 8], [16, 16]] } }))).toEqual([`observe.particles: ${WHY}; received 4 for a network with 2 hidden layers`]);
    expect(problems(spec({ residual: { blocks: 2 } }))).toEqual([`observe.particles: ${WHY}; received 4 for a residual network (model.residual with 2 blocks)`]);
    // a grid point that makes the net deep is refused too
    const grid = problems(spec({}, 4, { sweep: { grid: { 'model.hidden': [[16], [16, 16]] } } }));
    expect(grid).toHaveLength(1);
    expect(grid[0]).toContain(`${WHY}; received 4 for a network with 2 hidden layers`);
  });

  it('is accepted as 0 for any net, and as N > 0 for one hidden layer without residual blocks', () => {
    expect(parseSpec(spec({ hidden: [16, 16] }, 0)).observe.particles).toBe(0);
    expect(parseSpec(spec({ residual: { blocks: 3 } }, 0)).observe.particles).toBe(0);
    expect(parseSpec(spec({ hidden: [[8], [16]] }, 5)).observe.particles).toBe(5);
    expect(parseSpec(spec({ residual: null }, 5)).observe.particles).toBe(5);
  });

  it('the CLI refuses it with exit code 2, before any GPU work', () => {
    const { specFile } = specFolder('widenet-particles-');
    const r = widenet(['run', specFile('deep.json', spec({ hidden: [8, 8] }, 3))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`observe.particles: ${WHY}; received 3 for a network with 2 hidden layers`);
    expect(r.stdout).toBe('');
  });

  it('a two-layer net still records the first N neurons of member 0', async () => {
    const exp = await Experiment.create(ctx.rt, parseSpec(spec({ hidden: [16], ensemble: 2 }, 3, { train: { lr: 0.5, steps: 2, recordEvery: 2 } })));
    try {
      await exp.train(2);
      const rec = await exp.record();
      if ('diverged' in rec) throw new Error(rec.diverged.reason);
      expect(rec.particles!.a).toHaveLength(3);
      expect(rec.particles!.w).toHaveLength(3);
      for (const w of rec.particles!.w) expect(w).toHaveLength(2); // d = 2, no bias
      // neuron 0's input weights as stored, times the layer's multiplier (observables.ts particles)
      const w1 = await exp.net.layers[0].weight.read();
      const mult = exp.net.layers[0].scales.mult;
      expect(rec.particles!.w[0][0]).toBeCloseTo(mult * w1[0], 6);
      expect(rec.particles!.w[0][1]).toBeCloseTo(mult * w1[1], 6);
      // its readout weight a'_0 = m·mult₂·a_0 (the mean-field normalisation)
      const a = await exp.net.layers[1].weight.read();
      expect(rec.particles!.a[0]).toBeCloseTo(16 * exp.net.layers[1].scales.mult * a[0], 6);
    } finally {
      exp.dispose();
    }
  });
});
