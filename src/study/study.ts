// `cover study`'s library side: CoVeR's ablation and transfer comparison on any datasets (the demo suite by default).
// Resolves the datasets, plans the arms (plan.ts, budget.ts), claims the study folder (study_dir.ts), runs or picks up
// each arm (run_arm.ts) seed by seed, and after every arm rewrites study.json, study.md and study.html from the
// summary (summary.ts), so a study stopped half-way shows what it has and the same command continues it.

import * as path from 'path';
import { openDataset } from '../data/datasets/registry';
import { DemoSize, SIZE_PRESETS } from '../demo/plan';
import { readDemoMarker } from '../demo/suite';
import { UsageError } from '../errors';
import { RunConfig } from '../run/run_config';
import { resolveRunDatasets } from '../run/run_datasets';
import { TrainHooks } from '../train/trainer';
import { coverVersion } from '../version';
import { armSteps, describeBudget } from './budget';
import { StudySpec, checkSpec, planArms } from './plan';
import { renderStudyHtml } from './render_html';
import { renderStudyMarkdown } from './render_md';
import { runArm } from './run_arm';
import { checkStudyDir, claimStudyDir, folderClips, STUDY_GENERATOR, StudyPlan, writeStudyFiles } from './study_dir';
import { ArmRecord, StudyResult, summarize } from './summary';

export interface StudyInput {
  spec: StudySpec;
  /**
   * The run settings every arm shares, as the CLI resolves them for `cover cotrain` (recipe, preset, optimizer, batch,
   * views, --data folders, --init); `out` is the study folder. Each arm sets its own kind, datasets, steps and seed.
   */
  base: RunConfig;
  /**
   * The settings of each seed's pretraining stage (spec.start `pretrain`), as the CLI resolves them for `cover pretrain`
   * (its recipe's lr, temporal weights frozen); default: `base` as a pretraining run.
   */
  pretrainBase?: RunConfig;
  /** Demo suite used when `base.data` names no folder: its folder (default `.cover/demo/<size>`) and size. */
  demoDir?: string;
  demoSize?: DemoSize;
  /** Replace another study in the folder. */
  overwrite?: boolean;
}

export interface StudyRunResult extends StudyResult {
  /** Stopped (Ctrl-C) before every arm finished; the same command continues it. */
  interrupted: boolean;
  /** Where the three files are. */
  files: { json: string; md: string; html: string };
}

const ARM_MARK: Record<ArmRecord['kind'], string> = { pretrain: '', single: '(a) ', videos: '(b) ', cover: '(c) ', transfer: '' };

/** Settings that change what an arm computes (so they are part of the plan); the rest only change how fast or how often. */
function planConfig(base: RunConfig): Record<string, unknown> {
  const { out: _o, datasets: _d, kind: _k, seed: _s, steps: _st, concurrency: _c, cacheDir: _cd, memoryCache: _m, evalEvery: _e, evalSamples: _es, checkpointEvery: _ce, ...rest } = base;
  return rest;
}

/** A demo suite written by an earlier cover with fewer val clips than the study's size now has cannot answer: refuse it. */
async function checkDemoValSizes(root: string): Promise<void> {
  const marker = await readDemoMarker(root);
  if (!marker) return;
  const p = SIZE_PRESETS[marker.size];
  for (const d of marker.datasets) {
    const want = (d.kind === 'image' ? p.imageVal : p.val) * d.classes.length;
    if (d.val < want) {
      throw new UsageError(`holds the ${marker.size} demo suite of an earlier cover, with ${d.val} val clips for ${d.name} where this one has ${want}; a study needs them to tell its arms apart`, {
        path: root,
        suggestion: 'move it away (it is generated again), or give --demo-dir a new folder',
      });
    }
  }
}

