// What `cover study` is asked, resolved to the spec its plan runs: the defaults live here, not in the command.
import { QUICK, quickSettings, STUDY_STEPS, studySpec } from '../../src/study/request';

const request = { videos: ['k400', 'ssv2', 'mit'], images: ['imnet'], seeds: 3, firstSeed: 5, budget: 'steps' as const };

test('defaults: the paper targets among the videos, seeds counted up from --seed, fine-tuning half the steps', () => {
  expect(studySpec(request)).toEqual({
    videos: ['k400', 'ssv2', 'mit'],
    images: ['imnet'],
    transferTo: ['ssv2', 'k400'],
    seeds: [5, 6, 7],
    steps: STUDY_STEPS,
    finetuneSteps: STUDY_STEPS / 2,
    budget: 'steps',
  });
});

test('the paper targets are kept only where named among the videos; none and explicit targets are kept as given', () => {
  expect(studySpec({ ...request, videos: ['k400', 'mit'] }).transferTo).toEqual(['k400']);
  expect(studySpec({ ...request, videos: ['mit', 'hmdb'] }).transferTo).toEqual([]);
  expect(studySpec({ ...request, transferTo: [] }).transferTo).toEqual([]);
  expect(studySpec({ ...request, transferTo: ['mit'] }).transferTo).toEqual(['mit']);
});

test('given steps set the fine-tuning to half of them (at least 1) unless fine-tuning steps are given', () => {
  expect(studySpec({ ...request, steps: 9 })).toMatchObject({ steps: 9, finetuneSteps: 5 });
  expect(studySpec({ ...request, steps: 1 })).toMatchObject({ steps: 1, finetuneSteps: 1 });
  expect(studySpec({ ...request, steps: 9, finetuneSteps: 7 })).toMatchObject({ steps: 9, finetuneSteps: 7 });
});

test('--quick fills only what the command line did not set', () => {
  expect(quickSettings(() => false)).toEqual({ seeds: QUICK.seeds, steps: QUICK.steps, preset: 'tiny', demo: 'tiny', batchSize: QUICK.batchSize });
  expect(quickSettings((n) => n === 'preset' || n === 'seeds')).toEqual({ steps: QUICK.steps, demo: 'tiny', batchSize: QUICK.batchSize });
});
