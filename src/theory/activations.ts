// The infinite-width theory's view of the activation table (src/theory/activation-table.ts, the
// one home of each activation's φ, φ', φ'', kernel map and paper, and of the φ'(0) convention):
// lookup by name, and the kernel map E[φ(u)φ(v)], E[φ'(u)φ'(v)] for
// (u, v) ~ N(0, [[s11, s12], [s12, s22]]): the table's closed form where it has one, else the polar
// Gauss quadrature of bivariate.ts.

import { gaussianKernelMap, type KernelMapValue, type QuadratureOptions } from './bivariate';
import { ACTIVATION_NAMES, LEAKY_SLOPE, findActivation, type Activation } from './activation-table';

export type { KernelMapValue } from './bivariate';
export { abReluKernelMap, erfKernelMap } from './activation-table';

/** negative-side slope of leaky_relu (φ(x) = x for x ≥ 0, 0.01·x below): the table's LEAKY_SLOPE */
export const LEAKY_RELU_SLOPE = LEAKY_SLOPE;

/** A table entry, as the theory reads it (φ, φ', parity, closedForm, reference). */
export type TheoryActivation = Activation;

/** Names of the activations the theory knows, in table order. */
export const THEORY_ACTIVATIONS: readonly string[] = ACTIVATION_NAMES;

/** The table entry for `name`; an unknown name throws, listing the known names. */
export function theoryActivation(name: string): TheoryActivation {
  const found = findActivation(name);
  if (!found) {
    throw new Error(`unknown activation ${JSON.stringify(name)} for the infinite-width theory; known activations: ${THEORY_ACTIVATIONS.join(', ')}`);
  }
  return found;
}

/** The activation's kernel map by polar Gauss quadrature, whether or not a closed form exists. */
export function quadratureKernelMap(act: TheoryActivation, s11: number, s12: number, s22: number, options?: QuadratureOptions): KernelMapValue {
  return gaussianKernelMap(act.phi, act.dphi, s11, s12, s22, options, act.parity);
}

/** The activation's kernel map: its closed form where it has one, else quadrature. */
export function kernelMap(act: TheoryActivation, s11: number, s12: number, s22: number, options?: { forceQuadrature?: boolean; quadrature?: QuadratureOptions }): KernelMapValue {
  if (act.closedForm && !options?.forceQuadrature) return act.closedForm(s11, s12, s22);
  return quadratureKernelMap(act, s11, s12, s22, options?.quadrature);
}
