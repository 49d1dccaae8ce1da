// Choosing and starting the compute backend (docs/notes/engine-probe.md §2, §4, §7). In `auto` order:
//   tfjs-node-gpu  TensorFlow C on an NVIDIA GPU. An optional dependency that never installs offline (its install script
//                  downloads libtensorflow), so it is loaded lazily and only used when TensorFlow reports a GPU device.
//   tfjs-node      TensorFlow C on the CPU; same install story.
//   wasm           tfjs-backend-wasm with SIMD (XNNPACK): the default here. `--threads N` opts into the threaded build.
//   torch          libtorch through the optional cover-torch addon (torch/, src/engine/backends/torch): tensors in native
//                  memory (no 4 GiB heap), on the CPU or a CUDA GPU (`--device`, `--precision`), `--threads` CPU threads.
//                  Loaded lazily: a missing or broken addon only makes this candidate unavailable.
//   cpu            plain JavaScript: 25–35× slower than wasm, kept as the always-works fallback and for tiny tests.
// An explicit `--backend X` that cannot start is a BackendError naming why and the fix; `auto` records every attempt.

import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { BackendError, CoverError, UsageError } from '../errors';
import { useWasm, wasmThreads } from './wasm_threads';
import { AccelInfo, AccelMode, initAccel, parseAccelMode } from './accel/accel';
import { guardWasmMalloc, startOomWatchdog, stopOomWatchdog } from './oom_guard';
import type { TorchInfo } from './backends/torch';

export type BackendName = 'tensorflow' | 'wasm' | 'torch' | 'cpu';
export type BackendRequest = 'auto' | BackendName;
/** One way of getting a backend: the two TensorFlow packages both provide `tensorflow`. */
export type BackendCandidate = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'torch' | 'cpu';
/** `--device`: where the torch backend computes (auto: cuda when the libtorch has it and a GPU is visible). */
export type TorchDevice = 'auto' | 'cpu' | 'cuda';
export const DEVICES: readonly TorchDevice[] = ['auto', 'cpu', 'cuda'];
/** `--precision`: the torch backend's matmul precision (weights and optimizer state stay float32). */
export type TorchPrecision = 'fp32' | 'tf32' | 'bf16';
export const PRECISIONS: readonly TorchPrecision[] = ['fp32', 'tf32', 'bf16'];

export interface BackendAttempt {
  name: BackendCandidate;
  ok: boolean;
  reason: string;
}

export interface BackendInfo {
  /** The tfjs backend now active (tf.getBackend()). */
  name: BackendName;
  requested: BackendRequest;
  /** Which candidate provided it. */
  candidate: BackendCandidate;
  package: string;
  /** Compute threads: wasm's XNNPACK pool, libtorch's CPU threads, 1 for cpu, the machine's cores for TensorFlow. */
  threads: number;
  /** Whether the wasm SIMD binary is in use (false for the other backends). */
  simd: boolean;
  /** Whether TensorFlow or libtorch runs ops on a GPU device. */
  gpu: boolean;
  /** Version of the package that provides the backend; for torch, the libtorch version. */
  version: string;
  /** torch only: the device it computes on and its matmul precision. */
  device?: 'cpu' | 'cuda';
  precision?: TorchPrecision;
  /** torch only: the libtorch in use (path, source, CUDA). */
  torch?: TorchInfo;
  /** Every candidate tried, in order, ending with the chosen one. */
  tried: BackendAttempt[];
  /** The native accelerator (native/): active on the wasm backend when it is built, or why not. */
  accel: AccelInfo;
}

export interface BackendProbe {
  name: BackendCandidate;
  backend: BackendName;
  package: string;
  /** Whether it starts and runs an op here. */
  available: boolean;
  /** Why not, or what was found ('GPU device', 'SIMD, 1 thread', ...). */
  reason: string;
  version: string | null;
  /** Whether it is the backend active now. */
  active: boolean;
  threads?: number;
  simd?: boolean;
  gpu?: boolean;
}

export const PACKAGES: Record<BackendCandidate, string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  torch: 'cover-torch',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const BACKEND_OF: Record<BackendCandidate, BackendName> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  wasm: 'wasm',
  torch: 'torch',
  cpu: 'cpu',
};

export const NOT_INSTALLED_REASON = 'not installed (optional; needs libtensorflow from the network at install time)';
const TENSORFLOW_FIX =
  'install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA 11.2 + cuDNN 8.1) on a machine with network access, or use --backend wasm';

