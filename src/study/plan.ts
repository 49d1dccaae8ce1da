// The arms of `cover study`, CoVeR's ablation and transfer comparison (arXiv 2112.07175; docs/notes/cover-spec.md §3.0,
// §3.3) as a list of trainings. CoVeR's claims compare models that all start from image pretraining, so by default every
// arm of a seed starts from the same image-pretrained weights (`start`):
//   pretrain  `cover pretrain` on the image datasets, once per seed, `seed0/pretrain`; every arm (a) (b) (c) of the seed
//             starts from its checkpoint (the backbone, and for (c) the image head);
//   init      the user's --init weights, the same for every arm of every seed;
//   scratch   random weights (--from-scratch): a parameter's init depends only on the seed and its name (model/init.ts
//             paramSeed), so every arm of a seed still starts from the same backbone.
// Then, for every seed,
//   (a) each video dataset alone,                 `seed0/single_k400`, ...
//   (b) all the video datasets together,          `seed0/videos`
//   (c) the videos and the images together (CoVeR) `seed0/cover`
//   (d) for each transfer target B, every A → B and CoVeR → B, fine-tuned the same way (train/transfer.ts
//       finetuneConfig), where A → B starts from arm (a) of A (so B → B is B's own arm, fine-tuned again on B, as in
//       `cover transfer`)                         `seed0/single_k400_to_ssv2`, `seed0/cover_to_ssv2`.
// Each arm is a run folder of its own under the study folder; the ids never clash (dataset names cannot hold `/`).

import { UsageError } from '../errors';
import { Budget, armSteps } from './budget';

export type ArmKind = 'pretrain' | 'single' | 'videos' | 'cover' | 'transfer';

/** Where the arms of a seed start from (see above). */
export type StudyStart = 'pretrain' | 'init' | 'scratch';
export const STUDY_STARTS: readonly StudyStart[] = ['pretrain', 'init', 'scratch'];

export interface StudySpec {
  /** Video datasets (the heads the claims are about). */
  videos: string[];
  /** Image datasets, added to the videos in arm (c). */
  images: string[];
  /** Targets B of the transfer arms; each one of `videos`. */
  transferTo: string[];
  seeds: number[];
  /** Steps of each single-dataset arm: the study's budget. */
  steps: number;
  /** Fine-tuning steps of every transfer arm. */
  finetuneSteps: number;
  budget: Budget;
  start: StudyStart;
  /** Steps of each seed's pretraining stage (start `pretrain` only). */
  pretrainSteps?: number;
}

export interface Arm {
  /** The arm's run folder inside the study folder, e.g. `seed0/single_k400`. */
  id: string;
  seed: number;
  kind: ArmKind;
  /** What a table calls it: `k400`, `k400+ssv2+mit`, `CoVeR`, `k400 → ssv2`. */
  label: string;
  /** The heads it trains. */
  datasets: string[];
  steps: number;
  /**
   * The arm whose checkpoint this one starts from: a transfer arm's source arm (fine-tuned), or the seed's pretraining
   * stage for (a), (b) and (c) when the study starts from pretraining. Transfer arms also name their source (a dataset
   * or `cover`) and target.
   */
  from?: string;
  source?: string;
  target?: string;
}

/** What the budget needs of each dataset: its labelled training clips, and the sampling temperature of co-training. */
export interface PlanData {
  trainSizes: Record<string, number>;
  temperature: number;
}

export const COVER_LABEL = 'CoVeR';

/** Throws a UsageError naming the first thing the spec cannot mean (before any work). */
export function checkSpec(s: StudySpec): void {
  if (s.videos.length < 2) {
    throw new UsageError(`--datasets ${s.videos.join(',')} names ${s.videos.length} video dataset; co-training needs at least 2`, {
      suggestion: 'name two or more video datasets, e.g. --datasets k400,ssv2,mit',
    });
  }
  if (s.images.length === 0) throw new UsageError('--images names no image dataset; arm (c) adds images to the videos', { suggestion: 'give e.g. --images imnet' });
  const all = [...s.videos, ...s.images];
  const twice = all.find((n, i) => all.indexOf(n) !== i);
  if (twice) throw new UsageError(`dataset '${twice}' is named twice in --datasets and --images`, { suggestion: 'name each dataset once: videos in --datasets, images in --images' });
  for (const b of s.transferTo) {
    if (!s.videos.includes(b)) {
      throw new UsageError(`--transfer-to names '${b}', which is not in --datasets ${s.videos.join(',')}`, {
        suggestion: `choose targets among ${s.videos.join(', ')}, or add '${b}' to --datasets`,
      });
    }
  }
  if (s.seeds.length === 0) throw new UsageError('no seed to run', { suggestion: 'give --seeds 1 or more' });
}

