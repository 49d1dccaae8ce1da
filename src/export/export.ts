// `cover export`: one dataset head of a cover checkpoint, with the backbone, as a model other tools load.
// - `hf`: a Hugging Face folder (config.json + model.safetensors) that TimesformerForVideoClassification.from_pretrained
//   loads with no missing or unexpected keys.
// - `timesformer`: the reference VisionTransformer's state_dict (facebookresearch/TimeSformer vit.py) with the head as
//   `head.*`, as a PyTorch .pth that torch.load reads with no other package (load_state_dict strict=True), the same
//   tensors as model.safetensors beside it, and config.json with the constructor's arguments.
// No backend is started: the checkpoint's weights.safetensors is already in the reference layout, and every tensor is
// copied as it is (export_keys.ts). What does not carry over one to one is said in `notes`, one line each.

import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError, UsageError } from '../errors';
import { LoadedCheckpoint, WEIGHTS_FILE, checkpointParamSpecs, compareShapes, readCheckpointConfig } from '../checkpoint/checkpoint';
import { CHECKPOINT_NONFINITE_FIX, NonFiniteReport, nonFiniteError, scanNonFinite } from '../checkpoint/finite';
import { describeKeyProblems, hasProblems, listNames } from '../checkpoint/key_maps';
import { SafetensorsTensor, TensorToWrite, readSafetensors, writeAtomically, writeSafetensors } from '../checkpoint/safetensors';
import { HeadInfo } from '../model/heads';
import { coverVersion } from '../version';
import { hfConfig, hfPreprocessorConfig, timesformerConfig } from './export_configs';
import { MANIFEST_FILE, MANIFEST_FORMAT, claimExportDir } from './export_dir';
import { ExportFormat, EXPORT_FORMATS, exportKeys } from './export_keys';
import { writeTorchStateDict } from './torch_save';

export interface ExportOptions {
  format: ExportFormat;
  /** The dataset head that becomes the classifier; may be left out when the checkpoint has one head. */
  head?: string;
  out: string;
  /** Replace an earlier export in `out` (only its own files). */
  overwrite?: boolean;
  /** Export weights that hold NaN or Inf (named in `nonFiniteWeights`) instead of refusing them. */
  allowNonFinite?: boolean;
}

export interface ExportResult {
  format: ExportFormat;
  checkpoint: string;
  out: string;
  head: string;
  numClasses: number;
  /** Files written in `out`, cover_export.json last. */
  files: string[];
  tensors: number;
  params: number;
  /** What does not carry over one to one, one line each. */
  notes: string[];
  /** How to load it, in Python. */
  load: string;
  /** The NaN and Inf exported anyway (allowNonFinite). */
  nonFiniteWeights?: NonFiniteReport;
}

const FILES: Record<ExportFormat, { config: string; safetensors: string; pth?: string; preprocessor?: string }> = {
  hf: { config: 'config.json', safetensors: 'model.safetensors', preprocessor: 'preprocessor_config.json' },
  timesformer: { config: 'config.json', safetensors: 'model.safetensors', pth: 'model.pth' },
};

/**
 * Exports head `opts.head` of the checkpoint folder `ckpt` to `opts.out`.
 *
 * @example
 * const r = exportCheckpoint('runs/cotrain/checkpoint', { format: 'hf', head: 'k400', out: 'exports/k400' });
 * r.files; // ['config.json', 'preprocessor_config.json', 'model.safetensors', 'cover_export.json']
 */
export function exportCheckpoint(ckpt: string, opts: ExportOptions): ExportResult {
  if (!EXPORT_FORMATS.includes(opts.format)) {
    throw new UsageError(`unknown export format '${opts.format}'`, { suggestion: `use --format ${EXPORT_FORMATS.join(' or ')}` });
  }
  const config = readCheckpointConfig(ckpt);
  const head = pickHead(ckpt, config.heads, opts.head);
  if (opts.format === 'hf' && config.model.attentionType === 'space_only') {
    throw new UsageError("a space_only model has no Hugging Face export: HF's TimesformerModel does not average its frames, so its logits would be per frame", {
      path: ckpt,
      suggestion: 'use --format timesformer',
    });
  }
  const weights = readWeights(ckpt, config);

  const keys = exportKeys(opts.format, config.model, head);
  const tensors = new Map<string, TensorToWrite>();
  for (const k of keys) tensors.set(k.name, { shape: k.shape, data: weights.get(k.from)!.data });
  // Only what is exported counts: NaN in another head's weights does not reach this model.
  const nonFinite = scanNonFinite(path.join(ckpt, WEIGHTS_FILE), keys.map((k) => [k.from, weights.get(k.from)!.data]));
  if (nonFinite && !opts.allowNonFinite) throw nonFiniteError(nonFinite, CHECKPOINT_NONFINITE_FIX);

  const names = FILES[opts.format];
  const files = [names.config, ...(names.preprocessor ? [names.preprocessor] : []), names.safetensors, ...(names.pth ? [names.pth] : [])];
  claimExportDir(opts.out, files, opts.overwrite);
  const out = (f: string) => path.join(opts.out, f);
  const json = (f: string, o: unknown) => writeAtomically(out(f), (fd) => fs.writeSync(fd, `${JSON.stringify(o, null, 2)}\n`));

  const notes = exportNotes(opts.format, config, head);
  json(names.config, opts.format === 'hf' ? hfConfig(config.model, head) : timesformerConfig(config.model, head, config.preprocessing));
  if (names.preprocessor) json(names.preprocessor, hfPreprocessorConfig(config.model, config.preprocessing));
  // transformers 4.x refuses safetensors whose metadata lacks a format ("pt" here): modeling_utils.load_state_dict.
  writeSafetensors(out(names.safetensors), tensors, { format: 'pt', writer: 'cover export' });
  if (names.pth) writeTorchStateDict(out(names.pth), tensors);
  json(MANIFEST_FILE, {
    format: MANIFEST_FORMAT,
    export_format: opts.format,
    checkpoint: path.resolve(ckpt),
    head: head.name,
    files,
    notes,
    created: new Date().toISOString(),
    cover_version: coverVersion(),
  });

  return {
    format: opts.format,
    checkpoint: ckpt,
    out: opts.out,
    head: head.name,
    numClasses: head.numClasses,
    files: [...files, MANIFEST_FILE],
    tensors: keys.length,
    params: keys.reduce((n, k) => n + k.shape.reduce((a, b) => a * b, 1), 0),
    notes,
    load: loadHint(opts.format, opts.out, config.model.layerNormEps),
    ...(nonFinite ? { nonFiniteWeights: nonFinite } : {}),
  };
}

