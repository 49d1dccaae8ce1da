// Shared options of cover's commands: the compute backend, its threads and accelerator, machine-readable output, and
// going on with non-finite weights.

import { Command, Option } from 'commander';
import { RUN_DEFAULTS, RUN_LIMITS } from '../run/run_config';
import { AUTO_ORDER, BackendRequest, BackendRequestOptions, DEVICES, PRECISIONS, TorchDevice, TorchPrecision } from '../engine/backend';
import type { AccelMode } from '../engine/accel/accel';
import { DECODE_DEVICES } from '../data/decode/video/av_addon';
import { intArg, MAX_THREADS, numArg } from './parse';
import { NonFiniteReport, describeNonFinite } from '../checkpoint/finite';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'torch', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export function backendOption(): Option {
  return new Option('--backend <name>', `compute backend (auto = the first of ${AUTO_ORDER.join(', ')} that starts)`)
    .choices(BACKEND_CHOICES as unknown as string[])
    .env('COVER_BACKEND')
    .default('auto');
}

export function threadsOption(): Option {
  return new Option('--threads <n>', "wasm threads in Node (opt-in; 1 = the stock single-threaded wasm), or libtorch's CPU threads on torch")
    .env('COVER_THREADS')
    .argParser(intArg('--threads', { min: 1, max: MAX_THREADS }));
}

/** No default: given with a backend other than torch it is a usage error (initBackend), so unset must mean unset. */
export function deviceOption(): Option {
  return new Option('--device <device>', 'torch backend only: where it computes (default auto = cuda when this libtorch has it and sees a GPU, else cpu)')
    .choices(DEVICES as unknown as string[])
    .env('COVER_DEVICE');
}

export function precisionOption(): Option {
  return new Option('--precision <p>', 'torch backend only: matmul precision (default fp32 on cpu, tf32 on GPUs that have it; bf16 keeps float32 weights)')
    .choices(PRECISIONS as unknown as string[])
    .env('COVER_PRECISION');
}

export function accelOption(): Option {
  return new Option('--accel <mode>', 'native CPU accelerator on the wasm backend (auto = use it when built; see cover doctor)')
    .choices(['auto', 'native', 'off'])
    .env('COVER_ACCEL')
    .default('auto');
}

/** Applied to the decoder before the command runs (cli/index.ts), for every command that has it. */
export function decodeDeviceOption(): Option {
  return new Option('--decode-device <device>', 'where videos decode: cpu, or cuda (NVDEC on an NVIDIA GPU; needs the in-process decoder)')
    .choices(DECODE_DEVICES as unknown as string[])
    .env('COVER_DECODE_DEVICE')
    .default('cpu');
}

/** --backend, --threads, --accel, --device, --precision and --decode-device: how a command that runs the model computes. */
export function addEngineOptions(cmd: Command): Command {
  return cmd
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(accelOption())
    .addOption(deviceOption())
    .addOption(precisionOption())
    .addOption(decodeDeviceOption());
}

/** The engine options as parsed by commander. */
export interface EngineOptions {
  backend: BackendRequest;
  threads?: number;
  accel: AccelMode;
  device?: TorchDevice;
  precision?: TorchPrecision;
}

/** What initBackend takes, from a command's parsed options. */
export function engineRequest(o: EngineOptions): BackendRequestOptions {
  return { backend: o.backend, threads: o.threads, accel: o.accel, device: o.device, precision: o.precision };
}

/** `--memory-cache`: no default of its own, so that a training run's comes from RUN_DEFAULTS like every setting's. */
export function memoryCacheOption(): Option {
  return new Option('--memory-cache <MiB>', `hold whole decoded videos in memory when a dataset fits in a quarter of this (0 = off; default ${RUN_DEFAULTS.memoryCache})`)
    .argParser(numArg('--memory-cache', { min: 0, max: RUN_LIMITS.maxMemoryCacheMiB, note: '0 = off' }));
}

export function jsonOption(): Option {
  return new Option('--json', 'print one JSON object instead of tables');
}

/** `--quiet` of the commands that run long: no progress and no log lines, only the results and errors. */
export function quietOption(): Option {
  return new Option('--quiet', 'no progress and no log lines: only the results and errors').conflicts('verbose');
}

/** `--verbose`: a progress line at every step or item, also in a pipe. */
export function verboseOption(): Option {
  return new Option('--verbose', 'a progress line at every step or item, also in a pipe');
}



/** eval, predict and export refuse weights holding NaN or Inf; this goes on, after saying which on stderr. */
export function allowNonFiniteOption(): Option {
  return new Option('--allow-nonfinite', 'go on when the weights hold NaN or Inf (named once on stderr) instead of refusing them');
}

/** The one stderr line of a run that --allow-nonfinite let go on. */
export function warnNonFinite(r: NonFiniteReport | undefined): void {
  if (r) process.stderr.write(`cover: warning: ${r.file}: ${describeNonFinite(r)}; going on (--allow-nonfinite)\n`);
}