export const TORCH_FIX =
  'apt-get install libtorch-dev (or put a python3 with a pip PyTorch on PATH, or set COVER_LIBTORCH), then npm ci; or use --backend wasm';

/**
 * What `--backend auto` tries, first to last; the first that starts and computes is used (`cover doctor` lists them in
 * this order). torch comes after wasm for now, so `auto` behaves as before and picks torch only when wasm cannot start;
 * where it belongs (per preset, by measured step time) is decided with the bench (issue 10 item 4).
 */
export const AUTO_ORDER: readonly BackendCandidate[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'torch', 'cpu'];

const ORDER: Record<BackendRequest, readonly BackendCandidate[]> = {
  auto: AUTO_ORDER,
  tensorflow: ['tfjs-node-gpu', 'tfjs-node'],
  wasm: ['wasm'],
  torch: ['torch'],
  cpu: ['cpu'],
};

/**
 * tfjs warns on the console when a backend fails to start and prints a "Hi, install tfjs-node" banner on the first cpu
 * tensor. cover reports both itself (BackendInfo.tried, `cover doctor`), so the console stays quiet. PROD only gates
 * warnings in tfjs-core 4.22.
 */
function quietTfjs(): void {
  tf.env().set('PROD', true);
}

function firstLine(err: unknown): string {
  const e = err as { message?: unknown };
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return msg.split('\n')[0].trim();
}

// ---- the optional TensorFlow packages -------------------------------------------------------------------------------

interface NativeLoad {
  ok: boolean;
  reason: string;
  version: string | null;
}
const nativeLoads = new Map<string, NativeLoad>();
/** Why the last `tensorflow` backend construction failed (tfjs only logs it). */
let tensorflowInitError: unknown = null;

/** require()s a TensorFlow package once; it registers the `tensorflow` backend into our tfjs-core as a side effect. */
function loadNative(pkg: string): NativeLoad {
  const known = nativeLoads.get(pkg);
  if (known) return known;
  let load: NativeLoad;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(pkg);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = (require(`${pkg}/package.json`) as { version: string }).version;
    load = tf.findBackendFactory('tensorflow')
      ? { ok: true, reason: 'loaded', version }
      : { ok: false, reason: 'loaded, but it registered no tensorflow backend with this @tensorflow/tfjs-core (two tfjs-core copies? run npm dedupe)', version };
    if (load.ok) wrapTensorflowFactory();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const missing = e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${pkg}'`);
    load = { ok: false, reason: missing ? NOT_INSTALLED_REASON : `installed, but fails to load: ${firstLine(err)}`, version: null };
  }
  nativeLoads.set(pkg, load);
  return load;
}

/** Re-registers tfjs-node's factory so a failed construction leaves its reason behind. */
function wrapTensorflowFactory(): void {
  const entry = tf.engine().registryFactory.tensorflow;
  if (!entry || tf.findBackend('tensorflow')) return;
  const { factory, priority } = entry;
  tf.removeBackend('tensorflow');
  tf.registerBackend(
    'tensorflow',
    () => {
      try {
        return factory() as tf.KernelBackend;
      } catch (err) {
        tensorflowInitError = err;
        throw err;
      }
    },
    priority,
  );
}

function tensorflowUsesGpu(): boolean {
  const be = tf.findBackend('tensorflow') as (tf.KernelBackend & { isUsingGpuDevice?: boolean }) | null;
  return Boolean(be?.isUsingGpuDevice);
}

/** One tiny op, read back: a backend that starts but cannot compute is not available. */
function opWorks(): string | null {
  try {
    const t = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
    const v = t.dataSync()[0];
    t.dispose();
    return v === 3 ? null : `1 + 2 gave ${v}`;
  } catch (err) {
    return `a test op failed: ${firstLine(err)}`;
  }
}

interface Started {
  ok: boolean;
  reason: string;
  threads: number;
  simd: boolean;
  gpu: boolean;
  version: string;
  torch?: TorchInfo;
}

// ---- the optional torch backend ---------------------------------------------------------------------------------------

type TorchModule = typeof import('./backends/torch');
type TorchProbe = ReturnType<TorchModule['probeTorch']>;

/** src/engine/backends/torch, required on first use: a missing or broken addon never stops the other backends. */
function torchModule(): { mod: TorchModule | null; error: string | null } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { mod: require('./backends/torch') as TorchModule, error: null };
  } catch (err) {
    return { mod: null, error: `fails to load: ${firstLine(err)}` };
  }
}

