// WGSL sources, inlined at build time by Vite (`?raw`), and their assembly: includes are
// concatenated (WGSL declarations may come in any order) and #if blocks are resolved by
// wgsl-preprocessor, only where a block must really be left out (a binding's type).
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { activationWgslConstants } from './activations';

const sources = import.meta.glob('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

// WGSL declarations generated from a TypeScript table, put in front of the file that uses them, so
// that the table stays the one source of truth (as ParamLayout writes the Params struct): the
// activation ids ACT_<NAME> and LEAKY_SLOPE come from src/theory/activation-table.ts.
const GENERATED: Record<string, string> = {
  'common/activations': activationWgslConstants(),
};

const byName = new Map<string, string>();
for (const [path, text] of Object.entries(sources)) {
  const name = path.replace(/^.*\/shaders\//, '').replace(/\.wgsl$/, '');
  byName.set(name, (GENERATED[name] ?? '') + text);
}

export function shaderSource(name: string): string {
  const text = byName.get(name);
  if (text === undefined) throw new Error(`no shader "${name}" in shaders/ (known: ${[...byName.keys()].join(', ')})`);
  return text;
}

export function shaderNames(): string[] {
  return [...byName.keys()].sort();
}

/** Resolves `#if NAME` / `#elif NAME` / `#else` / `#endif` with the given flags. */
export function preprocess(text: string, flags: Record<string, boolean> = {}): string {
  if (!text.includes('#')) return text;
  const parts = text.split(/(?<=#(?:if|elif))[ \t]+([A-Za-z_][A-Za-z0-9_]*)/);
  const strings: string[] = [];
  const values: boolean[] = [];
  parts.forEach((part, i) => {
    if (i % 2 === 0) strings.push(part);
    else {
      if (!(part in flags)) throw new Error(`shader flag ${part} has no value`);
      values.push(flags[part]);
    }
  });
  const raw = Object.assign([...strings], { raw: strings }) as unknown as TemplateStringsArray;
  return wgsl(raw, ...values);
}

/** WGSL extensions a module may enable (each needs the device feature of the same role). */
export const WGSL_EXTENSIONS = ['subgroups', 'f16'] as const;
export type WgslExtension = (typeof WGSL_EXTENSIONS)[number];

/**
 * The final WGSL text of a kernel: its `enable` directives first (WGSL requires them before any
 * declaration, so they cannot live in an included file), then its includes and its own source,
 * preprocessed.
 */
export function assemble(names: readonly string[], flags: Record<string, boolean> = {}, enables: readonly WgslExtension[] = []): string {
  for (const e of enables) if (!WGSL_EXTENSIONS.includes(e)) throw new Error(`unknown WGSL extension "${e}" (known: ${WGSL_EXTENSIONS.join(', ')})`);
  const directives = enables.map((e) => `enable ${e};\n`).join('');
  return directives + names.map((n) => `// ---- ${n}.wgsl\n${preprocess(shaderSource(n), flags)}`).join('\n');
}
