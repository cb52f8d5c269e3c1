// A second compiler for the matmul family's shader modules: naga (wgpu's WGSL front end and
// validator, compiled to WebAssembly by the naga-wasm package) parses and validates every variant
// the matmul wrapper can build. Tint (Dawn's compiler) compiles them on the adapter in every other
// kernel test, but SwiftShader lacks 'shader-f16', so the real f16 path (`enable f16;`, f16
// workgroup tiles) is compiled by nothing else here. No device is needed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { init, parseWgsl, validate } from 'naga-wasm';
import { finalCode } from '../../src/gpu/pipelines';
import { activation } from '../../src/kernels/activations';
import { DEFAULT_TILES, MATMUL_F16_VERSIONS, MATMUL_PRECISIONS, MATMUL_VERSIONS, matmulProgram, type MatmulPrecision, type MatmulVersion } from '../../src/kernels/matmul';

await init({ module_or_path: readFileSync(createRequire(import.meta.url).resolve('naga-wasm/naga_bg.wasm')) });

/** naga's verdict on one module: null when it parses and validates, else naga's message. */
function nagaError(code: string): string | null {
  try {
    const module = parseWgsl(code);
    validate(module).free?.();
    module.free?.();
    return null;
  } catch (e) {
    return (e as { formatted?: string }).formatted ?? String(e);
  }
}

/** Every flag combination a version's module can be assembled with (the override constants do not change its text). */
function variants(version: MatmulVersion): { label: string; code: string; precision: MatmulPrecision }[] {
  const vec4s = version === 'v2_regtile' ? (['nn', 'nt', null] as const) : [null];
  const bigs = version === 'v5_bigtile' ? [{ a: false, b: false }, { a: true, b: false }, { a: false, b: true }, { a: true, b: true }] : [{ a: false, b: false }];
  const precisions = (MATMUL_F16_VERSIONS as readonly string[]).includes(version) ? MATMUL_PRECISIONS : (['f32'] as const);
  return vec4s.flatMap((vec4) => bigs.flatMap((big) => precisions.map((precision) => {
    const program = matmulProgram(version, vec4, big, activation('tanh').id, true, DEFAULT_TILES[version], precision);
    return { label: program.label, code: finalCode(program), precision };
  })));
}

describe('naga validates every matmul module, the real f16 one included', () => {
  for (const version of MATMUL_VERSIONS) {
    it(`${version}: every vec4 layout and precision`, () => {
      const all = variants(version);
      expect(all.length).toBeGreaterThan(0);
      for (const v of all) expect(nagaError(v.code), v.label).toBeNull();
      if (version === 'v5_bigtile') {
        const f16 = all.filter((v) => v.precision === 'f16');
        expect(f16).toHaveLength(4);
        for (const v of f16) expect(v.code.startsWith('enable f16;\n'), v.label).toBe(true);
      }
    });
  }

  it('is a real check: an f16 product left unwidened (f16 × vec4<f32>) is refused', () => {
    const [f16] = variants('v5_bigtile').filter((v) => v.precision === 'f16');
    const widened = 'let lo = vec4<f32>(As[';
    expect(f16.code).toContain(widened);
    const broken = f16.code.replace(widened, 'let lo = (As[');
    expect(nagaError(broken)).toMatch(/Multiply/);
    // and the f16 types need the enable directive
    expect(nagaError(f16.code.replace('enable f16;\n', ''))).not.toBeNull();
  });
});
