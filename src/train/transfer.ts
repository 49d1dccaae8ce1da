// The transfer comparison CoVeR makes (cover-spec.md §3.0, "A→B = train on A, fine-tune on B"): a model trained on A (or
// a given checkpoint) fine-tuned on B and evaluated on B, beside the standard B→B (trained on B with the same budget, then
// fine-tuned the same way), and, when given, a co-trained checkpoint fine-tuned on B the same way.

import * as path from 'path';
import { RunConfig } from './run_config';
import { runTraining, TrainHooks, TrainResult } from './trainer';
import { HeadEval } from '../eval/evaluate';

export interface TransferPlan {
  /** Source datasets (A); ignored when `from` is given. */
  source: RunConfig['datasets'];
  target: RunConfig['datasets'][number];
  /** Start from this checkpoint instead of training on A. */
  from?: string;
  /** A co-trained checkpoint to fine-tune on B the same way. */
  cotrained?: string;
  /** Steps of training on A, and of the B→B baseline's first stage. */
  sourceSteps: number;
  /** Fine-tuning steps on B. */
  steps: number;
}

export interface TransferRow {
  name: string;
  /** What was fine-tuned on B. */
  start: string;
  eval: HeadEval;
  run: string;
}

export interface TransferResult {
  target: string;
  rows: TransferRow[];
  seconds: number;
}

/**
 * @param base settings shared by every stage (optimizer, batch, preset, data, seed, eval views); `out` is the transfer's
 * folder, each stage gets a subfolder.
 */
export async function runTransfer(plan: TransferPlan, base: RunConfig, hooks: TrainHooks = {}): Promise<TransferResult> {
  const t0 = Date.now();
  const log = hooks.log ?? (() => {});
  const B = plan.target;
  const stage = async (name: string, cfg: Partial<RunConfig>): Promise<TrainResult> => {
    log(`\n== ${name}`);
    const r = await runTraining({ ...base, ...cfg, out: path.join(base.out, name) } as RunConfig, hooks);
    if (r.interrupted) throw new Error('interrupted');
    return r;
  };
  const finetune = async (name: string, from: string) => {
    const r = await stage(name, { kind: 'finetune', datasets: [B], init: from, steps: plan.steps, warmupSteps: Math.min(base.warmupSteps, Math.floor(plan.steps / 5)) });
    const ev = r.evals.find((e) => e.head === B.name);
    if (!ev) throw new Error(`no evaluation of ${B.name} (it needs a val split)`);
    return { ev, run: r.out };
  };

  const rows: TransferRow[] = [];
  let sourceCk = plan.from;
  const aName = plan.from ? path.basename(path.dirname(path.resolve(plan.from))) : plan.source.map((d) => d.name).join('+');
  if (!sourceCk) {
    const src = await stage(`train_${aName}`, { kind: 'cotrain', datasets: plan.source, steps: plan.sourceSteps });
    sourceCk = src.checkpoint;
  }
  const ab = await finetune(`${aName}_to_${B.name}`, sourceCk);
  rows.push({ name: `${aName} → ${B.name}`, start: sourceCk, eval: ab.ev, run: ab.run });

  const bb = await stage(`train_${B.name}`, { kind: 'cotrain', datasets: [B], steps: plan.sourceSteps });
  const bbFt = await finetune(`${B.name}_to_${B.name}`, bb.checkpoint);
  rows.push({ name: `${B.name} → ${B.name}`, start: bb.checkpoint, eval: bbFt.ev, run: bbFt.run });

  if (plan.cotrained) {
    const co = await finetune(`cotrained_to_${B.name}`, plan.cotrained);
    rows.push({ name: `co-trained → ${B.name}`, start: plan.cotrained, eval: co.ev, run: co.run });
  }
  return { target: B.name, rows, seconds: (Date.now() - t0) / 1000 };
}
