// What the bench page and the Node harness exchange (and what bench/results/*.json hold).

import type { Impl, SuiteName } from '../../src/cli/bench-options';

// the names `widenet bench --suite/--impl` accepts
export { IMPLS, SUITES, type Impl, type SuiteName } from '../../src/cli/bench-options';
/** tiny: the test command's smoke run; quick: `--quick` (still includes the target cases); full: everything */
export type Preset = 'tiny' | 'quick' | 'full';

export interface BenchRequest {
  preset: Preset;
  suites: SuiteName[];
  /** skip a case whose predicted time per run is over this (ms) */
  budgetMs?: number;
  /** timed runs per case (at least 5) */
  runs?: number;
  /** run only these implementations (default: all) */
  impls?: Impl[];
  /** false: no autotuning search (default tiles) */
  autotune?: boolean;
}

export interface BenchResult {
  suite: SuiteName;
  impl: Impl;
  /** e.g. "1024x1024x1024" for a matmul (M x N x K) */
  case: string;
  params: Record<string, unknown>;
  /** median, min and max over the timed runs (ms); null when skipped */
  ms: number | null;
  min: number | null;
  max: number | null;
  gflops: number | null;
  gbps: number | null;
  runs: number;
  /** 'timestamp': GPU timestamp queries; 'wall': wall time to onSubmittedWorkDone (or the library's own wait) */
  timing: 'timestamp' | 'wall' | null;
  /** the float64 CPU check made before timing */
  validation: { maxErr: number; tol: number; checked: string } | null;
  skipped?: string;
}

export interface PageReport {
  adapter: Record<string, unknown> & { software: boolean };
  software: boolean;
  userAgent: string;
  /** what each library reported about itself */
  peers: Record<string, string>;
  timestampQuery: boolean;
  autotune: unknown;
  results: BenchResult[];
  preset: Preset;
  ms: number;
}
