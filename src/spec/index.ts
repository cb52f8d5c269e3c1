// The experiment spec (DESIGN.md §5): schema, types and validation.
export * from './schema';
export * from './validate';
export * from './warnings';
export { MAX_CPU_ARRAY_NUMBERS } from '../data/limits';
