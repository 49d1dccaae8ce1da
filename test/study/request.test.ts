// What `cover study` is asked, resolved to the spec its plan runs: the defaults live here, not in the command.
import { UsageError } from '../../src/errors';
import { QUICK, quickSettings, STUDY_STEPS, StudyRequest, studySpec } from '../../src/study/request';

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
    start: 'pretrain',
    pretrainSteps: STUDY_STEPS,
  });
});

test('the start: pretraining by default (its steps those of a single arm unless given), --init, --from-scratch', () => {
  expect(studySpec({ ...request, steps: 40 })).toMatchObject({ start: 'pretrain', pretrainSteps: 40 });
  expect(studySpec({ ...request, steps: 40, pretrainSteps: 7 })).toMatchObject({ start: 'pretrain', pretrainSteps: 7 });
  const init = studySpec({ ...request, init: 'runs/pretrain/checkpoint' });
  expect(init.start).toBe('init');
  expect(init).not.toHaveProperty('pretrainSteps');
  expect(studySpec({ ...request, fromScratch: true })).toMatchObject({ start: 'scratch' });
  const refusal = (r: StudyRequest) => {
    try {
      studySpec(r);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as UsageError).oneLine();
    }
    return 'no error';
  };
  expect(refusal({ ...request, fromScratch: true, init: 'x' })).toBe(
    '--from-scratch and --init cannot be used together (fix: give --init CKPT to start every arm from those weights, or --from-scratch for random weights)',
  );
  expect(refusal({ ...request, fromScratch: true, pretrainSteps: 5 })).toMatch(/^--pretrain-steps is not used with --from-scratch: there is no pretraining stage/);
  expect(refusal({ ...request, init: 'x', pretrainSteps: 5 })).toMatch(/^--pretrain-steps is not used with --init/);
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
