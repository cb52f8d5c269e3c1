// The pipeline cache: each KernelProgram object is compiled once (a WeakMap), and programs with the
// same final WGSL text, constants, binding layout and entry point share one pipeline (keyed by a
// 64-bit hash of all of them, never by a hand-written key).
import { GpuError } from './errors';
import { hash64 } from './hash';
import type { KernelProgram, RuntimeStats } from './runtime';

type Compiled = { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout };

export class PipelineCache {
  private readonly byHash = new Map<string, Compiled>();
  private readonly byProgram = new WeakMap<KernelProgram, Compiled>();

  constructor(private readonly device: GPUDevice, private readonly stats: RuntimeStats) {}

  get size(): number {
    return this.byHash.size;
  }

  get(program: KernelProgram): Compiled {
    const known = this.byProgram.get(program);
    if (known) {
      this.stats.pipelineCacheHits++;
      return known;
    }
    const entry = this.byKey(program);
    this.byProgram.set(program, entry);
    return entry;
  }

  /** Compiles (or finds) the pipeline now and reports any compilation error with the shader's label. */
  async compile(program: KernelProgram): Promise<void> {
    this.device.pushErrorScope('validation');
    this.get(program);
    const error = await this.device.popErrorScope();
    if (error) {
      // never keep a broken pipeline in the cache
      this.byHash.delete(key(program));
      this.byProgram.delete(program);
      throw new GpuError('validation', `${program.label}: ${error.message}`);
    }
  }

  clear(): void {
    this.byHash.clear();
  }

  private byKey(program: KernelProgram): Compiled {
    const code = finalCode(program);
    const constants = program.constants ?? {};
    const k = key(program);
    const hit = this.byHash.get(k);
    if (hit) {
      this.stats.pipelineCacheHits++;
      return hit;
    }
    const entries: GPUBindGroupLayoutEntry[] = [];
    if (program.params) entries.push({ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    program.storage.forEach((access, i) =>
      entries.push({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' } }),
    );
    const layout = this.device.createBindGroupLayout({ entries, label: program.label });
    const module = this.device.createShaderModule({ code, label: program.label });
    const pipeline = this.device.createComputePipeline({
      label: program.label,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: program.entryPoint ?? 'main', constants },
    });
    const entry = { pipeline, layout };
    this.byHash.set(k, entry);
    this.stats.pipelinesCompiled++;
    return entry;
  }
}

/** The module's WGSL: the program's leading `enable` directives (which WGSL requires before any
 * declaration), then the generated uniform struct, then the rest of its code. */
export function finalCode(program: KernelProgram): string {
  if (!program.params) return program.code;
  const directives = /^(?:enable [A-Za-z0-9_, ]+;\n)*/.exec(program.code)![0];
  return directives + program.params.wgsl() + program.code.slice(directives.length);
}

/** Hash of the final WGSL text (with its generated uniform struct), constants, layout and entry point. */
function key(program: KernelProgram): string {
  const code = finalCode(program);
  const layoutText = `${program.params ? 'uniform,' : ''}${program.storage.join(',')}`;
  return hash64(`${code}\u0000${JSON.stringify(Object.entries(program.constants ?? {}).sort())}\u0000${layoutText}\u0000${program.entryPoint ?? 'main'}`);
}
