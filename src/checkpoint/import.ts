// Strict import of pretrained weights into a cover model: a reference TimeSformer state_dict (or a cover checkpoint's
// weights), a Hugging Face TimeSformer, a timm ViT or a Hugging Face ViT, as safetensors. Every target parameter is
// accounted for (copied, seeded or initialised) and every source key is used or dropped by name; anything else is one
// CheckpointError naming all missing, unexpected and mis-shaped keys.
//
// Loading an image ViT follows the reference loader (TimeSformer helpers.py load_pretrained; docs/notes/cover-spec.md
// §1.8): the non-temporal parameters are copied, blocks.i.temporal_norm1 and blocks.i.temporal_attn are seeded from
// norm1 and attn ("Temporal and spatial attention layers ... are initialized with the same weights", TimeSformer paper
// App. A), temporal_fc and time_embed start at zero, and the classifier is kept only when its class count matches.
// pos_embed of another patch grid is resized by 2-D nearest interpolation (the reference loader flattens to 1-D; the
// forward's 2-D rule is used here so both agree), time_embed of another length by 1-D nearest.

import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { ModelConfig, gridSize } from '../config/model_config';
import { CheckpointError, UsageError } from '../errors';
import { ParamSpec, backboneParamSpecs, headParamSpecs, headPrefix, internalShape } from '../model/param_spec';
import type { HeadInfo } from './checkpoint';
import { initTensor, paramSeed } from '../model/init';
import {
  KeyMap,
  KeyProblems,
  SOURCE_KINDS,
  SourceKind,
  describeKeyProblems,
  detectSource,
  hasProblems,
  keyMapFor,
  listNames,
  shapeText,
} from './key_maps';
import { nonFiniteError, scanNonFinite } from './finite';
import { resamplePosEmbed, resampleTimeEmbed, toInternal } from './layout';
import { SafetensorsTensor, readSafetensors } from './safetensors';

export type ImportSource = 'auto' | SourceKind;

export interface ImportTarget {
  model: ModelConfig;
  heads: Pick<HeadInfo, 'name' | 'numClasses'>[];
}

export interface ImportOptions {
  source?: ImportSource;
  /** The target head that receives the source's classifier (default: the only head, if there is one). */
  headName?: string;
  /** Seed of the parameters the source does not provide (per parameter: paramSeed(seed, name)). */
  seed?: number;
  /** Says each resize of a position or time embedding, one line each, as it happens. */
  log?: (line: string) => void;
}

export interface ImportReport {
  source: SourceKind;
  /** The .safetensors file read. */
  file: string;
  /** Target parameters whose values come from the source (resized ones included). */
  copied: string[];
  /** Target parameters seeded from another source parameter (temporal_attn from attn, temporal_norm1 from norm1). */
  seeded: string[];
  /** Target parameters the source does not provide, set by the model's init rule. */
  initialised: string[];
  /** Copied parameters resampled to the target's patch grid or frame count. */
  resized: string[];
  /** Source keys not used, by their names in the source file. */
  dropped: string[];
  /** Why things were dropped or resized, one line each. */
  notes: string[];
}

export interface ImportResult {
  /** Every parameter of the target (backbone + heads), cover's internal layout; the caller owns and disposes them. */
  weights: Map<string, tf.Tensor>;
  report: ImportReport;
}

/** Files looked for, in order, when `path` is a folder (HF save_pretrained writes model.safetensors; cover weights.safetensors). */
const FOLDER_FILES = ['model.safetensors', 'weights.safetensors'];

/** What a target parameter gets: data in the reference layout (copied/resized/seeded) or its init rule. */
type Plan =
  | { how: 'copy'; data: Float32Array; resizedFrom?: string }
  | { how: 'seed'; from: string }
  | { how: 'init' };

/**
 * Imports pretrained weights for a target model and heads.
 *
 * @example
 * const target = { model: getPreset('base'), heads: [{ name: 'k400', numClasses: 400 }] };
 * const { weights, report } = await importWeights('vit_base_patch16_224.safetensors', target);
 * [report.copied.length, report.seeded.length, report.initialised.length]; // [150, 72, 27] (timm ViT-B/16, measured)
 */
