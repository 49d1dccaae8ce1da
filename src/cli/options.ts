// Shared options of cover's commands: the compute backend, its threads and accelerator, and machine-readable output.

import { Option } from 'commander';

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
    .argParser(parsePositiveInt('--threads'));
}

export function accelOption(): Option {
  return new Option('--accel <mode>', 'native CPU accelerator on the wasm backend (auto = use it when built; see cover doctor)')
    .choices(['auto', 'native', 'off'])
    .env('COVER_ACCEL')
    .default('auto');
}

export function jsonOption(): Option {
  return new Option('--json', 'print one JSON object instead of tables');
}

export function parsePositiveInt(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) {
      // commander turns InvalidArgumentError into a one-line usage error.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { InvalidArgumentError } = require('commander') as typeof import('commander');
      throw new InvalidArgumentError(`${flag} takes a whole number of at least 1, got '${v}'`);
    }
    return n;
  };
}
