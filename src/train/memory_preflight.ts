// Before the first step of a run: does it fit in the active backend? When it does not, one OutOfMemoryError line with
// the numbers and only the fixes that would make it fit (each one is planned again and checked), before any weight is
// allocated. The numbers come from model/memory.ts (what the step needs) and engine/capacity.ts (what a backend holds).

import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { CONFIG_FILE, readCheckpointConfig } from '../checkpoint/checkpoint';
import { ModelConfig } from '../config/model_config';
import { PRESET_NAMES, getPreset } from '../config/presets';
import { initModel } from './given_settings';
import { activeTorchDevice, probeTorchBackend } from '../engine/backend';
import { fusedKernelsAvailable } from '../engine/fused';
import { BackendCapacity, backendCapacity, fits, gib } from '../engine/capacity';
import { MemoryPlan, StepPath, TrainingShape, planTrainingMemory } from '../model/memory';
import { OutOfMemoryError } from '../errors';
import { HeadInfo } from '../model/heads';
import { RunConfig } from '../run/run_config';

const OPTIMIZER_LABEL = { adamw: 'AdamW slots', sgd: 'SGD momentum' } as const;

/** The model a run will build (model_source.ts buildModel): a resumed or --init checkpoint's config, else the preset's. */
function runModel(cfg: RunConfig, resumed?: ModelConfig): { model: ModelConfig; fromPreset: boolean } {
  if (resumed) return { model: resumed, fromPreset: false };
  if (cfg.init && fs.existsSync(path.join(cfg.init, CONFIG_FILE))) return { model: initModel(readCheckpointConfig(cfg.init).model, cfg.preset), fromPreset: false };
  return { model: getPreset(cfg.preset), fromPreset: true };
}

function describe(what: string, plan: MemoryPlan, s: TrainingShape, cap: BackendCapacity): string {
  const micro = Math.min(s.microBatch, s.batchSize);
  const inUse = cap.inUseBytes >= 0.01 * 2 ** 30 ? `, ${gib(cap.inUseBytes)} GiB of it in use` : '';
  return (
    `${what} needs about ${gib(plan.totalBytes)} GiB to train (weights ${gib(plan.weightsBytes)}, grads ${gib(plan.gradsBytes)}, ` +
    `${OPTIMIZER_LABEL[s.optimizer]} ${gib(plan.slotsBytes)}, activations at micro-batch ${micro}${s.recompute ? ' with recompute' : ''} ${gib(plan.activationsBytes)}) ` +
    `but on the ${cap.backend} backend${s.path === 'fused' && cap.backend === 'wasm' ? ' with the accelerator' : ''} ${cap.limit}${inUse}`
  );
}

/** The other backends a refused run could move to: torch when its addon is present, cpu; their capacities here. */
export interface Alternatives {
  /** The torch backend on the CPU, or null when its addon is absent (or torch is the backend refusing). */
  torch: BackendCapacity | null;
  cpu: BackendCapacity;
}

function alternatives(backend: string): Alternatives {
  return { torch: backend !== 'torch' && probeTorchBackend().ok ? backendCapacity('torch') : null, cpu: backendCapacity('cpu') };
}

/**
 * The settings a user can change, each checked with a fresh plan; only those that fit are offered. Moving off the wasm
 * heap comes first when it fits the whole run as asked: `--backend torch` (libtorch in the machine's memory, fast), else
 * `--backend cpu` (much slower) when torch is absent.
 */
