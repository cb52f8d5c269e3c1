// The suites and implementations `widenet bench --suite/--impl` accepts. They live on the CLI's
// side so that src/ imports nothing from bench/ (the bench page and harness import them from
// here, through bench/page/types.ts).
export type Impl = 'widenet' | 'tfjs' | 'jax-js';
export const IMPLS: Impl[] = ['widenet', 'tfjs', 'jax-js'];
export type SuiteName = 'matmul' | 'gram' | 'activation' | 'ntk' | 'training';
export const SUITES: SuiteName[] = ['matmul', 'gram', 'activation', 'ntk', 'training'];
