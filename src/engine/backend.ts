// Choosing and starting the compute backend (engine-probe.md §2, §4, §7). In `auto` order:
//   tfjs-node-gpu  TensorFlow C on an NVIDIA GPU. An optional dependency that never installs offline (its install script
//                  downloads libtensorflow), so it is loaded lazily and only used when TensorFlow reports a GPU device.
//   tfjs-node      TensorFlow C on the CPU; same install story.
//   wasm           tfjs-backend-wasm with SIMD (XNNPACK): the default here. `--threads N` opts into the threaded build.
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

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;
/** One way of getting a backend: the two TensorFlow packages both provide `tensorflow`. */
export type BackendCandidate = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

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
  /** Compute threads: wasm's XNNPACK pool, 1 for cpu, the machine's cores for TensorFlow (it manages its own pool). */
  threads: number;
  /** Whether the wasm SIMD binary is in use (false for the other backends). */
  simd: boolean;
  /** Whether TensorFlow runs ops on a GPU device. */
  gpu: boolean;
  /** Version of the package that provides the backend. */
  version: string;
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
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const BACKEND_OF: Record<BackendCandidate, BackendName> = { 'tfjs-node-gpu': 'tensorflow', 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

export const NOT_INSTALLED_REASON = 'not installed (optional; needs libtensorflow from the network at install time)';
const TENSORFLOW_FIX =
  'install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA 11.2 + cuDNN 8.1) on a machine with network access, or use --backend wasm';

const ORDER: Record<BackendRequest, BackendCandidate[]> = {
  auto: ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'],
  tensorflow: ['tfjs-node-gpu', 'tfjs-node'],
  wasm: ['wasm'],
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

async function startCandidate(candidate: BackendCandidate, threads: number): Promise<Started> {
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
 * `threads` (default 1) only applies to wasm; asking for more than 1 on cpu or tensorflow is a UsageError.
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
export async function initBackend(opts: { backend: BackendRequest; threads?: number; accel?: AccelMode }): Promise<BackendInfo> {
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
    throw new UsageError(`--threads ${threads} applies to the wasm backend only, not ${requested}`, {
      suggestion: requested === 'cpu' ? 'drop --threads, or use --backend wasm' : 'drop --threads (TensorFlow sizes its own thread pool)',
    });
  }
  quietTfjs();

  const tried: BackendAttempt[] = [];
  for (const candidate of ORDER[requested]) {
    let started: Started;
    try {
      started = await startCandidate(candidate, threads);
    } catch (err) {
      // Explicit wasm, or wasm with --threads > 1 (an explicit ask): its own BackendError says what to do.
      if (err instanceof CoverError && (requested === 'wasm' || threads > 1)) throw err;
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
      tried,
      accel,
    };
  }
  const why = tried.map((t) => `${PACKAGES[t.name]}: ${t.reason}`).join('; ');
  if (requested === 'tensorflow') {
    throw new BackendError(`the tensorflow backend is not available (${why})`, { suggestion: TENSORFLOW_FIX });
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
    for (const candidate of ORDER.auto) {
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
        // wasm keeps whatever thread count it was started with; otherwise it starts single-threaded.
        const s = await startCandidate(candidate, candidate === 'wasm' ? (wasmThreads() ?? 1) : 1);
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
