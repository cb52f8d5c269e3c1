// Autotuning of the matmul and Gram tile configurations, per adapter. At first use (a call of
// `autotune(rt)`, made once by the benchmark harness and the command line after Runtime.create)
// a short search times a handful of candidate tile configurations on one representative shape,
// keeps the fastest, and caches the choice under the adapter's identity, so later runs skip the
// search. The cache is localStorage in a page and a JSON file in Node (autotune-node.ts).
// matmul() and gram() read the choice through tuning.ts; an explicit `tile`/`wg` still wins.
//
// Every candidate computes the same result (the tile only changes how the output is cut into
// workgroups; ragged edges are bounds-checked): tests/bench/autotune.test.ts checks each one
// against the float64 reference on awkward shapes.
import { z } from 'zod';
import type { Runtime } from '../gpu/runtime';
import { Tensor } from '../gpu/tensor';
import { GRAM_VERSIONS, gram, type GramVersion } from './gram';
import { randn } from './init';
import { DEFAULT_TILES, MATMUL_VERSIONS, chooseMatmulVersion, matmul, prefetchFits, type MatmulVersion } from './matmul';
import { setTunedTiles, warnOnce } from './tuning';

export { warnOnce };

/** Bump when the candidates or the shaders change, so that stale cached choices are ignored. */
export const AUTOTUNE_VERSION = 4; // 4: the Gram's version ('tiled' | 'bigtile') is part of the choice

/** Candidate override constants per version. v2: workgroups of WG_X×WG_Y invocations, each a 4×4
 * block; v3: a BM×BN tile staged through BK-deep slices, (BM/4)·(BN/4) ≤ 256 invocations; v5: the
 * same with 8×4 blocks, (BM/8)·(BN/4) invocations (BM a multiple of 8, BN and BK of 4). */
export const MATMUL_CANDIDATES: Partial<Record<MatmulVersion, Record<string, number>[]>> = {
  v2_regtile: [
    { WG_X: 8, WG_Y: 8 }, { WG_X: 16, WG_Y: 16 }, { WG_X: 16, WG_Y: 8 }, { WG_X: 8, WG_Y: 16 },
    { WG_X: 4, WG_Y: 16 }, { WG_X: 16, WG_Y: 4 }, { WG_X: 4, WG_Y: 4 },
  ],
  v3_smem: [
    { BM: 64, BN: 64, BK: 16 }, { BM: 64, BN: 64, BK: 8 }, { BM: 32, BN: 32, BK: 16 },
    { BM: 64, BN: 32, BK: 16 }, { BM: 32, BN: 64, BK: 16 }, { BM: 64, BN: 64, BK: 32 },
  ],
  v5_bigtile: [
    { BM: 128, BN: 64, BK: 16 }, { BM: 64, BN: 128, BK: 16 }, { BM: 128, BN: 64, BK: 8 },
    { BM: 64, BN: 64, BK: 16 }, { BM: 128, BN: 32, BK: 16 },
    // register prefetch of the next BK slice ("double buffering"): a candidate only, never the
    // default; published WebGPU work found double buffering a loss on Vulkan, so it is measured
    { BM: 128, BN: 64, BK: 16, PREFETCH: 1 }, { BM: 64, BN: 128, BK: 16, PREFETCH: 1 },
  ],
};
/** On a GPU the search also chooses between the tiled versions for large outputs (chooseMatmulVersion). */
const TILED_VERSIONS: MatmulVersion[] = ['v3_smem', 'v5_bigtile'];
/** Gram: workgroup edge WG (an invocation holds a 4×4 block, a tile is 4·WG on a side). */
export const GRAM_CANDIDATES = [4, 8, 16];
/** On a GPU the Gram search also times 'bigtile' (v5's Gram mode, with the v5 tile that gram() will then use). */
const GRAM_SEARCHED_VERSIONS = (software: boolean): GramVersion[] => (software ? ['tiled'] : [...GRAM_VERSIONS]);

export interface CandidateTiming {
  /** the matmul version of a matmul candidate */
  version?: MatmulVersion;
  /** the Gram version of a Gram candidate */
  gramVersion?: GramVersion;
  config: Record<string, number>;
  ms: number;
}

