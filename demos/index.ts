// widenet's index page: what widenet is, a link to every demo page, the adapter found, and a
// proof of the browser path. On load it acquires a WebGPU device through the library, multiplies two small matrices with every matmul version, compares each with the
// library's float64 reference and publishes the outcome on `window.__widenet` (read by
// tests/browser/kernel-in-browser.test.ts). All math is the library's: matmul, matmulRef, randomRef.
import { MATMUL_VERSIONS, Runtime, Tensor, matmul, matmulRef, randomRef, type AdapterSummary, type MatmulVersion } from '../src/index';
import { matmulProblem } from '../src/kernels/matmul';
import { DemoPage, PAGES, el } from './ui/page';

export interface KernelCheck {
  version: MatmulVersion;
  /** max over elements of |gpu − float64 reference| */
  maxAbsErr: number;
  /** the bound it is held to: 2·K·u·max(|A|·|B|), u = 2⁻²⁴ (float32 dot-product rounding bound) */
  tolerance: number;
  ok: boolean;
}

export interface PageOutcome {
  adapter: AdapterSummary | null;
  /** the problem multiplied: [M, K] × [K, N] */
  shape: { m: number; k: number; n: number };
  results: KernelCheck[];
  /** error.message when something failed (no WebGPU, GPU error, ...), else null */
  error: string | null;
  errorName: string | null;
  ms: number;
}

declare global {
  interface Window {
    __widenet?: PageOutcome;
  }
}

const M = 37;
const K = 53;
const N = 29;
const EPS32 = 2 ** -24;

const page = new DemoPage('index', {}, {
  title: 'widenet',
  intro:
    'A WebGPU compute engine for the training dynamics of very wide neural networks. In the kernel (lazy, NTK) regime a ' +
    'very wide network stays close to its linearisation and its neural tangent kernel barely moves; in the feature-learning ' +
    '(mean-field, µP) regime its neurons move and the kernel changes. These pages train such networks on your GPU and show ' +
    'the difference live; every number they show is computed by the library (src/), in WGSL on the GPU or in float64 theory.',
});
const DESCRIPTIONS: Record<string, string> = {
  regimes: 'the same task and seed trained in two parameterizations (NTK against mean-field), with an α slider from lazy to rich, live drift curves, the learned function against kernel regression, and the neurons as particles.',
  ntk: 'Jacot et al. (2018), Figure 1: the NTK of a deep ReLU network on the unit circle at two widths, ensemble bands at initialisation and after training, against the infinite-width kernel.',
  sweep: 'log-log plots of the drift observables (NTK change, weight change, linearisation gap) against width, with fitted slopes; each width one batched ensemble.',
  coord: 'the µP coordinate check: activation size and activation change per layer against width over the first steps.',
  'mu-transfer': 'Tensor Programs V, Figure 1, live: final train loss against learning rate per width, standard parameterization beside µP, with the best learning rate per width (examples/mu-transfer.json).',
  'max-lr': 'Tensor Programs IV: the largest stable learning rate against width with its log-log slope, −1 under standard parameterization, 0 under µP (examples/max-stable-lr.json).',
  phase: 'the lazy–rich phase diagram: NTK change over output scale α × width, with the crossover α* and its slope against width (Geiger et al. 2020: −1/2; examples/lazy-rich-phase.json).',
  generalization: 'train and test loss with the path-norm and NTK bounds live, the distance to the minimum-norm solution against width, the mode-by-mode decay against its closed form, and the double-descent curve of random features.',
  beyond: 'the network, its linearisation and its quadratic model side by side in function space and in loss, with the sharpness η·λ_max/(n·k) live against 2, and the catapult (Lewkowycz et al. 2020).',
};
page.main.append(
  el('h2', { textContent: 'Pages' }),
  el('ul', { id: 'pages' }, PAGES.filter((p) => p.id !== 'index').map((p) => el('li', {}, [el('a', { href: `./${p.path}`, textContent: p.title }), ` — ${DESCRIPTIONS[p.id] ?? ''}`]))),
  el('h2', { textContent: 'Adapter' }),
  el('pre', { id: 'adapter', textContent: '(none yet)' }),
  el('h2', { textContent: 'Kernel check' }),
  el('p', { textContent: 'Every matmul kernel version multiplies two small matrices on your GPU; each result is compared with a float64 reference computed on the CPU.' }),
  el('table', { id: 'results' }, [el('thead', {}, [el('tr', {}, ['version', 'max |gpu − ref|', 'tolerance', 'result'].map((h) => el('th', { textContent: h })))]), el('tbody')]),
);

