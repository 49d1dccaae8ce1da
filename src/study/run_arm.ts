// Runs one arm of a study as a run of its own (train/trainer.ts runTraining) in its folder under the study folder, with
// its final evaluation's verdict on every val clip in predictions.csv (the paired tests read them), or picks up what an
// earlier invocation left there: a finished run (result.json, every step, a final evaluation) is reused as it is, a
// stopped one (a checkpoint) continues with the trainer's exact --resume, and a run stopped before its first checkpoint
// starts again.

import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_FILE } from '../checkpoint/checkpoint';
import { RunConfig, RunDataset } from '../run/run_config';
import { CHECKPOINT_DIR, RESULT_FILE } from '../run/run_dir';
import { runTraining, TrainHooks, TrainResult } from '../train/trainer';
import { finetuneConfig } from '../train/transfer';
import { Arm } from './plan';
import { ArmEval, ArmRecord } from './summary';

export interface ArmContext {
  /** The study folder. */
  root: string;
  /** Settings every arm shares; each arm sets its kind, datasets, steps, seed, init and folder. */
  base: RunConfig;
  /** The settings of the pretraining stages (resolved for `cover pretrain`: its recipe's lr, temporal weights frozen). */
  pretrainBase: RunConfig;
  datasets: Map<string, RunDataset>;
}

export interface ArmOutcome {
  status: Exclude<ArmRecord['status'], 'pending'>;
  /** Stopped (Ctrl-C) before it finished: its checkpoint is kept and the next invocation resumes it. */
  interrupted: boolean;
  evals: Record<string, ArmEval>;
  seconds: number;
}

/** The run config of an arm. Transfer arms are fine-tuned as `cover transfer` fine-tunes (finetuneConfig). */
export function armConfig(arm: Arm, ctx: ArmContext): RunConfig {
  const ds = (name: string): RunDataset => {
    const d = ctx.datasets.get(name);
    if (!d) throw new Error(`study arm ${arm.id}: dataset ${name} was not resolved`);
    return d;
  };
  const out = path.join(ctx.root, arm.id);
  const base: RunConfig = { ...ctx.base, seed: arm.seed };
  const from = arm.from && path.join(ctx.root, arm.from, CHECKPOINT_DIR);
  if (arm.kind === 'transfer') return { ...base, ...finetuneConfig(base, ds(arm.target!), from!, arm.steps), out };
  if (arm.kind === 'pretrain') return { ...ctx.pretrainBase, seed: arm.seed, kind: 'pretrain', datasets: arm.datasets.map(ds), steps: arm.steps, init: undefined, out };
  // (a), (b), (c): from the seed's pretraining stage, else from the shared --init (or random weights) in `base`.
  return { ...base, kind: 'cotrain', datasets: arm.datasets.map(ds), steps: arm.steps, ...(from ? { init: from } : {}), out };
}

/** A finished run's result in `out`, or null (none, stopped, or without the final evaluation). */
export function finishedRun(out: string, steps: number): TrainResult | null {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(out, RESULT_FILE), 'utf8')) as TrainResult;
    return !r.interrupted && r.steps >= steps && Array.isArray(r.evals) && r.evals.length > 0 ? r : null;
  } catch {
    return null;
  }
}

function evalsOf(r: TrainResult): Record<string, ArmEval> {
  return Object.fromEntries(r.evals.map((e) => [e.head, { top1: e.top1, top5: e.top5, meanClassAccuracy: e.meanClassAccuracy, n: e.n }]));
}

export async function runArm(arm: Arm, ctx: ArmContext, hooks: TrainHooks = {}): Promise<ArmOutcome> {
  const cfg = armConfig(arm, ctx);
  const done = finishedRun(cfg.out, cfg.steps);
  if (done) return { status: 'reused', interrupted: false, evals: evalsOf(done), seconds: 0 };
  const resume = fs.existsSync(path.join(cfg.out, CHECKPOINT_DIR, CONFIG_FILE));
  // Without a checkpoint the arm never got far: whatever cover wrote of it (a log's first lines) is replaced.
  const r = await runTraining(cfg, { ...hooks, resume, overwrite: !resume, predictions: true });
  return { status: resume ? 'resumed' : 'trained', interrupted: r.interrupted, evals: r.interrupted ? {} : evalsOf(r), seconds: r.seconds };
}
