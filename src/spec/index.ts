// The experiment spec (DESIGN.md §5): schema, types and validation.
export * from './schema';
export * from './validate';
export * from './warnings';
