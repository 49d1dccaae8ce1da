// Backend selection (auto / explicit / unavailable), wasm threads, the GEMM rate and the out-of-memory guard.
// The out-of-memory cases fill the real 4 GiB wasm heap, so they run in a child process (the wasm instance is dead after
// an abort) that loads cover's TypeScript sources through typescript.transpileModule: the sources under test, not dist/.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { BackendError, UsageError } from '../../src/errors';
import { AUTO_ORDER, describeBackends, initBackend, NOT_INSTALLED_REASON, probeTorchBackend, TORCH_FIX } from '../../src/engine/backend';
import { measureGemm } from '../../src/engine/gemm_rate';
import { isOutOfMemory, outOfMemoryError, wasmHeapBytes } from '../../src/engine/oom_guard';
import { shutdownThreads, wasmThreads } from '../../src/engine/wasm_threads';
import { tensorflowInstalled } from '../helpers/tf';

const ROOT = path.resolve(__dirname, '../..');

const tensorflowPresent = tensorflowInstalled();
/** The torch backend's addon built here; CI (COVER_EXPECT_TORCH=1) insists, so its tests fail there instead of skipping. */
const torchProbe = probeTorchBackend();
const torchPresent = torchProbe.ok || process.env.COVER_EXPECT_TORCH === '1';
const BIN = path.join(ROOT, 'bin', 'cover.js');

afterAll(() => shutdownThreads()); // the pthread pool would keep the jest worker alive

describe('initBackend', () => {
  test('auto picks wasm (SIMD) here and says why each TensorFlow package was passed over', async () => {
    const info = await initBackend({ backend: 'auto' });
    if (tensorflowPresent) {
      expect(info.tried[0].name).toBe('tfjs-node-gpu');
      return;
    }
    expect(info).toMatchObject({ name: 'wasm', requested: 'auto', candidate: 'wasm', threads: 1, simd: true, gpu: false, version: '4.22.0' });
    expect(info.tried).toEqual([
      { name: 'tfjs-node-gpu', ok: false, reason: NOT_INSTALLED_REASON },
      { name: 'tfjs-node', ok: false, reason: NOT_INSTALLED_REASON },
      { name: 'wasm', ok: true, reason: 'SIMD, 1 thread' },
    ]);
    expect(tf.getBackend()).toBe('wasm');
  });

  test('explicit cpu and wasm become active and compute, any number of times', async () => {
    for (const backend of ['cpu', 'wasm', 'cpu'] as const) {
      const info = await initBackend({ backend });
      expect(info.name).toBe(backend);
      expect(info.tried).toHaveLength(1);
      expect(tf.getBackend()).toBe(backend);
      const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]))); // [1, 2] x [2, 1]
      expect(Array.from(await y.data())).toEqual([11]);
      y.dispose();
    }
  });

  (tensorflowPresent ? test.skip : test)('an explicit tensorflow backend that is not installed is a BackendError with the fix', async () => {
    const err = await initBackend({ backend: 'tensorflow' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    const b = err as BackendError;
    expect(b.exitCode).toBe(3);
    expect(b.message).toBe(
      `the tensorflow backend is not available (@tensorflow/tfjs-node-gpu: ${NOT_INSTALLED_REASON}; @tensorflow/tfjs-node: ${NOT_INSTALLED_REASON})`,
    );
    expect(b.suggestion).toMatch(/install @tensorflow\/tfjs-node .*or use --backend wasm/);
  });

  test('starting backends leaks no tensors', async () => {
    await initBackend({ backend: 'auto' }); // burn-in
    const before = tf.memory().numTensors;
    await initBackend({ backend: 'cpu' });
    await initBackend({ backend: 'wasm' });
    await initBackend({ backend: 'auto' });
    expect(tf.memory().numTensors).toBe(before);
  });

  test('--threads on a backend other than wasm is a usage error', async () => {
    await expect(initBackend({ backend: 'cpu', threads: 2 })).rejects.toThrow(UsageError);
    await expect(initBackend({ backend: 'wasm', threads: 0 })).rejects.toThrow('--threads takes a whole number of at least 1, got 0');
  });

  test('wasm with 2 threads runs XNNPACK on 2 threads, computes the same matMul as cpu, and goes back to 1', async () => {
    await initBackend({ backend: 'cpu' });
    const a = tf.randomNormal([64, 96], 0, 1, 'float32', 3); // [64, 96]
    const b = tf.randomNormal([96, 80], 0, 1, 'float32', 4); // [96, 80]
    const want = tf.matMul(a, b); // [64, 80]
    const wantData = await want.data();

    const info = await initBackend({ backend: 'wasm', threads: 2 });
    expect(info).toMatchObject({ name: 'wasm', threads: 2, simd: true });
    expect(getThreadsCount()).toBe(2);
    expect(wasmThreads()).toBe(2);
    const got = tf.matMul(a, b);
    const gotData = await got.data();
    let maxErr = 0;
    for (let i = 0; i < gotData.length; i++) maxErr = Math.max(maxErr, Math.abs(gotData[i] - wantData[i]));
    expect(maxErr).toBeLessThan(1e-3);
    // Tensors on a wasm instance die with it: free them before the thread count changes (a fresh instance starts).
    tf.dispose([a, b, want, got]);

    const one = await initBackend({ backend: 'wasm', threads: 1 });
    expect(one.threads).toBe(1);
    expect(getThreadsCount()).toBe(1);
  });
});

