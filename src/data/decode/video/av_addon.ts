// Loading the optional in-process decoder (av/, the `cover-av` package over FFmpeg's libraries): built at `npm ci` when
// the machine has FFmpeg's -dev packages and a compiler; absent otherwise, and then every clip is one ffmpeg process.
// COVER_DECODER=ffmpeg forces the process path (a check, or a broken FFmpeg library), COVER_DECODER=av requires the
// addon (an error when it is missing). The decode pool gets one worker per core (COVER_DECODE_THREADS to change it):
// a clip decodes on one thread, so one clip per core keeps every core busy.

import * as os from 'os';
import type * as AvApi from '../../../../av/index';
import { DecodeError, UsageError } from '../../../errors';

export type AvAddon = typeof AvApi;
export type AvFacts = AvApi.AvFacts;
export type AvInfo = AvApi.AvInfo;

export interface AvLoad {
  addon: AvAddon | null;
  /** Why it is not used (null when it is). */
  error: string | null;
}

let cached: AvLoad | null = null;
let device: DecodeDevice = 'cpu';

/** Where videos decode: the CPU, or an NVIDIA GPU's NVDEC (frames stay there; only the sampled ones come back). */
export type DecodeDevice = 'cpu' | 'cuda';
export const DECODE_DEVICES: readonly DecodeDevice[] = ['cpu', 'cuda'];

/**
 * Decode every video of this process on `d`. 'cuda' is checked at once (the in-process decoder built, this FFmpeg with
 * CUDA, a GPU and driver that open): a UsageError saying which is missing, before any sample could fail for it.
 */
export function setDecodeDevice(d: DecodeDevice): void {
  if (d === 'cuda') {
    const { addon, error } = loadAv();
    if (!addon) throw new UsageError(`--decode-device cuda needs the in-process decoder, which is ${error}`, { suggestion: 'use --decode-device cpu' });
    const problem = addon.cudaProblem();
    if (problem) throw new UsageError(`--decode-device cuda: ${problem}`, { suggestion: 'use --decode-device cpu (the default)' });
  }
  device = d;
}

export function decodeDevice(): DecodeDevice {
  return device;
}

/** The decode pool's size: COVER_DECODE_THREADS, else the cores this process may use. */
export function decodeWorkers(): number {
  const env = process.env.COVER_DECODE_THREADS;
  if (env !== undefined && env !== '') {
    if (!/^[0-9]+$/.test(env) || Number(env) < 1 || Number(env) > 256) {
      throw new UsageError(`COVER_DECODE_THREADS must be a whole number from 1 to 256, got '${env}'`, { suggestion: 'unset it to use every core' });
    }
    return Number(env);
  }
  return Math.max(1, os.availableParallelism());
}

/** Forgets the loaded addon, so the next loadAv reads COVER_DECODER again (tests). */
export function resetAvLoad(): void {
  cached = null;
}

/** Loads the addon once and sizes its pool; never throws for a missing build. `COVER_AV_PATH` points at another build. */
export function loadAv(): AvLoad {
  if (cached) return cached;
  const mode = process.env.COVER_DECODER ?? 'auto';
  if (!['auto', 'av', 'ffmpeg'].includes(mode)) {
    throw new UsageError(`COVER_DECODER must be auto, av or ffmpeg, got '${mode}'`, { suggestion: 'unset it to use the in-process decoder where it is built' });
  }
  if (mode === 'ffmpeg') return (cached = { addon: null, error: 'COVER_DECODER=ffmpeg' });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(process.env.COVER_AV_PATH || 'cover-av') as AvAddon;
    addon.setWorkers(decodeWorkers());
    cached = { addon, error: null };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'MODULE_NOT_FOUND'
        ? "not built (optional; needs FFmpeg's -dev packages, pkg-config, g++ and make when npm installs it)"
        : `failed to load: ${String(e.message).split('\n')[0]}`;
    if (mode === 'av') throw new UsageError(`COVER_DECODER=av but the in-process decoder is ${why}`, { suggestion: 'run npm ci after scripts/setup.sh, or unset COVER_DECODER' });
    cached = { addon: null, error: why };
  }
  return cached;
}

/**
 * `work`, or a DecodeError when it takes longer than timeoutMs (default 30 s) or the signal aborts. A decoder thread
 * cannot be killed as a process can: the late result is dropped, and the worker takes the next clip when it is done.
 */
export function settleWithin<T>(work: Promise<T>, path: string, what: string, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (opts.signal?.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new DecodeError(`${what} aborted`, { path }));
  }
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const timer = setTimeout(() => {
      done();
      reject(new DecodeError(`${what} took longer than ${timeoutMs} ms and was stopped`, { path, suggestion: 'check the file; raise the decode timeout for very long seeks' }));
    }, timeoutMs);
    const onAbort = (): void => {
      done();
      reject(new DecodeError(`${what} aborted`, { path }));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(e);
      },
    );
  });
}
