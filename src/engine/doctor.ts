// `cover doctor`: what this machine gives cover. Every compute backend (present, or why not), the one chosen with its
// threads and SIMD, a short measured matMul rate, where ffmpeg comes from, the versions, and in plain words what the
// user can do about anything missing. The command (src/cli/commands/doctor.ts) only renders this report.

import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { BackendError, CoverError } from '../errors';
import { FfmpegLocation, FFMPEG_FIX, findFfmpeg } from '../data/decode/video/find_ffmpeg';
import { AvInfo, loadAv } from '../data/decode/video/av_addon';
import {
  BackendInfo,
  BackendProbe,
  BackendRequest,
  describeBackends,
  initBackend,
  NOT_INSTALLED_REASON,
  probeTorchBackend,
  TORCH_FIX,
  TorchDevice,
  TorchPrecision,
} from './backend';
import { GemmRate, measureGemm } from './gemm_rate';
import { coverVersion } from '../version';
import type { AccelMode } from './accel/accel';
import { loadNative, NativeInfo } from './accel/native';

export interface DoctorOptions {
  backend: BackendRequest;
  threads?: number;
  accel?: AccelMode;
  device?: TorchDevice;
  precision?: TorchPrecision;
  /** How long to time the matMul rate (ms; default 300). 0 skips it. */
  gemmMs?: number;
}

export interface Versions {
  cover: string;
  node: string;
  tfjsCore: string;
  tfjsBackendWasm: string;
  tfjsBackendCpu: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
}

export interface DoctorReport {
  /** True when the requested backend started (the CLI exits 0). */
  ok: boolean;
  /** The backend now active, or null when the requested one could not start. */
  backend: BackendInfo | null;
  /** Why the requested backend could not start. */
  backendError: { message: string; suggestion: string | null } | null;
  backends: BackendProbe[];
  gemm: GemmRate | null;
  /** The native accelerator package: built and loadable (with its BLAS), or why not. Whether it is in use: backend.accel. */
  native: { built: boolean; error: string | null; info: NativeInfo | null };
  /** The torch backend (cover-torch on libtorch): the libtorch it was built against, or why it is absent. */
  torch: TorchReport;
  ffmpeg: FfmpegLocation;
  /** The in-process decoder (av/): its FFmpeg libraries, pool and hardware decoders, or why it is not used. */
  decoder: { inProcess: boolean; error: string | null; info: AvInfo | null };
  versions: Versions;
  /** What the user can do, one plain sentence each; empty when nothing is missing. */
  advice: string[];
}

export interface TorchReport {
  /** ACTIVE: the backend in use now; available: built and starts; absent: not built, or fails to load or start. */
  status: 'ACTIVE' | 'available' | 'absent';
  /** libtorch's version, library folder and where it was found (debian, python, COVER_LIBTORCH); null when absent. */
  version: string | null;
  libtorch: string | null;
  source: string | null;
  /** Whether this libtorch has CUDA, and the CUDA devices it sees. */
  cuda: boolean;
  cudaDevices: number;
  /** When it started: its device, matmul precision and CPU threads. */
  device: 'cpu' | 'cuda' | null;
  precision: TorchPrecision | null;
  threads: number | null;
  /** Why it is absent, and what makes it present. */
  reason: string | null;
  fix: string | null;
}

/** The fix for an absent torch backend, by why it is absent. */
export function torchFix(reason: string): string {
  if (/^installed, but fails to load/.test(reason)) {
    return 'rebuild it against a libtorch that is still on this machine (npm rebuild cover-torch), or set COVER_LIBTORCH and run npm ci; or use --backend wasm';
  }
  if (/^(started|loaded), but/.test(reason)) return 'report this as a bug with `cover doctor --json`; meanwhile use --backend wasm';
  return TORCH_FIX;
}

/**
 * The doctor's torch section from the addon's probe (what libtorch it was built against), the backend now active and
 * the candidate's row of the backends table (whether it started and computed here).
 */
