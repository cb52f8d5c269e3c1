// The kernel-program memo (src/kernels/common.ts, kernelProgram): keyed by every field of the
// program's source, so two sources that differ anywhere never share a program.
import { describe, expect, it } from 'vitest';
import { ParamLayout } from '../../src/gpu/params';
import { finalCode } from '../../src/gpu/pipelines';
import { Tensor } from '../../src/gpu/tensor';
import { kernelProgram, type ProgramSource } from '../../src/kernels/common';
import { assemble } from '../../src/kernels/shaders';
import { useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const PARAMS = new ParamLayout([['n1', 'u32'], ['n2', 'u32'], ['m', 'u32']] as const);
const base = (): ProgramSource => ({
  label: 'gram',
  shaders: ['common/indexing', 'gram/tiled'],
  flags: { VEC4: false },
  storage: ['read', 'read', 'read_write'],
  params: PARAMS,
  constants: { WG: 8, SYMMETRIC: 0 },
});

describe('kernel program memo', () => {
  it('returns the same program for an equal source, assembled from its shaders and flags', () => {
    const p = kernelProgram(base());
    expect(kernelProgram(base())).toBe(p);
    expect(p.code).toBe(assemble(['common/indexing', 'gram/tiled'], { VEC4: false }));
    expect(p.constants).toEqual({ WG: 8, SYMMETRIC: 0 });
    expect(p.params).toBe(PARAMS);
  });

  it('gives a source that differs in any one field its own program', () => {
    const p = kernelProgram(base());
    const variants: ProgramSource[] = [
      { ...base(), flags: { VEC4: true } },
      { ...base(), constants: { WG: 16, SYMMETRIC: 0 } },
      { ...base(), constants: { WG: 8, SYMMETRIC: 1 } },
      { ...base(), label: 'gram 2' },
      { ...base(), storage: ['read', 'read_write', 'read_write'] },
      { ...base(), shaders: ['common/indexing', 'common/math', 'gram/tiled'] },
      { ...base(), params: new ParamLayout([['n1', 'u32'], ['n2', 'u32'], ['m', 'u32']] as const) },
      { ...base(), params: undefined },
      { ...base(), entryPoint: 'other' },
      { ...base(), enables: ['subgroups'] },
    ];
    const programs = variants.map((v) => kernelProgram(v));
    for (const [i, q] of programs.entries()) expect(q, JSON.stringify(variants[i])).not.toBe(p);
    expect(new Set(programs).size).toBe(variants.length);
    // a flag changes the final WGSL
    expect(programs[0].code).toBe(assemble(['common/indexing', 'gram/tiled'], { VEC4: true }));
    expect(programs[0].code).not.toBe(p.code);
    // an enable directive is the module's first line (WGSL wants directives before any declaration)
    expect(programs[programs.length - 1].code.startsWith('enable subgroups;\n// ---- common/indexing.wgsl')).toBe(true);
    // and stays first when the pipeline cache puts the uniform struct in front of the code
    const final = finalCode(programs[programs.length - 1]);
    expect(final.startsWith(`enable subgroups;\n${PARAMS.wgsl()}// ---- common/indexing.wgsl`)).toBe(true);
    expect(finalCode(p)).toBe(PARAMS.wgsl() + p.code);
    expect(() => assemble(['common/indexing'], {}, ['subgroup' as never])).toThrow(/unknown WGSL extension "subgroup"/);
  });

  it('tensors alias only their own buffer (reshape views included)', () => {
    const { rt } = ctx;
    const a = Tensor.zeros(rt, [2, 3], 'a');
    const b = Tensor.zeros(rt, [2, 3], 'b');
    expect(a.aliases(a)).toBe(true);
    expect(a.reshape([6]).aliases(a)).toBe(true);
    expect(a.aliases(b)).toBe(false);
    a.dispose();
    b.dispose();
  });
});