/** Whether the torch backend's addon is built and loads here, and the libtorch it was built against (starts nothing). */
export function probeTorchBackend(): TorchProbe {
  const { mod, error } = torchModule();
  if (!mod) return { ok: false, reason: error ?? 'not available' };
  try {
    return mod.probeTorch();
  } catch (err) {
    return { ok: false, reason: `fails to load: ${firstLine(err)}` };
  }
}

/** The torch backend's settings as last started (reused by describeBackends, which must not change them). */
let torchStarted: TorchInfo | null = null;

/** The device of the torch backend when it is the active tfjs backend, else null (the memory preflight asks). */
export function activeTorchDevice(): 'cpu' | 'cuda' | null {
  return torchStarted && tf.engine().backendName === 'torch' ? torchStarted.device : null;
}

function torchLabel(t: TorchInfo): string {
  return `libtorch ${t.version} (${t.source}) on ${t.device}, ${t.threads} thread${t.threads === 1 ? '' : 's'}, ${t.precision}`;
}

/**
 * Starts libtorch with the requested device, precision and threads. A request the libtorch cannot serve (--device cuda
 * without CUDA or without a visible GPU) is a BackendError with the fix, also under `auto` (the user asked for it).
 */
async function startTorchCandidate(opts: { device?: TorchDevice; precision?: TorchPrecision; threads?: number }): Promise<Started> {
  const fail = (reason: string): Started => ({ ok: false, reason, threads: 0, simd: false, gpu: false, version: '' });
  const probe = probeTorchBackend();
  if (!probe.ok) return fail(probe.reason);
  const lib = `libtorch ${probe.info.version} (${probe.info.source}, ${probe.info.libtorch})`;
  if (opts.device === 'cuda' && !probe.info.cuda) {
    throw new BackendError(`--device cuda: this ${lib} is built without CUDA`, {
      suggestion: 'use --device cpu, or build cover-torch against a pip PyTorch with CUDA (COVER_LIBTORCH=<its torch folder> npm ci)',
    });
  }
  if (opts.device === 'cuda' && probe.info.cudaDevices === 0) {
    throw new BackendError(`--device cuda: this ${lib} has CUDA but sees no GPU`, {
      suggestion: 'check nvidia-smi and CUDA_VISIBLE_DEVICES, or use --device cpu',
    });
  }
  const { mod } = torchModule();
  const t = await mod!.startTorch({ device: opts.device ?? 'auto', precision: opts.precision, threads: opts.threads });
  torchStarted = t;
  const broken = opWorks();
  if (broken) return { ...fail(`started, but ${broken}`), torch: t };
  return { ok: true, reason: torchLabel(t), threads: t.threads, simd: false, gpu: t.device === 'cuda', version: t.version, torch: t };
}

async function startTensorflow(candidate: 'tfjs-node-gpu' | 'tfjs-node'): Promise<Started> {
  const fail = (reason: string): Started => ({ ok: false, reason, threads: 0, simd: false, gpu: false, version: '' });
  let load = loadNative(PACKAGES[candidate]);
  let note = '';
  if (!load.ok && candidate === 'tfjs-node') {
    // tfjs-node-gpu without a GPU is TensorFlow on the CPU, which is what tfjs-node would give.
    const gpuPkg = loadNative(PACKAGES['tfjs-node-gpu']);
    if (gpuPkg.ok) {
      load = gpuPkg;
      note = ` (${PACKAGES['tfjs-node']} ${load.reason === NOT_INSTALLED_REASON ? 'is not installed' : 'fails'}; using ${PACKAGES['tfjs-node-gpu']} on the CPU)`;
    }
  }
  if (!load.ok) return fail(load.reason);
  tensorflowInitError = null;
  if (!(await tf.setBackend('tensorflow'))) {
    return fail(`loaded, but the TensorFlow backend failed to start: ${tensorflowInitError ? firstLine(tensorflowInitError) : 'unknown reason'}`);
  }
  const broken = opWorks();
  if (broken) return fail(`started, but ${broken}`);
  const gpu = tensorflowUsesGpu();
  if (candidate === 'tfjs-node-gpu' && !gpu) {
    return fail('loaded, but TensorFlow sees no GPU device (needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1)');
  }
  return { ok: true, reason: `TensorFlow ${gpu ? 'on the GPU' : 'on the CPU'}${note}`, threads: os.cpus().length, simd: false, gpu, version: load.version ?? '' };
}