/**
 * The arms of a study in the order they run: seed by seed, the pretraining stage, (a) (b) (c) then the transfers, so a
 * study stopped after one seed already answers with that seed.
 * @example
 * planArms({ videos: ['k400', 'ssv2'], images: ['imnet'], transferTo: ['ssv2'], seeds: [0], steps: 100, finetuneSteps: 50, budget: 'steps', start: 'pretrain' },
 *   { trainSizes: { k400: 240, ssv2: 288, imnet: 500 }, temperature: 1 }).map((a) => `${a.id} ${a.steps}`)
 * // ['seed0/pretrain 100', 'seed0/single_k400 100', 'seed0/single_ssv2 100', 'seed0/videos 100', 'seed0/cover 100',
 * //  'seed0/single_k400_to_ssv2 50', 'seed0/single_ssv2_to_ssv2 50', 'seed0/cover_to_ssv2 50']
 */
export function planArms(s: StudySpec, data: PlanData): Arm[] {
  checkSpec(s);
  const arms: Arm[] = [];
  const steps = (datasets: string[]) => armSteps(s.budget, s.steps, datasets, data).steps;
  for (const seed of s.seeds) {
    const dir = `seed${seed}`;
    let start: { from: string } | object = {};
    if (s.start === 'pretrain') {
      const id = `${dir}/pretrain`;
      arms.push({ id, seed, kind: 'pretrain', label: `${s.images.join('+')} (pretraining)`, datasets: [...s.images], steps: s.pretrainSteps ?? s.steps });
      start = { from: id };
    }
    for (const d of s.videos) arms.push({ id: `${dir}/single_${d}`, seed, kind: 'single', label: d, datasets: [d], steps: steps([d]), ...start });
    arms.push({ id: `${dir}/videos`, seed, kind: 'videos', label: s.videos.join('+'), datasets: [...s.videos], steps: steps(s.videos), ...start });
    const all = [...s.videos, ...s.images];
    arms.push({ id: `${dir}/cover`, seed, kind: 'cover', label: COVER_LABEL, datasets: all, steps: steps(all), ...start });
    for (const b of s.transferTo) {
      for (const a of s.videos) {
        arms.push({ id: `${dir}/single_${a}_to_${b}`, seed, kind: 'transfer', label: `${a} → ${b}`, datasets: [b], steps: s.finetuneSteps, from: `${dir}/single_${a}`, source: a, target: b });
      }
      arms.push({ id: `${dir}/cover_to_${b}`, seed, kind: 'transfer', label: `${COVER_LABEL} → ${b}`, datasets: [b], steps: s.finetuneSteps, from: `${dir}/cover`, source: 'cover', target: b });
    }
  }
  return arms;
}

/**
 * Where the arms start, in words, for the header and the report.
 * @example describeStart({ start: 'pretrain', pretrainSteps: 300, images: ['imnet'] })
 * // 'image pretraining: `cover pretrain` on imnet for 300 steps (cover\'s choice: ...), once per seed; every arm of the seed starts from it'
 */
export function describeStart(s: Pick<StudySpec, 'start' | 'pretrainSteps' | 'images'>, init?: string): string {
  switch (s.start) {
    case 'pretrain':
      return `image pretraining: \`cover pretrain\` on ${s.images.join('+')} for ${s.pretrainSteps} steps (cover's choice: the budget of a single arm, --pretrain-steps to change it), once per seed; every arm of the seed starts from it`;
    case 'init':
      return `the weights given with --init (${init ?? '?'}), the same for every arm of every seed`;
    case 'scratch':
      return 'random weights (--from-scratch): one initialisation per seed, shared by every arm of it; no image pretraining';
  }
}