export function trainingFixes(s: TrainingShape, cap: BackendCapacity, fromPreset: boolean, preset: string, alt: Alternatives): string[] {
  const ok = (t: TrainingShape, c = cap) => fits(planTrainingMemory(t).totalBytes, c);
  /** The largest micro-batch up to the current one with which `t` fits, or 0. */
  const bestMicro = (t: TrainingShape, c = cap) => {
    for (let m = Math.min(t.microBatch, t.batchSize); m >= 1; m--) if (ok({ ...t, microBatch: m }, c)) return m;
    return 0;
  };
  const withMicro = (flag: string, m: number, t: TrainingShape) => (m < Math.min(t.microBatch, t.batchSize) ? `${flag} --micro-batch ${m}` : flag);
  const out: string[] = [];
  const onTorch = { ...s, path: 'torch' as StepPath };
  const onTfjs = { ...s, path: 'tfjs' as StepPath };
  const mt = cap.backend === 'wasm' && alt.torch ? bestMicro(onTorch, alt.torch) : 0;
  if (mt > 0) out.push(`${withMicro('--backend torch', mt, onTorch)} (${gib(alt.torch!.limitBytes ?? 0)} GiB free here)`);
  const m = bestMicro(s);
  if (m > 0) out.push(`--micro-batch ${m}`);
  if (s.optimizer === 'adamw') {
    const sgd = { ...s, optimizer: 'sgd' as const };
    const ms = bestMicro(sgd);
    if (ms > 0 && (m === 0 || ms > m)) out.push(withMicro('--optimizer sgd', ms, sgd));
  }
  if (fromPreset) {
    const smaller = PRESET_NAMES.slice(0, PRESET_NAMES.indexOf(preset as (typeof PRESET_NAMES)[number])).reverse();
    for (const p of smaller) {
      const t = { ...s, model: getPreset(p) };
      const mp = bestMicro(t);
      if (mp > 0) {
        out.push(withMicro(`--preset ${p}`, mp, t));
        break;
      }
    }
  }
  if (cap.backend === 'wasm' && mt === 0) {
    // The cpu backend is limited by the machine's memory, not the 4 GiB heap (and is much slower); offered when torch is not.
    const mc = bestMicro(onTfjs, alt.cpu);
    if (mc > 0) out.push(`${withMicro('--backend cpu', mc, onTfjs)} (much slower; ${gib(alt.cpu.limitBytes ?? 0)} GiB free here)`);
  }
  return out;
}

/** The memory plan of a run that fits, the micro-batch it runs at, and whether its blocks are recomputed. */
export interface TrainingFit {
  plan: MemoryPlan;
  /** The run's micro-batch: the one asked for, or, when none was (auto), the largest up to the batch size that fits. */
  microBatch: number;
  /** Activation checkpointing per block: as asked, or, under --recompute auto, only when one pass would not fit without. */
  recompute: boolean;
  /** One line for each choice auto made against what was asked, saying why (empty when the run fits as asked). */
  notes: string[];
}

/**
 * Plans the run's memory before any weight is allocated, and fixes what was left to it:
 *   - `--recompute auto` (or unset): off when the batch fits in one pass without it, else blocks when that fits;
 *   - `--micro-batch` unset: the batch size when that fits, else the largest that does (gradients then accumulate over
 *     several passes with the same result up to float rounding), without recompute when any micro-batch fits so, since
 *     recomputing costs a third more compute and smaller passes cost none on the CPU.
 * Throws OutOfMemoryError (exit 2) when the run cannot fit in the active backend even so, naming only the fixes that
 * would fit. `resumed` is a resumed checkpoint's model config.
 *
 * @example
 * fitTraining({ ...cfg, preset: 'base', batchSize: 8, microBatch: 8, recompute: 'off' }, heads)   // on wasm:
 * // OutOfMemoryError: --preset base needs about 20 GiB to train (weights 0.45, grads 0.91, AdamW slots 0.91, activations
 * //   at micro-batch 8 18) but on the wasm backend the wasm heap holds at most 4 GiB (fix: --preset small)
 * fitTraining({ ...cfg, preset: 'base', batchSize: 8 }, heads) // on torch, 23 GiB free:
 * // { microBatch: 8, recompute: true, notes: ['recompute blocks (auto): batch 8 in one pass needs about 27 GiB ...'] }
 */
