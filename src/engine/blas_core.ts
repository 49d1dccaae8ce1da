// OpenBLAS (the BLAS of Debian's libtorch, and of its pip-less PyTorch) picks its kernels once, when it loads, from the
// CPU's model number. 0.3.21 (Debian 12's) does not know Intel models newer than Sapphire Rapids and falls back to
// 'Prescott' kernels (SSE3, no AVX): on a 2-core Emerald Rapids VM a 1024^3 sgemm ran at 16 GFLOP/s against 100 with
// OPENBLAS_CORETYPE=SkylakeX, in PyTorch and in this backend alike. On Intel CPUs the kernel set follows from the
// instruction-set flags alone (every Intel CPU with AVX-512 BW/DQ/VL that OpenBLAS knows gets SkylakeX's or Cooperlake's
// sgemm, every AVX2+FMA one Haswell's), so the loader names it before libtorch loads; a user's own OPENBLAS_CORETYPE wins.
// AMD CPUs are left to OpenBLAS, which knows Zen by family.

import * as fs from 'fs';

/** OpenBLAS's core name for an Intel CPU described by /proc/cpuinfo's text; null for other vendors or older CPUs. */
export function openblasCoreFor(cpuinfo: string): 'SkylakeX' | 'Haswell' | null {
  if (!/^vendor_id\s*:\s*GenuineIntel$/m.test(cpuinfo)) return null;
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo);
  if (!line) return null;
  const flags = new Set(line[1].trim().split(/\s+/));
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return null;
}

/**
 * Sets `env.OPENBLAS_CORETYPE` to the core this CPU's flags call for, when it is unset, and returns the value in effect
 * (null when neither the user nor the flags name one). Only a libopenblas loaded afterwards reads it.
 */
export function preferOpenblasCore(env: NodeJS.ProcessEnv = process.env, cpuinfoPath = '/proc/cpuinfo'): string | null {
  if (env.OPENBLAS_CORETYPE) return env.OPENBLAS_CORETYPE;
  let text: string;
  try {
    text = fs.readFileSync(cpuinfoPath, 'utf8');
  } catch {
    return null; // not Linux: OpenBLAS's own detection
  }
  const core = openblasCoreFor(text);
  if (core) env.OPENBLAS_CORETYPE = core;
  return core;
}
