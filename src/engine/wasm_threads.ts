// The wasm backend in Node, with the opt-in `--threads N`. tfjs-backend-wasm 4.22.0 hard-codes
// WASM_HAS_MULTITHREAD_SUPPORT=false under Node (tfjs issue #3830), so it always loads the single-threaded SIMD binary.
// Forcing the flag is not enough, for three reasons found by reading dist/tf-backend-wasm.node.js
// (docs/notes/engine-probe.md §2.1–2.2):
//   1. The emscripten pthread pool starts its workers from a `blob:` URL (the worker source is wrapped in a Blob and passed
//      to URL.createObjectURL), which Node's worker_threads cannot load.
//   2. Each worker then evaluates the main module's factory, given to it as a Blob of `factory.toString()`. That source
//      refers to names that live in the rollup bundle's module scope (require$$0..4, commonjsGlobal and the tslib helpers
//      __values/__read/__spreadArray), so it throws ReferenceError inside the worker.
//   3. backend.cc caps the pool at min(requested, emscripten_num_logical_cores() / 2), assuming SMT; in Node that reads
//      os.cpus().length, so a 2-vCPU machine gets 1 thread whatever setThreadsCount says.
// The shim answers each: a Blob subclass that remembers its text, a URL.createObjectURL that writes the two sources to
// files in a temp folder (the main one prefixed with the missing definitions) and returns the path, and os.cpus()
// reporting 2N cores for the moment the backend is constructed. A worker that still fails while starting becomes a
// BackendError (never an uncaught exception or a hang; 60 s at most). It patches private details of one tfjs version,
// so it checks that version and is opt-in. Measured on 2 vCPUs (Zen 5): 1024² matMul 40 -> 75-84 GFLOP/s.
// The pthread pool keeps the process alive: call shutdownThreads() when done, or exit with process.exit (bin/cover.js
// does).

import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { BackendError, CoverError } from '../errors';
// The module objects themselves (not import namespaces), so that os.cpus and worker_threads.Worker can be replaced.
import os = require('os');
import workerThreads = require('worker_threads');

/** The one tfjs-backend-wasm version whose internals the shim was written against and tested with. */
export const SHIM_WASM_VERSION = '4.22.0';

/** The text the threaded main-module Blob starts with (backend_wasm.ts `init`). */
const MAIN_SCRIPT_PREFIX = 'var WasmBackendModuleThreadedSimd';
/** A phrase only the pthread worker source contains (it calls the factory on its Module). */
const WORKER_SCRIPT_MARK = 'WasmBackendModuleThreadedSimd(Module)';

/** How long to wait for the threaded module (8 pthread workers, each compiling the 3 MB binary) before giving up. */
const INIT_TIMEOUT_MS = 60_000;

type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/** The factory tfjs-backend-wasm registered at import; kept so the backend can be torn down and created again. */
const stockFactory: BackendFactory | null = tf.findBackendFactory('wasm');
const WASM_PRIORITY = 2;

/** Why the last wasm initialisation failed (tfjs itself only logs it, and not at all in prod mode). */
let lastInitError: unknown = null;
/** Threads of the wasm instance that is alive now, or null when none is. */
let liveThreads: number | null = null;

interface ShimFiles {
  dir: string;
  mainJs: string;
  workerJs: string;
}
let shimFiles: ShimFiles | null = null;

/** Definitions the main-module source expects from the bundle's scope. Our own minimal versions of the tslib helpers. */
const MAIN_PRELUDE = [
  'var require$$0 = require("fs"), require$$1 = require("path"), require$$3 = require("perf_hooks"), require$$4 = require("os");',
  'var commonjsGlobal = globalThis;',
  'function __values(o) { return o[Symbol.iterator](); }',
  'function __read(o, n) { var a = []; for (var v of o) { if (n !== undefined && a.length >= n) break; a.push(v); } return a; }',
  'function __spreadArray(to, from) { return to.concat(Array.prototype.slice.call(from)); }',
  '',
].join('\n');

