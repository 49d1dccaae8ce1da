// Non-finite weights (NaN, +-Inf): a run that diverged, or a damaged file. Such a model's every output is NaN, and
// eval would score it, predict print it and export copy it without a word. The loaders call scanNonFinite on the
// Float32Arrays they have just read (one pass, no copy), name what they found in one line, and refuse unless the
// caller allows it.

import { CheckpointError } from '../errors';

export interface NonFiniteTensor {
  name: string;
  nan: number;
  inf: number;
}

export interface NonFiniteReport {
  /** The weights file read. */
  file: string;
  /** Tensors holding a NaN or an infinity, in the order scanned. */
  tensors: NonFiniteTensor[];
  /** NaN and infinite values in all. */
  values: number;
}

/** Tensors named in a message; the rest are counted. */
const SHOWN = 3;

/**
 * The tensors of `weights` that hold a NaN or an infinity, or null when all are finite.
 * @example
 * scanNonFinite('w.safetensors', [['a', Float32Array.of(1, NaN)], ['b', Float32Array.of(2)]])
 * // { file: 'w.safetensors', tensors: [{ name: 'a', nan: 1, inf: 0 }], values: 1 }
 */
export function scanNonFinite(file: string, weights: Iterable<[string, Float32Array]>): NonFiniteReport | null {
  const tensors: NonFiniteTensor[] = [];
  let values = 0;
  for (const [name, data] of weights) {
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      // v - v is 0 for every finite v, NaN for NaN and the infinities.
      if (v - v !== 0) {
        if (v !== v) nan += 1;
        else inf += 1;
      }
    }
    if (nan + inf > 0) {
      tensors.push({ name, nan, inf });
      values += nan + inf;
    }
  }
  return tensors.length > 0 ? { file, tensors, values } : null;
}

/**
 * One line naming the first few tensors and counting the rest.
 * @example
 * describeNonFinite(report) // 'weights are not finite: blocks.0.attn.qkv.weight has 12 NaN, heads.k400.bias 1 Inf'
 */
export function describeNonFinite(r: NonFiniteReport): string {
  const count = (t: NonFiniteTensor) => [t.nan ? `${t.nan} NaN` : '', t.inf ? `${t.inf} Inf` : ''].filter(Boolean).join(' and ');
  const shown = r.tensors.slice(0, SHOWN).map((t, i) => `${t.name} ${i === 0 ? 'has ' : ''}${count(t)}`);
  const more = r.tensors.length - shown.length;
  const tail = more > 0 ? `, and ${more} more tensor${more === 1 ? '' : 's'} (${r.values} values in ${r.tensors.length} tensors)` : '';
  return `weights are not finite: ${shown.join(', ')}${tail}`;
}

/** The refusal: one line naming the file and the tensors. */
export function nonFiniteError(r: NonFiniteReport, suggestion: string): CheckpointError {
  return new CheckpointError(describeNonFinite(r), { path: r.file, suggestion });
}

/** The fix for a cover checkpoint's weights: eval, predict and export can still look at them. */
export const CHECKPOINT_NONFINITE_FIX =
  'the run that saved them diverged, or the file is damaged: use an earlier checkpoint, or give cover eval, predict or export --allow-nonfinite to go on anyway';
