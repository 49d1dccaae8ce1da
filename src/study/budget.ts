// The budget of a study's arms, in one of two ways (issue 12, item 5):
//   steps: every arm takes the same optimizer steps N. A co-trained head then sees fewer of its own clips: with batches
//          mixed p_k ∝ size_k^(1/t) (data/feed/mix_sampler.ts), dataset k gets about N × batch × p_k of them.
//   clips: every dataset sees, in expectation, at least the N × batch clips of its own data that its single-dataset arm
//          sees, so a co-trained arm takes N / min_k p_k steps (the dataset with the smallest share sets it; the others
//          then see more than their single arm). Co-training costs more steps.
// Fine-tuning (the transfer arms) takes the same steps whichever budget: every start is fine-tuned the same way.

import { mixProbabilities } from '../data/feed/mix_sampler';

export type Budget = 'steps' | 'clips';
export const BUDGETS: readonly Budget[] = ['steps', 'clips'];

export interface ArmBudget {
  steps: number;
  /** Each dataset's share of a batch (p_k). */
  shares: Record<string, number>;
}

/**
 * The steps of an arm training `datasets` under `budget`, with N = `steps` for a single dataset.
 * @example
 * armSteps('clips', 100, ['k400', 'imnet'], { trainSizes: { k400: 240, imnet: 500 }, temperature: 1 })
 * // { steps: 309, shares: { k400: 0.3243, imnet: 0.6757 } }   (100 / (240 / 740), rounded up)
 */
export function armSteps(budget: Budget, steps: number, datasets: string[], data: { trainSizes: Record<string, number>; temperature: number }): ArmBudget {
  const p = mixProbabilities(
    datasets.map((name) => ({ name, size: data.trainSizes[name] ?? 0 })),
    data.temperature,
  );
  const shares = Object.fromEntries(datasets.map((d, i) => [d, p[i]]));
  if (budget === 'steps' || datasets.length === 1) return { steps, shares };
  // 1e-9: a share like 1/3 times 3N must not round up to 3N + 1 steps.
  return { steps: Math.ceil(steps / Math.min(...p) - 1e-9), shares };
}

/** `equal optimizer steps (N a arm): ...` — what a report says of the budget it used. */
export function describeBudget(budget: Budget, steps: number, batchSize: number): string {
  return budget === 'steps'
    ? `equal optimizer steps: every arm takes ${steps} steps of ${batchSize} clips, so a co-trained head sees fewer of its own clips than its single-dataset arm`
    : `equal clips of each dataset's own data: a single-dataset arm takes ${steps} steps of ${batchSize} clips, a co-trained arm as many more as it needs for each dataset to see at least ${steps * batchSize} of its own clips (in expectation)`;
}
