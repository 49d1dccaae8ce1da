// cover's checkpoint: a folder holding `config.json` (model config, heads with their labels, preprocessing) and
// `weights.safetensors`, whose keys are the reference TimeSformer state_dict names (so PyTorch can load the backbone
// with `load_state_dict(strict=False)`) plus `heads.<name>.weight` / `heads.<name>.bias` per dataset head, all in the
// REFERENCE layout. In memory the weights are in cover's internal layout (src/model/param_spec.ts); saving and
// loading convert. Loading is strict: every missing, unexpected and mis-shaped key is named in one error line.

import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { MODEL_LIMITS, ModelConfig, modelConfigFromJson, modelConfigToJson } from '../config/model_config';
import { Preprocessing } from '../data/types';
import { CheckpointError, ConfigError, FileError, fileError } from '../errors';
import { ParamSpec, backboneParamSpecs, headParamSpecs, headPrefix, internalShape } from '../model/param_spec';
import { CHECKPOINT_NONFINITE_FIX, NonFiniteReport, nonFiniteError, scanNonFinite } from './finite';
import { KeyProblems, describeKeyProblems, hasProblems, shapeText } from './key_maps';
import { toInternal, toReference } from './layout';
import { TensorToWrite, readSafetensors, writeAtomically, writeSafetensors } from './safetensors';
import { CHECKPOINT_FILES, CONFIG_FILE, STATE_FILE, WEIGHTS_FILE, awaitFolder, installFolder, tmpFolder } from './folder';
import type { HeadInfo } from '../model/heads';
import { coverVersion } from '../version';

export const CHECKPOINT_FORMAT = 'cover-checkpoint';
export const CHECKPOINT_VERSION = 1;
export { CONFIG_FILE, WEIGHTS_FILE, STATE_FILE } from './folder';

export type { HeadInfo };

export interface Checkpoint {
  model: ModelConfig;
  heads: HeadInfo[];
  preprocessing: Preprocessing;
  /** Reference names (backbone) and `heads.<name>.*`, in cover's internal layout. */
  weights: Map<string, tf.Tensor>;
  /** Anything JSON the writer wants to keep (training step, dataset mix, metrics). */
  extra?: unknown;
  /**
   * Training state tensors (optimizer slots, keyed `<param>/slot<i>`), written to train_state.safetensors in the same
   * atomic folder so that a resumed run continues exactly. Absent from checkpoints meant only for inference.
   */
  state?: Map<string, tf.Tensor>;
}

export interface LoadedCheckpoint extends Checkpoint {
  extra: unknown;
  /** ISO time the checkpoint was written and the cover version that wrote it. */
  created: string;
  coverVersion: string;
  /** The weights' NaN and Inf, when loadCheckpoint was told to allow them (it refuses them otherwise). */
  nonFinite?: NonFiniteReport;
}

/** Every parameter a model with these heads has: backbone first (reference order), then each head. */
export function checkpointParamSpecs(model: ModelConfig, heads: Pick<HeadInfo, 'name' | 'numClasses'>[]): ParamSpec[] {
  return [...backboneParamSpecs(model), ...heads.flatMap((h) => headParamSpecs(headPrefix(h.name), model.embedDim, h.numClasses))];
}

/** Head names become weight keys and file names: keep them to letters, digits, `_`, `-` and `.`. */
const HEAD_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Writes a checkpoint folder. The new version is built beside `dir` and swapped in (folder.ts), so that at every
 * moment `dir` is a whole checkpoint; files in `dir` that are not cover's (eval CSVs, notes) are kept. A `dir` that
 * holds a config.json or weights that are not a cover checkpoint's is refused rather than replaced.
 *
 * @example
 * await saveCheckpoint('runs/tiny/ckpt', { model, heads: [{ name: 'k400', numClasses: 400, labels }], preprocessing, weights });
 */
