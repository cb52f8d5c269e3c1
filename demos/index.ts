// widenet's index page: proves the browser path. On load it acquires a WebGPU device through the
// library, multiplies two small matrices with every matmul version, compares each with the
// library's float64 reference and publishes the outcome on `window.__widenet` (read by
// tests/browser/kernel-in-browser.test.ts). All math is the library's: matmul, matmulRef, randomRef.
import { MATMUL_VERSIONS, Runtime, Tensor, matmul, matmulRef, randomRef, type AdapterSummary, type MatmulVersion } from '../src/index';
import { matmulProblem } from '../src/kernels/matmul';

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

const $ = (id: string) => document.getElementById(id)!;

/** Inputs in [-1, 1) from the library's Philox stream; exactly representable in float32. */
const uniform = (n: number, stream: number) => Float32Array.from(randomRef('uniform', { seed: 2024, stream }, 0, n, -1, 2));

async function check(): Promise<PageOutcome> {
  const t0 = performance.now();
  const outcome: PageOutcome = { adapter: null, shape: { m: M, k: K, n: N }, results: [], error: null, errorName: null, ms: 0 };
  let rt: Runtime | null = null;
  try {
    $('status').textContent = 'Requesting a WebGPU adapter…';
    rt = await Runtime.create();
    outcome.adapter = rt.ctx.adapter;
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
      $('status').textContent = `Running matmul ${version}…`;
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
    $('status').textContent = allOk
      ? `All ${outcome.results.length} matmul versions agree with the float64 reference (${M}×${K} · ${K}×${N}).`
      : 'Some matmul versions disagree with the float64 reference: see the table.';
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    outcome.error = error.message;
    outcome.errorName = error.name;
    $('status').textContent = 'The check could not run.';
    const box = $('error');
    box.textContent = error.message;
    box.classList.add('shown');
  } finally {
    rt?.destroy();
  }
  outcome.ms = performance.now() - t0;
  return outcome;
}

void check().then((outcome) => {
  window.__widenet = outcome;
});
