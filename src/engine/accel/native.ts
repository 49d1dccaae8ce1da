// Loading the optional native accelerator (native/, the `cover-native` package): built by node-gyp at install time when
// the machine has a compiler and the Node headers; absent otherwise, and then cover runs on plain tfjs kernels. Its
// sgemm is OpenBLAS's, whose kernel set is named from the CPU's flags before it loads (engine/blas_core.ts).

import type * as NativeApi from '../../../native/index';
import { preferOpenblasCore } from '../blas_core';

export type NativeAddon = typeof NativeApi;
export type NativeInfo = NativeApi.NativeInfo;

export interface NativeLoad {
  addon: NativeAddon | null;
  /** Why it could not be loaded (null when it was). */
  error: string | null;
}

let cached: NativeLoad | null = null;

/** Loads the addon once; never throws. `COVER_NATIVE_PATH` points at another build (a folder with index.js or a .node). */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  const target = process.env.COVER_NATIVE_PATH || 'cover-native';
  preferOpenblasCore(); // before the addon's OpenBLAS loads: the kernels this CPU can run (engine/blas_core.ts)
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(target) as NativeAddon;
    addon.info(); // also loads the BLAS
    cached = { addon, error: null };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'MODULE_NOT_FOUND'
        ? 'not built (optional; needs g++, make, python3 and the Node headers when npm installs it)'
        : `failed to load: ${String(e.message).split('\n')[0]}`;
    cached = { addon: null, error: why };
  }
  return cached;
}