export async function importWeights(src: string, target: ImportTarget, opts: ImportOptions = {}): Promise<ImportResult> {
  const file = resolveWeightsFile(src);
  const { tensors } = readSafetensors(file);
  const keys = [...tensors.keys()];
  const kind = pickSource(opts.source ?? 'auto', keys, file);
  const map = keyMapFor(kind, keys);
  const cfg = target.model;
  const backbone = backboneParamSpecs(cfg);
  const receiver = receivingHead(target.heads, opts.headName);

  const problems: KeyProblems = { missing: [], unexpected: [], misshaped: [] };
  const consumed = new Set<string>();
  const plans = new Map<string, Plan>();
  const report: ImportReport = { source: kind, file, copied: [], seeded: [], initialised: [], resized: [], dropped: [], notes: [] };

  for (const spec of backbone) {
    const srcKeys = map.sourceKeys(spec.name);
    if (srcKeys) {
      const plan = planCopy(spec, srcKeys, tensors, cfg, problems);
      srcKeys.forEach((k) => consumed.add(k));
      if (plan) plans.set(spec.name, plan);
    } else if (!map.video && /\.temporal_(norm1|attn)\./.test(spec.name)) {
      plans.set(spec.name, { how: 'seed', from: spec.name.replace('.temporal_', '.') });
    } else {
      plans.set(spec.name, { how: 'init' });
    }
  }

  planHeads(map, tensors, target, receiver, plans, consumed, problems, report);

  for (const k of keys) {
    if (consumed.has(k)) continue;
    if (map.irrelevant(k)) {
      report.dropped.push(k);
      report.notes.push(`${k}: not used by TimeSformer`);
    } else problems.unexpected.push(k);
  }

  if (hasProblems(problems)) {
    const targetText =
      `depth ${cfg.depth}, embed_dim ${cfg.embedDim}, patch_size ${cfg.patchSize}, ${cfg.attentionType}` + (cfg.qkvBias ? '' : ', no qkv bias');
    const orSource = opts.source && opts.source !== 'auto' ? '' : ', or name the source kind explicitly';
    throw new CheckpointError(`as ${kind} weights: ${describeKeyProblems(problems)}`, {
      path: file,
      suggestion: `${describeSource(keys, tensors)}; the target is ${targetText}: make the model config match the weights${orSource}`,
    });
  }

  const dropped = new Set(report.dropped);
  const used = keys.filter((k) => consumed.has(k) && !dropped.has(k));
  const nonFinite = scanNonFinite(file, used.map((k) => [k, tensors.get(k)!.data]));
  if (nonFinite) throw nonFiniteError(nonFinite, 'every output of a model built on them would be NaN: import weights saved before the run diverged, or download them again');

  const allSpecs: ParamSpec[] = [...backbone, ...target.heads.flatMap((h) => headParamSpecs(headPrefix(h.name), cfg.embedDim, h.numClasses))];
  const seed = opts.seed ?? 0;
  const weights = new Map<string, tf.Tensor>();
  try {
    for (const spec of allSpecs) {
      const plan = plans.get(spec.name) ?? { how: 'init' };
      const shape = internalShape(spec);
      if (plan.how === 'copy') {
        weights.set(spec.name, tf.tensor(toInternal(plan.data, spec.refShape, spec.layout), shape, 'float32'));
        report.copied.push(spec.name);
        if (plan.resizedFrom) {
          const note = `${spec.name}: resized from ${plan.resizedFrom} to ${shapeText(spec.refShape)} (${spec.name === 'pos_embed' ? '2-D' : '1-D'} nearest)`;
          report.resized.push(spec.name);
          report.notes.push(note);
          opts.log?.(`  ${note} on import`);
        }
      } else if (plan.how === 'seed') {
        const from = plans.get(plan.from);
        if (!from || from.how !== 'copy') throw new Error(`import: ${spec.name} is seeded from ${plan.from}, which was not copied`);
        weights.set(spec.name, tf.tensor(toInternal(from.data, spec.refShape, spec.layout), shape, 'float32'));
        report.seeded.push(spec.name);
      } else {
        weights.set(spec.name, initTensor(spec, paramSeed(seed, spec.name)));
        report.initialised.push(spec.name);
      }
    }
  } catch (err) {
    weights.forEach((t) => t.dispose());
    throw err;
  }
  return { weights, report };
}

/** A .safetensors file, or a folder holding model.safetensors / weights.safetensors. */
export function resolveWeightsFile(src: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(src);
  } catch {
    throw new CheckpointError('no such file or folder', { path: src, suggestion: 'check the path of the weights to import' });
  }
  if (st.isDirectory()) {
    for (const f of FOLDER_FILES) if (fs.existsSync(path.join(src, f))) return path.join(src, f);
    const pickles = fs.readdirSync(src).filter((f) => /\.(bin|pth|pt|pyth|ckpt)$/.test(f));
    throw new CheckpointError(`holds no ${FOLDER_FILES.join(' or ')}`, {
      path: src,
      suggestion: pickles.length
        ? `convert ${pickles[0]} to safetensors first: ${convertHint(path.join(src, pickles[0]))}`
        : 'give a .safetensors file or a folder holding model.safetensors',
    });
  }
  if (/\.(bin|pth|pt|pyth|ckpt)$/.test(src)) {
    throw new CheckpointError('is a PyTorch pickle; cover reads only safetensors (pickles can run code)', {
      path: src,
      suggestion: `convert it once: ${convertHint(src)}`,
    });
  }
  return src;
}

