// Running out of memory must end in one clear line, never a hang (engine-probe.md §1). The wasm heap is a wasm32 linear
// memory that stops at 4 GiB. What happens at the limit depends on the build:
//   - single-threaded wasm: the allocation aborts and the op throws WebAssembly.RuntimeError ("Aborted()", "memory access
//     out of bounds", "table index is out of bounds"); the wasm instance is unusable afterwards;
//   - threaded wasm: the same when the main thread allocates, but an abort inside a pthread leaves the main thread
//     spinning in a futex wait at 100% CPU forever: JS never runs again, so nothing in-thread can report it.
// withOomGuard() turns the first kind into OutOfMemoryError. For the second it arms a watchdog on a worker_thread: the
// main thread bumps a shared counter on every tfjs kernel and every 250 ms of free event loop; when the counter stops
// for COVER_OOM_STALL_S seconds (default 20) while a guarded call runs and the heap is within 10% of 4 GiB, the watchdog
// writes the error line to stderr itself and SIGKILLs the process (the frozen main thread cannot exit on its own).

import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { OutOfMemoryError } from '../errors';
import { wasmThreads } from './wasm_threads';

/** emscripten's getHeapMax() in both wasm builds of tfjs 4.22: 4 GiB less one 64 KiB page. */
export const WASM_HEAP_MAX_BYTES = 4294901760;
export const OOM_SUGGESTION = 'use a smaller --micro-batch or the cpu backend';
/** The watchdog only fires with the heap this full: a stall with room left is not an out-of-memory hang. */
const WATCHDOG_HEAP_FRACTION = 0.9;
const DEFAULT_STALL_S = 20;
const HEARTBEAT_MS = 250;
const WHAT_BYTES = 512;

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

function oomError(what: string, cause: unknown): OutOfMemoryError {
  const heap = wasmHeapBytes();
  const where = heap !== null && tf.engine().backendName === 'wasm' ? `: the wasm heap reached ${gib(heap)} of its 4 GiB limit` : '';
  const detail = typeof (cause as Error)?.message === 'string' ? (cause as Error).message.split('\n')[0] : String(cause);
  return new OutOfMemoryError(`out of memory while ${what}${where} (${detail})`, { suggestion: OOM_SUGGESTION, cause });
}

/**
 * Runs fn, turning an out-of-memory abort into OutOfMemoryError (exit code 3, one line). On threaded wasm it also arms
 * the watchdog for the duration of the call (see the top of this file).
 *
 * @example
 * await withOomGuard(() => trainStep(batch), 'training step 12 (micro-batch 8)')
 * // throws OutOfMemoryError: out of memory while training step 12 (micro-batch 8): the wasm heap reached 3.97 GiB of
 * //   its 4 GiB limit (Aborted(). Build with -sASSERTIONS for more info.)  [fix: use a smaller --micro-batch or the cpu backend]
 */
export async function withOomGuard<T>(fn: () => T | Promise<T>, what: string): Promise<T> {
  const watch = tf.engine().backendName === 'wasm' && (wasmThreads() ?? 1) > 1 ? armWatchdog(what) : null;
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OutOfMemoryError) throw err;
    if (isOutOfMemory(err)) throw oomError(what, err);
    throw err;
  } finally {
    watch?.disarm();
  }
}

// ---- the watchdog -----------------------------------------------------------------------------------------------------

interface Watchdog {
  worker: Worker;
  /** [0] heartbeat counter, [1] depth of guarded calls running, [2] byte length of `what`. */
  state: Int32Array;
  what: Uint8Array;
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
const { state, what, memory, stallMs, heapLimit, suggestion } = workerData;
let last = Atomics.load(state, 0);
let since = Date.now();
setInterval(() => {
  const now = Date.now();
  const beat = Atomics.load(state, 0);
  if (beat !== last || Atomics.load(state, 1) === 0) { last = beat; since = now; return; }
  const heap = memory.buffer.byteLength;
  if (now - since < stallMs || heap < heapLimit) return;
  const text = Buffer.from(what.slice(0, Atomics.load(state, 2))).toString('utf8');
  fs.writeSync(2, 'cover: error: out of memory while ' + text + ': the wasm heap reached ' + (heap / 2 ** 30).toFixed(2) +
    ' GiB of its 4 GiB limit and the threaded wasm backend stopped responding for ' + Math.round((now - since) / 1000) +
    ' s (fix: ' + suggestion + ')\\n');
  process.kill(process.pid, 'SIGKILL');
}, Math.min(500, stallMs / 4));
`;

function stallMs(): number {
  const s = Number(process.env.COVER_OOM_STALL_S);
  return 1000 * (Number.isFinite(s) && s > 0 ? s : DEFAULT_STALL_S);
}

function startWatchdog(): Watchdog | null {
  const memory = wasmModule()?.wasmMemory;
  if (!memory) return null;
  if (watchdog && watchdog.memory === memory) return watchdog;
  stopOomWatchdog(); // a watchdog for an older wasm instance
  const state = new Int32Array(new SharedArrayBuffer(3 * 4));
  const what = new Uint8Array(new SharedArrayBuffer(WHAT_BYTES));
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { state, what, memory, stallMs: stallMs(), heapLimit: WATCHDOG_HEAP_FRACTION * WASM_HEAP_MAX_BYTES, suggestion: OOM_SUGGESTION },
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
  watchdog = { worker, state, what, timer, engine, runKernel, ownRunKernel, memory };
  return watchdog;
}

function armWatchdog(what: string): { disarm: () => void } | null {
  const w = startWatchdog();
  if (!w) return null;
  const previous = Buffer.from(w.what.slice(0, Atomics.load(w.state, 2)));
  const setWhat = (bytes: Uint8Array) => {
    const n = Math.min(bytes.length, WHAT_BYTES);
    w.what.set(bytes.subarray(0, n));
    Atomics.store(w.state, 2, n);
  };
  setWhat(Buffer.from(what, 'utf8'));
  Atomics.add(w.state, 0, 1);
  Atomics.add(w.state, 1, 1);
  return {
    disarm: () => {
      Atomics.sub(w.state, 1, 1);
      setWhat(previous);
    },
  };
}

/** Ends the watchdog worker and the heartbeat (tests; the CLI just exits). */
export function stopOomWatchdog(): void {
  if (!watchdog) return;
  clearInterval(watchdog.timer);
  if (watchdog.ownRunKernel) watchdog.engine.runKernel = watchdog.runKernel;
  else delete (watchdog.engine as { runKernel?: unknown }).runKernel;
  void watchdog.worker.terminate();
  watchdog = null;
}
