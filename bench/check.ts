// The correctness check every Node benchmark (kernels.ts, ntk.ts, train.ts) makes before it times
// a case: the case's result from one run against its float64 reference (src/kernels/*Ref,
// src/check/reference.ts) under the project's tolerance rule (src/check/tolerance.ts). A wrong
// result is not timed: the case is reported as a mismatch with its worst element, and the
// command exits non-zero at the end (src/cli/bench.ts).
export { combine, compare, rms, type Checked, type CheckedResult } from '../src/check/compare';