export async function runStudy(input: StudyInput, hooks: TrainHooks = {}): Promise<StudyRunResult> {
  const t0 = Date.now();
  const log = hooks.log ?? (() => {});
  const { spec, base } = input;
  const root = base.out;
  checkSpec(spec);
  checkStudyDir(root); // a folder that is not a study's is refused before the demo suite is generated or data is read
  const names = [...spec.videos, ...spec.images];
  const resolved = await resolveRunDatasets(names, base.data, { demoDir: input.demoDir, demoSize: input.demoSize, log });
  if (resolved.demo) await checkDemoValSizes(resolved.demo);
  const datasets = new Map(resolved.datasets.map((d) => [d.name, d]));
  const shared: RunConfig = { ...base, data: resolved.data };
  const pretrainBase: RunConfig = { ...(input.pretrainBase ?? { ...base, kind: 'pretrain', freezeTemporal: true }), data: resolved.data };

  // Each dataset's labelled training clips, for the budget's shares (the trainer mixes batches by the same sizes).
  const trainSizes: Record<string, number> = {};
  for (const d of resolved.datasets) {
    const index = await openDataset(d.spec, { split: 'train', data: resolved.data, name: d.name });
    trainSizes[d.name] = index.samples.filter((s) => s.label >= 0).length;
  }
  const planData = { trainSizes, temperature: base.temperature };
  const arms = planArms(spec, planData);
  const plan: StudyPlan = {
    spec,
    config: planConfig(shared),
    datasets: resolved.datasets,
    arms: arms.map((a) => ({ id: a.id, steps: a.steps, datasets: a.datasets, from: a.from })),
  };
  const claim = claimStudyDir(root, plan, { overwrite: input.overwrite, log });
  if (claim === 'continue') log(`continuing the study in ${root}: finished arms are reused, a stopped one resumes`);

  const records: ArmRecord[] = arms.map((a) => {
    const { shares } = armSteps(spec.budget, a.steps, a.datasets, planData);
    return { ...a, ownClips: Object.fromEntries(a.datasets.map((d) => [d, a.steps * base.batchSize * shares[d]])), status: 'pending' };
  });
  const clips = folderClips(root); // each finished arm's verdict on every val clip, for the paired tests
  const files = { json: path.join(root, 'study.json'), md: path.join(root, 'study.md'), html: path.join(root, 'study.html') };
  const result = (): StudyRunResult => {
    const r: StudyResult = {
      generator: STUDY_GENERATOR,
      version: coverVersion(),
      complete: records.every((a) => a.status !== 'pending'),
      spec,
      budget: { kind: spec.budget, description: describeBudget(spec.budget, spec.steps, base.batchSize) },
      config: planConfig(shared),
      ...(resolved.demo ? { demo: { root: resolved.demo, size: input.demoSize ?? 'small' } } : {}),
      arms: records,
      summary: summarize(spec, records, clips),
      seconds: (Date.now() - t0) / 1000,
    };
    return { ...r, interrupted: false, files };
  };
  const save = () => {
    const r = result();
    const { interrupted: _i, files: _f, ...json } = r;
    writeStudyFiles(root, { json: `${JSON.stringify({ ...json, plan }, null, 2)}\n`, md: renderStudyMarkdown(r), html: renderStudyHtml(r) });
  };
  save();

  for (const [i, arm] of records.entries()) {
    if (hooks.signal?.aborted) return { ...result(), interrupted: true };
    log(`\n== [${i + 1}/${records.length}] seed ${arm.seed}: ${ARM_MARK[arm.kind]}${arm.label}, ${arm.steps} steps${arm.from && arm.kind !== 'transfer' ? ` from ${arm.from}` : ''} (${path.join(root, arm.id)})`);
    const outcome = await runArm(arm, { root, base: shared, pretrainBase, datasets }, hooks);
    if (outcome.interrupted) {
      save();
      return { ...result(), interrupted: true };
    }
    Object.assign(arm, { status: outcome.status, evals: outcome.evals, seconds: outcome.seconds });
    log(`  ${outcome.status === 'reused' ? 'finished earlier, reused: ' : ''}${Object.entries(outcome.evals).map(([h, e]) => `${h} top-1 ${(100 * e.top1).toFixed(1)}% (n=${e.n})`).join(', ')}`);
    save();
  }
  return result();
}
