// Averaging a step's gradients over the ranks of a data-parallel job, so that N ranks of B/N clips compute what one
// process of B clips computes (PyTorch's DistributedDataParallel, with its flattened buckets: dist.cc).
//
// Each rank's gradients are the mean over its own clips (accumulateGradients divides by its clip count n_r); the step's
// are the mean over all N = sum n_r clips, so rank r's are scaled by n_r / N and summed. Every rank reduces the same
// parameter list in the same order: a head whose dataset is absent from this rank's share contributes zeros. A small
// first all-reduce carries the counts, the losses, which parameters had a gradient on some rank (one that had none
// anywhere is left out of the update, as in a single process) and whether a rank was asked to stop (Ctrl-C), so that
// every rank stops after the same step.

import * as tf from '@tensorflow/tfjs-core';
import type { BatchGradients } from '../train/train_step';
import { ProcessGroup } from './process_group';

export interface ReducedStep extends BatchGradients {
  /** Some rank was asked to stop after this step. */
  stop: boolean;
}

/**
 * The step's gradients from this rank's: disposes `local.grads`, returns new tensors for `params` (trained parameters,
 * in the model's order, the same on every rank) that had a gradient on some rank.
 */
export function averageGradients(
  pg: ProcessGroup,
  local: BatchGradients,
  params: { name: string; shape: number[] }[],
  heads: string[],
  stopHere: boolean,
): ReducedStep {
  // meta: [clips, loss sum, stop, (loss sum, clips) per head, has-gradient per parameter]
  const meta = new Float32Array(3 + 2 * heads.length + params.length);
  meta[0] = local.samples;
  meta[1] = local.loss * local.samples;
  meta[2] = stopHere ? 1 : 0;
  heads.forEach((h, i) => {
    const p = local.perHead[h];
    meta[3 + 2 * i] = p ? p.loss * p.n : 0;
    meta[4 + 2 * i] = p ? p.n : 0;
  });
  params.forEach((p, i) => (meta[3 + 2 * heads.length + i] = local.grads.has(p.name) ? 1 : 0));
  const zeros: tf.Tensor[] = [];
  let summed: tf.Tensor[];
  let total: Float32Array;
  try {
    total = pg.sumValues(meta);
    const N = total[0];
    const list = params.map((p) => {
      const g = local.grads.get(p.name);
      if (g) return g;
      const z = tf.zeros(p.shape);
      zeros.push(z);
      return z;
    });
    summed = pg.allreduce(list, N > 0 ? local.samples / N : 0);
  } finally {
    zeros.forEach((z) => z.dispose());
    local.grads.forEach((g) => g.dispose());
  }
  const N = total[0];
  const grads = new Map<string, tf.Tensor>();
  params.forEach((p, i) => {
    if (total[3 + 2 * heads.length + i] > 0) grads.set(p.name, summed[i]);
    else summed[i].dispose();
  });
  const perHead: Record<string, { loss: number; n: number }> = {};
  heads.forEach((h, i) => {
    const n = total[4 + 2 * i];
    if (n > 0) perHead[h] = { loss: total[3 + 2 * i] / n, n };
  });
  return { grads, loss: total[1] / N, perHead, samples: N, stop: total[2] > 0 };
}
