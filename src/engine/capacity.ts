// What the active backend can hold, against which the preflight (train/memory_preflight.ts) sets what a training step
// needs (model/memory.ts): the wasm heap's fixed 4 GiB, the machine's free memory for the backends that use it, and no
// limit on a GPU, whose free memory cover does not measure.

import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';

/** emscripten's getHeapMax() in both wasm builds of tfjs 4.22: 4 GiB less one 64 KiB page. */
export const WASM_HEAP_MAX_BYTES = 4294901760;

export interface BackendCapacity {
  /** The tfjs backend it describes. */
  backend: string;
  /** Most bytes it can hold in all, or null when cover cannot know (TensorFlow on a GPU). */
  limitBytes: number | null;
  /** Bytes already taken (tensors alive now); what is left is limitBytes - inUseBytes. */
  inUseBytes: number;
  /** What the limit is, in words. */
  limit: string;
}

/**
 * What a backend can hold: the wasm32 heap stops at 4 GiB whatever the machine has; cpu, torch and TensorFlow on the
 * CPU use the machine's memory, of which os.freemem() (MemAvailable on Linux) is free now. On a GPU (TensorFlow's, or
 * torch with --device cuda) cover does not know the device's free memory: no limit, the check is skipped.
 */
export function backendCapacity(backend: string, opts: { gpu?: boolean; freeBytes?: number } = {}): BackendCapacity {
  const inUse = tf.engine().backendName === backend ? tf.memory().numBytes : 0;
  if (backend === 'wasm') return { backend, limitBytes: WASM_HEAP_MAX_BYTES, inUseBytes: inUse, limit: 'the wasm heap holds at most 4 GiB' };
  if ((backend === 'tensorflow' || backend === 'torch') && opts.gpu) {
    return { backend, limitBytes: null, inUseBytes: inUse, limit: "the GPU's memory, which cover does not measure (not checked)" };
  }
  const free = opts.freeBytes ?? os.freemem();
  // Free memory excludes what our own tensors already take, so the limit is free + in use.
  return { backend, limitBytes: free + inUse, inUseBytes: inUse, limit: `this machine has ${gib(free)} GiB free` };
}

/** Whether `bytes` more fit in the backend now. */
export function fits(bytes: number, cap: BackendCapacity): boolean {
  return cap.limitBytes === null || bytes <= cap.limitBytes - cap.inUseBytes;
}

/** Bytes as GiB with two significant decimals (0.45, 3.3, 12). */
export function gib(bytes: number): string {
  const g = bytes / 2 ** 30;
  if (g >= 10) return g.toFixed(0);
  if (g >= 1) return g.toFixed(1);
  return g.toFixed(2);
}
