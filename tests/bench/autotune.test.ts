// Autotuning: every candidate tile is correct on awkward shapes (so any choice is safe), the
// search picks one of them and caches it under the adapter's key in an injected file, a second
// call reads it back instead of searching, and matmul()/gram() then use the chosen tiles.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { GRAM_CANDIDATES, MATMUL_CANDIDATES, adapterKey, applyCachedTiles, autotune, cachedChoiceProblem } from '../../src/kernels/autotune';
import { fileCache } from '../../src/kernels/autotune-node';
import { gram, gramRef } from '../../src/kernels/gram';
import { matmul, matmulProblem, matmulRef, type MatmulVersion } from '../../src/kernels/matmul';
import { setTunedTiles, tunedTiles } from '../../src/kernels/tuning';
import { expectClose, testData, tolerance, useRuntime } from '../helpers/gpu';

const ctx = useRuntime();
const fastestGramVersion = (c: { gramVersion?: string; ms: number }[]) => c.reduce((b, x) => (x.ms < b.ms ? x : b)).gramVersion;
const dir = mkdtempSync(join(tmpdir(), 'widenet-autotune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('autotune candidates', () => {
  // ragged against every candidate tile; aligned K and N for the vec4 paths; transposes
  const shapes = [{ m: 37, n: 45, k: 29 }, { m: 70, n: 68, k: 36 }, { m: 33, n: 30, k: 40, transB: true }];
  for (const version of Object.keys(MATMUL_CANDIDATES) as MatmulVersion[]) {
    it(`every ${version} candidate matches the float64 reference`, async () => {
      const { rt } = ctx;
      for (const s of shapes) {
        const a = testData(s.m * s.k, 3);
        const b = testData(s.k * s.n, 4);
        const A = Tensor.from(rt, a, [s.m, s.k], 'A');
        const B = Tensor.from(rt, b, s.transB ? [s.n, s.k] : [s.k, s.n], 'B');
        const ref = matmulRef(a, b, matmulProblem(A, B, false, !!s.transB));
        for (const tile of MATMUL_CANDIDATES[version]!) {
          const C = matmul(rt, A, B, { version, tile, transB: s.transB });
          expectClose(await C.read(), ref, tolerance(s.k), `${version} ${JSON.stringify(tile)} ${s.m}×${s.n}×${s.k}`);
          C.dispose();
        }
        A.dispose();
        B.dispose();
      }
    });
  }
  it('a PREFETCH tile too deep for its registers (2·BK > min(BM, BN)) is refused by name, never computed short', () => {
    const { rt } = ctx;
    const [A, B] = [Tensor.zeros(rt, [8, 8], 'A'), Tensor.zeros(rt, [8, 8], 'B')];
    expect(() => matmul(rt, A, B, { version: 'v5_bigtile', tile: { BM: 64, BN: 32, BK: 32, PREFETCH: 1 } })).toThrow(/PREFETCH needs 2·BK ≤ min\(BM, BN\)/);
    expect(() => gram(rt, A, undefined, { version: 'bigtile', tile: { BM: 64, BN: 32, BK: 32, PREFETCH: 1 } })).toThrow(/PREFETCH needs 2·BK ≤ min\(BM, BN\)/);
    [A, B].forEach((t) => t.dispose());
  });

  it('every Gram candidate matches the float64 reference', async () => {
    const { rt } = ctx;
    const [n, m] = [71, 52];
    const a = testData(n * m, 5);
    const A = Tensor.from(rt, a, [n, m], 'A');
    for (const wg of GRAM_CANDIDATES) {
      const G = gram(rt, A, undefined, { version: 'tiled', wg });
      expectClose(await G.read(), gramRef(a, a, n, n, m), tolerance(m), `gram WG ${wg}`);
      G.dispose();
    }
    // on a GPU the search also times 'bigtile' with a v5 tile, sliced as on a long m: the v5 candidates
    // other than the default (tests/kernels/gram-versions.test.ts has it) that change the diagonal's
    // shape (BN > BM, BM = 4·BN) or the slice alignment (BK = 8), and the register prefetch
    const bigTiles = MATMUL_CANDIDATES.v5_bigtile!.filter((t) => (t.PREFETCH ? t.BM > t.BN : t.BN > t.BM || t.BM === 4 * t.BN || t.BK === 8));
    expect(bigTiles.length).toBe(4);
    for (const tile of bigTiles) {
      const G = gram(rt, A, undefined, { version: 'bigtile', tile, splits: 2 });
      expectClose(await G.read(), gramRef(a, a, n, n, m), tolerance(m), `gram bigtile ${JSON.stringify(tile)}`);
      G.dispose();
    }
    A.dispose();
  });
});