/**
 * The one-off conversion, in Python. weights_only=True makes torch.load unpickle nothing but tensors and containers, so
 * the pickle's own code never runs (torch >= 1.13; older ones refuse the argument instead of running it). The paths
 * travel as shell-quoted arguments, never inside the Python source, so no file name can turn into code.
 */
function convertHint(p: string): string {
  const out = p.replace(/\.[^./]+$/, '') + '.safetensors';
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return (
    `python -c "import sys, torch; from safetensors.torch import save_file; sd = torch.load(sys.argv[1], map_location='cpu', weights_only=True); ` +
    `sd = sd.get('model_state', sd.get('model', sd)); save_file({k: v.float().contiguous() for k, v in sd.items()}, sys.argv[2])" ${quote(p)} ${quote(out)}`
  );
}

function pickSource(source: ImportSource, keys: string[], file: string): SourceKind {
  if (source !== 'auto') {
    if (!SOURCE_KINDS.includes(source)) {
      throw new UsageError(`unknown weights source '${source}'`, { suggestion: `use auto or one of ${SOURCE_KINDS.join(', ')}` });
    }
    return source;
  }
  const kind = detectSource(keys);
  if (!kind) {
    throw new CheckpointError(`cannot tell which model these weights are for (keys: ${listNames(keys, 5)})`, {
      path: file,
      suggestion: `cover imports ${SOURCE_KINDS.join(', ')} weights: name the source kind explicitly if it is one of them`,
    });
  }
  return kind;
}

function receivingHead(heads: ImportTarget['heads'], headName: string | undefined): ImportTarget['heads'][number] | undefined {
  if (headName === undefined) return heads.length === 1 ? heads[0] : undefined;
  const h = heads.find((x) => x.name === headName);
  if (!h) {
    throw new UsageError(`no head named '${headName}' in the target model`, {
      suggestion: heads.length ? `use one of ${heads.map((x) => x.name).join(', ')}` : 'the target has no heads',
    });
  }
  return h;
}

/** Parameters of a divided-attention block's temporal branch that the spatial branch seeds: temporal_X from X. */
const SEEDED_TEMPORAL = /^blocks\.\d+\.temporal_(norm1|attn)\./;

/**
 * Whether a cover checkpoint's weights come from image pretraining (`cover pretrain`: its run trained only the
 * non-temporal parameters, so its temporal attention still holds the untouched initial weights).
 */
export function isImagePretrained(extra: unknown): boolean {
  const cfg = (extra as { run?: { config?: { kind?: unknown; freezeTemporal?: unknown } } } | undefined)?.run?.config;
  return cfg?.kind === 'pretrain' || cfg?.freezeTemporal === true;
}

/**
 * Seeds each block's temporal attention and temporal norm from its spatial attention and norm1, in place, as the
 * reference does after image pretraining (docs/notes/cover-spec.md §1.8; TimeSformer App. A: "Temporal and spatial
 * attention layers in each block are initialized with the same weights"); importWeights does the same for a ViT file.
 * The tensors put into `weights` are new: the returned ones are the caller's to dispose (the replaced ones stay the
 * caller's too).
 * @example
 * seedTemporalFromSpatial(weights).length // 8 per block (qkv, proj, norm: weights and biases) with qkv_bias
 */
export function seedTemporalFromSpatial(weights: Map<string, tf.Tensor>): tf.Tensor[] {
  const made: tf.Tensor[] = [];
  for (const name of [...weights.keys()]) {
    if (!SEEDED_TEMPORAL.test(name)) continue;
    const from = weights.get(name.replace('.temporal_', '.'));
    if (!from) throw new Error(`seedTemporalFromSpatial: ${name} has no spatial counterpart`);
    const t = tf.clone(from);
    made.push(t);
    weights.set(name, t);
  }
  return made;
}

