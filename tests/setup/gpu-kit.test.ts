// The GPU kit (issue 16): `npm run gpu-kit` builds .gpu-kit/, a copy of it OUTSIDE the repository
// runs `bash run.sh --quick` on this machine's SwiftShader, with the kit's own Vulkan loader
// (WIDENET_KIT_OWN_LOADER=1: the .deb unpacked in /tmp, as on the GPU machine), and every stage's
// report comes back with real numbers. Without --quick the kit refuses a software adapter.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const KIT = join(ROOT, '.gpu-kit');
const far = mkdtempSync(join(tmpdir(), 'widenet-gpu-kit-test-'));
const json = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const du = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((s, e) => s + (e.isDirectory() ? du(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);

describe('the GPU kit', () => {
  let quick: { status: number | null; stderr: string };
  const out = join(far, 'out');
  beforeAll(() => {
    const build = spawnSync('npm', ['run', '-s', 'gpu-kit'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    cpSync(KIT, join(far, '.gpu-kit'), { recursive: true });
    // the selftest is covered whole by tests/cli/selftest.test.ts: here two of its families
    const r = spawnSync('bash', ['.gpu-kit/run.sh', '--quick', '--selftest-only', 'v2_regtile A·B ', '--selftest-only', 'entk'], { cwd: far, encoding: 'utf8', env: { ...process.env, OUT: out, WIDENET_KIT_OWN_LOADER: '1' } });
    quick = { status: r.status, stderr: r.stderr };
  }, 600_000);
  afterAll(() => rmSync(far, { recursive: true, force: true }));

  it('holds Node, Dawn, the libvulkan1 .deb, the CLI, the peers and run.sh, under 60 MiB', () => {
    for (const f of ['node.gz', 'dawn.node.gz', 'run.sh', 'report.mjs', 'widenet/cli/widenet.js', 'widenet/node_modules/webgpu/index.js', 'peers/torch_peers.py', 'peers/jax_peers.py', 'peers/structured_check.py', 'peers/common.py', 'MANIFEST.json']) expect(existsSync(join(KIT, f)), f).toBe(true);
    expect(readdirSync(KIT).some((f) => /^libvulkan1_.*_amd64\.deb$/.test(f))).toBe(true);
    expect(du(KIT)).toBeLessThanOrEqual(60 * 2 ** 20);
  });

  it('run.sh --quick, from a copy outside the repository, writes every report with real numbers', () => {
    expect(quick.status, quick.stderr).toBe(0);
    expect(quick.stderr).toMatch(/Vulkan loader: the kit's libvulkan1_/);
    const stages = readFileSync(join(out, 'stages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(stages.map((s) => s.stage)).toEqual(['info', 'selftest', 'bench-kernels', 'bench-ntk', 'bench-train', 'peer-numpy', 'peer-torch', 'peer-jax']);
    for (const s of stages) expect(s.status, `${s.stage}: ${existsSync(join(out, `${s.stage}.log`)) ? readFileSync(join(out, `${s.stage}.log`), 'utf8').slice(-2000) : ''}`).toBe('ok');
    const info = json(out, 'info.json');
    expect(info.software).toBe(true);
    expect(info.dawnToggles.disabled).toContain('timestamp_quantization');
    const selftest = json(out, 'selftest.json');
    expect(selftest.passed).toBe(true);
    expect(selftest.results.some((r: { kernel: string }) => r.kernel === 'entk')).toBe(true);
    // benchmarks: every case checked and timed (positive, finite times)
    const kernels = json(out, 'bench-kernels.json');
    expect(kernels.preset).toBe('tiny');
    expect(kernels.results.length).toBeGreaterThan(10);
    for (const r of kernels.results) {
      expect(r.mismatch, `${r.kernel} ${r.version}`).toBeUndefined();
      // a case the adapter cannot run (the f16 path without 'shader-f16') is a skipped row with its reason
      if (r.skipped !== undefined) {
        expect(r.skipped, `${r.kernel} ${r.version}`).toMatch(/shader-f16/);
        continue;
      }
      expect(r.ms, `${r.kernel} ${r.version}`).toBeGreaterThan(0);
      expect(Number.isFinite(r.gflops)).toBe(true);
    }
    const ntk = json(out, 'bench-ntk.json');
    expect(ntk.results.filter((r: { method: string; ms: number }) => r.method === 'structured' && r.ms > 0).length).toBeGreaterThanOrEqual(2);
    const train = json(out, 'bench-train.json');
    expect(train.results.filter((r: { stepsPerSecond: number }) => r.stepsPerSecond > 0).length).toBeGreaterThanOrEqual(1);
    // the peers: numpy checks the structured formula against widenet's eNTK on the shared case; torch and jax are absent here and say why
    const numpy = json(out, 'peer-numpy.json');
    expect(numpy.available).toBe(true);
    expect(numpy.results[0].agrees).toBe(true);
    expect(numpy.results[0].maxRelDiffToWidenet).toBeLessThan(1e-3);
    for (const [file, pkg] of [['peer-torch.json', 'torch'], ['peer-jax.json', 'jax']]) {
      const p = json(out, file);
      if (!p.available) expect(p.reason, file).toMatch(new RegExp(`${pkg === 'torch' ? 'PyTorch' : 'JAX'} is not installed|CUDA is not available|no GPU backend`));
    }
    // the side-by-side summary
    const summary = json(out, 'summary.json');
    expect(summary.adapter.software).toBe(true);
    expect(summary.sharedCase[0].agrees).toBe(true);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toMatch(/## fp32 matmul[\s\S]*\| 128³ \| \d+\.\d{3} \|/);
    expect(md).toMatch(/## empirical NTK[\s\S]*\| 32 \| 16 \| 2\^10 \| \d+\.\d \|/);
    expect(md).toMatch(/PyTorch is not installed|CUDA is not available/);
  });

  it('without --quick it stops on a software adapter with a clear message', () => {
    const stopOut = join(far, 'stop');
    const r = spawnSync('bash', [join(far, '.gpu-kit/run.sh')], { cwd: far, encoding: 'utf8', env: { ...process.env, OUT: stopOut } });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/reports a SOFTWARE adapter[^\n]*not be GPU numbers\. Stopping\./);
    expect(readFileSync(join(stopOut, 'summary.md'), 'utf8')).toMatch(/Stopped:.*SwiftShader/);
    expect(existsSync(join(stopOut, 'selftest.json'))).toBe(false);
  }, 120_000);
});
