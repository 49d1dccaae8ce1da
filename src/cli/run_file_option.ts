// `--config FILE` and `--print-config` of the training commands. A run file's keys (src/run/run_file.ts) are applied
// as options of the command, before its action and its own checks, through each option's own parser, so a value in a
// file is held to what the option holds it to and named with the file; an option given on the command line wins.
// `--print-config` prints the run the options resolve to (recipe applied), as a run file `--config` reads back.

import { Command, Option } from 'commander';
import { ConfigError } from '../errors';
import { RunKind, RunSettings } from '../run/run_config';
import { readRunFile, runFileText, runFileValues } from '../run/run_file';
import { RecipeName, resolveRunConfig } from '../train/recipes';

/** Options a run file does not set: how this invocation runs, not what the run is. */
const NOT_IN_FILES = new Set(['config', 'print-config', 'resume', 'overwrite', 'json', 'quiet', 'verbose', 'nproc', 'quick']);

export function addRunFileOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', "read options from a run file (YAML or JSON, each key an option's name) or a run's checkpoint folder; options given on the command line win")
    .option('--print-config', 'print the run these options resolve to as a run file (for --config) and stop')
    .hook('preAction', (c) => applyRunFile(c));
}

/** Sets every option the run file names that the command line did not give. */
function applyRunFile(cmd: Command): void {
  const file = (cmd.opts() as { config?: string }).config;
  if (!file) return;
  const values = readRunFile(file);
  for (const [key, value] of Object.entries(values)) {
    const opt = NOT_IN_FILES.has(key) ? undefined : cmd.options.find((o) => o.long === `--${key}`);
    if (!opt) {
      const near = cmd.options.find((o) => o.attributeName() === key || o.long === `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      throw new ConfigError(`'${key}' is not an option cover ${cmd.name()} takes from a run file`, {
        path: file,
        suggestion: near && !NOT_IN_FILES.has(near.long!.slice(2)) ? `write it ${near.long!.slice(2)}` : `use the option names of cover ${cmd.name()} --help, without the dashes`,
      });
    }
    const name = opt.attributeName();
    if (cmd.getOptionValueSource(name) === 'cli') continue; // the command line wins
    cmd.setOptionValueWithSource(name, parseValue(opt, key, value, file), 'config');
  }
}

/** A run file's value through the option's own parser (and choices), as the command line's would go. */
function parseValue(opt: Option, key: string, value: unknown, file: string): unknown {
  const bad = (problem: string, fix: string): never => {
    throw new ConfigError(`${key}: ${problem}`, { path: file, suggestion: fix });
  };
  if (!opt.required && !opt.optional) {
    if (typeof value !== 'boolean') bad(`takes true or false, got ${JSON.stringify(value)}`, `write ${key}: true or ${key}: false`);
    return opt.negate ? !value : value;
  }
  const repeatable = Array.isArray(opt.defaultValue);
  const items = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && !repeatable) bad('takes one value, got a list', `write ${key}: VALUE`);
  let parsed: unknown = repeatable ? [] : undefined;
  for (const item of items) {
    if (item === null || typeof item === 'object') bad(`takes ${repeatable ? 'a list of values' : 'a value'}, got ${JSON.stringify(item)}`, `write ${key}: VALUE`);
    const text = String(item);
    if (opt.argChoices && !opt.argChoices.includes(text)) bad(`takes one of ${opt.argChoices.join(', ')}, got '${text}'`, `write one of ${opt.argChoices.join(', ')}`);
    try {
      parsed = opt.parseArg ? opt.parseArg(text, parsed as never) : text;
    } catch (err) {
      // The option's parser says what it takes: `--lr takes a number ..., got 'x' (fix: ...)`.
      const [problem, fix] = (err as Error).message.replace(/^--[\w-]+ /, '').split(' (fix: ');
      bad(problem, fix ? fix.replace(/\)$/, '') : `see cover --help for ${opt.long}`);
    }
  }
  return parsed;
}

/**
 * `--print-config`: writes the run the options resolve to as a run file and returns true (the action then stops).
 * `datasets` are the names the command was given; the command's own options that are set come along.
 */
export function printRunFile(cmd: Command, kind: RunKind, settings: Partial<RunSettings>, datasets: string[]): boolean {
  const o = cmd.opts() as { printConfig?: boolean; recipe?: RecipeName; data: string[] };
  if (!o.printConfig) return false;
  const cfg = resolveRunConfig({ kind, datasets: datasets.map((name) => ({ name, spec: name })), data: {}, out: '', recipe: o.recipe, settings });
  const values = runFileValues(cfg);
  if (o.data.length > 0) values.data = o.data;
  for (const opt of cmd.options) {
    const key = opt.long!.slice(2);
    const name = opt.attributeName();
    const source = cmd.getOptionValueSource(name);
    if (NOT_IN_FILES.has(key) || key in values || (source !== 'cli' && source !== 'config') || opt.negate) continue;
    const v = (o as Record<string, unknown>)[name];
    if (v !== undefined) values[key] = v;
  }
  process.stdout.write(runFileText(values, cmd.name()));
  return true;
}
