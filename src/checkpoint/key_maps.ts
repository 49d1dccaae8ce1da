// Where each reference TimeSformer parameter (src/model/param_spec.ts names) lives in the weight files people bring:
// the reference state_dict itself (facebookresearch/TimeSformer vit.py, often under a `model.` prefix), Hugging Face
// TimesformerForVideoClassification (names from transformers' convert_timesformer_to_pytorch.py rename_key and
// modeling_timesformer.py), timm's VisionTransformer, and Hugging Face ViTForImageClassification / ViTModel (names from
// convert_vit_timm_to_pytorch.py, which splits timm's qkv into query|key|value). Every map goes from a reference name to
// the source's key(s), so the importer can ask for exactly what the target model needs and name anything left over.

export type SourceKind = 'timesformer' | 'hf-timesformer' | 'timm-vit' | 'hf-vit';
export const SOURCE_KINDS: readonly SourceKind[] = ['timesformer', 'hf-timesformer', 'timm-vit', 'hf-vit'];

export interface KeyMap {
  kind: SourceKind;
  /** A video model (holds time_embed and the temporal blocks) or an image ViT (the importer seeds those). */
  video: boolean;
  /** Prefix every key of this source starts with (`model.`, `module.`, `vit.` or ''), for messages. */
  prefix: string;
  /**
   * The source key(s) holding a reference parameter; several keys are concatenated along axis 0 (HF ViT's
   * query|key|value -> qkv). null when this kind of source has no such parameter (temporal parts of an image ViT).
   */
  sourceKeys(refName: string): string[] | null;
  /** The classification head's keys. */
  head: { weight: string; bias: string };
  /** Keys that carry nothing cover uses and are dropped by name (listed explicitly: anything else unknown is an error). */
  irrelevant(key: string): boolean;
}

/** Per-block sub-module names: reference -> Hugging Face TimeSformer (TimesformerLayer). */
const HF_TIMESFORMER_BLOCK: Record<string, string> = {
  norm1: 'layernorm_before',
  'attn.qkv': 'attention.attention.qkv',
  'attn.proj': 'attention.output.dense',
  temporal_norm1: 'temporal_layernorm',
  'temporal_attn.qkv': 'temporal_attention.attention.qkv',
  'temporal_attn.proj': 'temporal_attention.output.dense',
  temporal_fc: 'temporal_dense',
  norm2: 'layernorm_after',
  'mlp.fc1': 'intermediate.dense',
  'mlp.fc2': 'output.dense',
};

/** Per-block sub-module names: reference -> Hugging Face ViT (ViTLayer); qkv is handled separately. */
const HF_VIT_BLOCK: Record<string, string> = {
  norm1: 'layernorm_before',
  'attn.proj': 'attention.output.dense',
  norm2: 'layernorm_after',
  'mlp.fc1': 'intermediate.dense',
  'mlp.fc2': 'output.dense',
};

/** Reference top-level parameters that an image ViT also has (the "non-temporal" ones of docs/notes/cover-spec.md §1.8). */
const VIT_TOP = new Set(['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias', 'norm.weight', 'norm.bias']);
const VIT_BLOCK = new Set(['norm1', 'attn.qkv', 'attn.proj', 'norm2', 'mlp.fc1', 'mlp.fc2']);

const BLOCK_RE = /^blocks\.(\d+)\.(.+)\.(weight|bias)$/;

function referenceMap(kind: 'timesformer' | 'timm-vit', prefix: string): KeyMap {
  const video = kind === 'timesformer';
  return {
    kind,
    video,
    prefix,
    sourceKeys(ref) {
      if (!video) {
        const m = BLOCK_RE.exec(ref);
        if (m ? !VIT_BLOCK.has(m[2]) : !VIT_TOP.has(ref)) return null;
      }
      return [prefix + ref];
    },
    head: { weight: `${prefix}head.weight`, bias: `${prefix}head.bias` },
    // timm's in21k ViTs keep a pre-logits representation layer that the fine-tuned model does not use.
    irrelevant: (key) => !video && (key === `${prefix}pre_logits.fc.weight` || key === `${prefix}pre_logits.fc.bias`),
  };
}

function hfTimesformerMap(): KeyMap {
  const top: Record<string, string> = {
    cls_token: 'timesformer.embeddings.cls_token',
    pos_embed: 'timesformer.embeddings.position_embeddings',
    time_embed: 'timesformer.embeddings.time_embeddings',
    'patch_embed.proj.weight': 'timesformer.embeddings.patch_embeddings.projection.weight',
    'patch_embed.proj.bias': 'timesformer.embeddings.patch_embeddings.projection.bias',
    'norm.weight': 'timesformer.layernorm.weight',
    'norm.bias': 'timesformer.layernorm.bias',
  };
  return {
    kind: 'hf-timesformer',
    video: true,
    prefix: 'timesformer.',
    sourceKeys(ref) {
      if (top[ref]) return [top[ref]];
      const m = BLOCK_RE.exec(ref);
      const sub = m && HF_TIMESFORMER_BLOCK[m[2]];
      return sub ? [`timesformer.encoder.layer.${m![1]}.${sub}.${m![3]}`] : null;
    },
    head: { weight: 'classifier.weight', bias: 'classifier.bias' },
    irrelevant: () => false,
  };
}

