// The TimeSformer model configuration: the hyper-parameters of facebookresearch/TimeSformer `VisionTransformer.__init__`
// (timesformer/models/vit.py), validated once. In TypeScript the fields are camelCase; in files (a checkpoint's or a
// parity fixture's config.json) they are the reference's snake_case names, so a config reads the same on both sides.

import { ConfigError } from '../errors';

/** The three attention schemes the reference implements (TimeSformer paper Tab. 1). */
export type AttentionType = 'divided_space_time' | 'joint_space_time' | 'space_only';
export const ATTENTION_TYPES: readonly AttentionType[] = ['divided_space_time', 'joint_space_time', 'space_only'];

export interface ModelConfig {
  /** Training resolution (square); other resolutions resize the position embedding at run time. */
  imgSize: number;
  patchSize: number;
  inChans: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  mlpRatio: number;
  qkvBias: boolean;
  /** Frames the time embedding was trained with; other T use its nearest-interpolated version. */
  numFrames: number;
  attentionType: AttentionType;
  /** The reference builds every LayerNorm with eps 1e-6 (`partial(nn.LayerNorm, eps=1e-6)`). */
  layerNormEps: number;
  /** Dropout after the position/time embeddings, attention projections and MLP (reference default 0). */
  dropRate: number;
  /** Dropout on attention probabilities (reference default 0). */
  attnDropRate: number;
  /** Stochastic depth of the last block; block i uses linspace(0, dropPathRate, depth)[i] (reference 0.1). */
  dropPathRate: number;
  /**
   * Std of time_embed's initial values (normal). The reference starts it at zero, which suits its use (fine-tuning
   * from ImageNet weights on large video sets), but from scratch on a few hundred clips it leaves the model exactly
   * invariant to frame order, a saddle that training leaves only by chance: on a synthetic left-vs-right task the
   * `small` model stayed at chance for 260 steps with zeros and solved it in ~120 with 0.5. Only init; 0 = reference.
   */
  timeEmbedInitStd: number;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  imgSize: 224,
  patchSize: 16,
  inChans: 3,
  embedDim: 768,
  depth: 12,
  numHeads: 12,
  mlpRatio: 4,
  qkvBias: true,
  numFrames: 8,
  attentionType: 'divided_space_time',
  layerNormEps: 1e-6,
  dropRate: 0,
  attnDropRate: 0,
  dropPathRate: 0.1,
  timeEmbedInitStd: 0,
};

/** snake_case file key <-> camelCase field. */
const FILE_KEYS: Record<keyof ModelConfig, string> = {
  imgSize: 'img_size',
  patchSize: 'patch_size',
  inChans: 'in_chans',
  embedDim: 'embed_dim',
  depth: 'depth',
  numHeads: 'num_heads',
  mlpRatio: 'mlp_ratio',
  qkvBias: 'qkv_bias',
  numFrames: 'num_frames',
  attentionType: 'attention_type',
  layerNormEps: 'layer_norm_eps',
  dropRate: 'drop_rate',
  attnDropRate: 'attn_drop_rate',
  dropPathRate: 'drop_path_rate',
  timeEmbedInitStd: 'time_embed_init_std',
};

/**
 * Upper bounds of the sizes, several times the largest published models (ViT-22B: depth 48, width 6144, 48 heads;
 * TimeSformer-L: 96 frames at 448 px), so that a damaged or hostile config.json is one error line instead of minutes of
 * allocation ending in a V8 out-of-memory abort (a checkpoint with depth 1000000 did that).
 */
export const MODEL_LIMITS = {
  imgSize: 2048,
  embedDim: 8192,
  depth: 256,
  numHeads: 256,
  numFrames: 1024,
  mlpRatio: 16,
  layerNormEps: 1,
  timeEmbedInitStd: 10,
} as const;

