// Shared options of cover's commands: the compute backend, its threads and accelerator, and machine-readable output.

import { Command, Option } from 'commander';
import { RUN_LIMITS } from '../train/run_config';
import { intArg, MAX_THREADS, numArg } from './parse';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export function backendOption(): Option {
  return new Option('--backend <name>', 'compute backend (auto = tfjs-node-gpu, tfjs-node, wasm, cpu: the best present)')
    .choices(BACKEND_CHOICES as unknown as string[])
    .env('COVER_BACKEND')
    .default('auto');
}

export function threadsOption(): Option {
  return new Option('--threads <n>', 'wasm threads in Node (opt-in; 1 = the stock single-threaded wasm)')
    .env('COVER_THREADS')
    .argParser(intArg('--threads', { min: 1, max: MAX_THREADS }));
}

export function accelOption(): Option {
  return new Option('--accel <mode>', 'native CPU accelerator on the wasm backend (auto = use it when built; see cover doctor)')
    .choices(['auto', 'native', 'off'])
    .env('COVER_ACCEL')
    .default('auto');
}

/** --backend, --threads and --accel: how every command that runs the model picks its compute engine. */
export function addEngineOptions(cmd: Command): Command {
  return cmd.addOption(backendOption()).addOption(threadsOption()).addOption(accelOption());
}

export function memoryCacheOption(): Option {
  return new Option('--memory-cache <MiB>', 'hold whole decoded videos in memory when a dataset fits in a quarter of this (0 = off)')
    .argParser(numArg('--memory-cache', { min: 0, max: RUN_LIMITS.maxMemoryCacheMiB, note: '0 = off' }))
    .default(2048);
}

export function jsonOption(): Option {
  return new Option('--json', 'print one JSON object instead of tables');
}
