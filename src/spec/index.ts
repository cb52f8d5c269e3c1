// The experiment spec (DESIGN.md §5): schema, types, validation, warnings, and its resolution into networks, data and kernels.
export * from './schema';
export * from './validate';
export * from './warnings';
export { MAX_CPU_ARRAY_NUMBERS } from '../data/limits';
export * from './resolve';
export * from './grid';
