// The `torch` backend's front door (the addon's contract is torch/index.d.ts): probe whether the optional cover-torch
// addon loads, start it as the active tfjs backend on a device with a precision and a thread count, and count its
// native tensors. Nothing else in cover imports the files beside this one.

import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../../errors';
import { registerFusedBackend } from '../../fused';
import { loadTorch, TorchAddon } from './addon';
import { TorchBackend } from './backend';
import { TORCH_FUSED_STEP } from './fused_step';
import { BACKEND_NAME, registerTorchKernels, TORCH_FUSED_KERNELS } from './kernels';

export { TORCH_KERNELS } from './kernels';
export { preferOpenblasCore } from '../../blas_core';

export interface TorchInfo {
  version: string;
  libtorch: string;
  source: string;
  cuda: boolean;
  cudaDevices: number;
  device: 'cpu' | 'cuda';
  precision: 'fp32' | 'tf32' | 'bf16';
  threads: number;
}

export type TorchProbe = { ok: true; info: Omit<TorchInfo, 'device' | 'precision' | 'threads'> } | { ok: false; reason: string };

export interface TorchStartOptions {
  device: 'auto' | 'cpu' | 'cuda';
  precision?: 'fp32' | 'tf32' | 'bf16';
  threads?: number;
}

/** Whether the addon is installed and loads, and what it was built against; never throws. */
export function probeTorch(): TorchProbe {
  const { addon, error } = loadTorch();
  if (!addon) return { ok: false, reason: error ?? 'not available' };
  const i = addon.info();
  return {
    ok: true,
    info: {
      // build/config.json's version (pip's carries its +cu130 tag), else the headers' TORCH_VERSION compiled in.
      version: addon.config?.version && addon.config.version !== 'unknown' ? addon.config.version : i.version,
      libtorch: addon.config?.libtorch ?? 'unknown',
      source: addon.config?.source ?? 'unknown',
      cuda: i.cuda,
      cudaDevices: i.cudaDevices,
    },
  };
}

let registered = false;

/**
 * Registers the tfjs backend `torch` and its kernels (once), sets the device, precision and threads, and makes it the
 * active backend. BackendError (one line, with the fix) when it cannot.
 */
export async function startTorch(opts: TorchStartOptions): Promise<TorchInfo> {
  const probe = probeTorch();
  if (!probe.ok) {
    throw new BackendError(`the torch backend cannot be used: ${probe.reason}`, {
      suggestion: 'install libtorch (apt-get install libtorch-dev, or a pip PyTorch on PATH) and run npm ci, or use --backend wasm',
    });
  }
  const addon = loadTorch().addon!;
  const built = `libtorch ${probe.info.version} (${probe.info.source})`;
  if (opts.device === 'cuda' && !probe.info.cuda) {
    throw new BackendError(`--device cuda: ${built} was built without CUDA`, {
      suggestion: 'install a CUDA build of PyTorch (pip) and run npm ci again, or use --device cpu',
    });
  }
  if (opts.device === 'cuda' && probe.info.cudaDevices === 0) {
    throw new BackendError(`--device cuda: ${built} has CUDA, but no GPU is visible`, {
      suggestion: 'check nvidia-smi and CUDA_VISIBLE_DEVICES, or use --device cpu',
    });
  }
  const device = opts.device === 'auto' ? (probe.info.cudaDevices > 0 ? 'cuda' : 'cpu') : opts.device;
  const precision = opts.precision ?? (device === 'cuda' ? 'tf32' : 'fp32');
  if (device === 'cpu' && precision === 'tf32') {
    throw new BackendError('--precision tf32: TF32 is a GPU matmul mode, and the torch backend runs on the cpu', {
      suggestion: 'use --precision fp32 (or bf16) on the cpu, or --device cuda',
    });
  }
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
    throw new BackendError(`--threads ${opts.threads}: the torch backend needs a whole number of threads >= 1`, { suggestion: 'use --threads 1 or more' });
  }
  if (!registered) {
    registerTorchKernels();
    registerFusedBackend(BACKEND_NAME, { kernels: TORCH_FUSED_KERNELS, step: TORCH_FUSED_STEP });
    tf.registerBackend(BACKEND_NAME, () => new TorchBackend(addon), 0);
    registered = true;
  }
  try {
    addon.setDevice(device);
  } catch (err) {
    throw new BackendError(`--device ${device}: ${String((err as Error).message).replace(/^setDevice: /, '')}`, { suggestion: 'use --device cpu' });
  }
  addon.setPrecision(precision);
  if (opts.threads !== undefined) addon.setThreads(opts.threads);
  if (!(await tf.setBackend(BACKEND_NAME))) {
    throw new BackendError('the torch backend failed to start', { suggestion: 'run cover doctor, or use --backend wasm' });
  }
  await tf.ready();
  const i = addon.info();
  return { ...probe.info, device: i.device, precision: i.precision, threads: i.threads };
}

/** Native tensors alive in the addon and their bytes (0 and 0 when it is not loaded). */
export function torchMemory(): { tensors: number; bytes: number } {
  const { addon } = loadTorch();
  return addon ? addon.memory() : { tensors: 0, bytes: 0 };
}

/** c10d's collectives over the active torch backend's tensors (src/dist uses them); null when torch is not active. */
export interface TorchCollectives {
  dist: TorchAddon['dist'];
  /** The addon's id of a tensor held by the torch backend. */
  idOf(t: tf.Tensor): number;
  /** A tfjs tensor over a new addon tensor (ownership moves to tfjs). */
  adopt(id: number, shape: number[]): tf.Tensor;
}

export function torchCollectives(): TorchCollectives | null {
  const { addon } = loadTorch();
  if (!addon || tf.getBackend() !== BACKEND_NAME) return null;
  const backend = tf.backend() as TorchBackend;
  return {
    dist: addon.dist,
    idOf: (t) => backend.idOf(t),
    adopt: (id, shape) => {
      const dataId = {};
      backend.data.set(dataId, { id, dtype: 'float32', refCount: 1 });
      return tf.engine().makeTensorFromTensorInfo({ dataId, shape, dtype: 'float32' }, backend);
    },
  };
}