/** Reads a parameter's source tensor(s), concatenating along axis 0, and checks or resizes it to the target shape. */
function planCopy(
  spec: ParamSpec,
  srcKeys: string[],
  tensors: Map<string, SafetensorsTensor>,
  cfg: ModelConfig,
  problems: KeyProblems,
): Plan | undefined {
  const parts = srcKeys.map((k) => tensors.get(k));
  const absent = srcKeys.filter((_, i) => !parts[i]);
  if (absent.length) {
    problems.missing.push(...absent);
    return undefined;
  }
  const ts = parts as SafetensorsTensor[];
  const label = srcKeys.join('+');
  const rest = ts.map((t) => shapeText(t.shape.slice(1)));
  if (ts.some((t) => t.shape.length === 0) || rest.some((r) => r !== rest[0])) {
    problems.misshaped.push(`${label}: file ${ts.map((t) => shapeText(t.shape)).join('+')} cannot be concatenated`);
    return undefined;
  }
  const shape = [ts.reduce((n, t) => n + t.shape[0], 0), ...ts[0].shape.slice(1)];
  const data = ts.length === 1 ? ts[0].data : concat(ts.map((t) => t.data));
  if (shapeText(shape) === shapeText(spec.refShape)) return { how: 'copy', data };

  const D = cfg.embedDim;
  const sameD = shape.length === 3 && shape[0] === 1 && shape[2] === D;
  if (spec.name === 'pos_embed' && sameD) {
    const from = Math.round(Math.sqrt(shape[1] - 1));
    if (from * from === shape[1] - 1 && from > 0) {
      return { how: 'copy', data: resamplePosEmbed(data, D, from, gridSize(cfg)), resizedFrom: `${from}x${from} patches ${shapeText(shape)}` };
    }
  }
  if (spec.name === 'time_embed' && sameD && shape[1] > 0) {
    return { how: 'copy', data: resampleTimeEmbed(data, D, shape[1], cfg.numFrames), resizedFrom: `${shape[1]} frames ${shapeText(shape)}` };
  }
  problems.misshaped.push(`${label}: file ${shapeText(shape)}, model ${shapeText(spec.refShape)}`);
  return undefined;
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/**
 * The source's classifier goes to the receiving head when the class count matches, else it is dropped (as the reference
 * loader does). A cover checkpoint's `heads.<name>.*` go to the target head of the same name and class count.
 * Target heads left without weights are initialised.
 */
function planHeads(
  map: KeyMap,
  tensors: Map<string, SafetensorsTensor>,
  target: ImportTarget,
  receiver: ImportTarget['heads'][number] | undefined,
  plans: Map<string, Plan>,
  consumed: Set<string>,
  problems: KeyProblems,
  report: ImportReport,
): void {
  const D = target.model.embedDim;
  const offer = (weightKey: string, biasKey: string, to: ImportTarget['heads'][number] | undefined, why: string) => {
    const w = tensors.get(weightKey);
    const b = tensors.get(biasKey);
    if (!w && !b) return;
    consumed.add(weightKey).add(biasKey);
    if (!w || !b) {
      problems.missing.push(w ? biasKey : weightKey);
      return;
    }
    const classes = w.shape[0];
    if (w.shape.length !== 2 || w.shape[1] !== D || shapeText(b.shape) !== shapeText([classes])) {
      problems.misshaped.push(`${weightKey}: file ${shapeText(w.shape)} with bias ${shapeText(b.shape)}, model [classes,${D}]`);
      return;
    }
    const prefix = to ? headPrefix(to.name) : '';
    if (to && classes === to.numClasses && !plans.has(`${prefix}.weight`)) {
      plans.set(`${prefix}.weight`, { how: 'copy', data: w.data });
      plans.set(`${prefix}.bias`, { how: 'copy', data: b.data });
      return;
    }
    report.dropped.push(weightKey, biasKey);
    report.notes.push(
      to
        ? `${weightKey}, ${biasKey}: ${classes} classes, head '${to.name}' has ${to.numClasses}: dropped, the head starts from its init`
        : `${weightKey}, ${biasKey}: ${classes} classes, ${why}: dropped`,
    );
  };

  const noReceiver = target.heads.length
    ? `no head was named to receive it (heads: ${target.heads.map((h) => h.name).join(', ')})`
    : 'the target has no head';
  offer(map.head.weight, map.head.bias, receiver, noReceiver);
  if (map.kind === 'timesformer' || map.kind === 'timm-vit') {
    // A cover checkpoint's weights.safetensors: heads.<name>.{weight,bias} (a space_only one has no temporal keys and
    // is detected as timm-vit, which is exactly how it imports).
    const names = new Set<string>();
    for (const k of tensors.keys()) {
      const m = /^heads\.(.+)\.(weight|bias)$/.exec(k.slice(map.prefix.length));
      if (m && k.startsWith(map.prefix)) names.add(m[1]);
    }
    for (const name of names) {
      const p = `${map.prefix}${headPrefix(name)}`;
      offer(`${p}.weight`, `${p}.bias`, target.heads.find((h) => h.name === name), `the target has no head '${name}'`);
    }
  }
}

/** "the file looks like depth 12, embed_dim 768" from its keys, for error suggestions. */
function describeSource(keys: string[], tensors: Map<string, SafetensorsTensor>): string {
  let depth = 0;
  for (const k of keys) {
    const m = /(?:^|\.)(?:blocks|layer)\.(\d+)\./.exec(k);
    if (m) depth = Math.max(depth, Number(m[1]) + 1);
  }
  const cls = keys.find((k) => /(^|\.)cls_token$/.test(k));
  const width = cls ? tensors.get(cls)!.shape.slice(-1)[0] : undefined;
  return `the file looks like depth ${depth}${width ? `, embed_dim ${width}` : ''}`;
}
