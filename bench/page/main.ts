// The benchmark page: widenet and its peers (tfjs-backend-webgpu, jax-js) side by side, in one
// page, on the page's one WebGPU adapter. The harness (bench/harness) opens it in headless
// Chromium and calls window.__widenetBench.run(request); each case is checked against a float64
// CPU reference first (a mismatch throws and fails the run; that run is also the warm-up), then
// timed ≥ 5 times, the implementations of a case taking turns run by run.
import { Runtime, Tensor, Mlp, activateWithDerivative, empiricalKernels, gram, gramCost, matmul, matmulCost, type MlpConfig } from '../../src/index';
import { Trainer } from '../../src/dynamics/trainer';
import { activationRef } from '../../src/kernels/activations';
import { gdStepGradRef } from '../../src/check/reference';
import { autotune, localStorageCache, type AutotuneCache, type AutotuneReport } from '../../src/kernels/autotune';
import { initJax, initTfjs, jax, jaxNtkTwoLayer, np, readJax, readTfjs, tf, timeJax, timeTfjs, type JaxArray, type Timed } from './peers';
import { ValidationError, checkElementwise, checkMatmul, checkNtk, ntkRows, sampleRows, uniformData, type Check } from './reference';
import { SUITES, type BenchRequest, type BenchResult, type Impl, type PageReport, type Preset, type SuiteName } from './types';

const log = (line: string) => {
  console.log(`[bench] ${line}`);
  document.getElementById('log')!.textContent += line + '\n';
};

/** Sizes per preset. quick keeps the targets' cases: matmul 1024³ and the NTK at n=256, d=16, m=4096. */
const SIZES = {
  tiny: { square: [64], wide: [[32, 16, 256]], gram: [[32, 256]], act: [4096], ntk2: [[16, 256]], ntk4: [[8, 64]], train: { n: 16, d: 8, widths: [256] } },
  quick: { square: [256, 1024], wide: [[256, 16, 4096]], gram: [[256, 4096]], act: [1 << 20], ntk2: [[64, 1024], [256, 4096]], ntk4: [[64, 512]], train: { n: 64, d: 16, widths: [1024, 4096] } },
  full: { square: [256, 512, 1024, 2048, 4096], wide: [[256, 16, 65536], [1024, 64, 16384]], gram: [[256, 16384], [1024, 4096]], act: [1 << 22, 1 << 24], ntk2: [[64, 1024], [256, 1024], [256, 4096], [256, 16384], [1024, 4096]], ntk4: [[64, 512], [256, 1024], [256, 2048]], train: { n: 256, d: 16, widths: [1024, 4096, 16384, 65536] } },
} satisfies Record<Preset, unknown>;

interface Prepared {
  /** one run whose result is read back and checked against float64 (also compiles the pipelines) */
  validate(): Promise<Check>;
  run(): Promise<Timed>;
  dispose(): void;
}

interface CaseSpec {
  suite: SuiteName;
  impl: Impl;
  case: string;
  params: Record<string, unknown>;
  flops: number | null;
  bytes: number | null;
  /** proportional to the cost, to predict this case's time from the same implementation's last one */
  work: number;
  prepare(): Prepared | Promise<Prepared>;
}

class Bench {
  readonly results: BenchResult[] = [];
  private readonly rate = new Map<string, number>(); // ms per unit of work, per suite/impl/variant
  constructor(private readonly budgetMs: number, private readonly runs: number, private readonly impls: Impl[] | undefined) {}

