// Analytic matmul FLOPs of the TimeSformer (2·m·n·k per product), the count the benchmarks divide by. Elementwise ops,
// softmax and norms are not counted. A training step is counted as 3x the forward (forward + two backward products).
// Note: the TimeSformer paper reports MACs (half of this) summed over 3 test views (docs/notes/cover-spec.md §1.9).

import { ModelConfig } from '../config/model_config';

/** Forward matmul FLOPs for B clips of T frames at `imgSize`, with heads of `headClasses` classes applied to all B. */
export function forwardFlops(cfg: ModelConfig, B: number, T: number, imgSize = cfg.imgSize, headClasses: number[] = []): number {
  const D = cfg.embedDim;
  const hidden = Math.round(D * cfg.mlpRatio);
  const N = (imgSize / cfg.patchSize) ** 2;
  const M = B * T * N; // patch tokens
  const attn = (seqs: number, S: number) => seqs * S * (2 * D * 3 * D + 2 * D * D) + 2 * 2 * seqs * S * S * D; // qkv+proj, QK^T and AV
  const mlp = (tokens: number) => 2 * 2 * tokens * D * hidden;
  let block: number;
  switch (cfg.attentionType) {
    case 'divided_space_time':
      block = attn(B * N, T) + 2 * M * D * D /* temporal_fc */ + attn(B * T, N + 1) + mlp(B * (1 + N * T));
      break;
    case 'joint_space_time':
      block = attn(B, 1 + N * T) + mlp(B * (1 + N * T));
      break;
    case 'space_only':
      block = attn(B * T, 1 + N) + mlp(B * T * (1 + N));
      break;
    default: {
      const never: never = cfg.attentionType;
      throw new Error(`unknown attention type ${never}`);
    }
  }
  const patch = 2 * M * cfg.patchSize * cfg.patchSize * cfg.inChans * D;
  const heads = headClasses.reduce((s, c) => s + 2 * B * D * c, 0);
  return patch + cfg.depth * block + heads;
}

export function trainStepFlops(cfg: ModelConfig, B: number, T: number, imgSize = cfg.imgSize, headClasses: number[] = []): number {
  return 3 * forwardFlops(cfg, B, T, imgSize, headClasses);
}
