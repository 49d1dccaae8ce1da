// cover's library API: what the CLI calls, for use from TypeScript or JavaScript.
//
// @example
// import { train } from '@cover-video/cover';
// const { result } = await train({ kind: 'cotrain', datasets: ['k400', 'imnet'], demo: { size: 'tiny' }, settings: { preset: 'tiny', steps: 20 } });
//
// @example
// import { initBackend, TimeSformer, getPreset } from '@cover-video/cover';
// await initBackend({ backend: 'auto' });
// const model = new TimeSformer(getPreset('tiny'), [{ name: 'k400', numClasses: 3, labels: ['a', 'b', 'c'] }]);

export * from './errors';
export type { ModelConfig, AttentionType } from './config/model_config';
export { modelConfigFromJson, modelConfigToJson, validateModelConfig } from './config/model_config';
export { getPreset, PRESETS, PRESET_NAMES } from './config/presets';
export type { PresetName } from './config/presets';
export { TimeSformer } from './model/timesformer';
export type { HeadInfo } from './model/heads';
export { backboneParamSpecs, headParamSpecs, modelParamCount } from './model/param_spec';
export type { ParamSpec } from './model/param_spec';
export { forwardFlops, trainStepFlops } from './model/flops';
export { evalContext, trainContext } from './model/context';
export { initBackend, describeBackends } from './engine/backend';
export type { BackendInfo } from './engine/backend';
export { runDoctor } from './engine/doctor';
export { saveCheckpoint, loadCheckpoint } from './checkpoint/checkpoint';
export { loadModel } from './checkpoint/load_model';
export { importWeights } from './checkpoint/import';
export { exportCheckpoint } from './export/export';
export type { ExportOptions, ExportResult } from './export/export';
export { readSafetensors, writeSafetensors } from './checkpoint/safetensors';
export { runParity } from './tools/parity';
export { openDataset } from './data/datasets/registry';
export { checkDataset } from './data/check/check';
export { generateDemoSuite, demoSuitePaths } from './demo/suite';
export { createLoader } from './data/feed/loader';
export { loadSample, loadSampleViews } from './data/decode/sample_decode';
export { Feed } from './data/feed/feed';
export type { Shard } from './data/feed/shard';
export { probeVideo } from './data/decode/video/probe';
export { decodeClip } from './data/decode/video/decode';
export { decodeImage } from './data/decode/image/decode';
export * from './data/types';
export { trainStep, accumulateGradients } from './train/train_step';
export type { HeadBatch } from './train/train_step';
export { Optimizer, DEFAULT_OPTIMIZER } from './train/optimizer';
export { lrAt } from './run/lr_schedule';
export { MixSampler } from './data/feed/mix_sampler';
export { train } from './session/train';
export type { TrainRequest, TrainOutcome, TrainSessionHooks, RunHeader } from './session/train';
export { runTraining } from './train/trainer';
export type { TrainResult, StepProgress } from './train/trainer';
export type { RunConfig, RunSettings } from './run/run_config';
export { resolveRunConfig, describeRecipe, RECIPE_NAMES } from './train/recipes';
export type { RecipeName } from './train/recipes';
export { resolveRunDatasets } from './run/run_datasets';
export { runTransfer } from './train/transfer';
export { transfer } from './session/transfer';
export type { TransferRequest, TransferOutcome } from './session/transfer';
export { study } from './session/study';
export type { StudySessionRequest, StudyHeader } from './session/study';
export { evaluateHead } from './eval/evaluate';
export { evaluateCheckpoint } from './eval/eval_checkpoint';
export { baselinesFor, BASELINE_TABLES, sourceNote } from './eval/baselines';
export type { BaselineTable, PublishedRow, Source } from './eval/baselines';
export { evalFacts, runEvalFacts, transferFacts } from './eval/facts';
export { predictVideo, predictWithCheckpoint } from './predict/predict';
export { renderReport } from './report/html_report';
export { writeRunReport } from './report/run_report';
