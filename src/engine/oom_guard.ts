// Running out of memory must end in one clear line, never a stack trace or a hang (docs/notes/engine-probe.md §1). The
// preflight (model/memory.ts, engine/capacity.ts, train/memory_preflight.ts) refuses runs that cannot fit before they
// start; this file handles what still runs out later (an estimate is an estimate; eval and predict load whatever a
// checkpoint holds).
// The wasm heap is a wasm32 linear memory that stops at 4 GiB. What happens at the limit depends on the build:
//   - single-threaded wasm: the allocation aborts and the op throws WebAssembly.RuntimeError ("Aborted()", "memory access
//     out of bounds", "table index is out of bounds"); the wasm instance is unusable afterwards. The cpu backend throws
//     RangeError "Array buffer allocation failed", TensorFlow "OOM when allocating tensor". outOfMemoryError() turns any
//     of these into OutOfMemoryError; the CLI's handleError calls it, so every command gets the same one line;
//   - threaded wasm: the same when the main thread allocates, but an abort inside a pthread leaves the main thread
//     spinning in a futex wait at 100% CPU forever: JS never runs again, so nothing in-thread can report it. For that,
//     initBackend starts a watchdog on a worker_thread when it starts threaded wasm: the main thread bumps a shared
//     counter on every tfjs kernel and every 250 ms of free event loop; when the counter stops for COVER_OOM_STALL_S
//     seconds (default 20) while the heap is within 10% of 4 GiB, the watchdog writes the error line to stderr itself
//     and SIGKILLs the process (the frozen main thread cannot exit on its own).

import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { CoverError, OutOfMemoryError } from '../errors';
import { WASM_HEAP_MAX_BYTES } from './capacity';

export const OOM_SUGGESTION = 'use a smaller --micro-batch or --batch-size, a smaller model, or --backend cpu';
/** The watchdog only fires with the heap this full: a stall with room left is not an out-of-memory hang. */
const WATCHDOG_HEAP_FRACTION = 0.9;
const DEFAULT_STALL_S = 20;
const HEARTBEAT_MS = 250;

/** The part of WebAssembly.Memory used here (the DOM lib that types it is not in this project's tsconfig). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}

interface WasmModuleView {
  HEAPU8?: Uint8Array;
  /** Only the threaded build exposes its (shared) memory. */
  wasmMemory?: WasmMemory;
}

function wasmModule(): WasmModuleView | null {
  const be = tf.findBackend('wasm') as (tf.KernelBackend & { wasm?: WasmModuleView | null }) | null;
  return be?.wasm ?? null;
}

/**
 * Bytes the wasm heap has grown to (it never shrinks), or null when the wasm backend is not started.
 *
 * @example
 * wasmHeapBytes() // 16777216 right after start; 3.0e9 at the peak of a size-(b) B=4 training step
 */
export function wasmHeapBytes(): number | null {
  const m = wasmModule();
  if (!m) return null;
  if (m.wasmMemory) return m.wasmMemory.buffer.byteLength;
  return m.HEAPU8 ? m.HEAPU8.length : null; // emscripten replaces the view when the heap grows
}

