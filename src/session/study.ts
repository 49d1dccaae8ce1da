// `study()`: `cover study` as one library call. The request is the study's (request.ts: datasets, seeds, budget) plus
// the training settings every arm shares, exactly as train() takes them; this resolves them into the arms' base run
// config, checks the plan before the backend starts, chooses and starts the backend, says what it will run (as data),
// and runs the study (study.ts). The CLI maps options onto the request and renders the result.

import { initBackend } from '../engine/backend';
import { backendForTraining } from '../train/auto_backend';
import { resolveRunConfig } from '../train/recipes';
import { TrainHooks } from '../train/trainer';
import { checkSpec, describeStart, StudySpec } from '../study/plan';
import { STUDY_OUT, STUDY_STEPS, StudyRequest, studySpec } from '../study/request';
import { runStudy, StudyRunResult } from '../study/study';
import { SessionRequest } from './request';

/** A study: its datasets, seeds, budget and start (request.ts), and the settings every arm shares (steps: a single arm's;
 * seed: the first seed; init: the weights every arm starts from, instead of a pretraining stage). Default `out`: runs/study. */
export interface StudySessionRequest extends Omit<StudyRequest, 'firstSeed' | 'steps' | 'init'>, SessionRequest {}

/** What a study will run, once its plan is checked and its backend started. */
export interface StudyHeader {
  spec: StudySpec;
  /** Where the arms start (pretraining, --init, scratch), in words. */
  start: string;
  preset: string;
  backend: string;
  accel: { active: boolean; reason: string };
  out: string;
}

export async function study(req: StudySessionRequest, hooks: TrainHooks & { header?: (h: StudyHeader) => void } = {}): Promise<StudyRunResult> {
  const steps = req.settings?.steps ?? STUDY_STEPS;
  const out = req.out ?? STUDY_OUT;
  // Every training setting, the recipe included, reaches each arm through the same run config.
  const base = resolveRunConfig({ kind: 'cotrain', datasets: [], data: req.data ?? {}, out, recipe: req.recipe, settings: { ...req.settings, steps } });
  const init = req.settings?.init;
  const spec = studySpec({ ...req, init, firstSeed: base.seed, steps });
  checkSpec(spec); // before the backend starts
  // Each seed's pretraining stage: a `cover pretrain` run of the same recipe and settings, for its own steps.
  const pretrainBase =
    spec.start === 'pretrain'
      ? resolveRunConfig({ kind: 'pretrain', datasets: [], data: req.data ?? {}, out, recipe: req.recipe, settings: { ...req.settings, steps: spec.pretrainSteps, init: undefined } })
      : undefined;
  const backend = await initBackend({
    ...req.engine,
    backend: backendForTraining({ ...base, backend: req.engine?.backend ?? 'auto', fromCheckpoint: init !== undefined && !init.endsWith('.safetensors') }),
  });
  hooks.header?.({ spec, start: describeStart(spec, init), preset: base.preset, backend: backend.name, accel: { active: backend.accel.active, reason: backend.accel.reason }, out });
  return runStudy({ spec, base, pretrainBase, demoDir: req.demo?.dir, demoSize: req.demo?.size ?? 'small', overwrite: req.overwrite }, hooks);
}