export interface AutotuneReport {
  /** the adapter identity the choice is cached under */
  key: string;
  /** 'search' when timed now, 'cache' when read back, 'default' when disabled */
  source: 'search' | 'cache' | 'default';
  /** where the cache lives (file path, 'localStorage', or 'none') */
  cache: string;
  matmul: { version: MatmulVersion; shape: [number, number, number]; chosen: Record<string, number>; candidates: CandidateTiming[] };
  /** chosen.version: the Gram version timed fastest (chooseGramVersion uses it on GPUs); chosen.wg: the fastest tiled edge */
  gram: { shape: [number, number]; chosen: { wg: number; version?: GramVersion }; candidates: CandidateTiming[] };
  /** time the search took (0 from the cache) */
  searchMs: number;
}

/** Where a choice is kept between runs. */
export interface AutotuneCache {
  where: string;
  load(key: string): AutotuneReport | null;
  save(key: string, report: AutotuneReport): void;
}

/** Where cache problems are reported by default: once each, on the console (stderr in Node). */
const defaultWarn = (message: string): void => console.warn(`widenet: ${message}`);

/** A page's cache: one localStorage entry per adapter key. */
export function localStorageCache(storage: Storage = globalThis.localStorage, warn: (message: string) => void = defaultWarn): AutotuneCache {
  const prefix = 'widenet.autotune:';
  return {
    where: 'localStorage',
    load: (key) => {
      const text = storage.getItem(prefix + key);
      if (!text) return null;
      try {
        return JSON.parse(text) as AutotuneReport; // validated by the reader (cachedChoice)
      } catch (e) {
        warnOnce(warn, `ignoring the autotune cache entry ${prefix + key} in localStorage: not JSON (${(e as Error).message})`);
        return null;
      }
    },
    save: (key, report) => storage.setItem(prefix + key, JSON.stringify(report)),
  };
}

/** The adapter's identity: a choice made on one adapter (or with other shaders) is not reused on another. */
export function adapterKey(rt: Runtime): string {
  const a = rt.ctx.adapter;
  return [a.vendor, a.architecture, a.description, a.software ? 'software' : 'hardware', `v${AUTOTUNE_VERSION}`].join('|');
}

/**
 * Times every candidate: one warm-up each (compiles the pipeline), then `runs` rounds in which
 * the candidates take turns, keeping each one's fastest run. Taking turns spreads the load of
 * other processes over all candidates, and that load can only add time, so the minimum is the
 * steadiest estimate of a candidate's own cost.
 */
async function timeCandidates<C>(rt: Runtime, configs: C[], record: (config: C) => void, runs: number): Promise<number[]> {
  for (const config of configs) await rt.time(() => record(config));
  const best = configs.map(() => Infinity);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < configs.length; i++) best[i] = Math.min(best[i], (await rt.time(() => record(configs[i]))).ms);
  }
  return best;
}

function fastest<T extends { ms: number }>(c: T[]): T {
  return c.reduce((best, x) => (x.ms < best.ms ? x : best));
}

/** The parts of a cached report that are used: the version and the chosen override constants. */
const tileConstants = z.record(z.string(), z.number().int().positive());
const cachedChoiceSchema = z.looseObject({
  matmul: z.looseObject({ version: z.enum(MATMUL_VERSIONS), chosen: tileConstants }),
  gram: z.looseObject({ chosen: z.object({ wg: z.number().int().positive(), version: z.enum(GRAM_VERSIONS).optional() }) }),
});

const sameTile = (a: Record<string, number>, b: Record<string, number>) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

/**
 * Why a cached choice cannot be used on this device, or null when it can: the shape of the entry
 * (zod), a tile that is one of the candidates (or the default) of its version and fits the
 * device's limits, and a Gram edge among the candidates within the invocation limit. A cache is
 * written by widenet but read from a file anyone can edit: a tile outside these would break every
 * run with GPU validation errors.
 */
export function cachedChoiceProblem(rt: Runtime, entry: unknown): string | null {
  const parsed = cachedChoiceSchema.safeParse(entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue.path.length ? issue.path.join('.') : 'the entry'}: ${issue.message}`;
  }
  const { version, chosen } = parsed.data.matmul;
  const candidates = MATMUL_CANDIDATES[version] ?? [];
  const known = candidates.some((c) => sameTile(c, DEFAULT_TILES[version])) ? candidates : [...candidates, DEFAULT_TILES[version]];
  if (!known.some((c) => sameTile(c, chosen))) return `matmul.chosen ${JSON.stringify(chosen)} is not a ${version} candidate (expected one of ${known.map((c) => JSON.stringify(c)).join(', ')})`;
  if (!fits(rt, version, chosen)) return `matmul.chosen ${JSON.stringify(chosen)} exceeds this device's workgroup limits`;
  const { wg } = parsed.data.gram.chosen;
  if (!GRAM_CANDIDATES.includes(wg)) return `gram.chosen.wg ${wg} is not a candidate (expected one of ${GRAM_CANDIDATES.join(', ')})`;
  if (wg * wg > rt.limits.maxComputeInvocationsPerWorkgroup) return `gram.chosen.wg ${wg} exceeds this device's maxComputeInvocationsPerWorkgroup`;
  return null;
}

