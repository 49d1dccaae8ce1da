// `transfer()`: `cover transfer A B` as one library call. It checks the transfer's folder (its stages included) before
// any work, starts the backend, resolves the datasets (the demo suite when none is given) and the settings every stage
// shares, then runs the stages (train/transfer.ts runTransfer). The CLI maps options onto the request and renders rows.

import * as path from 'path';
import { initBackend } from '../engine/backend';
import { currentJob } from '../dist/job';
import { UsageError } from '../errors';
import { isDemoSpec } from '../eval/facts';
import { resolveRunDatasets } from '../run/run_datasets';
import { checkRunDir } from '../run/run_dir';
import { resolveRunConfig } from '../train/recipes';
import { TrainHooks } from '../train/trainer';
import { runTransfer, TransferResult, transferStages } from '../train/transfer';
import { SessionRequest } from './request';

/** Steps of the fine-tuning stages when neither steps nor epochs is given. */
export const DEFAULT_FINETUNE_STEPS = 150;
/** Steps of training on A (and of the B → B baseline) when not given. */
export const DEFAULT_SOURCE_STEPS = 300;

/**
 * `cover transfer A B` as one request: settings of every stage (steps: the fine-tuning stages'), plus the transfer's
 * own. Default `out`: `runs/transfer_<A>_to_<B>` (`transfer_from_to_<B>` with `from`).
 */
export interface TransferRequest extends SessionRequest {
  /** A: the source dataset(s) (ignored with `from`). */
  source: string[];
  /** B: the target dataset. */
  target: string;
  /** Start from this checkpoint instead of training on A. */
  from?: string;
  /** Also fine-tune this co-trained checkpoint on B the same way. */
  cotrained?: string;
  sourceSteps?: number;
}

export interface TransferOutcome extends TransferResult {
  out: string;
  /** B's data is the demo suite's: its numbers are not comparable with published ones. */
  demo: boolean;
}

/**
 * Runs a transfer request: the folder checked before any work, the backend, the datasets (the demo suite when none
 * is given), then the stages (runTransfer). One process: a data-parallel job runs its stages as `cover cotrain --init`.
 */
export async function transfer(req: TransferRequest, hooks: TrainHooks = {}): Promise<TransferOutcome> {
  const job = currentJob();
  if (job) throw new UsageError(`cover transfer runs as one process, but this is rank ${job.rank} of ${job.world} (${job.launcher})`, { suggestion: 'run its stages as `cover cotrain ... --init` under the launcher, or start transfer without it' });
  const sourceNames = req.from ? [] : req.source;
  const out = req.out ?? path.join('runs', `transfer_${req.from ? 'from' : sourceNames.join('+')}_to_${req.target}`);
  // Before any work: the transfer's out is one run, its stages included.
  const stages = transferStages({ source: sourceNames, target: req.target, from: req.from, cotrained: !!req.cotrained });
  checkRunDir(out, { overwrite: req.overwrite, stages, resumable: false, inputs: [req.from, req.cotrained, req.settings?.init] });
  await initBackend({ backend: 'auto', ...req.engine });
  const resolved = await resolveRunDatasets([...new Set([...sourceNames, req.target])], req.data ?? {}, { demoDir: req.demo?.dir, demoSize: req.demo?.size ?? 'small', log: hooks.log });
  const byName = new Map(resolved.datasets.map((d) => [d.name, d]));
  const target = byName.get(req.target)!;
  // The stages are sized in steps (settings.steps, sourceSteps), unless epochs are given.
  const base = resolveRunConfig({
    kind: 'finetune',
    datasets: [target],
    data: resolved.data,
    out,
    recipe: req.recipe,
    settings: req.settings ?? {},
    commandDefaults: req.settings?.epochs === undefined ? { steps: DEFAULT_FINETUNE_STEPS } : {},
  });
  const result = await runTransfer(
    { source: sourceNames.map((n) => byName.get(n)!), target, from: req.from, cotrained: req.cotrained, sourceSteps: req.sourceSteps ?? DEFAULT_SOURCE_STEPS, steps: base.steps },
    base,
    { ...hooks, overwrite: req.overwrite },
  );
  return { ...result, out, demo: !!resolved.demo || isDemoSpec(target.spec) };
}