/** `prefix` is 'vit.' for ViTForImageClassification and '' for a bare ViTModel (e.g. google/vit-base-patch16-224-in21k). */
function hfVitMap(prefix: string): KeyMap {
  const top: Record<string, string> = {
    cls_token: 'embeddings.cls_token',
    pos_embed: 'embeddings.position_embeddings',
    'patch_embed.proj.weight': 'embeddings.patch_embeddings.projection.weight',
    'patch_embed.proj.bias': 'embeddings.patch_embeddings.projection.bias',
    'norm.weight': 'layernorm.weight',
    'norm.bias': 'layernorm.bias',
  };
  const irrelevant = new Set([
    // ViTModel's pooler (dense + tanh on CLS) is unused by ViTForImageClassification and by TimeSformer.
    `${prefix}pooler.dense.weight`,
    `${prefix}pooler.dense.bias`,
    // Only used for masked image modelling (ViTForMaskedImageModeling, use_mask_token=True).
    `${prefix}embeddings.mask_token`,
  ]);
  return {
    kind: 'hf-vit',
    video: false,
    prefix,
    sourceKeys(ref) {
      if (top[ref]) return [prefix + top[ref]];
      const m = BLOCK_RE.exec(ref);
      if (!m) return null;
      const layer = `${prefix}encoder.layer.${m[1]}`;
      if (m[2] === 'attn.qkv') return ['query', 'key', 'value'].map((x) => `${layer}.attention.attention.${x}.${m[3]}`);
      const sub = HF_VIT_BLOCK[m[2]];
      return sub ? [`${layer}.${sub}.${m[3]}`] : null;
    },
    head: { weight: 'classifier.weight', bias: 'classifier.bias' },
    irrelevant: (key) => irrelevant.has(key),
  };
}

/** The key map of a source kind, given the source's keys (to find its prefix). */
export function keyMapFor(kind: SourceKind, keys: string[]): KeyMap {
  switch (kind) {
    case 'timesformer':
    case 'timm-vit':
      return referenceMap(kind, commonPrefix(keys));
    case 'hf-timesformer':
      return hfTimesformerMap();
    case 'hf-vit':
      return hfVitMap(keys.some((k) => k.startsWith('vit.')) ? 'vit.' : '');
    default: {
      const never: never = kind;
      throw new Error(`unknown source ${never}`);
    }
  }
}

/** `model.` (the reference repo's TimeSformer wrapper) or `module.` (DataParallel) when every key carries it. */
function commonPrefix(keys: string[]): string {
  for (const p of ['model.', 'module.']) {
    if (keys.length > 0 && keys.every((k) => k.startsWith(p))) {
      const rest = keys.map((k) => k.slice(p.length));
      return p + commonPrefix(rest);
    }
  }
  return '';
}

/** Tells the source kind from its key names; null when none fits. */
export function detectSource(keys: string[]): SourceKind | null {
  if (keys.some((k) => k.startsWith('timesformer.'))) return 'hf-timesformer';
  if (keys.some((k) => k.startsWith('vit.') || k.startsWith('embeddings.patch_embeddings.') || k.startsWith('encoder.layer.'))) {
    return 'hf-vit';
  }
  const prefix = commonPrefix(keys);
  const bare = keys.map((k) => k.slice(prefix.length));
  if (bare.some((k) => k === 'time_embed' || /^blocks\.\d+\.temporal_/.test(k))) return 'timesformer';
  if (bare.includes('patch_embed.proj.weight') || bare.some((k) => /^blocks\.\d+\.attn\.qkv\./.test(k))) return 'timm-vit';
  return null;
}

/** Names shown in one error line, at most `cap` of them, then "and N more". */
export function listNames(names: string[], cap = 8): string {
  if (names.length <= cap) return names.join(', ');
  return `${names.slice(0, cap).join(', ')}, and ${names.length - cap} more`;
}

export interface KeyProblems {
  missing: string[];
  unexpected: string[];
  /** One entry per key: `name: file [a,b], model [c,d]`. */
  misshaped: string[];
}

export function hasProblems(p: KeyProblems): boolean {
  return p.missing.length + p.unexpected.length + p.misshaped.length > 0;
}

/** `2 missing keys (a, b), 1 unexpected key (c), 1 mis-shaped key (d: file [1,17,32], model [1,5,32])`. */
export function describeKeyProblems(p: KeyProblems): string {
  const part = (n: number, what: string, names: string[]) => `${n} ${what}${n === 1 ? '' : 's'} (${listNames(names)})`;
  const parts: string[] = [];
  if (p.missing.length) parts.push(part(p.missing.length, 'missing key', p.missing));
  if (p.unexpected.length) parts.push(part(p.unexpected.length, 'unexpected key', p.unexpected));
  if (p.misshaped.length) parts.push(part(p.misshaped.length, 'mis-shaped key', p.misshaped));
  return parts.join(', ');
}

export function shapeText(shape: number[]): string {
  return `[${shape.join(',')}]`;
}
