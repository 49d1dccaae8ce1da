// The plan of a study's arms (which trainings run for which flags: the pretraining stage, one per seed, that every arm of
// the seed starts from; --init; --from-scratch) and its budget, on known dataset sizes.
import { armSteps, describeBudget } from '../../src/study/budget';
import { checkSpec, describeStart, planArms, StudySpec } from '../../src/study/plan';
import { UsageError } from '../../src/errors';

const sizes = { trainSizes: { k400: 240, ssv2: 288, mit: 288, imnet: 500 }, temperature: 1 };
const spec = (over: Partial<StudySpec> = {}): StudySpec => ({
  videos: ['k400', 'ssv2', 'mit'],
  images: ['imnet'],
  transferTo: ['ssv2', 'k400'],
  seeds: [0, 1, 2],
  steps: 300,
  finetuneSteps: 150,
  budget: 'steps',
  start: 'scratch',
  ...over,
});

test('the default study: per seed 3 single arms, the videos, CoVeR, and 4 fine-tunings per target, seed by seed', () => {
  const arms = planArms(spec(), sizes);
  expect(arms).toHaveLength(3 * (3 + 1 + 1 + 2 * 4));
  expect(arms.slice(0, 13).map((a) => `${a.id} ${a.kind} ${a.datasets.join('+')} ${a.steps}${a.from ? ` from ${a.from}` : ''}`)).toEqual([
    'seed0/single_k400 single k400 300',
    'seed0/single_ssv2 single ssv2 300',
    'seed0/single_mit single mit 300',
    'seed0/videos videos k400+ssv2+mit 300',
    'seed0/cover cover k400+ssv2+mit+imnet 300',
    'seed0/single_k400_to_ssv2 transfer ssv2 150 from seed0/single_k400',
    'seed0/single_ssv2_to_ssv2 transfer ssv2 150 from seed0/single_ssv2',
    'seed0/single_mit_to_ssv2 transfer ssv2 150 from seed0/single_mit',
    'seed0/cover_to_ssv2 transfer ssv2 150 from seed0/cover',
    'seed0/single_k400_to_k400 transfer k400 150 from seed0/single_k400',
    'seed0/single_ssv2_to_k400 transfer k400 150 from seed0/single_ssv2',
    'seed0/single_mit_to_k400 transfer k400 150 from seed0/single_mit',
    'seed0/cover_to_k400 transfer k400 150 from seed0/cover',
  ]);
  expect(arms.slice(13).every((a) => a.seed !== 0)).toBe(true);
  expect(new Set(arms.map((a) => a.id)).size).toBe(arms.length);
  // Every transfer arm starts from an arm that runs before it.
  arms.forEach((a, i) => a.from && expect(arms.slice(0, i).map((x) => x.id)).toContain(a.from));
});

test('from pretraining: one pretraining stage per seed, first, and every (a) (b) (c) of the seed starts from it', () => {
  const arms = planArms(spec({ start: 'pretrain', pretrainSteps: 200 }), sizes);
  expect(arms).toHaveLength(3 * (1 + 3 + 1 + 1 + 2 * 4));
  const pretrain = arms.filter((a) => a.kind === 'pretrain');
  expect(pretrain.map((a) => `${a.id} ${a.datasets.join('+')} ${a.steps} ${a.from ?? 'random'}`)).toEqual([
    'seed0/pretrain imnet 200 random',
    'seed1/pretrain imnet 200 random',
    'seed2/pretrain imnet 200 random',
  ]);
  for (const a of arms) {
    if (a.kind === 'single' || a.kind === 'videos' || a.kind === 'cover') expect(a.from).toBe(`seed${a.seed}/pretrain`);
    if (a.from) expect(arms.indexOf(arms.find((x) => x.id === a.from)!)).toBeLessThan(arms.indexOf(a)); // it runs first
  }
  // The transfer arms start from their source arm, as before.
  expect(arms.find((a) => a.id === 'seed1/cover_to_ssv2')!.from).toBe('seed1/cover');
  // Without --pretrain-steps given, the spec takes the steps of a single arm (request.ts); a spec without them, too.
  expect(planArms(spec({ start: 'pretrain', seeds: [0] }), sizes)[0]).toMatchObject({ id: 'seed0/pretrain', steps: 300 });
  expect(describeStart({ start: 'pretrain', pretrainSteps: 200, images: ['imnet'] })).toMatch(/^image pretraining: `cover pretrain` on imnet for 200 steps \(cover's choice/);
});

test('--init and --from-scratch: no pretraining stage, no arm starts from another but the transfers', () => {
  for (const start of ['init', 'scratch'] as const) {
    const arms = planArms(spec({ start }), sizes);
    expect(arms).toHaveLength(3 * (3 + 1 + 1 + 2 * 4));
    expect(arms.filter((a) => a.from).every((a) => a.kind === 'transfer')).toBe(true);
  }
  expect(describeStart({ start: 'init', images: ['imnet'] }, 'vit.safetensors')).toBe('the weights given with --init (vit.safetensors), the same for every arm of every seed');
  expect(describeStart({ start: 'scratch', images: ['imnet'] })).toMatch(/^random weights \(--from-scratch\)/);
});

test('one seed without transfer targets: only the ablation arms', () => {
  expect(planArms(spec({ seeds: [7], transferTo: [] }), sizes).map((a) => a.id)).toEqual([
    'seed7/single_k400',
    'seed7/single_ssv2',
    'seed7/single_mit',
    'seed7/videos',
    'seed7/cover',
  ]);
});

test('--budget clips: co-trained arms take the steps that give the smallest share as many clips as its single arm', () => {
  const arms = planArms(spec({ budget: 'clips', seeds: [0] }), sizes);
  const steps = (id: string) => arms.find((a) => a.id === id)!.steps;
  expect(steps('seed0/single_k400')).toBe(300);
  // videos: k400's share is 240 / 816, so 300 / (240 / 816) = 1020 steps.
  expect(steps('seed0/videos')).toBe(1020);
  // CoVeR: 240 / 1316 -> 1645 steps.
  expect(steps('seed0/cover')).toBe(1645);
  expect(steps('seed0/cover_to_ssv2')).toBe(150);
  // Equal sizes: exactly K x N, never one step more from rounding.
  expect(armSteps('clips', 100, ['a', 'b', 'c'], { trainSizes: { a: 10, b: 10, c: 10 }, temperature: 1 }).steps).toBe(300);
  const b = armSteps('clips', 100, ['k400', 'imnet'], sizes);
  expect(b.steps).toBe(309);
  expect(b.shares.k400).toBeCloseTo(240 / 740, 12);
  expect(armSteps('steps', 100, ['k400', 'imnet'], sizes).steps).toBe(100);
  expect(describeBudget('clips', 300, 8)).toMatch(/at least 2400 of its own clips/);
});

test('a spec that cannot be run is refused with one line', () => {
  const msg = (s: StudySpec) => {
    try {
      checkSpec(s);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as UsageError).oneLine();
    }
    return 'no error';
  };
  expect(msg(spec({ transferTo: ['imnet'] }))).toBe("--transfer-to names 'imnet', which is not in --datasets k400,ssv2,mit (fix: choose targets among k400, ssv2, mit, or add 'imnet' to --datasets)");
  expect(msg(spec({ videos: ['k400'], transferTo: [] }))).toMatch(/^--datasets k400 names 1 video dataset; co-training needs at least 2/);
  expect(msg(spec({ images: ['k400'] }))).toMatch(/^dataset 'k400' is named twice in --datasets and --images/);
  expect(msg(spec())).toBe('no error');
});
