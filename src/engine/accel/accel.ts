// The native accelerator's switch (`--accel auto|native|off`, COVER_ACCEL): on the wasm backend, tfjs's kernels for
// matmuls, elementwise ops, reductions, transpose and softmax are replaced by the addon's (core_kernels.ts), and the
// model's LayerNorm, GELU, attention core and optimizer update run as single fused native calls (fused_kernels.ts,
// registered through the contract in engine/fused.ts; this switch turns them on and off).
// It changes how kernels run, never what they compute: every override falls through to tfjs's own kernel for cases it
// does not cover, and `off` restores the originals.

import { BackendError, UsageError } from '../../errors';
import type { NativeAddon } from './native';
import { loadNative } from './native';
import { installCoreKernels, uninstallCoreKernels } from './core_kernels';
import { installFusedKernels, switchFusedKernels } from './fused_kernels';

export type AccelMode = 'auto' | 'native' | 'off';
export const ACCEL_MODES: readonly AccelMode[] = ['auto', 'native', 'off'];

export interface AccelInfo {
  mode: AccelMode;
  active: boolean;
  /** Why it is or is not active, for `cover doctor` and the run's first lines. */
  reason: string;
  blas: string | null;
  blasPath: string | null;
  threads: number | null;
  version: string | null;
  /** tfjs kernels overridden on the wasm backend. */
  kernels: string[];
}

let state: AccelInfo = inactive('off', 'not started');
let activeAddon: NativeAddon | null = null;

function inactive(mode: AccelMode, reason: string): AccelInfo {
  return { mode, active: false, reason, blas: null, blasPath: null, threads: null, version: null, kernels: [] };
}

export function parseAccelMode(value: string | undefined): AccelMode {
  const v = (value ?? 'auto').toLowerCase();
  if ((ACCEL_MODES as readonly string[]).includes(v)) return v as AccelMode;
  throw new UsageError(`unknown accelerator mode '${value}'`, { suggestion: 'use --accel auto, native or off' });
}

/**
 * Turns the accelerator on or off for the active tfjs backend. `auto` uses it when it is built and the backend is the
 * single-threaded wasm; `native` insists (a BackendError saying why not); `off` restores tfjs's kernels.
 */
export function initAccel(mode: AccelMode, backend: string, opts: { wasmThreads?: number } = {}): AccelInfo {
  uninstallCoreKernels();
  switchFusedKernels(false);
  activeAddon = null;
  if (mode === 'off') {
    state = inactive(mode, '--accel off');
    return state;
  }
  const refuse = (reason: string, fix: string): AccelInfo => {
    if (mode === 'native') throw new BackendError(`the native accelerator cannot be used: ${reason}`, { suggestion: fix });
    state = inactive(mode, reason);
    return state;
  };
  if (backend !== 'wasm') return refuse(`it runs on the wasm backend, and the active backend is ${backend}`, 'use --backend wasm, or --accel off');
  if ((opts.wasmThreads ?? 1) > 1) {
    return refuse('it replaces the threaded wasm build (--threads) with its own thread pool', 'drop --threads, or use --accel off');
  }
  const { addon, error } = loadNative();
  if (!addon) return refuse(error ?? 'not available', 'install g++, make and python3, then run npm ci again (see docs/speed.md, "Native accelerator")');
  const info = addon.info();
  const threads = Number(process.env.COVER_ACCEL_THREADS) > 0 ? addon.setThreads(Number(process.env.COVER_ACCEL_THREADS)) : info.threads;
  const kernels = installCoreKernels(addon);
  installFusedKernels(addon);
  switchFusedKernels(true);
  activeAddon = addon;
  state = {
    mode,
    active: true,
    reason: `native ${info.version}, ${info.blas === 'none' ? 'built-in gemm (no BLAS found)' : info.blas}, ${threads} thread${threads === 1 ? '' : 's'}`,
    blas: info.blas,
    blasPath: info.blasPath || null,
    threads,
    version: info.version,
    kernels,
  };
  return state;
}

export function accelInfo(): AccelInfo {
  return state;
}

/** The addon when the accelerator is active (fused paths use it), else null. */
export function activeNative(): NativeAddon | null {
  return activeAddon;
}
