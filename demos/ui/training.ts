// The pages' one door to training (src/dynamics): every page trains through this module, so
// that a change in the trainer's API is reconciled here only. GPU work is spread over
// animation frames: a few optimizer steps, then a frame.
import { parseSpec, type ExperimentSpecInput, type Mlp, type Runtime } from '../../src/index';
import { Experiment, type DivergenceRecord, type RunRecord } from '../../src/dynamics/experiment';
import { nextFrame } from './loop';

export { Experiment, type DivergenceRecord, type RunRecord };
export { logLogSlope, meanStd } from '../../src/dynamics/observables';

export const trainingAvailable = true;

/** One width of a spec (validated by parseSpec first: a bad spec throws SpecError listing its problems). */
export async function createExperiment(rt: Runtime, spec: ExperimentSpecInput, hidden?: number[]): Promise<Experiment> {
  return Experiment.create(rt, parseSpec(spec, 'page state'), hidden ? { hidden } : {});
}

/** Trains `steps` steps in pieces of `perFrame`, yielding a frame between pieces (stops at divergence). */
export async function trainSpread(exp: Experiment, steps: number, perFrame = 10): Promise<void> {
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
    if (exp.diverged) throw new Error(`training diverged at step ${exp.diverged.step} (lr ${exp.diverged.lr}; suggested at most ${exp.diverged.suggestedMaxLr.toPrecision(3)})`);
  } catch (e) {
    exp.dispose();
    throw e;
  }
  return { net: exp.net, dispose: () => exp.dispose() };
}

/** record(), split into the record or the divergence. */
export async function recordOf(exp: Experiment): Promise<{ record: RunRecord | null; diverged: DivergenceRecord | null }> {
  const r = await exp.record();
  return 'diverged' in r ? { record: null, diverged: r.diverged } : { record: r, diverged: null };
}

/** predict() in row chunks of at most `rows` points (a wide network's activations must fit one buffer). */
export async function predictChunked(exp: Experiment, x: number[][], rows: number): Promise<{ network: number[][]; linearized: number[][] | null }> {
  const network: number[][] = [];
  let linearized: number[][] | null = [];
  for (let i = 0; i < x.length; i += rows) {
    const part = await exp.predict(x.slice(i, i + rows));
    network.push(...part.network);
    linearized = part.linearized && linearized ? [...linearized, ...part.linearized] : null;
  }
  return { network, linearized };
}

/** kernelRegression() in row chunks. */
export async function kernelRegressionChunked(exp: Experiment, x: number[][], rows: number): Promise<{ empirical: number[][]; analytic: number[][] | null }> {
  const empirical: number[][] = [];
  let analytic: number[][] | null = [];
  for (let i = 0; i < x.length; i += rows) {
    const part = await exp.kernelRegression(x.slice(i, i + rows));
    empirical.push(...part.empirical);
    analytic = part.analytic && analytic ? [...analytic, ...part.analytic] : null;
  }
  return { empirical, analytic };
}