/** What a report puts on the runtime: the chosen tile of its version, the version itself, the Gram edge. */
function tunedFrom(report: Pick<AutotuneReport, 'matmul' | 'gram'>) {
  return { matmul: { [report.matmul.version]: report.matmul.chosen }, matmulVersion: report.matmul.version, gram: report.gram.chosen };
}

/** The cached choice for this adapter when there is a usable one; a bad entry is reported once and ignored. */
function cachedChoice(rt: Runtime, cache: AutotuneCache, warn: (message: string) => void): AutotuneReport | null {
  const key = adapterKey(rt);
  let entry: unknown;
  try {
    entry = cache.load(key);
  } catch (e) {
    warnOnce(warn, `ignoring the autotune cache ${cache.where}: ${(e as Error).message}`);
    return null;
  }
  if (entry === null || entry === undefined) return null;
  const problem = cachedChoiceProblem(rt, entry);
  if (problem) {
    warnOnce(warn, `ignoring the autotune cache entry for ${key} in ${cache.where}: ${problem}; the default tiles are used (widenet bench searches again)`);
    return null;
  }
  return entry as AutotuneReport;
}

/**
 * Uses the choice cached for this adapter, if there is a valid one, without searching (commands
 * other than the benchmark: they should not spend seconds timing tiles). Returns it, or null.
 */
export function applyCachedTiles(rt: Runtime, cache: AutotuneCache, warn: (message: string) => void = defaultWarn): AutotuneReport | null {
  const cached = cachedChoice(rt, cache, warn);
  if (!cached) return null;
  setTunedTiles(rt, tunedFrom(cached));
  return { ...cached, source: 'cache', cache: cache.where, searchMs: 0 };
}

export interface AutotuneOptions {
  /** null: no cache (always search); default: none either — callers pass the cache of their platform */
  cache?: AutotuneCache | null;
  /** search even when the cache holds a choice */
  force?: boolean;
  /** false: keep the defaults, search nothing (the choice is reported as 'default') */
  enabled?: boolean;
  runs?: number;
  log?: (line: string) => void;
  /** where a bad cache entry is reported (once); default console.warn */
  warn?: (message: string) => void;
}

function fits(rt: Runtime, version: MatmulVersion, c: Record<string, number>): boolean {
  const limits = rt.limits;
  if (version === 'v2_regtile') return c.WG_X * c.WG_Y <= limits.maxComputeInvocationsPerWorkgroup;
  if (version === 'v3_smem') return (c.BM / 4) * (c.BN / 4) <= limits.maxComputeInvocationsPerWorkgroup && 4 * c.BK * (c.BM + c.BN) <= limits.maxComputeWorkgroupStorageSize;
  if (version === 'v5_bigtile') return c.BM % 8 === 0 && c.BN % 4 === 0 && c.BK % 4 === 0 && (c.BM / 8) * (c.BN / 4) <= limits.maxComputeInvocationsPerWorkgroup && 4 * c.BK * (c.BM + c.BN) <= limits.maxComputeWorkgroupStorageSize && prefetchFits(c);
  return true;
}

/**
 * Chooses the matmul tile (for the version this adapter's square products use) and the Gram
 * workgroup edge, records them on `rt` (rt.tuning), and returns what was chosen and from where.
 */
