// A float64 MLP with the same parameters as a GPU Mlp, and its NTK by explicit per-example
// Jacobians (the contraction the structured kernel avoids): Θ = α² · J Jᵀ.
import { activationRef } from '../../src/kernels/activations';
import type { Mlp } from '../../src/nets/mlp';

export interface RefLayer { w: Float64Array; b: Float64Array | null; fanIn: number; fanOut: number; mult: number; biasMult: number }

/** Reads member e's parameters back. */
export async function readLayers(net: Mlp, e: number): Promise<RefLayer[]> {
  const out: RefLayer[] = [];
  for (const layer of net.layers) {
    const { fanIn, fanOut, mult, biasMult } = layer.scales;
    const w = await layer.weight.read();
    const b = layer.bias ? await layer.bias.read() : null;
    out.push({
      w: Float64Array.from(w.subarray(e * fanIn * fanOut, (e + 1) * fanIn * fanOut)),
      b: b ? Float64Array.from(b.subarray(e * fanOut, (e + 1) * fanOut)) : null,
      fanIn, fanOut, mult, biasMult,
    });
  }
  return out;
}

/** f(x) and the Jacobian rows ∂f_a(x)/∂θ for one input. */
export function jacobian(layers: RefLayer[], act: string, x: ArrayLike<number>): { f: Float64Array; rows: Float64Array[] } {
  const phi = activationRef(act, 0);
  const dphi = activationRef(act, 1);
  const xs: Float64Array[] = [Float64Array.from(x)];
  const ds: Float64Array[] = [];
  let f = new Float64Array(0);
  layers.forEach((l, idx) => {
    const h = new Float64Array(l.fanOut);
    for (let p = 0; p < l.fanOut; p++) {
      let s = 0;
      for (let q = 0; q < l.fanIn; q++) s += l.w[p * l.fanIn + q] * xs[idx][q];
      h[p] = l.mult * s + (l.b ? l.biasMult * l.b[p] : 0);
    }
    if (idx === layers.length - 1) f = h;
    else {
      xs.push(h.map(phi));
      ds.push(h.map(dphi));
    }
  });
  const k = layers[layers.length - 1].fanOut;
  const rows: Float64Array[] = [];
  for (let a = 0; a < k; a++) {
    const grads: number[] = [];
    let delta = new Float64Array(k);
    delta[a] = 1;
    const perLayer: number[][] = [];
    for (let idx = layers.length - 1; idx >= 0; idx--) {
      const l = layers[idx];
      const g: number[] = [];
      for (let p = 0; p < l.fanOut; p++) for (let q = 0; q < l.fanIn; q++) g.push(l.mult * delta[p] * xs[idx][q]);
      if (l.b) for (let p = 0; p < l.fanOut; p++) g.push(l.biasMult * delta[p]);
      perLayer.unshift(g);
      if (idx > 0) {
        const next = new Float64Array(l.fanIn);
        for (let q = 0; q < l.fanIn; q++) {
          let s = 0;
          for (let p = 0; p < l.fanOut; p++) s += l.mult * l.w[p * l.fanIn + q] * delta[p];
          next[q] = s * ds[idx - 1][q];
        }
        delta = next;
      }
    }
    for (const g of perLayer) grads.push(...g);
    rows.push(Float64Array.from(grads));
  }
  return { f, rows };
}

/** Θ (n·k)×(n·k), row index i·k + a, of the model α·f. */
export function ntkByJacobian(layers: RefLayer[], act: string, X: number[][], alpha = 1): Float64Array {
  const rows = X.flatMap((x) => jacobian(layers, act, x).rows);
  const N = rows.length;
  const out = new Float64Array(N * N);
  for (let r = 0; r < N; r++)
    for (let c = 0; c < N; c++) {
      let s = 0;
      for (let p = 0; p < rows[r].length; p++) s += rows[r][p] * rows[c][p];
      out[r * N + c] = alpha * alpha * s;
    }
  return out;
}
