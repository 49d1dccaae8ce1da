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
    `${OPTIMIZER_LABEL[s.optimizer]} ${gib(plan.slotsBytes)}, activations at micro-batch ${micro} ${gib(plan.activationsBytes)}) ` +
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

/** The memory plan of a run that fits, and the micro-batch it runs at. */
export interface TrainingFit {
  plan: MemoryPlan;
  /** The run's micro-batch: the one asked for, or, when none was (auto), the largest up to the batch size that fits. */
  microBatch: number;
  /** Set when auto chose a micro-batch below the batch size: one line saying why. */
  note?: string;
}

/**
 * Plans the run's memory before any weight is allocated. With `cfg.microBatch` unset (auto), the micro-batch is the
 * batch size when that fits, else the largest that does (gradients then accumulate over several passes, with the same
 * result up to float rounding). Throws OutOfMemoryError (exit 2) when the run cannot fit in the active backend even
 * so, naming only the fixes that would fit. `resumed` is a resumed checkpoint's model config.
 *
 * @example
 * fitTraining({ ...cfg, preset: 'base', batchSize: 8, microBatch: 8 }, heads)   // on wasm:
 * // OutOfMemoryError: --preset base needs about 44 GiB to train (weights 0.45, grads 1.4, AdamW slots 0.91, activations at
 * //   micro-batch 8 41) but on the wasm backend the wasm heap holds at most 4 GiB (fix: --preset small)
 * fitTraining({ ...cfg, preset: 'base', batchSize: 8, microBatch: undefined }, heads) // on torch, 23 GiB free:
 * // { microBatch: 4, note: 'micro-batch 4 (auto): batch 8 in one pass needs about 42 GiB, ...' }
 */
export function fitTraining(cfg: RunConfig, heads: HeadInfo[], resumed?: ModelConfig): TrainingFit {
  const { model, fromPreset } = runModel(cfg, resumed);
  const backend = tf.getBackend();
  const gpu = backend === 'torch' ? activeTorchDevice() === 'cuda' : Boolean((tf.findBackend(backend) as { isUsingGpuDevice?: boolean } | null)?.isUsingGpuDevice);
  const cap = backendCapacity(backend, { gpu });
  const shape: TrainingShape = {
    model,
    headClasses: heads.map((h) => h.numClasses),
    optimizer: cfg.optimizer,
    batchSize: cfg.batchSize,
    microBatch: cfg.microBatch ?? cfg.batchSize,
    freezeTemporal: cfg.freezeTemporal,
    path: backend === 'torch' ? 'torch' : fusedKernelsAvailable() ? 'fused' : 'tfjs',
  };
  const plan = planTrainingMemory(shape);
  if (fits(plan.totalBytes, cap)) return { plan, microBatch: shape.microBatch };
  if (cfg.microBatch === undefined) {
    for (let m = shape.microBatch - 1; m >= 1; m--) {
      const p = planTrainingMemory({ ...shape, microBatch: m });
      if (!fits(p.totalBytes, cap)) continue;
      const passes = Math.ceil(shape.batchSize / m);
      const note =
        `micro-batch ${m} (auto): batch ${shape.batchSize} in one pass needs about ${gib(plan.totalBytes)} GiB and ${cap.limit}; ` +
        `gradients accumulate over ${passes} passes (about ${gib(p.totalBytes)} GiB; --micro-batch N sets it)`;
      return { plan: p, microBatch: m, note };
    }
  }
  const what = fromPreset ? `--preset ${cfg.preset}` : `the model of ${resumed ? 'the checkpoint' : cfg.init}`;
  const worst = cfg.microBatch === undefined ? { ...shape, microBatch: 1 } : shape;
  const found = trainingFixes(worst, cap, fromPreset, cfg.preset, alternatives(backend));
  throw new OutOfMemoryError(describe(what, planTrainingMemory(worst), worst, cap), {
    suggestion: found.length > 0 ? found.join(', or ') : 'none of --micro-batch 1, --optimizer sgd, a smaller --preset or --backend cpu fits here: use a machine with more memory',
  });
}
