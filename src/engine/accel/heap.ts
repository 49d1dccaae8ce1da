// Zero-copy access to tfjs-wasm tensors for the native kernels (docs/notes/native-probe.md "How zero-copy works"): a
// tensor's data is a range of the wasm heap. Allocating an output (makeOutput) may grow the heap and detach the old
// ArrayBuffer, so views are taken only after every output of a kernel has been allocated.

import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface WasmInternals {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

let heapBuffer: ArrayBufferLike | null = null;
let heapF32: Float32Array | null = null;

/** The whole heap as float32 (re-made when the heap has grown). */
export function heapFloat32(backend: BackendWasm): Float32Array {
  const buf = (backend as unknown as WasmInternals).wasm.HEAPU8.buffer;
  if (buf !== heapBuffer || !heapF32) {
    heapBuffer = buf;
    heapF32 = new Float32Array(buf);
  }
  return heapF32;
}

/** Element offset of a float32 tensor's data in the heap. */
export function heapOffset(backend: BackendWasm, t: TensorInfo): number {
  const d = (backend as unknown as WasmInternals).dataIdMap.get(t.dataId);
  if (!d) throw new Error('native accelerator: tensor data is not on the wasm backend');
  // tfjs-wasm's malloc returns 0 instead of throwing when the 4 GiB heap is full; its own kernels then trap, but a native
  // kernel would write over the start of the heap. Fail like they do (oom_guard.ts recognises the message).
  if (d.memoryOffset === 0 && sizeOf(t.shape) > 0) throw new Error('out of memory: the wasm heap could not allocate a tensor');
  return d.memoryOffset >>> 2;
}

/** A Float32Array view of a float32 tensor's data (valid until the next heap allocation). */
export function heapView(backend: BackendWasm, t: TensorInfo, size = sizeOf(t.shape)): Float32Array {
  const off = heapOffset(backend, t);
  return heapFloat32(backend).subarray(off, off + size);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
