// A ready-to-run model from a checkpoint folder: config, heads, preprocessing and weights, strictly checked.

import { loadCheckpoint, LoadCheckpointOptions, LoadedCheckpoint } from './checkpoint';
import { TimeSformer } from '../model/timesformer';

export interface LoadedModel {
  model: TimeSformer;
  checkpoint: Omit<LoadedCheckpoint, 'weights' | 'state'>;
}

/**
 * Loads `dir` into a new TimeSformer; the caller disposes `model`. Weights and configuration only: the optimizer state a
 * training checkpoint also holds (twice the weights for AdamW) is never read. Non-finite weights are refused unless
 * `allowNonFinite` (then `checkpoint.nonFinite` names them).
 */
export async function loadModel(dir: string, opts: Pick<LoadCheckpointOptions, 'allowNonFinite'> = {}): Promise<LoadedModel> {
  const ck = await loadCheckpoint(dir, { trainState: false, allowNonFinite: opts.allowNonFinite });
  try {
    const model = new TimeSformer(ck.model, ck.heads);
    model.params.assign(ck.weights);
    const { weights: _w, state: _s, ...rest } = ck;
    return { model, checkpoint: rest };
  } finally {
    ck.weights.forEach((t) => t.dispose());
  }
}