export async function saveCheckpoint(dir: string, ck: Checkpoint): Promise<void> {
  checkHeads(ck.heads, (msg, fix) => new CheckpointError(msg, { path: dir, suggestion: fix }));
  const specs = checkpointParamSpecs(ck.model, ck.heads);
  const problems = compareShapes(
    specs,
    new Map([...ck.weights].map(([k, t]) => [k, t.shape])),
    (s) => internalShape(s),
  );
  if (hasProblems(problems)) {
    // The caller's weights do not belong to its own config: a bug in cover, not a user's mistake.
    throw new Error(`saveCheckpoint(${dir}): weights do not match the model config: ${describeKeyProblems(problems)}`);
  }
  refuseForeignFolder(dir);

  // Read all tensors before touching the disk (tensor reads are the only async part).
  const toWrite = new Map<string, TensorToWrite>();
  for (const spec of specs) {
    const t = ck.weights.get(spec.name)!;
    const data = (await t.data()) as Float32Array;
    toWrite.set(spec.name, { shape: spec.refShape, data: toReference(data, spec.refShape, spec.layout) });
  }
  const stateToWrite = new Map<string, TensorToWrite>();
  for (const [name, t] of ck.state ?? []) stateToWrite.set(name, { shape: t.shape, data: (await t.data()) as Float32Array });
  const config = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    model: modelConfigToJson(ck.model),
    heads: ck.heads.map((h) => ({ name: h.name, num_classes: h.numClasses, labels: h.labels, ...(h.displayNames ? { display_names: h.displayNames } : {}) })),
    preprocessing: ck.preprocessing,
    created: new Date().toISOString(),
    cover_version: coverVersion(),
    ...(ck.extra === undefined ? {} : { extra: ck.extra }),
  };

  const tmp = tmpFolder(dir);
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(tmp), { recursive: true });
    fs.mkdirSync(tmp);
    writeSafetensors(path.join(tmp, WEIGHTS_FILE), toWrite, { format: 'pt', writer: 'cover', layout: 'reference TimeSformer state_dict' });
    if (stateToWrite.size > 0) writeSafetensors(path.join(tmp, STATE_FILE), stateToWrite, { writer: 'cover', content: 'optimizer state' });
    writeAtomically(path.join(tmp, CONFIG_FILE), (fd) => fs.writeSync(fd, JSON.stringify(config, null, 2) + '\n'));
    installFolder(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Named as the checkpoint folder, not the temporary file that failed (it is gone now).
    throw fileError(err instanceof FileError ? err.cause : err, dir, 'save the checkpoint (the one saved before is kept as it was)', 'folder');
  }
}

/** A folder whose cover-named files are not a cover checkpoint's (someone's export, say) is never written over. */
function refuseForeignFolder(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return; // nothing there yet
  }
  const fix = 'choose a new output folder, or remove this one';
  if (!st.isDirectory()) throw new CheckpointError('exists and is a file, not a checkpoint folder', { path: dir, suggestion: fix });
  if (!CHECKPOINT_FILES.some((f) => fs.existsSync(path.join(dir, f)))) return; // empty, or only files cover keeps
  let format: unknown;
  try {
    format = (JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8')) as { format?: unknown }).format;
  } catch {
    format = undefined;
  }
  if (format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError('exists and is not a cover checkpoint, so it will not be replaced', { path: dir, suggestion: fix });
  }
}

/**
 * Reads a checkpoint's config.json only (no weights): model config, heads, preprocessing.
 */
