// The suites and implementations `widenet bench --suite/--impl` accepts. They live on the CLI's
// side so that src/ imports nothing from bench/ (the bench page and harness import them from
// here, through bench/page/types.ts).
export type Impl = 'widenet' | 'tfjs' | 'jax-js';
export const IMPLS: Impl[] = ['widenet', 'tfjs', 'jax-js'];
export type SuiteName = 'matmul' | 'gram' | 'activation' | 'ntk' | 'training';
export const SUITES: SuiteName[] = ['matmul', 'gram', 'activation', 'ntk', 'training'];

/** The size presets of the Node benchmarks (`bench-kernels`, `bench-ntk`, `bench-train --preset`): "tiny" for a smoke run on a CPU adapter (the GPU kit's --quick), "gpu" for a big GPU (issue 16); `--quick` is "quick". */
export type BenchSizePreset = 'tiny' | 'quick' | 'full' | 'gpu';
export const BENCH_SIZE_PRESETS: readonly BenchSizePreset[] = ['tiny', 'quick', 'full', 'gpu'];