/** Checks a config and returns it; throws a ConfigError naming the field and the fix. */
export function validateModelConfig(cfg: ModelConfig, where?: string): ModelConfig {
  const bad = (field: keyof ModelConfig, why: string, fix: string): never => {
    throw new ConfigError(`model config field ${FILE_KEYS[field]}=${JSON.stringify(cfg[field])} ${why}`, {
      path: where,
      suggestion: fix,
    });
  };
  const posInt = (field: keyof ModelConfig) => {
    const v = cfg[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(field, 'is not a positive integer', 'give a whole number above 0');
  };
  (['imgSize', 'patchSize', 'inChans', 'embedDim', 'depth', 'numHeads', 'numFrames'] as const).forEach(posInt);
  for (const f of ['mlpRatio', 'layerNormEps', 'timeEmbedInitStd', 'dropRate', 'attnDropRate', 'dropPathRate'] as const) {
    if (typeof cfg[f] !== 'number') bad(f, 'is not a number', `give a number such as ${DEFAULT_MODEL_CONFIG[f]} (the reference's)`);
  }
  if (typeof cfg.qkvBias !== 'boolean') bad('qkvBias', 'is not true or false', 'use true as the reference does');
  for (const [field, max] of Object.entries(MODEL_LIMITS) as [keyof typeof MODEL_LIMITS, number][]) {
    if ((cfg[field] as number) > max) bad(field, `is above the limit ${max}`, `give at most ${max}: a config this large is damaged or not a TimeSformer's`);
  }
  if (cfg.imgSize % cfg.patchSize !== 0) bad('imgSize', `is not a multiple of patch_size ${cfg.patchSize}`, 'pick img_size = k * patch_size');
  if (cfg.embedDim % cfg.numHeads !== 0) bad('embedDim', `is not divisible by num_heads ${cfg.numHeads}`, 'pick embed_dim = k * num_heads');
  if (cfg.inChans !== 3) bad('inChans', 'is not 3', 'cover reads RGB frames: use in_chans 3');
  if (!(cfg.mlpRatio > 0)) bad('mlpRatio', 'is not positive', 'use 4 as the reference does');
  if (!Number.isInteger(cfg.embedDim * cfg.mlpRatio)) bad('mlpRatio', 'does not give a whole hidden width', 'use a ratio such that embed_dim * mlp_ratio is whole');
  if (!ATTENTION_TYPES.includes(cfg.attentionType)) bad('attentionType', 'is unknown', `use one of ${ATTENTION_TYPES.join(', ')}`);
  if (!(cfg.layerNormEps > 0)) bad('layerNormEps', 'is not positive', 'use 1e-6 as the reference does');
  if (!(cfg.timeEmbedInitStd >= 0)) bad('timeEmbedInitStd', 'is not a number >= 0', 'use 0 (the reference) or e.g. 0.5');
  for (const f of ['dropRate', 'attnDropRate', 'dropPathRate'] as const) {
    if (!(cfg[f] >= 0 && cfg[f] < 1)) bad(f, 'is not in [0, 1)', 'give a probability such as 0 or 0.1');
  }
  return cfg;
}

/** Serialises a config with the reference's key names. */
export function modelConfigToJson(cfg: ModelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(FILE_KEYS) as (keyof ModelConfig)[]) out[FILE_KEYS[k]] = cfg[k];
  return out;
}

/**
 * Reads a config written with the reference's key names (a checkpoint's or a parity fixture's config.json). Missing
 * fields take the reference defaults; `num_classes` and other unknown keys are ignored here (heads are separate).
 */
export function modelConfigFromJson(json: Record<string, unknown>, where?: string): ModelConfig {
  const cfg: Record<string, unknown> = { ...DEFAULT_MODEL_CONFIG };
  for (const k of Object.keys(FILE_KEYS) as (keyof ModelConfig)[]) {
    const fk = FILE_KEYS[k];
    if (json[fk] !== undefined) cfg[k] = json[fk];
    else if (json[k] !== undefined) cfg[k] = json[k];
  }
  // The reference names the attention types 'divided_space_time' etc.; accept the short names too.
  const short: Record<string, AttentionType> = { divided: 'divided_space_time', joint: 'joint_space_time', space: 'space_only' };
  if (typeof cfg.attentionType === 'string' && short[cfg.attentionType]) cfg.attentionType = short[cfg.attentionType];
  return validateModelConfig(cfg as unknown as ModelConfig, where);
}

/** Derived sizes used throughout the model. */
export function gridSize(cfg: ModelConfig, imgSize = cfg.imgSize): number {
  return Math.floor(imgSize / cfg.patchSize);
}