describe('autotune search and cache', () => {
  it('searches, caches by adapter key, reads the cache back, and the kernels use the choice', async () => {
    const { rt } = ctx;
    const path = join(dir, 'autotune.json');
    const cache = fileCache(path);
    const first = await autotune(rt, { cache, runs: 1 });
    expect(first.source).toBe('search');
    expect(first.key).toBe(adapterKey(rt));
    expect(MATMUL_CANDIDATES[first.matmul.version]).toContainEqual(first.matmul.chosen);
    expect(GRAM_CANDIDATES).toContain(first.gram.chosen.wg);
    // a CPU adapter times the tiled Gram only (chooseGramVersion keeps it there); a GPU both versions
    expect(first.gram.chosen.version).toBe(rt.ctx.adapter.software ? 'tiled' : fastestGramVersion(first.gram.candidates));
    expect(new Set(first.gram.candidates.map((c) => c.gramVersion))).toEqual(new Set(rt.ctx.adapter.software ? ['tiled'] : ['tiled', 'bigtile']));
    expect(first.matmul.candidates.length).toBeGreaterThan(1);
    // the chosen candidate is the fastest measured
    expect(first.matmul.candidates.every((c) => c.ms >= first.matmul.candidates.find((x) => x.config === first.matmul.chosen)!.ms)).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8'))[first.key].matmul.chosen).toEqual(first.matmul.chosen);
    expect(tunedTiles(rt)?.matmul[first.matmul.version]).toEqual(first.matmul.chosen);

    setTunedTiles(rt, null);
    const second = await autotune(rt, { cache });
    expect(second.source).toBe('cache');
    expect(second.searchMs).toBe(0);
    expect(tunedTiles(rt)?.matmul[second.matmul.version]).toEqual(first.matmul.chosen);
    expect(tunedTiles(rt)?.gram).toEqual(first.gram.chosen);

    // with the tuned tiles in place, an awkward product is still right
    const a = testData(23 * 41, 6);
    const b = testData(41 * 57, 7);
    const A = Tensor.from(rt, a, [23, 41], 'A');
    const B = Tensor.from(rt, b, [41, 57], 'B');
    expectClose(await matmul(rt, A, B).read(), matmulRef(a, b, matmulProblem(A, B)), tolerance(41), 'tuned matmul');

    // other commands reuse a cached choice without searching, and find nothing in an empty cache
    setTunedTiles(rt, null);
    expect(applyCachedTiles(rt, cache)?.matmul.chosen).toEqual(first.matmul.chosen);
    expect(tunedTiles(rt)?.matmul[first.matmul.version]).toEqual(first.matmul.chosen);
    setTunedTiles(rt, null);
    expect(applyCachedTiles(rt, fileCache(join(dir, 'empty.json')))).toBeNull();
    expect(tunedTiles(rt)).toBeUndefined();

    const off = await autotune(rt, { cache, enabled: false });
    expect(off.source).toBe('default');
    expect(tunedTiles(rt)).toBeUndefined();
  });
});