interface StartOptions {
  threads: number;
  /** Only when the user gave --threads (torch otherwise keeps libtorch's own default). */
  threadsGiven?: boolean;
  device?: TorchDevice;
  precision?: TorchPrecision;
}

async function startCandidate(candidate: BackendCandidate, o: StartOptions): Promise<Started> {
  const threads = o.threads;
  switch (candidate) {
    case 'tfjs-node-gpu':
    case 'tfjs-node':
      return startTensorflow(candidate);
    case 'wasm': {
      const w = await useWasm(threads); // throws BackendError with the reason
      const broken = opWorks();
      if (broken) return { ok: false, reason: `started, but ${broken}`, threads: w.threads, simd: w.simd, gpu: false, version: version_wasm };
      const reason = `${w.simd ? 'SIMD' : 'no SIMD'}, ${w.threads} thread${w.threads === 1 ? '' : 's'}`;
      return { ok: true, reason, threads: w.threads, simd: w.simd, gpu: false, version: version_wasm };
    }
    case 'torch':
      return startTorchCandidate({ device: o.device, precision: o.precision, threads: o.threadsGiven ? threads : undefined });
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'failed to start', threads: 1, simd: false, gpu: false, version: version_cpu };
      const broken = opWorks();
      return { ok: !broken, reason: broken ?? 'plain JavaScript, 1 thread', threads: 1, simd: false, gpu: false, version: version_cpu };
    }
    default: {
      const never: never = candidate;
      throw new Error(`unknown backend candidate ${String(never)}`);
    }
  }
}

/**
 * Makes the requested backend active and says what it is. Safe to call again (another backend, other threads).
 * `threads` (default 1) applies to wasm (its thread pool) and torch (libtorch's CPU threads; its own default when not
 * given); asking for more than 1 on cpu or tensorflow is a UsageError. `device` and `precision` apply to torch only.
 * Changing wasm's thread count starts a fresh wasm instance: tensors held on the old one are gone (free them first),
 * so call this before creating model weights.
 *
 * @example
 * await initBackend({ backend: 'auto' })
 * // { name: 'wasm', requested: 'auto', candidate: 'wasm', package: '@tensorflow/tfjs-backend-wasm', threads: 1,
 * //   simd: true, gpu: false, version: '4.22.0', tried: [
 * //     { name: 'tfjs-node-gpu', ok: false, reason: 'not installed (optional; needs libtensorflow from the network at install time)' },
 * //     { name: 'tfjs-node', ok: false, reason: 'not installed (optional; ...)' },
 * //     { name: 'wasm', ok: true, reason: 'SIMD, 1 thread' } ] }
 */
export interface BackendRequestOptions {
  backend: BackendRequest;
  threads?: number;
  accel?: AccelMode;
  /** torch only (`--device`). */
  device?: TorchDevice;
  /** torch only (`--precision`). */
  precision?: TorchPrecision;
}

