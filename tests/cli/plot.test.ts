// `widenet plot`: the figures of a real run and of hand-made grid results, opened in headless
// Chromium (SVG) or decoded by it (PNG), holding the series that were plotted; and its errors.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { widenet, ownStderr, specFolder } from '../helpers/cli';
import { withBrowser, type BrowserSession } from '../helpers/browser';

const { dir, specFile } = specFolder('widenet-plot-');
const fileServer = async () => ({ baseUrl: `file://${dir}`, close: async () => {} });
const withFiles = <T>(fn: (s: BrowserSession) => Promise<T>) => withBrowser(fn, { webgpu: false, server: fileServer });

/** The aria labels Vega gives each mark of one kind ("lr: 0.1; loss: 0.5; …"), as field → value maps. */
const marks = (svg: string, kind: string) =>
  [...svg.matchAll(new RegExp(`<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="${kind}"`, 'g'))].map((m) =>
    Object.fromEntries(m[1].split('; ').map((kv) => kv.split(': ') as [string, string])),
  );

describe('widenet plot of a run', () => {
  let metrics: string;
  let summary: { slopes: { ntkChange: number } };
  beforeAll(() => {
    const spec = specFile('spec.json', {
      seed: 1,
      model: { inputDim: 3, hidden: [[32], [128]], outputDim: 1, activation: 'tanh', parameterization: 'ntk' },
      data: { train: { kind: 'sphere', n: 8 }, test: { kind: 'sphere', n: 8 }, target: { kind: 'teacher', hidden: [3], activation: 'tanh' } },
      train: { lr: 0.5, steps: 6, recordEvery: 3, linearized: true },
    });
    const r = widenet(['run', spec]);
    expect(r.code, ownStderr(r.stderr)).toBe(0);
    metrics = join(dir, 'metrics.jsonl');
    writeFileSync(metrics, r.stdout);
    summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!).summary;
  }, 120_000);

  it('SVG: the loss figure opens in Chromium with one line per width and curve; the width figure states the summary\'s slope', async () => {
    const out = join(dir, 'loss.svg');
    expect(widenet(['plot', metrics, '--figure', 'loss', '--out', out]).code).toBe(0);
    const widthOut = join(dir, 'width.svg');
    const w = widenet(['plot', dir, '--out', widthOut]); // the folder, and the default figure for two widths
    expect(w.stderr).toContain('wrote the width figure');
    expect(readFileSync(widthOut, 'utf8')).toContain(`ntkChange (slope ${summary.slopes.ntkChange.toFixed(2)})`);
    await withFiles(async (s) => {
      const { page } = await s.open('/loss.svg');
      const found = await page.evaluate(() => ({ root: document.documentElement.nodeName, lines: document.querySelectorAll('.mark-line path').length, text: document.documentElement.textContent }));
      expect(found.root).toBe('svg');
      // 2 widths × (network, linearised) × (train, test)
      expect(found.lines).toBe(8);
      expect(found.text).toContain('width 128');
      expect(found.text).toContain('linearised, test');
    });
  }, 120_000);

  it('PNG: decodes in Chromium at twice the SVG size, with the series drawn in their colours', async () => {
    const out = join(dir, 'loss.png');
    expect(widenet(['plot', metrics, '--figure', 'loss', '--out', out]).code).toBe(0);
    const png = readFileSync(out);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const svgWidth = Number(/^<svg[^>]* width="(\d+)"/.exec(readFileSync(join(dir, 'loss.svg'), 'utf8'))![1]);
    writeFileSync(join(dir, 'blank.html'), '<!doctype html><title>png</title>');
    await withFiles(async (s) => {
      const { page } = await s.open('/blank.html');
      const decoded = await page.evaluate(async (b64: string) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0);
        const px = g.getImageData(0, 0, c.width, c.height).data;
        // Vega's first two categorical colours, #4c78a8 and #f58518
        let blue = 0;
        let orange = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (Math.abs(px[i] - 76) < 12 && Math.abs(px[i + 1] - 120) < 12 && Math.abs(px[i + 2] - 168) < 12) blue++;
          if (Math.abs(px[i] - 245) < 12 && Math.abs(px[i + 1] - 133) < 12 && Math.abs(px[i + 2] - 24) < 12) orange++;
        }
        return { width: img.naturalWidth, blue, orange };
      }, png.toString('base64'));
      expect(decoded.width).toBe(2 * svgWidth);
      expect(decoded.blue).toBeGreaterThan(200);
      expect(decoded.orange).toBeGreaterThan(200);
    });
  }, 120_000);
});