export function torchReport(probe: ReturnType<typeof probeTorchBackend>, active: BackendInfo | null, row: BackendProbe | undefined): TorchReport {
  if (!probe.ok || (row && !row.available)) {
    const reason = !probe.ok ? probe.reason : (row?.reason ?? 'did not start');
    return {
      status: 'absent',
      version: probe.ok ? probe.info.version : null,
      libtorch: probe.ok ? probe.info.libtorch : null,
      source: probe.ok ? probe.info.source : null,
      cuda: probe.ok ? probe.info.cuda : false,
      cudaDevices: probe.ok ? probe.info.cudaDevices : 0,
      device: null,
      precision: null,
      threads: null,
      reason,
      fix: torchFix(reason),
    };
  }
  const t = active?.name === 'torch' ? active.torch : undefined;
  return {
    status: t ? 'ACTIVE' : 'available',
    version: probe.info.version,
    libtorch: probe.info.libtorch,
    source: probe.info.source,
    cuda: probe.info.cuda,
    cudaDevices: probe.info.cudaDevices,
    device: t?.device ?? null,
    precision: t?.precision ?? null,
    threads: t?.threads ?? row?.threads ?? null,
    reason: null,
    fix: null,
  };
}

/** The matMul size for the rate: the plain-JS cpu backend takes ~0.35 s per 512³ product, so it gets a smaller one. */
const GEMM_N: Record<string, number> = { cpu: 256, wasm: 512, tensorflow: 1024, torch: 1024 };

export function versions(): Versions {
  const cpus = os.cpus();
  return {
    cover: coverVersion(),
    node: process.version,
    tfjsCore: tf.version_core,
    tfjsBackendWasm: version_wasm,
    tfjsBackendCpu: version_cpu,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
  };
}

function advise(r: Omit<DoctorReport, 'advice' | 'ok'>, opts: DoctorOptions): string[] {
  const out: string[] = [];
  const b = r.backend;
  const tfProbes = r.backends.filter((p) => p.backend === 'tensorflow');
  const wasm = r.backends.find((p) => p.name === 'wasm');

  if (!b && r.backendError) {
    const fix = r.backendError.suggestion ? ` To fix: ${r.backendError.suggestion}.` : '';
    out.push(`You asked for --backend ${opts.backend}, which cannot start here (see the backends table).${fix}`);
  }
  if (tfProbes.every((p) => !p.available)) {
    const notInstalled = tfProbes.every((p) => p.reason === NOT_INSTALLED_REASON);
    out.push(
      notInstalled
        ? 'Native TensorFlow (GPU or CPU) is optional and not installed. @tensorflow/tfjs-node and @tensorflow/tfjs-node-gpu download ' +
            'libtensorflow while installing, so install one on a machine with network access (the GPU one also needs CUDA 11.2 and ' +
            'cuDNN 8.1). Without them cover trains on wasm, which works everywhere.'
        : `Native TensorFlow is installed but does not work here (${tfProbes.map((p) => `${p.package}: ${p.reason}`).join('; ')}).`,
    );
  }
  if (r.torch.status === 'absent') {
    out.push(
      `The torch backend (libtorch: no 4 GiB heap, so base and large train; CUDA where the libtorch has it) is not available: ${r.torch.reason}. ` +
        `To fix: ${r.torch.fix}.`,
    );
  } else if (opts.backend !== 'torch' && r.torch.cuda && r.torch.cudaDevices > 0) {
    out.push(`This libtorch has CUDA and sees ${r.torch.cudaDevices} GPU${r.torch.cudaDevices === 1 ? '' : 's'}: --backend torch --device cuda trains on it.`);
  }
  if (b?.name === 'cpu' && opts.backend === 'auto') {
    out.push(`cover fell back to the plain-JavaScript cpu backend, 25-35x slower than wasm, because wasm did not start (${wasm?.reason ?? 'unknown'}). Reinstall the dependencies (npm ci).`);
  }
  if (!r.native.built && b?.name === 'wasm') {
    out.push(
      `The native accelerator (3-4x faster training on wasm) is not built: ${r.native.error}. Install g++, make and python3 ` +
        '(apt-get install g++ make python3) and the OpenBLAS runtime (libopenblas0-pthread), then run npm ci again.',
    );
  } else if (r.native.info?.blas === 'none') {
    out.push('The native accelerator found no BLAS and uses its built-in gemm; apt-get install libopenblas0-pthread makes matmuls ~10x faster.');
  }
  if (b?.name === 'wasm') {
    const cpus = r.versions.cpus;
    if (b.threads === 1 && cpus >= 2) {
      out.push(`wasm runs on 1 thread. Add --threads ${Math.min(cpus, 2)} for about twice the matrix-multiply speed on ${cpus} cores (opt-in; it patches tfjs-backend-wasm 4.22 internals).`);
    }
    if (b.threads > cpus) out.push(`--threads ${b.threads} is more than the ${cpus} cores here; extra threads only add overhead. Use --threads ${cpus}.`);
    if (!b.simd) out.push('This Node has no WebAssembly SIMD, so wasm runs several times slower. Use Node 20 or newer.');
  }

  if (!r.decoder.inProcess && r.decoder.error !== 'COVER_DECODER=ffmpeg') {
    out.push(
      `Videos decode with one ffmpeg process per clip, many times slower than in process (${r.decoder.error}). ` +
        'apt-get install pkg-config libavformat-dev libavcodec-dev libswscale-dev (scripts/setup.sh does), then npm ci.',
    );
  }
  const f = r.ffmpeg;
  if (f.problem) {
    out.push(`${f.problem.message} (${f.problem.path}). Point it at a working ${f.problem.variable === 'COVER_FFMPEG' ? 'ffmpeg' : 'ffprobe'}, or unset it.`);
  } else if (!f.ffmpeg) {
    out.push(`Video datasets need ffmpeg, which was not found: ${FFMPEG_FIX}. Image datasets work without it.`);
  } else {
    if (!f.ffprobe) out.push('ffprobe was not found: cover reads video facts from `ffmpeg -i` instead. apt-get install ffmpeg provides both.');
    if (f.source === '@ffmpeg-installer/ffmpeg') out.push("This ffmpeg is a 2018 static build from npm; Debian's (apt-get install ffmpeg) is current and includes ffprobe.");
  }
  return out;
}