export async function initBackend(opts: BackendRequestOptions): Promise<BackendInfo> {
  const requested = opts.backend;
  const accelMode = opts.accel ?? parseAccelMode(process.env.COVER_ACCEL);
  if (!(requested in ORDER)) {
    throw new UsageError(`unknown backend '${String(requested)}'`, { suggestion: `use one of ${Object.keys(ORDER).join(', ')}` });
  }
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(`--threads takes a whole number of at least 1, got ${threads}`, { suggestion: 'use --threads 1 or 2' });
  }
  if (threads > 1 && (requested === 'cpu' || requested === 'tensorflow')) {
    throw new UsageError(`--threads ${threads} applies to the wasm and torch backends only, not ${requested}`, {
      suggestion: requested === 'cpu' ? 'drop --threads, or use --backend wasm' : 'drop --threads (TensorFlow sizes its own thread pool)',
    });
  }
  for (const [flag, value, choices] of [['--device', opts.device, DEVICES], ['--precision', opts.precision, PRECISIONS]] as const) {
    if (value === undefined) continue;
    if (!(choices as readonly string[]).includes(value)) {
      throw new UsageError(`${flag} takes one of ${choices.join(', ')}, got '${String(value)}'`, { suggestion: `use ${flag} ${choices[0]}` });
    }
    if (requested !== 'torch') {
      throw new UsageError(`${flag} ${value} applies to the torch backend only, not ${requested}`, { suggestion: `add --backend torch, or drop ${flag}` });
    }
  }
  quietTfjs();
  const startOpts: StartOptions = { threads, threadsGiven: opts.threads !== undefined, device: opts.device, precision: opts.precision };

  const tried: BackendAttempt[] = [];
  for (const candidate of ORDER[requested]) {
    let started: Started;
    try {
      started = await startCandidate(candidate, startOpts);
    } catch (err) {
      // Explicit wasm or torch, or wasm with --threads > 1 (an explicit ask): its own BackendError says what to do.
      if (err instanceof CoverError && (requested === 'wasm' || requested === 'torch' || (threads > 1 && candidate === 'wasm'))) throw err;
      started = { ok: false, reason: firstLine(err), threads: 0, simd: false, gpu: false, version: '' };
    }
    tried.push({ name: candidate, ok: started.ok, reason: started.reason });
    if (!started.ok) continue;
    // A full wasm heap must end in OutOfMemoryError, not garbage (malloc) or a hang (threaded build): oom_guard.ts.
    if (candidate === 'wasm') guardWasmMalloc();
    if (candidate === 'wasm' && started.threads > 1) startOomWatchdog();
    else stopOomWatchdog();
    const accel = initAccel(accelMode, BACKEND_OF[candidate], { wasmThreads: started.threads });
    return {
      name: BACKEND_OF[candidate],
      requested,
      candidate,
      package: PACKAGES[candidate],
      threads: started.threads,
      simd: started.simd,
      gpu: started.gpu,
      version: started.version,
      ...(started.torch ? { device: started.torch.device, precision: started.torch.precision, torch: started.torch } : {}),
      tried,
      accel,
    };
  }
  const why = tried.map((t) => `${PACKAGES[t.name]}: ${t.reason}`).join('; ');
  if (requested === 'tensorflow') {
    throw new BackendError(`the tensorflow backend is not available (${why})`, { suggestion: TENSORFLOW_FIX });
  }
  if (requested === 'torch') {
    throw new BackendError(`the torch backend is not available (${why})`, { suggestion: TORCH_FIX });
  }
  throw new BackendError(`no ${requested === 'auto' ? '' : `${requested} `}compute backend starts (${why})`, {
    suggestion: 'reinstall cover\'s dependencies (npm ci) and check that Node is version 20 or newer',
  });
}

// ---- describing every backend, for `cover doctor` -------------------------------------------------------------------

/**
 * Every candidate backend: present or why not, with threads / SIMD / GPU where it starts. Starts the ones that are
 * installed (so it knows they work) but puts the active backend back before returning, and creates no lasting tensors.
 */
export async function describeBackends(): Promise<BackendProbe[]> {
  quietTfjs();
  const engine = tf.engine();
  const before = engine.backendName ?? null;
  const probes: BackendProbe[] = [];
  try {
    for (const candidate of AUTO_ORDER) {
      const probe: BackendProbe = {
        name: candidate,
        backend: BACKEND_OF[candidate],
        package: PACKAGES[candidate],
        available: false,
        reason: '',
        version: null,
        active: false,
      };
      try {
        // wasm keeps whatever thread count it was started with; otherwise it starts single-threaded. torch keeps the
        // device, precision and threads it was started with (its defaults when it was not).
        const s =
          candidate === 'torch' && torchStarted && before === 'torch'
            ? { ok: true, reason: torchLabel(torchStarted), threads: torchStarted.threads, simd: false, gpu: torchStarted.device === 'cuda', version: torchStarted.version }
            : candidate === 'torch' && torchStarted
              ? await startCandidate('torch', { threads: torchStarted.threads, threadsGiven: true, device: torchStarted.device, precision: torchStarted.precision })
              : await startCandidate(candidate, { threads: candidate === 'wasm' ? (wasmThreads() ?? 1) : 1 });
        Object.assign(probe, { available: s.ok, reason: s.reason, version: s.version || null });
        if (s.ok) Object.assign(probe, { threads: s.threads, simd: s.simd, gpu: s.gpu });
      } catch (err) {
        probe.reason = firstLine(err);
      }
      if (!probe.version && (candidate === 'wasm' || candidate === 'cpu')) probe.version = candidate === 'wasm' ? version_wasm : version_cpu;
      probes.push(probe);
    }
  } finally {
    // Put back the active backend; when none was chosen yet, the one tfjs itself would pick (highest priority that works).
    const restore = before ?? probes.find((p) => p.available)?.backend ?? null;
    if (restore && engine.backendName !== restore) await tf.setBackend(restore);
  }
  const now = engine.backendName ?? null;
  const active = probes.find((p) => p.available && p.backend === now);
  if (active) active.active = true;
  return probes;
}