export function readCheckpointConfig(dir: string): Omit<LoadedCheckpoint, 'weights'> {
  awaitFolder(dir); // a run saving this checkpoint right now, or one killed while saving it
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new CheckpointError('no such checkpoint folder', {
      path: dir,
      suggestion: 'check the path (a checkpoint is a folder with config.json and weights.safetensors)',
    });
  }
  if (!st.isDirectory()) {
    throw new CheckpointError('is a file, not a checkpoint folder', {
      path: dir,
      suggestion: 'give the checkpoint folder (with config.json and weights.safetensors); to start from other weights use the import option',
    });
  }
  const file = path.join(dir, CONFIG_FILE);
  const bad = (problem: string, fix = 'the checkpoint is damaged: save it again or use another one'): never => {
    throw new CheckpointError(problem, { path: file, suggestion: fix });
  };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return bad('is missing', 'a checkpoint folder holds config.json and weights.safetensors: give a folder written by cover');
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    return bad(`is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('is not a JSON object');
  if (json.format !== CHECKPOINT_FORMAT) {
    bad(`format is ${JSON.stringify(json.format)}, not "${CHECKPOINT_FORMAT}"`, 'give a folder written by cover');
  }
  if (json.version !== CHECKPOINT_VERSION) {
    bad(
      `version ${JSON.stringify(json.version)} is not ${CHECKPOINT_VERSION}`,
      'this checkpoint was written by another cover version: use that version',
    );
  }
  if (typeof json.model !== 'object' || json.model === null) bad('has no "model" object');
  let model: ModelConfig;
  try {
    model = modelConfigFromJson(json.model as Record<string, unknown>, file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CheckpointError(err.message, { path: file, suggestion: err.suggestion, cause: err });
    throw err;
  }
  if (!Array.isArray(json.heads)) bad('has no "heads" list');
  const L = CONFIG_LIMITS;
  if ((json.heads as unknown[]).length > L.heads) bad(`heads has ${(json.heads as unknown[]).length} entries, above the limit ${L.heads}`);
  const strings = (v: unknown) => Array.isArray(v) && v.every((l) => typeof l === 'string' && l.length <= L.labelChars);
  const heads = (json.heads as unknown[]).map((h, i) => {
    const o = (h ?? {}) as { name?: unknown; num_classes?: unknown; labels?: unknown; display_names?: unknown };
    if (typeof o.name !== 'string') bad(`heads[${i}].name is not a string`);
    if (typeof o.num_classes !== 'number') bad(`heads[${i}].num_classes is not a number`);
    if ((o.num_classes as number) > L.classes) bad(`heads[${i}].num_classes=${o.num_classes} is above the limit ${L.classes}`);
    if (!strings(o.labels)) bad(`heads[${i}].labels is not a list of strings of at most ${L.labelChars} characters`);
    const names = o.display_names; // optional (cover 9+): absent in older checkpoints
    if (names !== undefined && !strings(names)) bad(`heads[${i}].display_names is not a list of strings of at most ${L.labelChars} characters`);
    return { name: o.name as string, numClasses: o.num_classes as number, labels: o.labels as string[], ...(names ? { displayNames: names as string[] } : {}) };
  });
  checkHeads(heads, (msg, fix) => new CheckpointError(msg, { path: file, suggestion: fix }));
  const preprocessing = checkPreprocessing(json.preprocessing, bad);
  return {
    model,
    heads,
    preprocessing,
    extra: json.extra,
    created: typeof json.created === 'string' ? json.created : '',
    coverVersion: typeof json.cover_version === 'string' ? json.cover_version : '',
  };
}

/**
 * Bounds of config.json's other numbers (the model's are MODEL_LIMITS): far above any real checkpoint (ImageNet-21k has
 * 21,843 classes; cover co-trains a handful of datasets), low enough that a damaged file is one line, not an allocation.
 */
export const CONFIG_LIMITS = {
  heads: 64,
  classes: 100_000,
  labelChars: 1000,
  cropSize: MODEL_LIMITS.imgSize,
  numFrames: MODEL_LIMITS.numFrames,
  samplingRate: 64, // RUN_LIMITS.maxSamplingRate of run/run_config.ts (which imports this folder): a test holds them equal
  targetFps: 1000,
} as const;

export interface LoadCheckpointOptions {
  /**
   * Read the training state (train_state.safetensors: the optimizer's slots, twice the weights for AdamW) too. Default
   * true, for `--resume`; inference and `--init` pass false, so the file is never opened and its size costs nothing.
   */
  trainState?: boolean;
  /**
   * Load weights that hold NaN or Inf instead of refusing them (the report comes back as `nonFinite`). Default false:
   * such a model's every output is NaN, so eval, predict, export and --init say which tensors and stop.
   */
  allowNonFinite?: boolean;
}

/**
 * Loads a checkpoint folder. Strict: the weights must be exactly the parameters of config.json's model and heads.
 * The returned tensors (cover's internal layout) belong to the caller, who disposes them.
 *
 * @example
 * const ck = await loadCheckpoint('runs/tiny/ckpt', { trainState: false });
 * ck.weights.get('blocks.0.attn.qkv.weight')!.shape; // [32, 96]  (reference [96, 32])
 * ck.state; // undefined
 */
export async function loadCheckpoint(dir: string, opts: LoadCheckpointOptions = {}): Promise<LoadedCheckpoint> {
  const config = readCheckpointConfig(dir);
  const file = path.join(dir, WEIGHTS_FILE);
  if (!fs.existsSync(file)) {
    throw new CheckpointError('is missing', { path: file, suggestion: 'the checkpoint is incomplete: save it again or use another one' });
  }
  const { tensors } = readSafetensors(file);
  const specs = checkpointParamSpecs(config.model, config.heads);
  const problems = compareShapes(specs, new Map([...tensors].map(([k, t]) => [k, t.shape])), (s) => s.refShape);
  if (hasProblems(problems)) {
    throw new CheckpointError(describeKeyProblems(problems), {
      path: file,
      suggestion: `the weights do not match ${CONFIG_FILE} (model ${config.model.depth} blocks of width ${config.model.embedDim}, heads ${config.heads
        .map((h) => `${h.name}:${h.numClasses}`)
        .join(', ')}): use the config.json written with these weights`,
    });
  }
  const nonFinite = scanNonFinite(file, [...tensors].map(([k, t]) => [k, t.data]));
  if (nonFinite && !opts.allowNonFinite) throw nonFiniteError(nonFinite, CHECKPOINT_NONFINITE_FIX);
  const weights = new Map<string, tf.Tensor>();
  for (const spec of specs) {
    const data = toInternal(tensors.get(spec.name)!.data, spec.refShape, spec.layout);
    weights.set(spec.name, tf.tensor(data, internalShape(spec), 'float32'));
  }
  const stateFile = path.join(dir, STATE_FILE);
  if (opts.trainState !== false && fs.existsSync(stateFile)) {
    const state = new Map<string, tf.Tensor>();
    for (const [name, t] of readSafetensors(stateFile).tensors) state.set(name, tf.tensor(t.data, t.shape, 'float32'));
    return { ...config, weights, state, ...(nonFinite ? { nonFinite } : {}) };
  }
  return { ...config, weights, ...(nonFinite ? { nonFinite } : {}) };
}

/** Missing, unexpected and mis-shaped keys of `found` against `specs` (expected shape given by `shapeOf`). */
export function compareShapes(
  specs: ParamSpec[],
  found: Map<string, number[]>,
  shapeOf: (s: ParamSpec) => number[],
): KeyProblems {
  const expected = new Set(specs.map((s) => s.name));
  const problems: KeyProblems = { missing: [], unexpected: [], misshaped: [] };
  for (const spec of specs) {
    const shape = found.get(spec.name);
    if (!shape) problems.missing.push(spec.name);
    else if (shapeText(shape) !== shapeText(shapeOf(spec))) {
      problems.misshaped.push(`${spec.name}: file ${shapeText(shape)}, model ${shapeText(shapeOf(spec))}`);
    }
  }
  for (const k of found.keys()) if (!expected.has(k)) problems.unexpected.push(k);
  return problems;
}

function checkHeads(heads: HeadInfo[], error: (msg: string, fix: string) => Error): void {
  const seen = new Set<string>();
  for (const h of heads) {
    if (!HEAD_NAME_RE.test(h.name)) throw error(`head name '${h.name}' is not usable`, 'name heads with letters, digits, _, - and .');
    if (seen.has(h.name)) throw error(`head '${h.name}' appears twice`, 'give each dataset head a distinct name');
    seen.add(h.name);
    if (!Number.isInteger(h.numClasses) || h.numClasses < 1) {
      throw error(`head '${h.name}' has ${h.numClasses} classes`, 'a head needs a whole number of classes, at least 1');
    }
    if (h.labels.length !== h.numClasses) {
      throw error(`head '${h.name}' has ${h.numClasses} classes but ${h.labels.length} labels`, 'give one label per class');
    }
    if (h.displayNames && h.displayNames.length !== h.numClasses) {
      throw error(`head '${h.name}' has ${h.numClasses} classes but ${h.displayNames.length} display names`, 'give one display name per class, or none');
    }
  }
}

function checkPreprocessing(raw: unknown, bad: (problem: string, fix?: string) => never): Preprocessing {
  if (typeof raw !== 'object' || raw === null) return bad('has no "preprocessing" object');
  const p = raw as Record<string, unknown>;
  const triple = (k: 'mean' | 'std') => {
    const v = p[k];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      bad(`preprocessing.${k} is not three numbers`);
    }
    return v as [number, number, number];
  };
  const posInt = (k: 'cropSize' | 'numFrames' | 'samplingRate') => {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(`preprocessing.${k} is not a whole number >= 1`);
    if ((v as number) > CONFIG_LIMITS[k]) bad(`preprocessing.${k}=${v} is above the limit ${CONFIG_LIMITS[k]}`);
    return v as number;
  };
  // Pixels are normalised from [0, 1] (transforms.ts normalizeTable): a mean outside it, or a std outside [0.001, 1],
  // is not a preprocessing anyone trained with (ImageNet's std is about 0.23).
  const std = triple('std');
  if (std.some((s) => s <= 0)) bad('preprocessing.std has a value <= 0');
  if (std.some((s) => s < 1e-3 || s > 1)) bad(`preprocessing.std=[${std.join(', ')}] has a value outside [0.001, 1]`);
  const mean = triple('mean');
  if (mean.some((m) => m < 0 || m > 1)) bad(`preprocessing.mean=[${mean.join(', ')}] has a value outside [0, 1]`);
  const out: Preprocessing = { mean, std, cropSize: posInt('cropSize'), numFrames: posInt('numFrames'), samplingRate: posInt('samplingRate') };
  if (p.targetFps === undefined) return out; // written before the stride counted at 30 fps: the video's own rate
  if (typeof p.targetFps !== 'number' || !(p.targetFps > 0)) bad('preprocessing.targetFps is not a number above 0');
  if ((p.targetFps as number) > CONFIG_LIMITS.targetFps) bad(`preprocessing.targetFps=${p.targetFps} is above the limit ${CONFIG_LIMITS.targetFps}`);
  return { ...out, targetFps: p.targetFps as number };
}