/** Writes `<file>.tmp-<pid>` then renames it, so a worker never reads half a script. */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.mkdirSync(path.dirname(file), { recursive: true }); // shutdownThreads() removes the folder
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Installs the Blob / URL.createObjectURL patches once per process (they only touch the two wasm sources). */
function installShim(): ShimFiles {
  if (shimFiles) return shimFiles;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cover-wasm-threads-${process.pid}-`));
  const files: ShimFiles = { dir, mainJs: path.join(dir, 'main.js'), workerJs: path.join(dir, 'worker.js') };
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

  const NativeBlob = globalThis.Blob;
  class TextKeepingBlob extends NativeBlob {
    /** The source text, kept only for the two wasm scripts. */
    readonly coverSource: string | null;
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts = args[0];
      const text = parts && parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : null;
      const isMain = text !== null && text.startsWith(MAIN_SCRIPT_PREFIX);
      const isWorker = text !== null && !isMain && text.includes(WORKER_SCRIPT_MARK);
      this.coverSource = isMain || isWorker ? text : null;
      // The main source is written as soon as it exists: workers import it while the module is still starting.
      if (isMain) writeAtomic(files.mainJs, MAIN_PRELUDE + text);
    }
  }
  globalThis.Blob = TextKeepingBlob as typeof Blob;

  const nativeCreateObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob) => {
    const src = obj instanceof TextKeepingBlob ? obj.coverSource : null;
    if (src !== null && src.includes(WORKER_SCRIPT_MARK)) {
      // Inside the worker, the factory Blob it receives resolves to our main.js (importScripts reads a file path).
      const prefix = `URL.createObjectURL = () => ${JSON.stringify(files.mainJs)}; URL.revokeObjectURL = () => {};\n`;
      writeAtomic(files.workerJs, prefix + src);
      return files.workerJs; // Node's Worker accepts an absolute file path.
    }
    return nativeCreateObjectURL(obj);
  };
  shimFiles = files;
  return files;
}

/** While a threaded instance starts, the first error a pthread worker raised (instead of emscripten rethrowing it). */
let startupError: unknown = null;
let starting = false;
let workerWatchInstalled = false;

/**
 * emscripten listens for a pthread worker's 'error' event and rethrows it on the main thread: an uncaught exception
 * with a stack trace, and the backend promise never settles. While a threaded instance starts, worker errors are kept
 * instead, so useWasm() can turn them into a BackendError; afterwards they go to emscripten as before.
 */
function watchWorkerErrors(): void {
  if (workerWatchInstalled) return;
  const NativeWorker = workerThreads.Worker;
  class StartupWatchedWorker extends NativeWorker {
    constructor(...args: ConstructorParameters<typeof NativeWorker>) {
      super(...args);
      const on = this.on.bind(this);
      this.on = ((event: string | symbol, listener: (...a: unknown[]) => void) => {
        if (event !== 'error') return on(event, listener);
        return on('error', (err: unknown) => {
          if (starting) {
            startupError = startupError ?? err;
            return;
          }
          listener(err);
        });
      }) as typeof this.on;
    }
  }
  workerThreads.Worker = StartupWatchedWorker;
  workerWatchInstalled = true;
}

/** Resolves with `p`, or rejects as soon as a pthread worker reports an error while starting. */
async function unlessWorkerFails<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (startupError !== null) reject(new BackendError(`a wasm pthread worker failed to start: ${reason(startupError)}`, {
        suggestion: 'use --threads 1 (the stock single-threaded wasm)',
        cause: startupError,
      }));
    }, 50);
    timer.unref();
  });
  try {
    return await Promise.race([p, failed]);
  } finally {
    clearInterval(timer);
  }
}

/** Runs fn while os.cpus() reports at least `n` cores (backend.cc halves it; it is read only at instantiation). */
async function withReportedCores<T>(n: number, fn: () => Promise<T>): Promise<T> {
  const realCpus = os.cpus;
  const padded = () => {
    const cpus = realCpus();
    while (cpus.length > 0 && cpus.length < n) cpus.push(cpus[0]);
    return cpus;
  };
  os.cpus = padded;
  try {
    return await fn();
  } finally {
    os.cpus = realCpus;
  }
}

function registerWasmFactory(): void {
  if (!stockFactory) throw new BackendError('the wasm backend did not register itself', { suggestion: 'reinstall @tensorflow/tfjs-backend-wasm 4.22.0' });
  const factory = stockFactory;
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await factory();
      } catch (err) {
        lastInitError = err;
        throw err;
      }
    },
    WASM_PRIORITY,
  );
}

/** Drops the wasm backend instance (ending its pthread pool) and registers its factory again. */
function resetWasmBackend(): void {
  if (tf.engine().registryFactory.wasm) tf.removeBackend('wasm');
  registerWasmFactory();
  liveThreads = null;
}

function reason(err: unknown): string {
  if (err == null) return 'unknown reason';
  const e = err as { message?: unknown };
  return typeof e.message === 'string' ? e.message : String(err);
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BackendError(`${what} did not finish within ${ms / 1000} s`, {
      suggestion: 'use --threads 1 (the stock single-threaded wasm)',
    })), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface WasmSetup {
  /** Threads XNNPACK actually uses (tfjs-backend-wasm getThreadsCount()). */
  threads: number;
  /** Whether a SIMD binary is loaded. */
  simd: boolean;
}

/**
 * Makes `wasm` the active backend with `threads` XNNPACK threads (1 = the stock single-threaded SIMD binary). Recreates
 * the wasm instance when it exists with another thread count, so it can be called any number of times.
 *
 * @example
 * await useWasm(2) // { threads: 2, simd: true }   (1024² matMul: ~75–84 GFLOP/s vs ~40 with 1 thread, 2 vCPUs)
 */
export async function useWasm(threads: number): Promise<WasmSetup> {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new BackendError(`wasm threads must be a whole number of at least 1, got ${threads}`, { suggestion: 'use --threads 1 or 2' });
  }
  if (threads > 1 && tfWasm.version_wasm !== SHIM_WASM_VERSION) {
    throw new BackendError(
      `--threads ${threads} patches internals of @tensorflow/tfjs-backend-wasm ${SHIM_WASM_VERSION}, but ${tfWasm.version_wasm} is installed`,
      { suggestion: `use --threads 1, or install @tensorflow/tfjs-backend-wasm@${SHIM_WASM_VERSION}` },
    );
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  if (threads > 1 && !simd) {
    throw new BackendError('threaded wasm needs WebAssembly SIMD, which this Node does not support', { suggestion: 'use --threads 1' });
  }

  if (liveThreads === threads && tf.findBackend('wasm')) {
    if (!(await tf.setBackend('wasm'))) throw initFailure(threads);
    return { threads: tfWasm.getThreadsCount(), simd };
  }
  try {
    return await startWasm(threads, simd);
  } catch (err) {
    if (err instanceof CoverError) throw err;
    lastInitError = err;
    throw initFailure(threads);
  }
}

/** Starts a fresh wasm instance with `threads` (also ending an old pthread pool). */
async function startWasm(threads: number, simd: boolean): Promise<WasmSetup> {
  resetWasmBackend();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
  tfWasm.setThreadsCount(threads);
  lastInitError = null;
  let ok: boolean;
  if (threads > 1) {
    try {
      installShim();
    } catch (err) {
      throw new BackendError(`cannot set up wasm threads: ${reason(err)}`, { suggestion: 'use --threads 1', cause: err });
    }
    watchWorkerErrors();
    starting = true;
    startupError = null;
    try {
      ok = await withReportedCores(2 * threads, () =>
        withTimeout(unlessWorkerFails(tf.setBackend('wasm')), INIT_TIMEOUT_MS, `starting ${threads} wasm threads`),
      );
    } catch (err) {
      resetWasmBackend(); // drops the half-started instance; the next useWasm() starts clean
      throw err;
    } finally {
      starting = false;
    }
  } else {
    ok = await tf.setBackend('wasm');
  }
  if (!ok) throw initFailure(threads);
  const actual = tfWasm.getThreadsCount();
  liveThreads = threads;
  if (actual !== threads) {
    throw new BackendError(`asked the wasm backend for ${threads} threads but it started ${actual}`, {
      suggestion: 'use --threads 1 (the stock single-threaded wasm)',
    });
  }
  return { threads: actual, simd };
}

function initFailure(threads: number): BackendError {
  return new BackendError(`the wasm backend failed to start${threads > 1 ? ` with ${threads} threads` : ''}: ${reason(lastInitError)}`, {
    suggestion: threads > 1 ? 'use --threads 1, or --backend cpu' : 'use --backend cpu, or reinstall @tensorflow/tfjs-backend-wasm',
    cause: lastInitError ?? undefined,
  });
}

/** Threads of the live wasm instance, or null when wasm has not been started. */
export function wasmThreads(): number | null {
  return tf.findBackend('wasm') ? liveThreads : null;
}

/**
 * Ends the wasm pthread pool (which otherwise keeps Node running) by dropping the wasm instance, and removes the shim's
 * temp folder; the next use of wasm starts a fresh single-threaded one. Tensors that lived on a threaded wasm are gone.
 */
export function shutdownThreads(): void {
  if (liveThreads !== null && liveThreads > 1 && tf.findBackend('wasm')) {
    resetWasmBackend();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tfWasm.setThreadsCount(1);
  }
  if (shimFiles) fs.rmSync(shimFiles.dir, { recursive: true, force: true });
}