export async function autotune(rt: Runtime, options: AutotuneOptions = {}): Promise<AutotuneReport> {
  const log = options.log ?? (() => {});
  const key = adapterKey(rt);
  const cache = options.cache ?? null;
  const software = rt.ctx.adapter.software;
  // representative shapes, small enough that the whole search takes seconds on a CPU adapter
  // (at 384³ the choice did not carry over to 1024³ on SwiftShader; 512³ is large enough)
  const s = software ? 512 : 2048;
  // the Gram: an eNTK-shaped feature matrix, n ≪ m (n = 1024, m = 2^15 on a GPU)
  const [gn, gm] = software ? [256, 2048] : [1024, 1 << 15];
  const version = chooseMatmulVersion({ m: s, n: s, k: s, batch: 1, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }, rt.ctx.adapter);
  // the versions searched: the adapter's own (v2 on a CPU adapter), or on a GPU both tiled versions
  const versions = software ? [version] : TILED_VERSIONS;
  const base = { key, cache: cache?.where ?? 'none', matmul: { version, shape: [s, s, s] as [number, number, number] }, gram: { shape: [gn, gm] as [number, number] } };

  if (options.enabled === false) {
    setTunedTiles(rt, null);
    return { ...base, source: 'default', matmul: { ...base.matmul, chosen: DEFAULT_TILES[version], candidates: [] }, gram: { ...base.gram, chosen: { wg: 8, version: 'tiled' }, candidates: [] }, searchMs: 0 };
  }
  const cached = options.force || !cache ? null : cachedChoice(rt, cache, options.warn ?? defaultWarn);
  if (cached && versions.includes(cached.matmul?.version)) {
    setTunedTiles(rt, tunedFrom(cached));
    log(`autotune: ${key}: from ${cache!.where}: matmul ${cached.matmul.version} ${JSON.stringify(cached.matmul.chosen)}, gram ${cached.gram.chosen.version ?? 'tiled'} WG ${cached.gram.chosen.wg}`);
    return { ...cached, source: 'cache', cache: cache!.where, searchMs: 0 };
  }

  const t0 = performance.now();
  const runs = options.runs ?? 3;
  setTunedTiles(rt, null);
  const a = randn(rt, [s, s], { seed: 11, name: 'A' });
  const b = randn(rt, [s, s], { seed: 12, name: 'B' });
  const c = Tensor.empty(rt, [s, s], 'C');
  const configs = versions.flatMap((v) => (MATMUL_CANDIDATES[v] ?? [DEFAULT_TILES[v]]).filter((config) => fits(rt, v, config)).map((tile) => ({ version: v, tile })));
  const matmulMs = await timeCandidates(rt, configs, ({ version: v, tile }) => matmul(rt, a, b, { version: v, tile, out: c }), runs);
  const matmulTimes = configs.map(({ version: v, tile }, i) => ({ version: v, config: tile, ms: matmulMs[i] }));
  matmulTimes.forEach((t) => log(`autotune: matmul ${t.version} ${s}³ ${JSON.stringify(t.config)}: ${t.ms.toFixed(2)} ms`));
  const best = fastest(matmulTimes);
  [a, b, c].forEach((t) => t.dispose());
  const f = randn(rt, [gn, gm], { seed: 13, name: 'features' });
  const g = Tensor.empty(rt, [gn, gn], 'G');
  const wgs = GRAM_CANDIDATES.filter((wg) => wg * wg <= rt.limits.maxComputeInvocationsPerWorkgroup);
  // bigtile runs with the v5 tile it will get from the tuned record: the chosen one when v5 won the matmul search, else v5's default
  const bigTile = best.version === 'v5_bigtile' ? best.config : DEFAULT_TILES.v5_bigtile;
  const gramConfigs = GRAM_SEARCHED_VERSIONS(software).flatMap((v): { v: GramVersion; config: Record<string, number> }[] => (v === 'tiled' ? wgs.map((wg) => ({ v, config: { WG: wg } })) : [{ v, config: bigTile }]));
  const gramMs = await timeCandidates(rt, gramConfigs, ({ v, config }) => void gram(rt, f, undefined, v === 'tiled' ? { version: v, wg: config.WG, out: g } : { version: v, tile: config, out: g }), runs);
  const gramTimes: CandidateTiming[] = gramConfigs.map(({ v, config }, i) => ({ gramVersion: v, config, ms: gramMs[i] }));
  gramTimes.forEach((t) => log(`autotune: gram ${t.gramVersion} ${gn}×${gm} ${JSON.stringify(t.config)}: ${t.ms.toFixed(2)} ms`));
  const bestGram = fastest(gramTimes);
  const bestTiled = fastest(gramTimes.filter((t) => t.gramVersion === 'tiled'));
  [f, g].forEach((t) => t.dispose());
  const report: AutotuneReport = {
    ...base,
    source: 'search',
    matmul: { ...base.matmul, version: best.version, chosen: best.config, candidates: matmulTimes },
    gram: { ...base.gram, chosen: { wg: bestTiled.config.WG, version: bestGram.gramVersion! }, candidates: gramTimes },
    searchMs: performance.now() - t0,
  };
  setTunedTiles(rt, tunedFrom(report));
  cache?.save(key, report);
  log(`autotune: chose matmul ${best.version} ${JSON.stringify(report.matmul.chosen)}, gram ${report.gram.chosen.version} WG ${report.gram.chosen.wg} (${(report.searchMs / 1000).toFixed(1)} s)`);
  return report;
}