/**
 * Checks the machine for cover. Leaves the requested backend active (when it starts).
 *
 * @example
 * const r = await runDoctor({ backend: 'auto', gemmMs: 300 });
 * r.backend.name            // 'wasm'
 * r.gemm.gflops             // 39.6 (n = 512, 1 thread)
 * r.ffmpeg.source           // 'PATH'
 * r.advice[0]               // 'Native TensorFlow (GPU or CPU) is optional and not installed. ...'
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  let backend: BackendInfo | null = null;
  let backendError: DoctorReport['backendError'] = null;
  try {
    backend = await initBackend({ backend: opts.backend, threads: opts.threads, accel: opts.accel, device: opts.device, precision: opts.precision });
  } catch (err) {
    // A usage mistake (--threads with --backend cpu) is the user's to fix before anything else; a backend that does
    // not start is exactly what the doctor reports.
    if (!(err instanceof BackendError)) throw err;
    backendError = { message: err.message, suggestion: err.suggestion ?? null };
  }
  const backends = await describeBackends();

  let gemm: GemmRate | null = null;
  const gemmMs = opts.gemmMs ?? 300;
  if (backend && gemmMs > 0) gemm = measureGemm(GEMM_N[backend.name] ?? 512, gemmMs);

  const loaded = loadNative();
  const native = { built: loaded.addon !== null, error: loaded.error, info: loaded.addon ? loaded.addon.info() : null };
  const torch = torchReport(probeTorchBackend(), backend, backends.find((p) => p.name === 'torch'));
  const av = loadAv();
  const decoder = { inProcess: av.addon !== null, error: av.error, info: av.addon ? av.addon.info() : null };
  const partial = { backend, backendError, backends, gemm, native, torch, ffmpeg: findFfmpeg(), decoder, versions: versions() };
  return { ok: backend !== null, ...partial, advice: advise(partial, opts) };
}

/** The error the CLI exits with when the doctor found no working backend for the request. */
export function doctorFailure(r: DoctorReport): CoverError | null {
  if (r.ok || !r.backendError) return null;
  return new BackendError(r.backendError.message, { suggestion: r.backendError.suggestion ?? undefined });
}