describe('widenet plot of grid results', () => {
  // hand-made grids. µTransfer: loss = (log10 lr − log10(1/width))² + 0.01, the largest lr diverging at the widest net;
  // the phase diagram: ntkChange = α·width/1000 over α × width, one run diverged
  const widths = [64, 256];
  const lrs = [0.001, 0.01, 0.1];
  const alphas = [0.1, 1, 10];
  const loss = (lr: number, w: number) => (Math.log10(lr) - Math.log10(1 / w)) ** 2 + 0.01;
  const grid = (swept: string, values: number[], diverges: (v: number, w: number) => boolean, record: (v: number, w: number) => object) => {
    const lines: string[] = [];
    for (const w of widths) {
      for (const v of values) {
        const point = { 'model.hidden': [w], [swept]: v };
        const base = { width: [w], point, testLoss: null, weightChange: [0.1, 0.1], linearGap: null };
        lines.push(JSON.stringify({ ...base, step: 0, trainLoss: 1, ntkChange: 0 }));
        if (diverges(v, w)) lines.push(JSON.stringify({ point, diverged: { width: [w], step: 3, layer: 1, model: 'network', lr: 1, suggestedMaxLr: 0.05, reason: 'loss' } }));
        else lines.push(JSON.stringify({ ...base, step: 10, ...record(v, w) }));
      }
    }
    const file = join(dir, `grid-${swept}.jsonl`);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  const lrGrid = grid('train.lr', lrs, (lr, w) => w === 256 && lr === 0.1, (lr, w) => ({ trainLoss: loss(lr, w), ntkChange: 0.1 }));
  const alphaGrid = grid('model.alpha', alphas, (a, w) => w === 64 && a === 10, (a, w) => ({ trainLoss: 0.1, ntkChange: (a * w) / 1000 }));

  it('lr (the default for a grid over train.lr): a point per trained run at its final loss, the diverged run as a cross in the "diverged" strip', () => {
    const out = join(dir, 'lr.svg');
    expect(widenet(['plot', lrGrid, '--out', out]).stderr).toContain('wrote the lr figure');
    const svg = readFileSync(out, 'utf8');
    const pts = marks(svg, 'point');
    const trained = pts.filter((m) => m['final train loss'] !== undefined).map((m) => [Number(m['learning rate η']), Number(m['final train loss'])]);
    const expected = widths.flatMap((w) => lrs.filter((lr) => !(w === 256 && lr === 0.1)).map((lr) => [lr, loss(lr, w)]));
    expect(trained.length).toBe(expected.length);
    for (const [lr, l] of expected) expect(trained.some(([a, b]) => a === lr && Math.abs(b - l) < 1e-3 * l + 1e-4), `${lr} ${l}`).toBe(true);
    // the diverged run: one cross in the strip, in its width's row, with no loss of its own
    const crosses = pts.filter((m) => m.diverged !== undefined);
    expect(crosses.map((m) => [m.diverged, Number(m['learning rate η'])])).toEqual([['256', 0.1]]);
    expect(pts.length).toBe(trained.length + crosses.length);
    expect(svg).toContain('diverged runs: crosses in the top strip, one row per width');
  });

  it('stable-lr: the largest non-diverged learning rate per width, with its slope', () => {
    const out = join(dir, 'stable.svg');
    expect(widenet(['plot', lrGrid, '--figure', 'stable-lr', '--out', out]).code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    const pts = marks(svg, 'point').map((m) => [Number(m['width m']), Number(m['largest stable η'])]);
    expect(pts.sort((a, b) => a[0] - b[0])).toEqual([[64, 0.1], [256, 0.01]]);
    expect(svg).toContain(`(slope ${(Math.log(0.01 / 0.1) / Math.log(4)).toFixed(2)})`);
  });

  it('phase (the default for a grid over model.alpha and widths): one cell per point, coloured by NTK change, the diverged cell grey', () => {
    const out = join(dir, 'phase.svg');
    expect(widenet(['plot', alphaGrid, '--out', out]).stderr).toContain('wrote the phase figure');
    const svg = readFileSync(out, 'utf8');
    const cells = marks(svg, 'rect mark');
    expect(cells.length).toBe(widths.length * alphas.length);
    const coloured = cells.filter((c) => c['‖Θ_t − Θ₀‖/‖Θ₀‖'] !== undefined).map((c) => [Number(c['width m']), Number(c['output scale α']), Number(c['‖Θ_t − Θ₀‖/‖Θ₀‖'])]);
    expect(coloured.length).toBe(5);
    for (const [w, a, v] of coloured) expect(v).toBeCloseTo((a * w) / 1000, 6);
    expect(svg).toContain('>diverged<');
  });
});

describe('widenet plot: bad input', () => {
  it('names a line that is not JSON, an unknown format and a figure the results cannot make', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"step": 0, "width": [4], "trainLoss": 1}\n{"step": 1,\n');
    const a = widenet(['plot', bad, '--out', join(dir, 'x.svg')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('bad.jsonl:2: not a JSON line');
    const b = widenet(['plot', bad, '--out', join(dir, 'x.pdf')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('expected a file name ending in .svg or .png');
    const ok = join(dir, 'one.jsonl');
    writeFileSync(ok, '{"step": 0, "width": [4], "trainLoss": 1}\n');
    const c = widenet(['plot', ok, '--figure', 'lr', '--out', join(dir, 'x.svg')]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('figure lr: expected a grid over "train.lr"');
    const d = widenet(['plot', ok, '--figure', 'nope', '--out', join(dir, 'x.svg')]);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('expected one of loss, width, lr, stable-lr, phase');
  });
});

describe('widenet plot: what a hostile user found (2026-12-02)', () => {
  const rec = (step: number, o: object = {}, width = [4]) => JSON.stringify({ width, step, trainLoss: 1 / (step + 1), testLoss: null, weightChange: [0], ntkChange: 0.1, ...o });
  const file = (name: string, lines: string[]) => {
    writeFileSync(join(dir, name), lines.join('\n') + '\n');
    return join(dir, name);
  };
  const axis = (svg: string, name: string) => new RegExp(`${name}-axis titled '[^']*' for a [a-z]+ scale with values from ([^ ]+) to ([^"]+)"`).exec(svg)!.slice(1).map(Number);

  it('loss: exact zeros are drawn at the axis floor with their own mark and the x-axis runs to the last step; every model\'s divergence is marked', () => {
    // the catapult run of the report ended with trainLoss 0 from step 35; here from step 3, and the linearised model diverging at 4
    const f = file('zeros.jsonl', [
      ...[0, 1, 2, 3, 4, 5].map((s) => rec(s, { trainLoss: s >= 3 ? 0 : 10 ** -s, ...(s < 4 ? { linearTrainLoss: 10 ** s } : {}) })),
      JSON.stringify({ diverged: { width: [4], step: 4, layer: null, model: 'linearized', lr: 2, suggestedMaxLr: 1, reason: 'overflow' } }),
    ]);
    const out = join(dir, 'zeros.svg');
    const r = widenet(['plot', f, '--figure', 'loss', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('note: width 4: the linearised model diverged at step 4');
    const svg = readFileSync(out, 'utf8');
    expect(axis(svg, 'X')).toEqual([0, 5]);
    const zeros = marks(svg, 'point');
    expect(zeros.map((m) => [Number(m.step), m['loss (exact)'], m.mark])).toEqual([3, 4, 5].map((s) => [s, '0', '0 (exact), at the axis floor']));
    // the floor: a decade below the least positive loss (0.01)
    for (const z of zeros) expect(Number(z['drawn at'])).toBe(1e-3);
    expect(axis(svg, 'Y')[0]).toBeCloseTo(1e-3, 12);
    expect(svg).toContain('width 4, network, train, from step 3 (3 records)');
    expect(svg).toContain('<line aria-label="step: 4; run: width 4; event: linearised model diverged (step 4)" role="graphics-symbol" aria-roledescription="rule mark"');
  });

  it('an interrupted run (with the spec.json of its folder) and a failed one are flagged in the figure and on stderr', () => {
    const run = join(dir, 'interrupted');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'spec.json'), JSON.stringify({ train: { steps: 50 } }));
    writeFileSync(join(run, 'metrics.jsonl'), [rec(0), rec(5), JSON.stringify({ interrupted: { width: [4], step: 9, signal: 'SIGTERM' } })].join('\n') + '\n');
    const out = join(dir, 'interrupted.svg');
    const a = widenet(['plot', run, '--out', out]);
    expect(a.code).toBe(0);
    expect(a.stderr).toContain('note: width 4: interrupted (SIGTERM) at step 9 of 50; its last record (step 5) is not a final one');
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('interrupted (SIGTERM) at step 9 of 50');
    expect(axis(svg, 'X')).toEqual([0, 9]);
    // a stop between two widths names the width that had finished (run.ts: the width of its last line)
    writeFileSync(join(run, 'metrics.jsonl'), [rec(0), rec(50), JSON.stringify({ interrupted: { width: [4], step: 50, signal: 'SIGTERM' } })].join('\n') + '\n');
    const between = widenet(['plot', run, '--out', out]);
    expect(between.stderr).toContain('note: width 4 finished; then interrupted (SIGTERM): the widths or grid points after it did not run');
    expect(between.stderr).not.toContain('not a final one');
    // a failed line, and a line of a kind plot does not know, are stop markers of the same shape
    const f = file('failed.jsonl', [rec(0, {}, [8]), JSON.stringify({ failed: { width: [8], step: 3, error: 'device lost' } }), rec(0, {}, [16]), JSON.stringify({ halted: { width: [16], step: 2 } })]);
    const b = widenet(['plot', f, '--figure', 'loss', '--out', join(dir, 'failed.svg')]);
    expect(b.code).toBe(0);
    expect(b.stderr).toContain('note: width 8: failed (device lost) at step 3; its last record (step 0) is not a final one');
    expect(b.stderr).toContain('note: width 16: halted at step 2');
  });

  it('lr: crosses of two widths diverged at one lr sit in separate rows of the strip; a stopped run is no stable lr', () => {
    const lines: string[] = [];
    for (const w of [64, 256])
      for (const lr of [0.1, 1]) {
        const point = { 'model.hidden': [w], 'train.lr': lr };
        lines.push(JSON.stringify({ ...JSON.parse(rec(0, {}, [w])), point }));
        if (lr === 1) lines.push(JSON.stringify({ diverged: { width: [w], point, step: 3, layer: 1, model: 'network', lr, suggestedMaxLr: 0.5, reason: 'loss' } }));
        else if (w === 256) lines.push(JSON.stringify({ interrupted: { width: [w], point, step: 2, signal: 'SIGINT' } }));
        else lines.push(JSON.stringify({ ...JSON.parse(rec(10, {}, [w])), point }));
      }
    const f = file('lr-dodge.jsonl', lines);
    const out = join(dir, 'lr-dodge.svg');
    expect(widenet(['plot', f, '--out', out]).code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    const crosses = [...svg.matchAll(/<path aria-label="([^"]*diverged: (\d+)[^"]*)" role="graphics-symbol" aria-roledescription="point" transform="translate\(([\d.]+),([\d.]+)\)"/g)].map((m) => ({ width: m[2], x: Number(m[3]), y: Number(m[4]) }));
    expect(crosses.map((c) => c.width).sort()).toEqual(['256', '64']);
    expect(crosses[0].x).toBeCloseTo(crosses[1].x, 6); // the same lr …
    expect(Math.abs(crosses[0].y - crosses[1].y)).toBeGreaterThan(5); // … in different rows
    // no invented loss: the trained points are the two final records and the stopped run's last record, marked so
    const trained = marks(svg, 'point').filter((m) => m['final train loss'] !== undefined);
    expect(trained.map((m) => m.point).sort()).toEqual(['final record', 'stopped early (its last record)']);
    const s = widenet(['plot', f, '--figure', 'stable-lr', '--out', join(dir, 'x.svg')]);
    expect(s.code).toBe(1); // width 256's only lr that did not diverge was interrupted: one width with a stable lr
    expect(s.stderr).toContain('figure stable-lr: expected a grid over "train.lr" at two widths or more');
  });

  it('a linearised model\'s divergence does not make the run diverged (as the grid summary counts it)', () => {
    const lines: string[] = [];
    for (const w of [64, 256]) {
      const point = { 'model.hidden': [w], 'train.lr': 0.5 };
      lines.push(JSON.stringify({ ...JSON.parse(rec(0, {}, [w])), point }), JSON.stringify({ ...JSON.parse(rec(5, {}, [w])), point }));
      lines.push(JSON.stringify({ diverged: { width: [w], point, step: 3, layer: null, model: 'linearized', lr: 0.5, suggestedMaxLr: 0.4, reason: 'overflow' } }));
    }
    const out = join(dir, 'stable-lin.svg');
    expect(widenet(['plot', file('stable-lin.jsonl', lines), '--figure', 'stable-lr', '--out', out]).code).toBe(0);
    expect(marks(readFileSync(out, 'utf8'), 'point').map((m) => [Number(m['width m']), Number(m['largest stable η'])]).sort((a, b) => a[0] - b[0])).toEqual([[64, 0.5], [256, 0.5]]);
  });

  it('phase: an interrupted point is a grey cell saying so, not a value; a byte-order mark is no error', () => {
    const lines = [64, 256].flatMap((w) =>
      [1, 10].flatMap((a) => {
        const point = { 'model.hidden': [w], 'model.alpha': a };
        const stop = w === 256 && a === 10;
        return [JSON.stringify({ ...JSON.parse(rec(0, {}, [w])), point }), stop ? JSON.stringify({ point, interrupted: { width: [w], step: 4, signal: 'SIGTERM' } }) : JSON.stringify({ ...JSON.parse(rec(10, { ntkChange: a * w / 1000 }, [w])), point })];
      }),
    );
    writeFileSync(join(dir, 'phase-stop.jsonl'), '\uFEFF' + lines.join('\n') + '\n');
    const out = join(dir, 'phase-stop.svg');
    const r = widenet(['plot', join(dir, 'phase-stop.jsonl'), '--out', out]);
    expect(r.code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(marks(svg, 'rect mark').filter((c) => c['‖Θ_t − Θ₀‖/‖Θ₀‖'] !== undefined).length).toBe(3);
    expect(svg).toContain('>interrupted<');
    expect(r.stderr).toContain('width 256, model.alpha=10: interrupted (SIGTERM) at step 4');
  });

  it('refuses a kernels file, a spec and two concatenated runs, saying what each is', () => {
    const kernels = file('kernels-4.json', [JSON.stringify({ width: [4], step: 10, probe: 'train', x: [[1, 0]], initial: [[1]], current: [[1]] })]);
    const k = widenet(['plot', kernels, '--out', join(dir, 'x.svg')]);
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('kernels-4.json: a kernels file');
    expect(k.stderr).toContain('expected the JSON Lines of `widenet run`');
    const spec = specFile('a-spec.json', '{\n  "model": {"inputDim": 2},\n  "data": {}\n}\n');
    const s = widenet(['plot', spec, '--out', join(dir, 'x.svg')]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('one JSON document over several lines, a spec (run it first');
    const both = file('both.jsonl', [rec(0), rec(5), rec(10), rec(0), rec(5)]);
    const c = widenet(['plot', both, '--out', join(dir, 'x.svg')]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('both.jsonl:4: step 0 of the run width 4 comes after its step 10 (line 3)');
  });

  it('a run that failed before its first record says so, with the error, instead of "no records"', () => {
    const failed = file('failed.jsonl', [JSON.stringify({ failed: { width: [8], step: 0, error: 'LimitExceededError', message: 'tensor "h1" is too large' } })]);
    const f = widenet(['plot', failed, '--out', join(dir, 'x.svg')]);
    expect(f.code).toBe(1);
    expect(f.stderr).toContain('no records to plot: the run of width 8 stopped before its first record, failed (tensor "h1" is too large) at step 0 (line 1)');
  });
});