export function fitTraining(cfg: RunConfig, heads: HeadInfo[], resumed?: ModelConfig): TrainingFit {
  const { model, fromPreset } = runModel(cfg, resumed);
  const backend = tf.getBackend();
  const gpu = backend === 'torch' ? activeTorchDevice() === 'cuda' : Boolean((tf.findBackend(backend) as { isUsingGpuDevice?: boolean } | null)?.isUsingGpuDevice);
  const cap = backendCapacity(backend, { gpu });
  const mode = cfg.recompute ?? 'auto';
  const shape: TrainingShape = {
    model,
    headClasses: heads.map((h) => h.numClasses),
    optimizer: cfg.optimizer,
    batchSize: cfg.batchSize,
    microBatch: cfg.microBatch ?? cfg.batchSize,
    freezeTemporal: cfg.freezeTemporal,
    path: backend === 'torch' ? 'torch' : fusedKernelsAvailable() ? 'fused' : 'tfjs',
    recompute: mode === 'blocks',
  };
  const at = (microBatch: number, recompute: boolean) => planTrainingMemory({ ...shape, microBatch, recompute });
  const asked = at(shape.microBatch, shape.recompute!);
  if (fits(asked.totalBytes, cap)) return { plan: asked, microBatch: shape.microBatch, recompute: shape.recompute!, notes: [] };
  const passes = (m: number) => Math.ceil(shape.batchSize / m);
  const onePass = `batch ${shape.batchSize} in one pass needs about ${gib(asked.totalBytes)} GiB and ${cap.limit}`;
  // Recompute, where auto may choose it, at the asked micro-batch.
  if (mode === 'auto') {
    const p = at(shape.microBatch, true);
    if (fits(p.totalBytes, cap)) {
      const pass = shape.microBatch < shape.batchSize ? `micro-batch ${shape.microBatch}` : `batch ${shape.batchSize} in one pass`;
      const note = `recompute blocks (auto): ${pass} needs about ${gib(asked.totalBytes)} GiB without it and ${cap.limit}; ` +
        `recomputing each block in the backward pass, about ${gib(p.totalBytes)} GiB for about a third more compute (--recompute off|blocks sets it)`;
      return { plan: p, microBatch: shape.microBatch, recompute: true, notes: [note] };
    }
  }
  // Smaller micro-batches, without recompute first where auto may choose.
  if (cfg.microBatch === undefined) {
    for (const recompute of mode === 'auto' ? [false, true] : [shape.recompute!]) {
      for (let m = shape.microBatch - 1; m >= 1; m--) {
        const p = at(m, recompute);
        if (!fits(p.totalBytes, cap)) continue;
        const notes = [
          `micro-batch ${m} (auto): ${onePass}; gradients accumulate over ${passes(m)} passes (about ${gib(p.totalBytes)} GiB; --micro-batch N sets it)`,
        ];
        if (recompute && mode === 'auto') notes.push(`recompute blocks (auto): not even one clip a pass fits without it (--recompute off|blocks sets it)`);
        return { plan: p, microBatch: m, recompute, notes };
      }
    }
  }
  const what = fromPreset ? `--preset ${cfg.preset}` : `the model of ${resumed ? 'the checkpoint' : cfg.init}`;
  const worst = { ...shape, microBatch: cfg.microBatch === undefined ? 1 : shape.microBatch, recompute: mode !== 'off' };
  const found = trainingFixes(worst, cap, fromPreset, cfg.preset, alternatives(backend));
  // Recompute costs a third more compute where moving to torch costs none: offered after that move, before the rest.
  if (mode === 'off' && fits(planTrainingMemory({ ...worst, recompute: true }).totalBytes, cap)) {
    const after = found.findIndex((f) => !f.startsWith('--backend torch'));
    found.splice(after < 0 ? found.length : after, 0, '--recompute blocks');
  }
  throw new OutOfMemoryError(describe(what, planTrainingMemory(worst), worst, cap), {
    suggestion: found.length > 0 ? found.join(', or ') : 'none of --micro-batch 1, --recompute blocks, --optimizer sgd, a smaller --preset or --backend cpu fits here: use a machine with more memory',
  });
}