  /**
   * One case of every implementation: each is prepared and validated (that run is also its
   * warm-up), then the timed runs go round-robin over the implementations, so that load from
   * other processes on a shared machine falls on all of them alike rather than on whichever
   * happened to run during it.
   */
  async group(specs: CaseSpec[]): Promise<void> {
    const live: { spec: CaseSpec; key: string; c: Prepared; validation: Check; times: Timed[] }[] = [];
    try {
      for (const spec of specs) {
        if (this.impls && !this.impls.includes(spec.impl)) continue;
        const key = `${spec.suite}|${spec.impl}|${spec.params.variant ?? ''}|${spec.params.depth ?? ''}`;
        const known = this.rate.get(key);
        if (known !== undefined && known * spec.work > this.budgetMs) {
          const skipped = `predicted ${((known * spec.work) / 1000).toFixed(0)} s per run, over the ${this.budgetMs / 1000} s budget`;
          this.results.push({ ...this.base(spec), skipped });
          log(`${spec.suite} ${spec.impl} ${spec.case}: skipped (${skipped})`);
          continue;
        }
        const c = await spec.prepare();
        live.push({ spec, key, c, validation: await c.validate(), times: [] });
      }
      for (let i = 0; i < this.runs; i++) for (const x of live) x.times.push(await x.c.run());
      for (const { spec, key, validation, times } of live) {
        const ms = times.map((t) => t.ms).sort((a, b) => a - b);
        const median = ms[Math.floor(ms.length / 2)];
        this.rate.set(key, median / spec.work);
        const r: BenchResult = {
          ...this.base(spec), ms: median, min: ms[0], max: ms[ms.length - 1], runs: ms.length,
          gflops: spec.flops === null ? null : spec.flops / median / 1e6,
          gbps: spec.bytes === null ? null : spec.bytes / median / 1e6,
          timing: times.every((t) => t.source === 'timestamp') ? 'timestamp' : 'wall',
          validation,
        };
        this.results.push(r);
        log(`${spec.suite} ${spec.impl}${spec.params.variant ? ` (${spec.params.variant})` : ''} ${spec.case}: ${median.toFixed(2)} ms${r.gflops !== null ? `, ${r.gflops.toFixed(2)} GFLOP/s` : ''}${r.gbps !== null ? `, ${r.gbps.toFixed(2)} GB/s` : ''} [${r.timing}; checked ${validation.checked}, max err ${validation.maxErr.toExponential(2)}]`);
      }
    } finally {
      live.forEach((x) => x.c.dispose());
    }
  }

  private base(spec: CaseSpec): BenchResult {
    return { suite: spec.suite, impl: spec.impl, case: spec.case, params: spec.params, runs: 0, ms: null, min: null, max: null, gflops: null, gbps: null, timing: null, validation: null };
  }
}

/** Wall time of work recorded by `fn`, to the end of the GPU queue (for multi-pass work: NTK, training). */
async function wall(rt: Runtime, fn: () => void): Promise<Timed> {
  await rt.sync();
  const t0 = performance.now();
  fn();
  await rt.sync();
  return { ms: performance.now() - t0, source: 'wall' };
}

// ------------------------------------------------------------------ suites

/** C = A·B (or A·Bᵀ for the Gram); the three implementations on the same data. */
function productSpecs(rt: Runtime, suite: 'matmul' | 'gram', M: number, N: number, K: number, params: Record<string, unknown>, caseName: string): CaseSpec[] {
  const gramCase = suite === 'gram';
  const a = uniformData(M * K, 1 + M);
  const bd = gramCase ? a : uniformData(K * N, 2 + N);
  const cost = gramCase ? gramCost(M, M, K, 1, true) : matmulCost({ m: M, n: N, k: K, batch: 1 });
  const common = { suite, case: caseName, flops: cost.flops, bytes: cost.bytes, work: cost.flops };
  const check = (what: string, got: ArrayLike<number>) => checkMatmul(what, a, bd, M, N, K, got, gramCase);
  return [
    {
      ...common, impl: 'widenet', params: { ...params },
      prepare: () => {
        const A = Tensor.from(rt, a, [M, K], 'A');
        const B = gramCase ? A : Tensor.from(rt, bd, [K, N], 'B');
        const C = Tensor.empty(rt, [M, N], 'C');
        const record = () => (gramCase ? gram(rt, A, undefined, { out: C }) : matmul(rt, A, B, { out: C }));
        return {
          validate: async () => { record(); return check(`widenet ${suite} ${caseName}`, await C.read()); },
          run: () => rt.time(record),
          dispose: () => new Set([A, B, C]).forEach((t) => t.dispose()),
        };
      },
    },
    ...(gramCase ? (['transposeB', 'transpose'] as const) : ([null] as const)).map((variant): CaseSpec => ({
      ...common, impl: 'tfjs', params: variant ? { ...params, variant } : { ...params },
      prepare: () => {
        const A = tf.tensor2d(a, [M, K]);
        const B = gramCase ? A : tf.tensor2d(bd, [K, N]);
        // the Gram twice: matMul's transposeB flag (which drops tfjs's vec4 path) and an explicit transpose
        const op = () => (variant === 'transposeB' ? tf.matMul(A, A, false, true) : variant === 'transpose' ? tf.matMul(A, tf.transpose(A)) : tf.matMul(A, B));
        return {
          validate: async () => check(`tfjs ${suite} ${caseName}${variant ? ` (${variant})` : ''}`, await readTfjs(tf.tidy(op))),
          run: () => timeTfjs(op),
          dispose: () => new Set([A, B]).forEach((t) => t.dispose()),
        };
      },
    })),
    {
      ...common, impl: 'jax-js', params: { ...params },
      prepare: () => {
        const A = np.array(a).reshape([M, K]);
        const B = gramCase ? null : np.array(bd).reshape([K, N]);
        const gramFn = jax.jit((x: JaxArray) => np.matmul(x.ref, x.transpose()));
        const matmulFn = jax.jit((x: JaxArray, y: JaxArray) => np.matmul(x, y));
        const op = () => (gramCase ? gramFn(A.ref) : matmulFn(A.ref, B!.ref));
        return {
          validate: async () => check(`jax-js ${suite} ${caseName}`, await readJax(op())),
          run: () => timeJax(op),
          dispose: () => { A.dispose(); B?.dispose(); },
        };
      },
    },
  ];
}