const $ = (id: string) => document.getElementById(id)!;

/** Inputs in [-1, 1) from the library's Philox stream; exactly representable in float32. */
const uniform = (n: number, stream: number) => Float32Array.from(randomRef('uniform', { seed: 2024, stream }, 0, n, -1, 2));

async function check(): Promise<PageOutcome> {
  const t0 = performance.now();
  const outcome: PageOutcome = { adapter: null, shape: { m: M, k: K, n: N }, results: [], error: null, errorName: null, ms: 0 };
  let rt: Runtime | null = null;
  try {
    page.status('Requesting a WebGPU adapter…');
    rt = await Runtime.create();
    outcome.adapter = rt.ctx.adapter;
    page.handle.adapter = rt.ctx.adapter;
    $('adapter').textContent = JSON.stringify(rt.ctx.adapter, null, 2);

    const a = uniform(M * K, 1);
    const b = uniform(K * N, 2);
    const A = Tensor.from(rt, a, [M, K], 'A');
    const B = Tensor.from(rt, b, [K, N], 'B');
    const problem = matmulProblem(A, B);
    const ref = matmulRef(a, b, problem);
    // |A|·|B| bounds the rounding error of each float32 dot product (γ_K·Σ|a||b|).
    const absRef = matmulRef(a.map(Math.abs), b.map(Math.abs), problem);
    const tolerance = 2 * K * EPS32 * Math.max(...absRef);

    for (const version of MATMUL_VERSIONS) {
      page.status(`Running matmul ${version}…`);
      const C = matmul(rt, A, B, { version });
      const got = await C.read();
      C.dispose();
      let maxAbsErr = got.length === ref.length ? 0 : Infinity;
      for (let i = 0; i < ref.length && !Number.isNaN(maxAbsErr); i++) {
        const e = Math.abs(got[i] - ref[i]);
        maxAbsErr = Number.isNaN(e) ? NaN : Math.max(maxAbsErr, e);
      }
      const ok = Number.isFinite(maxAbsErr) && maxAbsErr <= tolerance;
      outcome.results.push({ version, maxAbsErr, tolerance, ok });
      const row = document.createElement('tr');
      row.innerHTML = `<td>${version}</td><td>${maxAbsErr.toExponential(2)}</td><td>${tolerance.toExponential(2)}</td><td class="${ok ? 'ok' : 'bad'}">${ok ? 'ok' : 'WRONG'}</td>`;
      $('results').querySelector('tbody')!.append(row);
    }
    A.dispose();
    B.dispose();
    const allOk = outcome.results.every((r) => r.ok);
    page.status(allOk
      ? `All ${outcome.results.length} matmul versions agree with the float64 reference (${M}×${K} · ${K}×${N}).`
      : 'Some matmul versions disagree with the float64 reference: see the table.');
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    outcome.error = error.message;
    outcome.errorName = error.name;
    page.fail(error);
    page.status('The check could not run.');
  } finally {
    rt?.destroy();
  }
  outcome.ms = performance.now() - t0;
  return outcome;
}

void check().then((outcome) => {
  window.__widenet = outcome;
  page.handle.data = { results: outcome.results.length, ok: outcome.results.filter((r) => r.ok).length };
  page.handle.ready = true;
});
