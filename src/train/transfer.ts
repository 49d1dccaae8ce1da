// The transfer comparison CoVeR makes (docs/notes/cover-spec.md §3.0, "A→B = train on A, fine-tune on B"): a model trained on A (or
// a given checkpoint) fine-tuned on B and evaluated on B, beside the standard B→B (trained on B with the same budget, then
// fine-tuned the same way), and, when given, a co-trained checkpoint fine-tuned on B the same way.

import * as fs from 'fs';
import * as path from 'path';
import { writeAtomically } from '../checkpoint/safetensors';
import { fileError, UsageError } from '../errors';
import { HeadEval } from '../eval/evaluate';
import { RunConfig } from '../run/run_config';
import { claimRunDir, TRANSFER_FILE, TRANSFER_GENERATOR } from '../run/run_dir';
import { runTraining, TrainHooks, TrainResult } from './trainer';

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
  /** The stage folder a signal stopped (after its checkpoint); the rows before it are complete. */
  interrupted?: string;
}

/** Thrown inside runTransfer when a stage was stopped; becomes `interrupted` of the result. */
class StageStopped {
  constructor(readonly out: string) {}
}

/** The names a transfer's plan needs for its stage folders (before its datasets are resolved). */
export interface TransferNames {
  source: string[];
  target: string;
  from?: string;
  cotrained?: boolean;
}

/** What a transfer calls its source: the datasets' names, or the folder of the checkpoint it starts --from. */
function sourceName(p: TransferNames): string {
  if (!p.from) return p.source.join('+');
  const name = path.basename(path.dirname(path.resolve(p.from)));
  return name === p.target ? `${name}_checkpoint` : name; // runs/k400/checkpoint → k400: keep it apart from B → B
}

/**
 * The stage folders of a transfer, in the order they run: each is a run (checkpoint/, log.jsonl, ...) inside the
 * transfer's --out, which is the run as a whole.
 *
 * @example
 * transferStages({ source: ['ssv2'], target: 'k400', cotrained: true });
 * // ['train_ssv2', 'ssv2_to_k400', 'train_k400', 'k400_to_k400', 'cotrained_to_k400']
 */
export function transferStages(p: TransferNames): string[] {
  const a = sourceName(p);
  if (!p.from && p.source.length === 1 && p.source[0] === p.target) {
    throw new UsageError(`the source and the target are both '${p.target}', so A → B would be B → B`, {
      suggestion: 'name another source dataset, or start from a checkpoint with --from',
    });
  }
  return [...(p.from ? [] : [`train_${a}`]), `${a}_to_${p.target}`, `train_${p.target}`, `${p.target}_to_${p.target}`, ...(p.cotrained ? [`cotrained_to_${p.target}`] : [])];
}

/** How every start is fine-tuned on B, the same way (A → B, B → B, co-trained → B, and `cover study`'s transfer arms). */
export function finetuneConfig(base: RunConfig, target: RunConfig['datasets'][number], from: string, steps: number): Partial<RunConfig> {
  return { kind: 'finetune', datasets: [target], init: from, steps, warmup: Math.min(base.warmup, Math.floor(steps / 5)) };
}

/**
 * @param base settings shared by every stage (optimizer, batch, preset, data, seed, eval views); `out` is the transfer's
 * folder, each stage gets a subfolder. The folder is claimed as one run: one that holds a run is refused unless
 * `overwrite` is given (then that run, stages and all, is replaced).
 */
export async function runTransfer(plan: TransferPlan, base: RunConfig, hooks: TrainHooks & { overwrite?: boolean } = {}): Promise<TransferResult> {
  const t0 = Date.now();
  const log = hooks.log ?? (() => {});
  const B = plan.target;
  const names: TransferNames = { source: plan.source.map((d) => d.name), target: B.name, from: plan.from, cotrained: !!plan.cotrained };
  const stages = transferStages(names);
  claimRunDir(base.out, { overwrite: hooks.overwrite, stages, resumable: false, inputs: [plan.from, plan.cotrained, base.init], log });
  try {
    fs.mkdirSync(base.out, { recursive: true });
  } catch (err) {
    throw fileError(err, base.out, 'create the run folder', 'folder');
  }
  writeAtomically(path.join(base.out, TRANSFER_FILE), (fd) =>
    fs.writeSync(fd, `${JSON.stringify({ generator: TRANSFER_GENERATOR, ...names, cotrained: plan.cotrained, stages }, null, 2)}\n`),
  );
  const { overwrite: _o, ...stageHooks } = hooks; // each stage's folder is part of the claim above
  const stage = async (name: string, cfg: Partial<RunConfig>): Promise<TrainResult> => {
    log(`\n== ${name}`);
    const r = await runTraining({ ...base, ...cfg, out: path.join(base.out, name) } as RunConfig, stageHooks);
    if (r.interrupted) throw new StageStopped(r.out);
    return r;
  };
  const finetune = async (name: string, from: string) => {
    const r = await stage(name, finetuneConfig(base, B, from, plan.steps));
    const ev = r.evals.find((e) => e.head === B.name);
    if (!ev) throw new Error(`no evaluation of ${B.name} (it needs a val split)`);
    return { ev, run: r.out };
  };

  const rows: TransferRow[] = [];
  try {
    await runStages(rows);
  } catch (err) {
    if (!(err instanceof StageStopped)) throw err;
    return { target: B.name, rows, seconds: (Date.now() - t0) / 1000, interrupted: err.out };
  }
  return { target: B.name, rows, seconds: (Date.now() - t0) / 1000 };

  async function runStages(rows: TransferRow[]): Promise<void> {
    let sourceCk = plan.from;
    const aName = sourceName(names);
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
  }
}
