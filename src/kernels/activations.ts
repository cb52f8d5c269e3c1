// The kernels' view of the activation table (src/theory/activation-table.ts, the one home of the
// activations: name, GPU id, float64 φ, φ', φ'', kernel map): lookup by name with the typed error,
// the float64 references of the GPU kernels, and the WGSL constants that name the ids in
// shaders/common/activations.wgsl (src/kernels/shaders.ts puts them in front of that file).
import { UnknownActivationError } from '../gpu/errors';
import { ACTIVATION_NAMES as TABLE_NAMES, ACTIVATION_TABLE, LEAKY_SLOPE, findActivation, type Activation } from '../theory/activation-table';
import { erf } from '../theory/special';

export { LEAKY_SLOPE, type Activation };

/** The table's names (the same array), typed as plain strings as before, so `.includes(name)` takes any string. */
export const ACTIVATION_NAMES: readonly string[] = TABLE_NAMES;

/** erf in float64 to ~1e-15 (JavaScript has no Math.erf): one implementation, in theory/special.ts. */
export const erf64 = erf;

export function activation(name: string): Activation {
  const found = findActivation(name);
  if (!found) throw new UnknownActivationError(String(name), ACTIVATION_NAMES);
  return found;
}

/** φ^(order) in float64; NaN in, NaN out. */
export function activationRef(name: string, order: 0 | 1 | 2): (x: number) => number {
  const a = activation(name);
  const f = order === 0 ? a.phi : order === 1 ? a.dphi : a.d2phi;
  return (x) => (Number.isNaN(x) ? NaN : f(x));
}

/** The WGSL name of an activation's id: ACT_RELU, ACT_LEAKY_RELU, … */
export function wgslActivationConstant(name: string): string {
  return `ACT_${name.toUpperCase()}`;
}

/** `x` as a WGSL float literal (WGSL wants a '.' or an exponent: 1 → "1.0"). */
function wgslFloat(x: number): string {
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * The table's WGSL declarations, for shaders/common/activations.wgsl:
 *   const ACT_IDENTITY: u32 = 0u; const ACT_RELU: u32 = 1u; …   (the switch cases on ACT)
 *   override LEAKY_SLOPE: f32 = 0.01;
 */
export function activationWgslConstants(): string {
  const ids = ACTIVATION_TABLE.map((a) => `const ${wgslActivationConstant(a.name)}: u32 = ${a.id}u;`);
  return `// generated from src/theory/activation-table.ts (src/kernels/activations.ts)\n${ids.join('\n')}\noverride LEAKY_SLOPE: f32 = ${wgslFloat(LEAKY_SLOPE)};\n`;
}
