// `cover doctor`: the report's shape (it backs --json), what it advises, and the real CLI end to end
// (`node bin/cover.js doctor ...` on the built dist/, which `npm test` builds first).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, UsageError } from '../../src/errors';
import { doctorFailure, runDoctor, torchFix, torchReport } from '../../src/engine/doctor';
import { NOT_INSTALLED_REASON, probeTorchBackend, TORCH_FIX } from '../../src/engine/backend';
import { NOT_INSTALLED as NOT_INSTALLED_REASON_FULL } from '../../src/engine/backends/torch/addon';
import { resetFfmpegCache } from '../../src/data/decode/video/find_ffmpeg';
import { renderDoctor } from '../../src/cli/commands/doctor';
import { shutdownThreads } from '../../src/engine/wasm_threads';
import { tensorflowInstalled } from '../helpers/tf';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'cover.js');

const tensorflowPresent = tensorflowInstalled();
/** The torch backend's addon built here; CI (COVER_EXPECT_TORCH=1) insists, so its tests fail there instead of skipping. */
const torchProbe = probeTorchBackend();
const torchPresent = torchProbe.ok || process.env.COVER_EXPECT_TORCH === '1';

afterAll(() => shutdownThreads());

function cli(args: string[], env: Record<string, string> = {}) {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('runDoctor', () => {
  test('reports backends, the chosen one with a measured GEMM rate, ffmpeg, versions and advice, as plain JSON', async () => {
    const r = await runDoctor({ backend: 'wasm', gemmMs: 30 });
    expect(Object.keys(r).sort()).toEqual(['advice', 'backend', 'backendError', 'backends', 'decoder', 'ffmpeg', 'gemm', 'native', 'ok', 'torch', 'versions']);
    // The in-process decoder, where built (CI builds it): its libraries, pool and hardware types.
    if (r.decoder.inProcess) expect(r.decoder.info).toMatchObject({ ffmpeg: expect.any(String), workers: expect.any(Number), hardware: expect.any(Array) });
    else expect(r.decoder.error).toEqual(expect.any(String));
    expect(r.ok).toBe(true);
    expect(r.backendError).toBeNull();
    expect(r.backend).toMatchObject({ name: 'wasm', requested: 'wasm', threads: 1, simd: true });
    expect(r.backends.map((b) => b.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'torch', 'cpu']);
    expect(r.backends.filter((b) => b.active).map((b) => b.name)).toEqual(['wasm']);
    expect(r.gemm).toMatchObject({ n: 512, backend: 'wasm' });
    expect(r.gemm!.gflops).toBeGreaterThan(0);
    expect(Object.keys(r.ffmpeg).sort()).toEqual(['ffmpeg', 'ffprobe', 'problem', 'source', 'tried', 'version']);
    expect(r.versions).toMatchObject({ node: process.version, tfjsCore: '4.22.0', tfjsBackendWasm: '4.22.0', cover: '0.1.0' });
    expect(r.versions.cpus).toBeGreaterThan(0);
    expect(r.advice.every((a) => typeof a === 'string' && a.length > 0)).toBe(true);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(tf.getBackend()).toBe('wasm'); // the requested backend stays active
    if (r.versions.cpus >= 2) expect(r.advice.some((a) => a.includes('--threads 2'))).toBe(true);
    if (!tensorflowPresent) expect(r.advice.some((a) => a.startsWith('Native TensorFlow (GPU or CPU) is optional and not installed'))).toBe(true);
  });

  test('leaks no tensors', async () => {
    await runDoctor({ backend: 'cpu', gemmMs: 5 }); // burn-in
    const before = tf.memory().numTensors;
    const r = await runDoctor({ backend: 'cpu', gemmMs: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.gemm).toMatchObject({ n: 256, backend: 'cpu' });
  });

  (tensorflowPresent ? test.skip : test)('an unavailable requested backend is reported, not thrown, and becomes the exit error', async () => {
    const r = await runDoctor({ backend: 'tensorflow', gemmMs: 5 });
    expect(r.ok).toBe(false);
    expect(r.backend).toBeNull();
    expect(r.gemm).toBeNull();
    expect(r.backendError!.message).toContain(NOT_INSTALLED_REASON);
    expect(r.advice[0]).toMatch(/^You asked for --backend tensorflow, which cannot start here/);
    expect(r.backends.find((b) => b.name === 'wasm')!.available).toBe(true);
    const err = doctorFailure(r);
    expect(err).toBeInstanceOf(BackendError);
    expect(err!.exitCode).toBe(3);
  });

  test('--threads with --backend cpu is a usage error, thrown', async () => {
    await expect(runDoctor({ backend: 'cpu', threads: 2 })).rejects.toThrow(UsageError);
  });

  test('a wrong COVER_FFMPEG shows up in the report and the advice', async () => {
    const saved = process.env.COVER_FFMPEG;
    process.env.COVER_FFMPEG = '/nonexistent/ffmpeg';
    resetFfmpegCache();
    try {
      const r = await runDoctor({ backend: 'cpu', gemmMs: 0 });
      expect(r.ok).toBe(true);
      expect(r.gemm).toBeNull();
      expect(r.ffmpeg).toMatchObject({ ffmpeg: null, problem: { variable: 'COVER_FFMPEG', path: '/nonexistent/ffmpeg' } });
      expect(r.advice).toContain(
        'COVER_FFMPEG is set to a file that does not exist (/nonexistent/ffmpeg). Point it at a working ffmpeg, or unset it.',
      );
      expect(renderDoctor(r)).toMatch(/│ ffmpeg +│ not found +│/);
    } finally {
      if (saved === undefined) delete process.env.COVER_FFMPEG;
      else process.env.COVER_FFMPEG = saved;
      resetFfmpegCache();
    }
  });

  test('renders every section as plain tables', async () => {
    const text = renderDoctor(await runDoctor({ backend: 'wasm', gemmMs: 5 }));
    for (const heading of ['Compute backends', 'Chosen backend', 'libtorch (--backend torch)', 'Video decoding', 'Versions']) expect(text).toContain(`${heading}`);
    expect(text).toMatch(/│ wasm +│ @tensorflow\/tfjs-backend-wasm +│ ACTIVE +│ SIMD, 1 thread +│ 4\.22\.0 +│/);
    expect(text).toMatch(/│ matMul rate │ \d+\.\d GFLOP\/s \(512x512/);
    expect(text).not.toContain('\u001b['); // no colour codes in logs
  });
});

describe('the libtorch section', () => {
  const built = { version: '1.13.1', libtorch: '/usr/lib/x86_64-linux-gnu', source: 'debian', cuda: false, cudaDevices: 0 };

  test('absent: why, and the fix for that reason (not built, or built but fails to load)', () => {
    const missing = torchReport({ ok: false, reason: 'not installed (no libtorch was found when npm ci ran)' }, null, undefined);
    expect(missing).toMatchObject({ status: 'absent', version: null, libtorch: null, cuda: false, threads: null, reason: 'not installed (no libtorch was found when npm ci ran)', fix: TORCH_FIX });
    expect(TORCH_FIX).toMatch(/^apt-get install libtorch-dev .*then npm ci/);
    const broken = torchReport({ ok: false, reason: 'installed, but fails to load: libtorch_cpu.so: cannot open shared object file' }, null, undefined);
    expect(broken.fix).toMatch(/^rebuild it against a libtorch that is still on this machine \(npm rebuild cover-torch\)/);
    expect(torchFix('started, but 1 + 2 gave 4')).toMatch(/bug/);
    // Built, but it did not start here: absent, with the libtorch it was built against and the start's reason.
    const noStart = torchReport({ ok: true, info: built }, null, { name: 'torch', backend: 'torch', package: 'cover-torch', available: false, reason: 'started, but 1 + 2 gave 4', version: null, active: false });
    expect(noStart).toMatchObject({ status: 'absent', version: '1.13.1', source: 'debian', reason: 'started, but 1 + 2 gave 4' });
  });

  test('present: available with its libtorch and threads, ACTIVE with its device and precision', () => {
    const row = { name: 'torch' as const, backend: 'torch' as const, package: 'cover-torch', available: true, reason: 'libtorch 1.13.1 (debian) on cpu, 2 threads, fp32', version: '1.13.1', active: false, threads: 2 };
    expect(torchReport({ ok: true, info: built }, null, row)).toEqual({ status: 'available', ...built, device: null, precision: null, threads: 2, reason: null, fix: null });
    const torch = { ...built, device: 'cpu' as const, precision: 'fp32' as const, threads: 1 };
    const active = { name: 'torch', torch, threads: 1 } as unknown as Parameters<typeof torchReport>[1];
    expect(torchReport({ ok: true, info: built }, active, { ...row, active: true })).toMatchObject({ status: 'ACTIVE', device: 'cpu', precision: 'fp32', threads: 1 });
  });

  // Runs whether or not the addon is built: COVER_TORCH_PATH at a missing build is how a machine without it looks.
  test('without the addon: absent in the report and the advice, with the fix; --backend torch is refused in one line', () => {
    const missing = { COVER_TORCH_PATH: path.join(ROOT, 'no-such-torch-build') };
    const r = JSON.parse(cli(['doctor', '--json'], missing).stdout);
    expect(r.torch).toMatchObject({ status: 'absent', reason: NOT_INSTALLED_REASON_FULL, fix: TORCH_FIX });
    expect(r.backends.find((b: { name: string }) => b.name === 'torch')).toMatchObject({ available: false, active: false, package: 'cover-torch' });
    expect(r.advice.some((a: string) => a.startsWith('The torch backend (libtorch: no 4 GiB heap') && a.includes(`To fix: ${TORCH_FIX}.`))).toBe(true);
    expect(cli(['doctor'], missing).stdout).toMatch(/│ why absent │ .+│\n/);
    const refused = cli(['doctor', '--backend', 'torch'], missing);
    expect(refused.status).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^cover: error: the torch backend is not available \(cover-torch: not installed .*\(fix: apt-get install libtorch-dev/);
  });

  (torchPresent ? test : test.skip)('with the addon: available next to wasm, ACTIVE with --backend torch on the cpu', async () => {
    const r = await runDoctor({ backend: 'wasm', gemmMs: 0 });
    expect(r.torch).toMatchObject({ status: 'available', reason: null, source: expect.stringMatching(/^(debian|python|COVER_LIBTORCH)$/) });
    expect(r.torch.version).toMatch(/^\d+\.\d+/);
    const t = await runDoctor({ backend: 'torch', device: 'cpu', threads: 2, gemmMs: 20 });
    expect(t.ok).toBe(true);
    expect(t.backend).toMatchObject({ name: 'torch', device: 'cpu', precision: 'fp32', threads: 2 });
    expect(t.torch).toMatchObject({ status: 'ACTIVE', device: 'cpu', threads: 2 });
    expect(t.gemm!.gflops).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe('torch');
    await runDoctor({ backend: 'wasm', gemmMs: 0 });
  });
});

describe('cover doctor (built CLI)', () => {
  test('--json has the libtorch section; --backend torch without it: the report, then one error line, exit 3', () => {
    const r = cli(['doctor', '--json', '--gemm-ms', '5']);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout).torch;
    expect(Object.keys(t).sort()).toEqual(['cuda', 'cudaDevices', 'device', 'fix', 'libtorch', 'precision', 'reason', 'source', 'status', 'threads', 'version']);
    expect(t.status).toBe(torchProbe.ok ? 'available' : 'absent');
    if (torchPresent) return;
    const e = cli(['doctor', '--backend', 'torch', '--gemm-ms', '5']);
    expect(e.stdout).toContain('libtorch (--backend torch)');
    expect(e.stderr).toBe(`cover: error: the torch backend is not available (cover-torch: ${(torchProbe as { reason: string }).reason}) (fix: ${TORCH_FIX})\n`);
    expect(e.status).toBe(3);
  });

  test('--threads 2 --json: exit 0, wasm on 2 threads, one JSON object', () => {
    const r = cli(['doctor', '--threads', '2', '--json', '--gemm-ms', '50']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.backend).toMatchObject({ name: 'wasm', threads: 2, simd: true });
    expect(report.backends.find((b: { name: string }) => b.name === 'wasm')).toMatchObject({ active: true, reason: 'SIMD, 2 threads' });
    expect(report.gemm.gflops).toBeGreaterThan(0);
  });

  (tensorflowPresent ? test.skip : test)('--backend tensorflow: prints the report, then one error line, exit 3', () => {
    const r = cli(['doctor', '--backend', 'tensorflow', '--gemm-ms', '5']);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('Compute backends');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^cover: error: the tensorflow backend is not available \(.*\) \(fix: install @tensorflow\/tfjs-node .*\)$/),
    ]);
  });

  test('a bad --threads value is one usage line, exit 2', () => {
    const r = cli(['doctor', '--threads', 'two']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("cover: error: --threads takes a whole number from 1 to 256, got 'two'\n");
  });
});