async function matmulSuite(b: Bench, rt: Runtime, p: Preset): Promise<void> {
  for (const s of SIZES[p].square) await b.group(productSpecs(rt, 'matmul', s, s, s, { shape: 'square', m: s, n: s, k: s }, `${s}x${s}x${s}`));
  // the wide shapes of this project: inputs [n, d] times first-layer weights [d, m]
  for (const [n, d, m] of SIZES[p].wide) await b.group(productSpecs(rt, 'matmul', n, m, d, { shape: 'wide', m: n, n: m, k: d }, `${n}x${m}x${d}`));
}

async function gramSuite(b: Bench, rt: Runtime, p: Preset): Promise<void> {
  for (const [n, m] of SIZES[p].gram) await b.group(productSpecs(rt, 'gram', n, n, m, { n, m }, `${n}x${m}`));
}

/** φ(h) and φ'(h) for ReLU in one pass (widenet) or the libraries' own ops: bandwidth (read n, write 2n). */
async function activationSuite(b: Bench, rt: Runtime, p: Preset): Promise<void> {
  for (const count of SIZES[p].act) {
    const x = uniformData(count, 5);
    const common = { suite: 'activation' as const, case: `relu ${count}`, params: { activation: 'relu', count }, flops: null, bytes: 12 * count, work: count };
    const check = (what: string, act: ArrayLike<number>, dact: ArrayLike<number>): Check => {
      const c1 = checkElementwise(`${what} φ`, x, act, activationRef('relu', 0));
      const c2 = checkElementwise(`${what} φ'`, x, dact, activationRef('relu', 1));
      return { maxErr: Math.max(c1.maxErr, c2.maxErr), tol: c1.tol, checked: `φ and φ′, ${c1.checked}` };
    };
    const specs: CaseSpec[] = [
      {
        ...common, impl: 'widenet',
        prepare: () => {
          const H = Tensor.from(rt, x, [count], 'h');
          const act = Tensor.empty(rt, [count], 'act');
          const dact = Tensor.empty(rt, [count], 'dact');
          const record = () => activateWithDerivative(rt, H, 'relu', { act, dact });
          return {
            validate: async () => { record(); return check('widenet relu', await act.read(), await dact.read()); },
            run: () => rt.time(record),
            dispose: () => [H, act, dact].forEach((t) => t.dispose()),
          };
        },
      },
      {
        ...common, impl: 'tfjs',
        prepare: () => {
          const X = tf.tensor1d(x);
          const op = () => [tf.relu(X), tf.step(X)];
          return {
            validate: async () => { const [r, s] = op(); return check('tfjs relu', await readTfjs(r), await readTfjs(s)); },
            run: () => timeTfjs(op),
            dispose: () => X.dispose(),
          };
        },
      },
      {
        ...common, impl: 'jax-js',
        prepare: () => {
          const X = np.array(x);
          const f = jax.jit((v: JaxArray) => [np.maximum(v.ref, 0), np.greater(v, 0).astype(np.float32)]);
          const op = () => f(X.ref) as JaxArray[];
          return {
            validate: async () => { const [r, s] = op(); return check('jax-js relu', await readJax(r), await readJax(s)); },
            run: () => timeJax(op),
            dispose: () => X.dispose(),
          };
        },
      },
    ];
    await b.group(specs);
  }
}