const OOM_MESSAGES = [
  /memory access out of bounds/i,
  /^Aborted\(/,
  /Cannot allocate/i,
  /table index is out of bounds/i,
  /out of memory/i,
  /Array buffer allocation failed/i,
  /Invalid typed array length/i,
  /OOM when allocating/,
];

/** Whether an error thrown by a tfjs op means memory ran out (see the list above; any wasm trap with a full heap). */
export function isOutOfMemory(err: unknown): boolean {
  const e = err as { message?: unknown; name?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (OOM_MESSAGES.some((re) => re.test(message))) return true;
  const heap = wasmHeapBytes();
  // (name, not instanceof: jest and workers have their own WebAssembly realm)
  return e?.name === 'RuntimeError' && heap !== null && heap >= WATCHDOG_HEAP_FRACTION * WASM_HEAP_MAX_BYTES;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * The OutOfMemoryError for a raw engine error that means memory ran out, or null for any other error.
 *
 * @example
 * outOfMemoryError(new WebAssembly.RuntimeError('memory access out of bounds'))
 * // OutOfMemoryError: out of memory: the wasm heap reached 3.97 GiB of its 4 GiB limit (memory access out of bounds)
 * //   [fix: use a smaller --micro-batch or --batch-size, a smaller model, or --backend cpu]
 */
export function outOfMemoryError(err: unknown): OutOfMemoryError | null {
  if (err instanceof OutOfMemoryError) return err;
  // Another CoverError is already its one line, even when it mentions memory (a rank of a data-parallel job that failed)
  if (err instanceof CoverError || !isOutOfMemory(err)) return null;
  const heap = wasmHeapBytes();
  const where = heap !== null && tf.engine().backendName === 'wasm' ? `: the wasm heap reached ${gib(heap)} of its 4 GiB limit` : ` on the ${tf.engine().backendName} backend`;
  const detail = typeof (err as Error)?.message === 'string' ? (err as Error).message.split('\n')[0] : String(err);
  return new OutOfMemoryError(`out of memory${where} (${detail})`, { suggestion: OOM_SUGGESTION, cause: err });
}

// ---- tensor allocations on the wasm heap ------------------------------------------------------------------------------

interface WasmMalloc {
  _malloc: (bytes: number) => number;
  coverMallocGuarded?: boolean;
}

/**
 * tfjs-wasm allocates every tensor with the module's _malloc, which returns 0 when the heap cannot grow, and a size of
 * 4 GiB or more wraps around in wasm32. Either way the kernel then writes over the start of the heap: a tf.fill of
 * 4.3 GB "succeeds" and sums to 16777216. initBackend calls this for every wasm instance, so such an allocation throws
 * OutOfMemoryError at once instead.
 */
export function guardWasmMalloc(): void {
  const m = wasmModule() as (WasmModuleView & WasmMalloc) | null;
  if (!m || typeof m._malloc !== 'function' || m.coverMallocGuarded) return;
  const malloc = m._malloc;
  const refuse = (bytes: number) =>
    new OutOfMemoryError(`out of memory: the wasm heap could not allocate ${gib(bytes)} for a tensor (it holds ${gib(wasmHeapBytes() ?? 0)} of its 4 GiB limit)`, {
      suggestion: OOM_SUGGESTION,
    });
  m._malloc = (bytes: number) => {
    if (bytes >= WASM_HEAP_MAX_BYTES) throw refuse(bytes);
    const p = malloc(bytes);
    if (p === 0 && bytes > 0) throw refuse(bytes);
    return p;
  };
  m.coverMallocGuarded = true;
}

// ---- the watchdog (threaded wasm) ------------------------------------------------------------------------------------

interface Watchdog {
  worker: Worker;
  /** [0] heartbeat counter. */
  state: Int32Array;
  timer: NodeJS.Timeout;
  engine: { runKernel: (...args: unknown[]) => unknown };
  /** The engine's own runKernel, and whether it was an own property (it normally lives on the prototype). */
  runKernel: (...args: unknown[]) => unknown;
  ownRunKernel: boolean;
  memory: WasmMemory;
}
let watchdog: Watchdog | null = null;

// Runs on the worker: it only reads shared memory, so it keeps working while the main thread is frozen.
const WATCHDOG_SOURCE = `
const { workerData } = require('worker_threads');
const fs = require('fs');
const { state, memory, stallMs, heapLimit, suggestion } = workerData;
let last = Atomics.load(state, 0);
let since = Date.now();
setInterval(() => {
  const now = Date.now();
  const beat = Atomics.load(state, 0);
  if (beat !== last) { last = beat; since = now; return; }
  const heap = memory.buffer.byteLength;
  if (now - since < stallMs || heap < heapLimit) return;
  fs.writeSync(2, 'cover: error: out of memory: the wasm heap reached ' + (heap / 2 ** 30).toFixed(2) +
    ' GiB of its 4 GiB limit and the threaded wasm backend stopped responding for ' + Math.round((now - since) / 1000) +
    ' s (fix: ' + suggestion + ')\\n');
  process.kill(process.pid, 'SIGKILL');
}, Math.min(500, stallMs / 4));
`;

function stallMs(): number {
  const s = Number(process.env.COVER_OOM_STALL_S);
  return 1000 * (Number.isFinite(s) && s > 0 ? s : DEFAULT_STALL_S);
}

/**
 * Starts the watchdog for the threaded wasm backend now active (initBackend calls it); a no-op on any other backend or
 * build, or when it already watches this wasm instance. It lives until the process ends (its worker and timer do not
 * keep the process alive).
 */
export function startOomWatchdog(): void {
  const memory = wasmModule()?.wasmMemory;
  if (!memory || tf.engine().backendName !== 'wasm') return;
  if (watchdog && watchdog.memory === memory) return;
  stopOomWatchdog(); // a watchdog for an older wasm instance
  const state = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { state, memory, stallMs: stallMs(), heapLimit: WATCHDOG_HEAP_FRACTION * WASM_HEAP_MAX_BYTES, suggestion: OOM_SUGGESTION },
  });
  worker.unref();
  const timer = setInterval(() => Atomics.add(state, 0, 1), HEARTBEAT_MS);
  timer.unref();
  // Every op goes through engine.runKernel, so a long synchronous training step still beats between kernels.
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const runKernel = engine.runKernel;
  const ownRunKernel = Object.prototype.hasOwnProperty.call(engine, 'runKernel');
  engine.runKernel = function (this: unknown, ...args: unknown[]) {
    Atomics.add(state, 0, 1);
    return runKernel.apply(this, args);
  };
  watchdog = { worker, state, timer, engine, runKernel, ownRunKernel, memory };
}

/** Ends the watchdog worker and the heartbeat (tests, and initBackend when it leaves threaded wasm). */
export function stopOomWatchdog(): void {
  if (!watchdog) return;
  clearInterval(watchdog.timer);
  if (watchdog.ownRunKernel) watchdog.engine.runKernel = watchdog.runKernel;
  else delete (watchdog.engine as { runKernel?: unknown }).runKernel;
  void watchdog.worker.terminate();
  watchdog = null;
}
