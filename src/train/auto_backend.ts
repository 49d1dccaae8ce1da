// What `--backend auto` means for a training run: the fastest backend present that can hold the run. Measured on the
// 2-core reference machine (`npm run bench`): for `tiny` and `small` the wasm backend with the native accelerator is
// faster than libtorch (small, batch 8: 243 vs 408 ms a step in one bench run), so auto keeps the usual order there. A
// run whose batch does not fit the 4 GiB wasm heap in one pass without recompute (`base` at batch 8, `large`) goes to
// the torch backend when it is built, rather than to micro-batches or recompute on wasm. A libtorch with CUDA that sees a GPU is taken for every preset (unmeasured: no GPU
// was available; a GPU's throughput is far above 2 CPU cores' for every preset). Resumed runs and `--init` checkpoints
// keep the usual order (their model is known only once the checkpoint is read; the memory preflight then names
// `--backend torch` when it is needed).

import { getPreset, PRESET_NAMES } from '../config/presets';
import { BackendRequest, probeTorchBackend } from '../engine/backend';
import { fits, backendCapacity } from '../engine/capacity';
import { planTrainingMemory } from '../model/memory';
import type { OptimizerName } from '../config/optimizer_name';

export interface AutoBackendInput {
  backend: BackendRequest;
  preset: string;
  batchSize: number;
  microBatch?: number;
  optimizer: OptimizerName;
  /** Set when the model comes from a checkpoint (--resume, --init): auto then keeps the usual order. */
  fromCheckpoint?: boolean;
}

/**
 * The backend to ask for: `torch` when `auto` was asked, torch is built, and the preset's training (with the
 * accelerator's smaller footprint, the most wasm can do) does not fit the wasm heap; otherwise the request unchanged.
 *
 * @example
 * backendForTraining({ backend: 'auto', preset: 'base', batchSize: 8, optimizer: 'adamw' }) // 'torch' (when built)
 * backendForTraining({ backend: 'auto', preset: 'small', batchSize: 8, optimizer: 'adamw' }) // 'auto'
 */
export function backendForTraining(o: AutoBackendInput): BackendRequest {
  if (o.backend !== 'auto') return o.backend;
  const torch = probeTorchBackend();
  if (torch.ok && torch.info.cuda && torch.info.cudaDevices > 0) return 'torch';
  if (o.fromCheckpoint || !(PRESET_NAMES as readonly string[]).includes(o.preset)) return o.backend;
  const plan = planTrainingMemory({
    model: getPreset(o.preset),
    headClasses: [400],
    optimizer: o.optimizer,
    batchSize: o.batchSize,
    microBatch: o.microBatch ?? o.batchSize,
    path: 'fused',
  });
  if (fits(plan.totalBytes, backendCapacity('wasm'))) return 'auto';
  return torch.ok ? 'torch' : 'auto';
}