/** A bias-free ReLU MLP in the ntk parameterization with one output, and its weights read back. */
const ntkConfig = (d: number, hidden: number[]): MlpConfig => ({ inputDim: d, hidden, outputDim: 1, activation: 'relu', parameterization: 'ntk', weightStd: 1, biasStd: 0, seed: 0 });

async function ntkNet(rt: Runtime, d: number, hidden: number[]): Promise<{ net: Mlp; weights: Float32Array[] }> {
  const net = new Mlp(rt, ntkConfig(d, hidden));
  const weights: Float32Array[] = [];
  for (const layer of net.layers) weights.push(await layer.weight.read());
  return { net, weights };
}

/** Empirical NTK Θ (n×n): widenet's structured kernel for two-layer and 3-hidden-layer nets, jax-js's jacrev·jacrevᵀ for the two-layer one. */
async function ntkSuite(b: Bench, rt: Runtime, p: Preset): Promise<void> {
  const d = 16;
  const cases = [...SIZES[p].ntk2.map(([n, m]) => ({ n, hidden: [m] })), ...SIZES[p].ntk4.map(([n, m]) => ({ n, hidden: [m, m, m] }))];
  for (const { n, hidden } of cases) {
    const x = uniformData(n * d, 7 + n);
    const { net, weights } = await ntkNet(rt, d, hidden);
    const rows = sampleRows(n);
    const ref = ntkRows(x, n, d, weights, rows);
    const depth = hidden.length + 1;
    const name = `n=${n} d=${d} hidden=[${hidden.join(',')}]`;
    const work = n * n * hidden.reduce((s, m) => s + m, 0) + n * hidden.reduce((s, m, l) => s + m * (l === 0 ? d : hidden[l - 1]), 0);
    const common = { suite: 'ntk' as const, case: name, params: { n, d, hidden, depth, activation: 'relu', parameterization: 'ntk' }, flops: null, bytes: null, work };
    const specs: CaseSpec[] = [
      {
        ...common, impl: 'widenet',
        prepare: () => {
          const X = Tensor.from(rt, x, [n, d], 'x');
          const once = () => { const k = empiricalKernels(rt, net, X); k.nngp.dispose(); return k.ntk; };
          return {
            validate: async () => { const t = once(); const got = await t.read(); t.dispose(); return checkNtk(`widenet NTK ${name}`, got, n, rows, ref); },
            run: async () => { let t: Tensor | null = null; const r = await wall(rt, () => { t = once(); }); t!.dispose(); return r; },
            dispose: () => X.dispose(),
          };
        },
      },
    ];
    // jax-js for the two-layer network, with the same weights
    if (hidden.length === 1) specs.push({
      ...common, impl: 'jax-js',
      prepare: () => {
        const theta = np.array(Float32Array.from([...weights[0], ...weights[1]]));
        const f = jaxNtkTwoLayer(x, n, d, hidden[0]);
        return {
          validate: async () => checkNtk(`jax-js NTK ${name}`, await readJax(f(theta.ref)), n, rows, ref),
          run: () => timeJax(() => f(theta.ref)),
          dispose: () => theta.dispose(),
        };
      },
    });
    try {
      await b.group(specs);
    } finally {
      net.dispose();
    }
  }
}

/**
 * One full-batch gradient-descent step of a two-layer ReLU net against width, through the
 * library's Trainer (src/dynamics/trainer.ts: forward, MSE cotangent, vjp, update with its
 * divergence watch, one command buffer per step). Checked against the same step in float64:
 * r = (f − y)/n, g₂ = Σ_i r_i·x₁(i)/√m, g₁[p,q] = Σ_i r_i·w₂[p]·1[h_ip > 0]·x_iq/√(m·d).
 */