describe('autotune cache validation', () => {
  const collect = () => {
    const messages: string[] = [];
    return { messages, warn: (m: string) => void messages.push(m) };
  };

  it('a cache file that is not an object of entries (null, an array, broken JSON) is an empty cache, reported once', () => {
    const { rt } = ctx;
    for (const [name, text, pattern] of [['null.json', 'null', /got null/], ['array.json', '[1]', /got an array/], ['broken.json', '{"a": ', /not valid JSON/]] as const) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const { messages, warn } = collect();
      const cache = fileCache(path, warn);
      expect(cache.entries()).toEqual({});
      setTunedTiles(rt, null);
      expect(applyCachedTiles(rt, cache, warn)).toBeNull();
      expect(applyCachedTiles(rt, cache, warn)).toBeNull();
      expect(tunedTiles(rt)).toBeUndefined();
      expect(messages, name).toHaveLength(1); // once, however often the file is read
      expect(messages[0]).toContain(path);
      expect(messages[0]).toMatch(pattern);
    }
  });

  it('an entry with out-of-range or malformed tiles is ignored and reported once, naming the field', () => {
    const { rt } = ctx;
    const key = adapterKey(rt);
    const version = first(Object.keys(MATMUL_CANDIDATES)) as MatmulVersion;
    const good = { matmul: { version, chosen: MATMUL_CANDIDATES[version]![0] }, gram: { chosen: { wg: GRAM_CANDIDATES[0] } } };
    expect(cachedChoiceProblem(rt, good)).toBeNull();
    const cases: [unknown, RegExp][] = [
      [null, /the entry/],
      [{ ...good, matmul: { version, chosen: { WG_X: 64, WG_Y: 64 } } }, /matmul\.chosen .* is not a .* candidate/],
      [{ ...good, matmul: { version, chosen: { WG_X: 8.5, WG_Y: 8 } } }, /matmul\.chosen\.WG_X/],
      [{ ...good, matmul: { version: 'v9_magic', chosen: {} } }, /matmul\.version/],
      [{ ...good, gram: { chosen: { wg: 5 } } }, /gram\.chosen\.wg 5 is not a candidate/],
      [{ ...good, gram: {} }, /gram\.chosen/],
      [{ ...good, gram: { chosen: { wg: GRAM_CANDIDATES[0], version: 'v9' } } }, /gram\.chosen\.version/],
    ];
    for (const [i, [entry, pattern]] of cases.entries()) {
      const path = join(dir, `entry-${i}.json`);
      writeFileSync(path, JSON.stringify({ [key]: entry }));
      const { messages, warn } = collect();
      const cache = fileCache(path, warn);
      setTunedTiles(rt, null);
      expect(applyCachedTiles(rt, cache, warn), JSON.stringify(entry)).toBeNull();
      expect(applyCachedTiles(rt, cache, warn)).toBeNull();
      expect(tunedTiles(rt)).toBeUndefined();
      expect(messages, JSON.stringify(entry)).toHaveLength(entry === null ? 0 : 1); // null: no entry at all
      if (entry !== null) expect(messages[0]).toMatch(pattern);
      if (entry === null) expect(cachedChoiceProblem(rt, entry)).toMatch(pattern);
    }
    // a good entry in the same form is used
    const path = join(dir, 'good.json');
    writeFileSync(path, JSON.stringify({ [key]: good }));
    expect(applyCachedTiles(rt, fileCache(path))?.matmul.chosen).toEqual(good.matmul.chosen);
    expect(tunedTiles(rt)?.matmul[version]).toEqual(good.matmul.chosen);
    setTunedTiles(rt, null);
  });

  it('tuned tiles must be positive integers', () => {
    const { rt } = ctx;
    expect(() => setTunedTiles(rt, { matmul: { v2_regtile: { WG_X: 0, WG_Y: 8 } } })).toThrow(/WG_X = 0: expected a positive integer/);
    expect(() => setTunedTiles(rt, { matmul: {}, gram: { wg: 2.5 } })).toThrow(/wg = 2.5/);
    expect(tunedTiles(rt)).toBeUndefined();
  });
});

const first = <T>(xs: T[]): T => xs[0];
