// TEMPORARY contract shim (branch i10-tint): the real torch backend is written on i10-tcore. Drop this file at merge.
// It implements TORCH_CONTRACT.md by calling nothing: the addon is never loaded, so the backend is always absent.

import { BackendError } from '../../../errors';

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

export function probeTorch(): { ok: true; info: Omit<TorchInfo, 'device' | 'precision' | 'threads'> } | { ok: false; reason: string } {
  return { ok: false, reason: 'not built' };
}

export async function startTorch(_opts: { device: 'auto' | 'cpu' | 'cuda'; precision?: 'fp32' | 'tf32' | 'bf16'; threads?: number }): Promise<TorchInfo> {
  throw new BackendError('the torch backend is not available (not built)', { suggestion: 'apt-get install libtorch-dev, then npm ci' });
}

export function torchMemory(): { tensors: number; bytes: number } {
  return { tensors: 0, bytes: 0 };
}
