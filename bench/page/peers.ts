// The peers, in the same page and on the same adapter as widenet: TensorFlow.js's WebGPU backend
// and jax-js's WebGPU device. Each gets its own WebGPU device from the page's one adapter.
// Timing: tfjs through tf.time()'s kernelMs, i.e. GPU timestamp queries around each of its
// kernels, where the device has timestamp-query (wall time to onSubmittedWorkDone otherwise);
// jax-js exposes no GPU timer, so wall time to blockUntilReady() (its wait for the GPU queue).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as jax from '@jax-js/jax';

const np = jax.numpy;
export type JaxArray = jax.Array;
export { tf, jax, np };

export interface Timed { ms: number; source: 'timestamp' | 'wall' }

export async function initTfjs(): Promise<string> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend did not initialise');
  await tf.ready();
  return `@tensorflow/tfjs-core ${tf.version_core}, backend ${tf.getBackend()}`;
}

export async function initJax(): Promise<string> {
  const devices = await jax.init('webgpu');
  if (!devices.includes('webgpu')) throw new Error(`jax-js: no webgpu device (got ${devices.join(', ') || 'none'})`);
  jax.defaultDevice('webgpu');
  return 'jax-js webgpu device';
}

function tfBackend(): WebGPUBackend {
  return tf.backend() as WebGPUBackend;
}

/** One run of `op` in tfjs: the GPU time of its kernels (timestamps) or wall time to the queue's end. */
export async function timeTfjs(op: () => tf.Tensor | tf.Tensor[]): Promise<Timed> {
  const backend = tfBackend();
  // a private field of the backend: set when its device was created with timestamp-query
  if ((backend as unknown as { supportTimestampQuery: boolean }).supportTimestampQuery) {
    const info = await tf.time(() => tf.tidy(() => { op(); }));
    if (typeof info.kernelMs === 'number') return { ms: info.kernelMs, source: 'timestamp' };
  }
  const t0 = performance.now();
  const out = tf.tidy(op); // intermediates (an explicit transpose) are freed, the outputs kept
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
  const ms = performance.now() - t0;
  tf.dispose(out);
  return { ms, source: 'wall' };
}

export async function readTfjs(t: tf.Tensor): Promise<Float32Array> {
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

/** One run in jax-js: wall time until the result(s) are ready on the GPU. */
export async function timeJax(op: () => JaxArray | JaxArray[]): Promise<Timed> {
  const t0 = performance.now();
  const out = op();
  const outs = Array.isArray(out) ? out : [out];
  for (const o of outs) await o.blockUntilReady();
  const ms = performance.now() - t0;
  outs.forEach((o) => o.dispose());
  return { ms, source: 'wall' };
}

/** Reads a jax-js array back; like every jax-js function, `data()` consumes (disposes) it. */
export async function readJax(a: JaxArray): Promise<Float32Array> {
  return Float32Array.from((await a.data()) as ArrayLike<number>);
}

/**
 * The empirical NTK of a bias-free two-layer ReLU network (ntk parameterization, one output)
 * through jax-js's autodiff: θ = [vec(W1), w2], f_i(θ) = w2·relu(W1 x_i/√d)/√m, the Jacobian
 * J [n, P] by reverse mode, one VJP per output batched with vmap (J = vmap(c ↦ vjp_f(c))(I_n),
 * which is what jacrev does; in chunks of outputs, under jit), and Θ = J·Jᵀ (jit). jax.jacrev itself is not used: in
 * jax-js 0.1.25 it throws "internal: unbroadcast shape mismatch" on this network (and on a plain
 * x·w), while vjp + vmap give the right Jacobian (checked against float64 before timing).
 */
export function jaxNtkTwoLayer(x: Float32Array, n: number, d: number, m: number): (theta: JaxArray) => JaxArray {
  const X = np.array(x).reshape([n, d]);
  const f = (theta: JaxArray): JaxArray => {
    const [w1flat, w2] = np.split(theta, [m * d]);
    const h = np.matmul(X.ref, w1flat.reshape([m, d]).transpose()).mul(1 / Math.sqrt(d)); // [n, m]
    return np.matmul(jax.nn.relu(h), w2.reshape([m, 1])).reshape([n]).mul(1 / Math.sqrt(m));
  };
  // J in chunks of c outputs: vmap over c cotangents materialises [c, n, m] intermediates, which at
  // n = 256, m = 4096 in one batch (1 GiB) exceed a SwiftShader adapter; c·n·m ≤ 2^24 floats per chunk
  const c = Math.max(1, Math.min(n, Math.floor(2 ** 24 / (n * m))));
  const jacobianRows = jax.jit((theta: JaxArray, cotangents: JaxArray) => {
    const [out, vjpFn] = jax.vjp(f, [theta]);
    out.dispose();
    const J = jax.vmap((ct: JaxArray) => vjpFn(ct)[0])(cotangents); // [c, P]
    vjpFn.dispose();
    return J;
  });
  const eye = Array.from({ length: Math.ceil(n / c) }, (_, b) => {
    const rows = Math.min(c, n - b * c);
    const e = new Float32Array(rows * n);
    for (let r = 0; r < rows; r++) e[r * n + b * c + r] = 1;
    return np.array(e).reshape([rows, n]);
  });
  const gram = jax.jit((J: JaxArray) => np.matmul(J.ref, J.transpose()));
  return (theta: JaxArray) => {
    const J = np.concatenate(eye.map((e) => jacobianRows(theta.ref, e.ref)), 0); // [n, P]
    theta.dispose();
    return gram(J);
  };
}