describe('the torch backend', () => {
  test('auto tries it after wasm and before cpu (one documented order)', () => {
    expect(AUTO_ORDER).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'torch', 'cpu']);
  });

  test('--device and --precision belong to torch: with any other backend a UsageError, before anything starts', async () => {
    for (const backend of ['auto', 'wasm', 'cpu', 'tensorflow'] as const) {
      await expect(initBackend({ backend, device: 'cuda' })).rejects.toThrow(new UsageError(`--device cuda applies to the torch backend only, not ${backend}`));
      await expect(initBackend({ backend, precision: 'bf16' })).rejects.toThrow(UsageError);
    }
    await expect(initBackend({ backend: 'torch', device: 'gpu' as never })).rejects.toThrow("--device takes one of auto, cpu, cuda, got 'gpu'");
    // --threads is torch's too (libtorch's CPU threads): never the "wasm only" usage error.
    const err = await initBackend({ backend: 'torch', threads: 2 }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(UsageError);
  });

  (torchPresent ? test.skip : test)('without the addon an explicit torch is a BackendError with the fix; auto passes it over', async () => {
    const err = await initBackend({ backend: 'torch' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toBe(`the torch backend is not available (cover-torch: ${(torchProbe as { reason: string }).reason})`);
    expect((err as BackendError).suggestion).toBe(TORCH_FIX);
    expect((err as BackendError).exitCode).toBe(3);
    expect((await initBackend({ backend: 'auto' })).name).not.toBe('torch');
  });

  (torchPresent ? test : test.skip)('with the addon: --backend torch --device cpu computes, with libtorch threads, and wasm comes back', async () => {
    const info = await initBackend({ backend: 'torch', device: 'cpu', threads: 2 });
    expect(info).toMatchObject({ name: 'torch', candidate: 'torch', package: 'cover-torch', device: 'cpu', precision: 'fp32', threads: 2, gpu: false });
    expect(info.torch).toMatchObject({ device: 'cpu', threads: 2 });
    expect(info.accel.active).toBe(false);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]))); // [1, 2] x [2, 1]
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
    expect((await initBackend({ backend: 'wasm' })).name).toBe('wasm');
  });

  // Where a user meets it: the built CLI, one line and exit 3, nothing started or written.
  test('--backend torch --device cuda on a libtorch without CUDA (or without the addon): one line, exit 3, no run folder', () => {
    if (torchProbe.ok && torchProbe.info.cuda) return; // a CUDA libtorch: this machine cannot show the refusal
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-torch-cuda-'));
    try {
      const r = spawnSync(process.execPath, [BIN, 'cotrain', '--backend', 'torch', '--device', 'cuda', '--out', path.join(out, 'run')], { encoding: 'utf8', timeout: 60_000 });
      const want = torchPresent
        ? /^cover: error: --device cuda: this libtorch \S+ \((debian|python|COVER_LIBTORCH), \S+\) is built without CUDA \(fix: use --device cpu, or build cover-torch against a pip PyTorch with CUDA .*\)\n$/
        : new RegExp(`^cover: error: the torch backend is not available \\(cover-torch: .*\\) \\(fix: apt-get install libtorch-dev .*\\)\n$`);
      expect(r.stderr).toMatch(want);
      expect(r.status).toBe(3);
      expect(fs.readdirSync(out)).toEqual([]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('describeBackends', () => {
  test('lists all five candidates, leaves the active backend alone and leaks no tensors', async () => {
    await initBackend({ backend: 'cpu' });
    await describeBackends(); // burn-in: starts wasm once
    const before = tf.memory().numTensors;
    const probes = await describeBackends();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.getBackend()).toBe('cpu');
    expect(probes.map((p) => p.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'torch', 'cpu']);
    expect(probes.find((p) => p.name === 'cpu')).toMatchObject({ available: true, active: true, threads: 1 });
    expect(probes.find((p) => p.name === 'wasm')).toMatchObject({ available: true, active: false, simd: true, version: '4.22.0' });
    if (!tensorflowPresent) {
      for (const p of probes.slice(0, 2)) expect(p).toMatchObject({ available: false, reason: NOT_INSTALLED_REASON, version: null });
    }
  });
});

describe('measureGemm', () => {
  test('measures a positive rate on the active backend and frees its tensors', async () => {
    await initBackend({ backend: 'wasm' });
    measureGemm(32, 1); // burn-in
    const before = tf.memory().numTensors;
    const r = measureGemm(64, 20);
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toMatchObject({ n: 64, backend: 'wasm' });
    expect(r.calls).toBeGreaterThanOrEqual(3);
    expect(r.gflops).toBeGreaterThan(0);
    expect(r.gflops).toBeCloseTo((2 * 64 ** 3 * r.calls) / (r.ms / 1000) / 1e9, 6);
  });
});

describe('out of memory', () => {
  test('outOfMemoryError maps engine allocation failures and passes other errors through', async () => {
    await initBackend({ backend: 'wasm' });
    const bug = new TypeError('x is not a function');
    expect(isOutOfMemory(bug)).toBe(false);
    expect(outOfMemoryError(bug)).toBeNull();
    for (const raw of [new RangeError('Array buffer allocation failed'), Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' })]) {
      const e = outOfMemoryError(raw)!;
      expect(e.exitCode).toBe(2);
      expect(e.oneLine()).toMatch(/^out of memory: the wasm heap reached \d\.\d\d GiB of its 4 GiB limit \(.+\) \(fix: .*--micro-batch.*\)$/);
    }
    expect(wasmHeapBytes()).toBeGreaterThanOrEqual(16 * 2 ** 20);
  });

  // Loads cover's .ts sources in a plain node child, then runs `body`; the child exits through the CLI's handleError.
  function child(body: string, env: Record<string, string> = {}, timeout = 90_000) {
    const prelude = `
      const fs = require('fs'); const ts = require('typescript');
      require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'),
        { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, file);
      const tf = require('@tensorflow/tfjs-core');
      const { initBackend } = require('./src/engine/backend');
      const { wasmHeapBytes } = require('./src/engine/oom_guard');
      const { handleError } = require('./src/cli/handle_error');
      (async () => { ${body} })().then(() => process.exit(0), (e) => process.exit(handleError(e)));`;
    return spawnSync(process.execPath, ['-e', prelude], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout });
  }

  function coverLines(stderr: string): string[] {
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    return stderr.trim().split('\n').filter((l) => l.startsWith('cover:'));
  }

  test('a tensor the wasm heap cannot hold ends in one OutOfMemoryError line and exit code 2, at once', () => {
    // 4.8 GB: before the guard, malloc's size wrapped around in wasm32 and the op failed with "Invalid typed array length".
    const r = child(`await initBackend({ backend: 'wasm', accel: 'off' }); tf.fill([1.2e9], 1);`);
    expect(r.status).toBe(2);
    expect(coverLines(r.stderr)).toEqual([
      expect.stringMatching(/^cover: error: out of memory: the wasm heap could not allocate 4\.47 GiB for a tensor \(it holds 0\.\d\d GiB of its 4 GiB limit\) \(fix: .*--micro-batch.*\)$/),
    ]);
  });

  test('single-threaded wasm: filling the 4 GiB heap ends in one OutOfMemoryError line and exit code 2', () => {
    const r = child(`
      await initBackend({ backend: 'wasm', accel: 'off' });
      const a = tf.ones([32 * 1024 * 1024]); // 128 MiB
      const keep = [];
      for (let i = 0; i < 64; i++) keep.push(tf.add(a, i));`);
    expect(r.status).toBe(2);
    expect(coverLines(r.stderr)).toEqual([
      expect.stringMatching(/^cover: error: out of memory: the wasm heap (reached 3\.\d\d GiB of its 4 GiB limit \(.+\)|could not allocate 0\.13 GiB for a tensor \(it holds 3\.\d\d GiB of its 4 GiB limit\)) \(fix: .*--micro-batch.*\)$/),
    ]);
  });

  test('threaded wasm: a main thread frozen with the heap nearly full is killed by the watchdog initBackend starts', () => {
    const r = child(
      `
      await initBackend({ backend: 'wasm', threads: 2 });
      const a = tf.ones([32 * 1024 * 1024]);
      const keep = [];
      while (wasmHeapBytes() < 0.92 * 4294901760) keep.push(tf.add(a, 1));
      /* the hang of docs/notes/engine-probe.md §1: the main thread spins and never returns to JS */ for (;;) {}`,
      { COVER_OOM_STALL_S: '2' },
      150_000, // filling the heap takes ~45 s on a busy 2-core machine; a watchdog that never fires shows up as SIGTERM
    );
    // A killed process cannot remove the shim's temp folder itself.
    for (const d of fs.readdirSync(os.tmpdir())) {
      if (d.startsWith(`cover-wasm-threads-${r.pid}-`)) fs.rmSync(path.join(os.tmpdir(), d), { recursive: true, force: true });
    }
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(
      /cover: error: out of memory: the wasm heap reached 3\.\d\d GiB of its 4 GiB limit and the threaded wasm backend stopped responding for \d+ s \(fix: .*--micro-batch.*\)\n/,
    );
  });
});
