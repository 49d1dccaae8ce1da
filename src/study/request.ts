// What `cover study` is asked, and the study's own defaults: the steps of a single arm, the transfer targets of the
// paper, and `--quick` (the CI smoke version). The CLI maps its options onto a StudyRequest one to one; this file turns it
// into the StudySpec the plan runs (plan.ts).

import * as path from 'path';
import { UsageError } from '../errors';
import { Budget } from './budget';
import { StudySpec } from './plan';

/**
 * Steps of each single-dataset arm (fine-tuning: half; the pretraining stage: the same) on the small demo suite, chosen
 * so that 3 seeds of the arms from scratch (39 trainings, 8100 steps of 8 clips and about 15,000 val samples at 1x3
 * views) fit in under an hour on the 2-core reference machine (measured: 49m36s, docs/results.md); the default start
 * adds 3 pretraining stages of 300 image steps (one frame a sample).
 */
export const STUDY_STEPS = 300;

/** `--quick`: one seed of a few steps of the tiny preset on the tiny suite (a smoke test; CI). */
export const QUICK = { seeds: 1, steps: 4, preset: 'tiny', demo: 'tiny' as const, batchSize: 4, out: path.join('runs', 'study-quick') };
export type QuickSetting = 'seeds' | 'steps' | 'preset' | 'demo' | 'batchSize';

/** The default study folder. */
export const STUDY_OUT = path.join('runs', 'study');

/** The transfer targets of CoVeR's announcement, used by default where they are among the video datasets. */
export const PAPER_TARGETS = ['ssv2', 'k400'];

export interface StudyRequest {
  videos: string[];
  images: string[];
  /** Targets B of the transfer arms; undefined: PAPER_TARGETS among `videos`; [] for none. */
  transferTo?: string[];
  /** How many seeds, counted up from `firstSeed`. */
  seeds: number;
  firstSeed: number;
  /** Steps of a single arm (default STUDY_STEPS). */
  steps?: number;
  /** Fine-tuning steps of each transfer arm (default half of `steps`). */
  finetuneSteps?: number;
  budget: Budget;
  /** Weights every arm of every seed starts from (--init): no pretraining stage. */
  init?: string;
  /** Start every arm from random weights (--from-scratch): no pretraining stage. */
  fromScratch?: boolean;
  /** Steps of each seed's pretraining stage (default `steps`: cover's choice, the budget of a single arm). */
  pretrainSteps?: number;
}

/**
 * The settings `--quick` gives where the user did not: `given(name)` says whether an option was set on the command line.
 * @example quickSettings((n) => n === 'preset') // { seeds: 1, steps: 4, demo: 'tiny', batchSize: 4 }
 */
export function quickSettings(given: (name: QuickSetting) => boolean): Partial<Pick<typeof QUICK, QuickSetting>> {
  const out: Partial<Pick<typeof QUICK, QuickSetting>> = {};
  for (const k of ['seeds', 'steps', 'preset', 'demo', 'batchSize'] as const) {
    if (!given(k)) Object.assign(out, { [k]: QUICK[k] });
  }
  return out;
}

/**
 * The study a request means, every default resolved (checkSpec then says whether it can run). Where the arms start:
 * --from-scratch, --init, else a pretraining stage on the images per seed of `pretrainSteps` (default: the steps of a
 * single arm, cover's choice: the images get the budget any one video dataset gets).
 */
export function studySpec(r: StudyRequest): StudySpec {
  const steps = r.steps ?? STUDY_STEPS;
  if (r.fromScratch && r.init !== undefined) {
    throw new UsageError('--from-scratch and --init cannot be used together', { suggestion: 'give --init CKPT to start every arm from those weights, or --from-scratch for random weights' });
  }
  const start = r.fromScratch ? 'scratch' : r.init !== undefined ? 'init' : 'pretrain';
  if (start !== 'pretrain' && r.pretrainSteps !== undefined) {
    throw new UsageError(`--pretrain-steps is not used with ${r.fromScratch ? '--from-scratch' : '--init'}: there is no pretraining stage`, {
      suggestion: 'leave --pretrain-steps out, or drop --init/--from-scratch to pretrain on the images once per seed',
    });
  }
  return {
    videos: r.videos,
    images: r.images,
    transferTo: r.transferTo ?? PAPER_TARGETS.filter((t) => r.videos.includes(t)),
    seeds: Array.from({ length: r.seeds }, (_, i) => r.firstSeed + i),
    steps,
    finetuneSteps: r.finetuneSteps ?? Math.max(1, Math.round(steps / 2)),
    budget: r.budget,
    start,
    ...(start === 'pretrain' ? { pretrainSteps: r.pretrainSteps ?? steps } : {}),
  };
}
