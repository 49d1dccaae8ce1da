// Every parameter of the TimeSformer backbone and of a classification head, by its name in the reference PyTorch
// state_dict (facebookresearch/TimeSformer vit.py), with the shape it has there and the layout cover keeps it in.
// This list is the single source of truth: the model creates its variables from it, checkpoints are written and
// checked against it, importers map onto it, and parameter counts are computed from it without allocating anything.

import { ModelConfig, gridSize } from '../config/model_config';

/**
 * How a reference tensor is laid out inside cover:
 * - `linear`: nn.Linear weight, reference [out, in], kept as [in, out] so the forward is a plain x @ W (the fast path).
 * - `patch`:  Conv2d patch weight, reference [D, C, p, p], kept as [p*p*C, D] for reshape-then-dense patchify of NHWC frames.
 * - `same`:   everything else, identical layout.
 */
export type Layout = 'linear' | 'patch' | 'same';

/** How a parameter is initialised, following VisionTransformer.__init__ and _init_weights. */
export type Init = 'trunc_normal' | 'zeros' | 'ones' | 'normal' | 'uniform';

export interface ParamSpec {
  /** Name in the reference state_dict, e.g. `blocks.3.temporal_attn.qkv.weight`. */
  name: string;
  /** Shape in the reference state_dict (PyTorch layout). */
  refShape: number[];
  layout: Layout;
  init: Init;
  /** Std for init 'normal'. */
  std?: number;
  /** Half-width for init 'uniform': U(-bound, bound). */
  bound?: number;
  /** Part of the temporal machinery (absent from an image ViT); `cover pretrain` freezes these. */
  temporal: boolean;
}

/** Shape of a parameter inside cover, given its reference shape and layout. */
export function internalShape(spec: Pick<ParamSpec, 'refShape' | 'layout'>): number[] {
  const s = spec.refShape;
  switch (spec.layout) {
    case 'linear':
      return [s[1], s[0]];
    case 'patch':
      return [s[2] * s[3] * s[1], s[0]];
    case 'same':
      return [...s];
    default: {
      const never: never = spec.layout;
      throw new Error(`unknown layout ${never}`);
    }
  }
}

function linear(name: string, inF: number, outF: number, init: Init, temporal: boolean, bias = true): ParamSpec[] {
  const out: ParamSpec[] = [{ name: `${name}.weight`, refShape: [outF, inF], layout: 'linear', init, temporal }];
  if (bias) out.push({ name: `${name}.bias`, refShape: [outF], layout: 'same', init: 'zeros', temporal });
  return out;
}

function layerNorm(name: string, d: number, temporal: boolean): ParamSpec[] {
  return [
    { name: `${name}.weight`, refShape: [d], layout: 'same', init: 'ones', temporal },
    { name: `${name}.bias`, refShape: [d], layout: 'same', init: 'zeros', temporal },
  ];
}

function attention(name: string, d: number, qkvBias: boolean, temporal: boolean): ParamSpec[] {
  return [...linear(`${name}.qkv`, d, 3 * d, 'trunc_normal', temporal, qkvBias), ...linear(`${name}.proj`, d, d, 'trunc_normal', temporal)];
}

/** The backbone's parameters in the reference state_dict's order (the head excluded). */
export function backboneParamSpecs(cfg: ModelConfig): ParamSpec[] {
  const D = cfg.embedDim;
  const p = cfg.patchSize;
  const N = gridSize(cfg) ** 2;
  const hidden = Math.round(D * cfg.mlpRatio);
  const divided = cfg.attentionType === 'divided_space_time';
  const specs: ParamSpec[] = [
    { name: 'cls_token', refShape: [1, 1, D], layout: 'same', init: 'trunc_normal', temporal: false },
    { name: 'pos_embed', refShape: [1, N + 1, D], layout: 'same', init: 'trunc_normal', temporal: false },
  ];
  // space_only has no time embedding (vit.py: `if self.attention_type != 'space_only'`); it starts at zero.
  if (cfg.attentionType !== 'space_only') {
    const std = cfg.timeEmbedInitStd ?? 0;
    specs.push({ name: 'time_embed', refShape: [1, cfg.numFrames, D], layout: 'same', init: std > 0 ? 'normal' : 'zeros', std, temporal: true });
  }
  specs.push(
    // The reference's _init_weights re-initialises only Linear and LayerNorm, so the patch Conv2d keeps PyTorch's default:
    // weight kaiming_uniform_(a=sqrt(5)), i.e. U(±sqrt(6 / ((1 + 5) fan_in))) = U(±1/sqrt(fan_in)), bias U(±1/sqrt(fan_in)).
    { name: 'patch_embed.proj.weight', refShape: [D, cfg.inChans, p, p], layout: 'patch', init: 'uniform', bound: 1 / Math.sqrt(cfg.inChans * p * p), temporal: false },
    { name: 'patch_embed.proj.bias', refShape: [D], layout: 'same', init: 'uniform', bound: 1 / Math.sqrt(cfg.inChans * p * p), temporal: false },
  );
  for (let i = 0; i < cfg.depth; i++) {
    const b = `blocks.${i}`;
    specs.push(...layerNorm(`${b}.norm1`, D, false), ...attention(`${b}.attn`, D, cfg.qkvBias, false));
    if (divided) {
      specs.push(...layerNorm(`${b}.temporal_norm1`, D, true), ...attention(`${b}.temporal_attn`, D, cfg.qkvBias, true));
      // temporal_fc starts at zero in every block, so that at init the model is the image ViT (TimeSformer issues #29, #66).
      specs.push(...linear(`${b}.temporal_fc`, D, D, 'zeros', true));
    }
    specs.push(
      ...layerNorm(`${b}.norm2`, D, false),
      ...linear(`${b}.mlp.fc1`, D, hidden, 'trunc_normal', false),
      ...linear(`${b}.mlp.fc2`, hidden, D, 'trunc_normal', false),
    );
  }
  specs.push(...layerNorm('norm', D, false));
  return specs;
}

/** Key prefix of a dataset's head in cover's checkpoints: `heads.<name>.weight`, `heads.<name>.bias`. */
export function headPrefix(headName: string): string {
  return `heads.${headName}`;
}

/** A classification head's parameters: nn.Linear(D, C). The reference's single head is `head.*`; cover's are `heads.<name>.*`. */
export function headParamSpecs(prefix: string, embedDim: number, numClasses: number): ParamSpec[] {
  return linear(prefix, embedDim, numClasses, 'trunc_normal', false);
}

export function countParams(specs: ParamSpec[]): number {
  return specs.reduce((n, s) => n + s.refShape.reduce((a, b) => a * b, 1), 0);
}

/** Parameters of the backbone plus one head per entry of `headClasses` (the reference's model is one 400-class head). */
export function modelParamCount(cfg: ModelConfig, headClasses: number[]): number {
  const heads = headClasses.map((c, i) => headParamSpecs(headPrefix(String(i)), cfg.embedDim, c));
  return countParams(backboneParamSpecs(cfg)) + heads.reduce((n, h) => n + countParams(h), 0);
}
