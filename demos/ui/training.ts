// The pages' one door to training (src/dynamics): every page trains through this module, so
// that a change in the trainer's API is reconciled here only. GPU work is spread over
// animation frames: a few optimizer steps, then a frame.
import { parseSpec, type ExperimentSpecInput, type Mlp, type Runtime } from '../../src/index';
import { Experiment, divergenceAdvice, type DivergenceRecord, type RunRecord } from '../../src/dynamics/experiment';
import { solveLeastSquares } from '../../src/dynamics/lstsq';
import { nextFrame } from './loop';

export { Experiment, type DivergenceRecord, type RunRecord };
export { logLogSlope, meanStd } from '../../src/dynamics/observables';

/** One width of a spec (validated by parseSpec first: a bad spec throws SpecError listing its problems). */
export async function createExperiment(rt: Runtime, spec: ExperimentSpecInput, hidden?: number[]): Promise<Experiment> {
  return Experiment.create(rt, parseSpec(spec, 'page state', { training: true }), hidden ? { hidden } : {});
}

/**
 * Trains `steps` steps in pieces of `perFrame`, yielding a frame between pieces; stops at the
 * network's divergence, which then is `exp.diverged`. train() alone does not look (only record()
 * does), so each piece reads the trainer's non-finite flags (a few bytes) and, when the network's
 * went up, takes the record that fills in the divergence (step, layer, reason, suggested lr).
 */
export async function trainSpread(exp: Experiment, steps: number, perFrame = 10): Promise<void> {
  for (let done = 0; done < steps && !exp.diverged; done += perFrame) {
    await exp.train(Math.min(perFrame, steps - done)); // sets exp.diverged when the run diverged
    await nextFrame();
  }
}

/** A network trained from its initialisation for `steps` steps (for kernels after training). */
export async function trainForKernel(rt: Runtime, spec: ExperimentSpecInput, steps: number): Promise<{ net: Mlp; dispose: () => void }> {
  const exp = await createExperiment(rt, spec);
  try {
    await trainSpread(exp, steps);
    if (exp.diverged) throw new Error(`training ${divergenceText(exp.diverged)} (lr ${exp.diverged.lr})`);
  } catch (e) {
    exp.dispose();
    throw e;
  }
  return { net: exp.net, dispose: () => exp.dispose() };
}

/**
 * A divergence as the pages say it: where, why, and the learning rate that should converge (the
 * library's divergenceAdvice, which says so when none can be estimated).
 */
export function divergenceText(d: DivergenceRecord, what = ''): string {
  const model = d.model && d.model !== 'network' ? ` (${d.model} model)` : '';
  const reason = d.reason ? ` (${d.reason})` : '';
  return `${what ? `${what}: ` : ''}diverged at step ${d.step}${model}${reason}; ${divergenceAdvice(d)}.`;
}

/** record(), split into the record or the divergence. */
export async function recordOf(exp: Experiment): Promise<{ record: RunRecord | null; diverged: DivergenceRecord | null }> {
  const r = await exp.record();
  return 'diverged' in r ? { record: null, diverged: r.diverged } : { record: r, diverged: null };
}

/** A spec with `train.optimizer: "lstsq"`: solved in one step, not trained (as `widenet run` does, src/dynamics/sweep.ts). */
export function isSolveOnly(spec: ExperimentSpecInput): boolean {
  return spec.train?.optimizer === 'lstsq';
}

/** Rows per predict / kernel-regression call of the pages: a wide network's [rows, m] activations must fit one buffer. */
export const PREDICT_ROWS = 64;

/** Calls `f` on row chunks of at most `rows` points and joins the results (null stays null). */
async function inChunks<K extends string>(x: number[][], rows: number, f: (part: number[][]) => Promise<Record<K, number[][] | null>>): Promise<Record<K, number[][] | null>> {
  let out: Record<K, number[][] | null> | null = null;
  for (let i = 0; i < x.length; i += rows) {
    const part = await f(x.slice(i, i + rows));
    if (!out) out = part;
    else for (const key of Object.keys(part) as K[]) out[key] = out[key] && part[key] ? [...out[key]!, ...part[key]!] : null;
  }
  return out ?? ({} as Record<K, number[][] | null>);
}

