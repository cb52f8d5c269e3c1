// The pages' one door to training (src/dynamics). Every page trains through this module, so
// that a change in the trainer's API is reconciled here only. Until src/dynamics/experiment.ts
// exists in the build, `trainingAvailable` is false and the pages say so instead of training.
import { parseSpec, type ExperimentSpecInput, type Mlp, type Runtime } from '../../src/index';
import { nextFrame } from './loop';

/** What the pages use of src/dynamics' Experiment (DESIGN.md §5 record fields). */
export interface RunRecordLike {
  step: number;
  time: number;
  trainLoss: number;
  testLoss: number | null;
  weightChange: number[];
  ntkChange: number | null;
  alignment?: number | null;
  linearGap: number | null;
  coordinates: { mean_abs_h: number; mean_abs_dh: number }[];
  ntkEigenvalues?: number[];
  std?: Record<string, unknown>;
}

export interface ExperimentLike {
  readonly net: Mlp;
  readonly stepIndex: number;
  readonly diverged: { step: number; layer: number; suggestedMaxLr: number } | null;
  train(steps: number): Promise<void>;
  record(): Promise<RunRecordLike>;
  predict(x: number[][]): Promise<{ network: number[][]; linearized: number[][] | null }>;
  kernelRegression(x: number[][]): Promise<{ empirical: number[][]; analytic: number[][] | null }>;
  dispose(): void;
}

type ExperimentModule = { Experiment: { create(rt: Runtime, spec: ReturnType<typeof parseSpec>, options?: { hidden?: number[] }): Promise<ExperimentLike> } };
const modules = import.meta.glob('../../src/dynamics/experiment.ts') as Record<string, () => Promise<ExperimentModule>>;
const load = Object.values(modules)[0];

export const trainingAvailable = load !== undefined;

/** One width of a spec (validated by parseSpec first: a bad spec throws SpecError). */
export async function createExperiment(rt: Runtime, spec: ExperimentSpecInput, hidden?: number[]): Promise<ExperimentLike> {
  if (!load) throw new Error('training is not available in this build: src/dynamics/experiment.ts is missing');
  const { Experiment } = await load();
  return Experiment.create(rt, parseSpec(spec, 'page state'), hidden ? { hidden } : undefined);
}

/** Trains `steps` steps in pieces of `perFrame`, yielding a frame between pieces. */
export async function trainSpread(exp: ExperimentLike, steps: number, perFrame = 10): Promise<void> {
  for (let done = 0; done < steps && !exp.diverged; done += perFrame) {
    await exp.train(Math.min(perFrame, steps - done));
    await nextFrame();
  }
}

/** A network trained from its initialisation for `steps` steps (for kernels after training). */
export async function trainForKernel(rt: Runtime, spec: ExperimentSpecInput, steps: number): Promise<{ net: Mlp; dispose: () => void }> {
  const exp = await createExperiment(rt, spec);
  try {
    await trainSpread(exp, steps);
  } catch (e) {
    exp.dispose();
    throw e;
  }
  return { net: exp.net, dispose: () => exp.dispose() };
}