function pickHead(ckpt: string, heads: HeadInfo[], name: string | undefined): HeadInfo {
  const names = heads.map((h) => h.name);
  if (name === undefined) {
    if (heads.length === 1) return heads[0];
    throw new UsageError(
      heads.length === 0 ? 'has no dataset head to export' : `has ${heads.length} heads (${listNames(names)}): one becomes the classifier`,
      { path: ckpt, suggestion: heads.length === 0 ? 'train a head first (cover cotrain or transfer)' : `give --head NAME, one of ${listNames(names)}` },
    );
  }
  const h = heads.find((x) => x.name === name);
  if (!h) throw new UsageError(`has no head named '${name}'`, { path: ckpt, suggestion: `give --head one of ${listNames(names)}` });
  return h;
}

/** The checkpoint's weights, strictly checked against its config.json (reference layout, as stored). */
function readWeights(ckpt: string, config: Omit<LoadedCheckpoint, 'weights'>): Map<string, SafetensorsTensor> {
  const file = path.join(ckpt, WEIGHTS_FILE);
  if (!fs.existsSync(file)) {
    throw new CheckpointError('is missing', { path: file, suggestion: 'the checkpoint is incomplete: save it again or use another one' });
  }
  const { tensors } = readSafetensors(file);
  const problems = compareShapes(checkpointParamSpecs(config.model, config.heads), new Map([...tensors].map(([k, t]) => [k, t.shape])), (s) => s.refShape);
  if (hasProblems(problems)) {
    throw new CheckpointError(describeKeyProblems(problems), { path: file, suggestion: 'the weights do not match config.json: use the config.json written with these weights' });
  }
  return tensors;
}

/** What does not carry over one to one, one line each. */
function exportNotes(format: ExportFormat, config: Omit<LoadedCheckpoint, 'weights'>, head: HeadInfo): string[] {
  const notes: string[] = [];
  const m = config.model;
  const others = config.heads.filter((h) => h.name !== head.name);
  if (others.length) {
    const what = format === 'hf' ? 'a TimesformerForVideoClassification' : 'a VisionTransformer';
    notes.push(
      `head${others.length === 1 ? '' : 's'} ${listNames(others.map((h) => `${h.name} (${h.numClasses} classes)`))} not exported: ${what} has one classifier (export each with --head into its own --out)`,
    );
  }
  if (format === 'hf') {
    notes.push(
      `HF's TimesformerLayer reshapes by config.json's num_frames and image_size: give it exactly ${m.numFrames} frames of ${m.imgSize}x${m.imgSize} (cover and the reference resize their embeddings for other sizes)`,
    );
    if (m.dropPathRate > 0) {
      notes.push(
        `drop_path_rate ${m.dropPathRate} is written as 0: transformers 5 takes the field for a whole number and refuses ${m.dropPathRate}, and HF's TimesformerLayer would drop at the full rate in every layer after the first where cover ramps it from 0 (training in HF only)`,
      );
    }
    const p = config.preprocessing;
    notes.push(
      `preprocessor_config.json resizes, crops and normalises one view as cover evaluates it (mean [${p.mean.join(', ')}], std [${p.std.join(', ')}], ${p.cropSize}x${p.cropSize}); which frames to take is the caller's: cover takes ${p.numFrames} frames ${p.samplingRate} apart at ${p.targetFps ?? 30} fps`,
    );
  }
  return notes;
}

function loadHint(format: ExportFormat, out: string, eps: number): string {
  const dir = JSON.stringify(out);
  switch (format) {
    case 'hf':
      return `TimesformerForVideoClassification.from_pretrained(${dir})`;
    case 'timesformer':
      return (
        `VisionTransformer(**json.load(open(${JSON.stringify(path.join(out, 'config.json'))}))["kwargs"], norm_layer=partial(nn.LayerNorm, eps=${eps}))` +
        `.load_state_dict(torch.load(${JSON.stringify(path.join(out, 'model.pth'))}, map_location="cpu", weights_only=True), strict=True)`
      );
    default: {
      const never: never = format;
      throw new Error(`unknown export format ${never}`);
    }
  }
}