async function trainingSuite(b: Bench, rt: Runtime, p: Preset): Promise<void> {
  const { n, d, widths } = SIZES[p].train;
  const lr = 1; // ntk parameterization: every layer's learning rate is η (lrScale 1, α = 1)
  for (const m of widths) {
    const x = uniformData(n * d, 11);
    const y = uniformData(n, 12);
    const rowsOf = (a: Float32Array, w: number) => Array.from({ length: a.length / w }, (_, i) => Array.from(a.subarray(i * w, (i + 1) * w)));
    await b.group([{
      suite: 'training', impl: 'widenet', case: `width ${m}`, params: { n, d, width: m, depth: 2, optimizer: 'gd', loss: 'mse', lr, step: 'Trainer.step' },
      flops: 6 * n * m * (d + 1), bytes: null, work: n * m * (d + 1),
      prepare: async () => {
        const trainer = new Trainer(rt, ntkConfig(d, [m]), { x: rowsOf(x, d), y: rowsOf(y, 1) }, { optimizer: 'gd', lr, momentum: 0, batchSize: null, loss: 'mse', frozen: [], linearized: false });
        await trainer.start();
        const before = [await trainer.net.layers[0].weight.read(), await trainer.net.layers[1].weight.read()];
        return {
          validate: async () => {
            trainer.step(1);
            const [w1, w2] = [await trainer.net.layers[0].weight.read(), await trainer.net.layers[1].weight.read()];
            return checkGdStep(x, y, n, d, m, before[0], before[1], w1, w2, lr);
          },
          run: () => wall(rt, () => trainer.step(1)),
          dispose: () => trainer.dispose(),
        };
      },
    }]);
  }
}

function checkGdStep(x: Float32Array, y: Float32Array, n: number, d: number, m: number, w1: Float32Array, w2: Float32Array, w1New: Float32Array, w2New: Float32Array, lr: number): Check {
  const { g1, g2 } = gdStepGradRef(x, y, n, d, m, w1, w2);
  // compare the applied updates Δ = w_new − w_old with −η·g; float32 rounding of w_new adds u·|w|
  let maxErr = 0;
  let scale = 0;
  let wmax = 0;
  const cmp = (old: Float32Array, now: Float32Array, g: Float64Array) => {
    for (let i = 0; i < g.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(now[i] - old[i] + lr * g[i]) || (Number.isNaN(now[i]) ? Infinity : 0));
      scale = Math.max(scale, Math.abs(lr * g[i]));
      wmax = Math.max(wmax, Math.abs(old[i]));
    }
  };
  cmp(w1, w1New, g1);
  cmp(w2, w2New, g2);
  const tol = 1e-3 * scale + 4 * 2 ** -24 * wmax;
  if (!(maxErr <= tol)) throw new ValidationError(`widenet GD step width ${m}`, `max |Δw − (−η·g)| = ${maxErr.toExponential(3)}, over the tolerance ${tol.toExponential(3)}`);
  return { maxErr, tol, checked: `all ${m * (d + 1)} weights` };
}

const RUNNERS: Record<SuiteName, (b: Bench, rt: Runtime, p: Preset) => Promise<void>> = {
  matmul: matmulSuite, gram: gramSuite, activation: activationSuite, ntk: ntkSuite, training: trainingSuite,
};

/** Cache entries handed in by the harness (its Node file cache); what the search saves comes back in the report. */
function memoryCache(entries: Record<string, AutotuneReport>): AutotuneCache {
  return { where: 'harness file cache', load: (k) => entries[k] ?? null, save: (k, r) => { entries[k] = r; } };
}

async function run(request: BenchRequest & { autotuneEntries?: Record<string, AutotuneReport> }): Promise<PageReport> {
  const t0 = performance.now();
  const rt = await Runtime.create();
  try {
    const peers = { tfjs: await initTfjs(), 'jax-js': await initJax() };
    log(`adapter: ${JSON.stringify(rt.ctx.adapter)}`);
    const cache = request.autotuneEntries ? memoryCache(request.autotuneEntries) : localStorageCache();
    const tuned = await autotune(rt, { cache, enabled: request.autotune !== false, log });
    const b = new Bench(request.budgetMs ?? (rt.ctx.adapter.software ? 30_000 : 10_000), Math.max(5, request.runs ?? 5), request.impls);
    for (const suite of SUITES) if (request.suites.includes(suite)) {
      log(`suite ${suite}`);
      await RUNNERS[suite](b, rt, request.preset);
    }
    return {
      adapter: rt.ctx.adapter as unknown as PageReport['adapter'], software: rt.ctx.adapter.software, userAgent: navigator.userAgent,
      peers, timestampQuery: rt.ctx.hasTimestamps, autotune: tuned, results: b.results, preset: request.preset, ms: performance.now() - t0,
    };
  } finally {
    rt.destroy();
  }
}

declare global {
  interface Window { __widenetBench: { run: typeof run; ready: true } }
}
window.__widenetBench = { run, ready: true };

// by hand: /bench/page/index.html?run=quick
const preset = new URLSearchParams(location.search).get('run') as Preset | null;
if (preset) void run({ preset, suites: SUITES }).then((r) => log(JSON.stringify(r, null, 2)), (e) => log(String(e)));