/** predict() in row chunks of at most `rows` points (a wide network's [rows, m] activations must fit one buffer). */
export async function predictChunked(exp: Experiment, x: number[][], rows: number): Promise<{ network: number[][]; linearized: number[][] | null; quadratic: number[][] | null }> {
  const { network, linearized, quadratic } = await inChunks(x, rows, (part) => exp.predict(part));
  return { network: network ?? [], linearized, quadratic: quadratic ?? null };
}

/** kernelRegression() in row chunks. */
export async function kernelRegressionChunked(exp: Experiment, x: number[][], rows: number): Promise<{ empirical: number[][]; analytic: number[][] | null }> {
  const { empirical, analytic } = await inChunks(x, rows, (part) => exp.kernelRegression(part));
  return { empirical: empirical ?? [], analytic };
}

/** One experiment to run in a queue: its spec and what to record. */
export interface QueuedRun<T> {
  tag: T;
  spec: ExperimentSpecInput;
  steps: number;
  /** record at these steps (0 = before training) */
  recordAt: readonly number[];
}

/**
 * Runs experiments one after another, a piece per tick (for the width sweep and the coordinate
 * check: each width one batched ensemble). `tick()` trains at most `perTick` steps of the current
 * run (up to its next record step), records, and moves on; resolves with the steps done (0 when
 * the queue is empty). A run that throws (at creation, in training or in a record) is disposed and
 * skipped, and the error is rethrown naming the run (`name(tag)`), so the page's loop stops with the
 * reason and a later Play goes on with the next run. A `train.optimizer: "lstsq"` run is solved
 * and recorded in one tick (isSolveOnly).
 */
export class ExperimentQueue<T> {
  private current: { run: QueuedRun<T>; exp: Experiment } | null = null;
  private index = 0;
  stepsDone = 0;

  constructor(
    private readonly rt: Runtime,
    readonly runs: QueuedRun<T>[],
    private readonly perTick: number,
    private readonly onRecord: (tag: T, record: RunRecord) => void,
    private readonly onDiverged: (tag: T, diverged: DivergenceRecord) => void,
    private readonly name: (tag: T) => string = (tag) => String(tag),
  ) {}

  get remaining(): number {
    return this.runs.length - this.index;
  }

  async tick(): Promise<number> {
    const run = this.current?.run ?? this.runs[this.index];
    if (!run) return 0;
    try {
      return await this.piece();
    } catch (e) {
      const step = this.current?.exp.stepIndex ?? 0;
      if (this.current) this.finish();
      else this.index++;
      throw new Error(`${this.name(run.tag)}, step ${step}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private async piece(): Promise<number> {
    if (!this.current) {
      const run = this.runs[this.index];
      const exp = await createExperiment(this.rt, run.spec);
      this.current = { run, exp };
      if (isSolveOnly(run.spec)) {
        // lstsq: one tick solves and records (recordAt and steps are not used)
        await solveLeastSquares(exp.trainer);
        this.stepsDone += 1;
        await this.record();
        this.finish();
        return 1;
      }
      const alive = run.recordAt.includes(0) ? await this.record() : true;
      if (alive && exp.stepIndex >= run.steps) this.finish();
      return 1;
    }
    const { run, exp } = this.current;
    const next = run.recordAt.find((s) => s > exp.stepIndex) ?? run.steps;
    const steps = Math.min(this.perTick, next - exp.stepIndex);
    await exp.train(steps);
    this.stepsDone += steps;
    let alive = true;
    if (run.recordAt.includes(exp.stepIndex) || exp.diverged) alive = await this.record();
    if (!alive || exp.stepIndex >= run.steps) this.finish();
    return Math.max(1, steps);
  }

  /** Records the current run; false when it diverged (the run then ends). */
  private async record(): Promise<boolean> {
    const { run, exp } = this.current!;
    const { record, diverged } = await recordOf(exp);
    if (record) this.onRecord(run.tag, record);
    if (diverged) {
      this.onDiverged(run.tag, diverged);
      this.finish();
      return false;
    }
    return true;
  }

  private finish(): void {
    if (!this.current) return;
    this.current.exp.dispose();
    this.current = null;
    this.index++;
  }

  dispose(): void {
    this.current?.exp.dispose();
    this.current = null;
    this.index = this.runs.length;
  }
}
