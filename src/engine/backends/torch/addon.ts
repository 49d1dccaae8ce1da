// Loading the optional torch addon (torch/, the `cover-torch` package): built by torch/build.js at install time when a
// libtorch is found; absent otherwise, and then cover runs without the torch backend.

import * as fs from 'fs';
import * as path from 'path';
import type * as TorchApi from '../../../../torch/index';
import { preferOpenblasCore } from '../../blas_core';

export type TorchAddon = typeof TorchApi;

export interface TorchLoad {
  addon: TorchAddon | null;
  /** Why it could not be loaded (null when it was). */
  error: string | null;
}

export const NOT_INSTALLED =
  'not installed (no libtorch was found when npm ci ran: apt-get install libtorch-dev, or a pip PyTorch on PATH, then npm ci)';

let cached: TorchLoad | null = null;

/**
 * Loads the addon once; never throws. `COVER_TORCH_PATH` points at another build: a folder with index.js, or the
 * cover_torch.node itself (its config.json is read from beside it). OpenBLAS's kernels are named first (engine/blas_core.ts).
 */
export function loadTorch(): TorchLoad {
  if (cached) return cached;
  const target = process.env.COVER_TORCH_PATH || 'cover-torch';
  preferOpenblasCore(); // before libtorch (and its OpenBLAS) loads
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(target) as TorchAddon & { config?: TorchApi.BuildConfig | null };
    let addon = mod;
    if (mod.config === undefined) {
      const cfgPath = path.join(path.dirname(require.resolve(target)), 'config.json');
      const config = fs.existsSync(cfgPath) ? (JSON.parse(fs.readFileSync(cfgPath, 'utf8')) as TorchApi.BuildConfig) : null;
      addon = Object.assign(Object.create(null), mod, { config }) as TorchAddon;
    }
    addon.info(); // also checks that libtorch's libraries resolve
    cached = { addon, error: null };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const notFound = e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(target);
    cached = { addon: null, error: notFound ? NOT_INSTALLED : `installed, but fails to load: ${String(e.message).split('\n')[0]}` };
  }
  return cached;
}
