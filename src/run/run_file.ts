// Run files: a training run's options kept in a file, as OpenMMLab and OTX users keep theirs. A run file is YAML or
// JSON whose keys are the command's option names (`batch-size: 8`, `datasets: k400,ssv2`, `data: [k400=/data/k400]`),
// or a run's checkpoint folder, whose saved run settings become such a file (re-run a run). The CLI applies the keys
// as if they were options given before the command line's own, which win (src/cli/run_file_option.ts); `--print-config`
// writes the resolved run in the same form, so that a printed file reads back.

import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { CONFIG_FILE, readCheckpointConfig } from '../checkpoint/checkpoint';
import { ConfigError, fileError } from '../errors';
import { RUN_FLAGS, RunConfig, RunSettings, savedRunConfig } from './run_config';

/** A run file's keys and values, as read (option name without its dashes -> value). */
export type RunFileValues = Record<string, unknown>;

/** Largest run file read: a few hundred options' worth; anything bigger is not a run file. */
const MAX_BYTES = 1 << 20;

/**
 * Reads a run file: `.yaml`/`.yml`/`.json`, or a checkpoint folder (its run's settings).
 *
 * @example
 * readRunFile('runs/base.yaml') // { preset: 'base', 'batch-size': 64, datasets: 'k400,ssv2', data: ['k400=/data/k400'] }
 */
export function readRunFile(file: string): RunFileValues {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw fileError(err, file, 'read the run file');
  }
  if (st.isDirectory()) return runFileOfCheckpoint(file);
  if (st.size > MAX_BYTES) throw new ConfigError(`is ${st.size} bytes, more than a run file holds (at most ${MAX_BYTES})`, { path: file, suggestion: 'give a YAML or JSON file of options' });
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, 'read the run file');
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    const what = /\.json$/i.test(file) ? 'JSON' : 'YAML';
    throw new ConfigError(`is not valid ${what}: ${(err as Error).message.split('\n')[0]}`, { path: file, suggestion: `fix the ${what}, or print a valid one with --print-config` });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('is not a map of options (`batch-size: 8` a line)', { path: file, suggestion: 'write one option a line, its name without the dashes; --print-config prints one' });
  }
  return doc as RunFileValues;
}

/** The run file of a checkpoint's saved run: its settings, datasets, data and recipe under their option names. */
function runFileOfCheckpoint(dir: string): RunFileValues {
  if (!fs.existsSync(path.join(dir, CONFIG_FILE))) {
    throw new ConfigError('is a folder but not a checkpoint', { path: dir, suggestion: 'give a YAML or JSON run file, or a run\'s checkpoint folder (RUN/checkpoint)' });
  }
  const stored = (readCheckpointConfig(dir).extra as { run?: { config?: RunConfig } } | undefined)?.run?.config;
  if (!stored) throw new ConfigError('holds no run settings (it was not written by a training run)', { path: dir, suggestion: 'give the checkpoint of a training run, or a YAML or JSON run file' });
  return runFileValues(savedRunConfig(stored));
}

/** A resolved run as run-file values: every setting, the datasets, the data and the recipe. */
export function runFileValues(cfg: RunConfig): RunFileValues {
  const out: RunFileValues = {};
  if (cfg.recipe) out.recipe = cfg.recipe;
  if (cfg.datasets.length > 0) out.datasets = cfg.datasets.map((d) => d.name).join(',');
  // Where each dataset was read from, so that a re-run reads the same files (a demo suite's folder included).
  const data = Object.entries(cfg.data ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const d of cfg.datasets) if (d.spec !== d.name && !(d.name in (cfg.data ?? {}))) data.push(`${d.name}=${d.spec}`);
  if (data.length > 0) out.data = data;
  for (const key of Object.keys(RUN_FLAGS) as (keyof RunSettings)[]) {
    const v = cfg[key];
    if (v === undefined) continue;
    out[RUN_FLAGS[key].slice(2)] = key === 'fixedCounts' ? Object.entries(v as Record<string, number>).map(([k, n]) => `${k}=${n}`).join(',') : v;
  }
  return out;
}

/** A run file's text: YAML with a header naming what it is and how to use it. */
export function runFileText(values: RunFileValues, command: string): string {
  return `# cover ${command} run file: cover ${command} --config THIS_FILE (options on the command line win)\n${YAML.stringify(values)}`;
}
