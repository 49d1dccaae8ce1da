// Peak memory of a training step, cover's torch backend against PyTorch eager on the same step (issue 19): each
// measurement is a fresh process that trains two steps (AdamW, clipping; the second one counted) and reports its peak
// resident set (VmHWM), at batch 1 and batch 4, so that what a clip adds, (peak(4) - peak(1)) / 3, leaves
// out what both hold whatever the batch (the interpreter, libraries, weights, slots). Each side keeps freed memory for
// reuse as in the bench's timing rows (PyTorch through PYTORCH_GLIBC, cover through its addon's mallopt), and both run
// the same OpenBLAS kernels. Rows: 'torch' (recompute off), 'torch recompute' (every
// block recomputed in the backward pass), 'pytorch' (bench/torch_step.py). `large` runs one step at batch 1 with
// recompute only (its first: the optimizer's slots are made in it; PyTorch eager without checkpointing would need far
// more than this machine has).
//
//   node dist/bench/memory.js [--presets tiny,small,base] [--large] [--json]
//   node dist/bench/memory.js --pairs N [--presets base]   recompute's time against off: N interleaved pairs of
//                                                          fresh processes at batch 4, one step each after one untimed

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { getPreset } from '../src/config/presets';
import { table } from '../src/cli/render';
import { preferOpenblasCore } from '../src/engine/backends/torch';
import { findTorchPython, PYTORCH_GLIBC } from './torch';
import type { TrainBenchResult } from './train';

const TORCH_STEP = path.join(__dirname, '..', '..', 'bench', 'torch_step.py');

export interface PeakRow {
  impl: 'torch' | 'torch recompute' | 'pytorch';
  preset: string;
  batch: number;
  /** Peak resident set of the process, bytes. */
  peakBytes: number;
  /** The counted step's time. */
  msPerStep: number;
}

export interface MemoryBench {
  rows: PeakRow[];
  /** Per preset and impl: bytes a clip adds to the peak, (peak(4) - peak(1)) / 3, and its ratio to PyTorch's. */
  perClip: { preset: string; impl: string; bytesPerClip: number; vsPytorch: number | null }[];
}

/**
 * This process's peak resident set: /proc/self/status's VmHWM, which belongs to the process's own address space.
 * Not getrusage's maxrss: Linux carries a parent's peak into a child it forks (the child's copy of the parent's address
 * space is counted until exec), so every child of a large bench process would report the parent's peak.
 */
function peakResident(): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error('no VmHWM in /proc/self/status (Linux only)');
  return Number(m[1]) * 1024;
}

/** The child: `warmup` untimed steps then `steps` timed ones of `preset` at batch B on cover's torch backend; prints the
 * timing (bench/train.ts's TrainBenchResult) and the process's peak resident set. */
async function child(preset: string, batch: number, recompute: boolean, steps: number, warmup: number, microBatch: number | undefined): Promise<void> {
  const { initBackend } = await import('../src/engine/backend');
  const { benchTrainStep } = await import('./train');
  await initBackend({ backend: 'torch' });
  const r = await benchTrainStep({ preset, batch, steps, warmup, recompute, microBatch });
  process.stdout.write(`${JSON.stringify({ ...r, peakBytes: peakResident() })}\n`);
}

/**
 * Steps of `preset` on cover's torch backend in a fresh process (the same state PyTorch's row starts from): by default
 * one after one untimed (`large`: its one step is the first: the optimizer's slots are made in it, and it takes minutes).
 */
export function runCover(preset: string, batch: number, recompute: boolean, opts: { steps?: number; warmup?: number; microBatch?: number } = {}): (TrainBenchResult & { peakBytes: number }) | string {
  const steps = opts.steps ?? 1;
  const warmup = opts.warmup ?? (preset === 'large' ? 0 : 1);
  const argv = [__filename, '--child', preset, String(batch), recompute ? 'blocks' : 'off', String(steps), String(warmup), String(opts.microBatch ?? batch)];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8' }); // cover's own malloc settings (bench/torch.ts PYTORCH_GLIBC)
  if (r.status !== 0) return (r.stderr || `exit ${r.status}`).trim().split('\n').pop()!;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TrainBenchResult & { peakBytes: number };
}

function runPytorch(python: string, preset: string, batch: number): { peakBytes: number; msPerStep: number } | string {
  const argv = [TORCH_STEP, '--config', JSON.stringify(getPreset(preset)), '--batch', String(batch), '--steps', '1', '--warmup', '1', '--classes', '10'];
  const code =
    'import json, re, runpy, sys, io, contextlib\n' +
    `sys.argv = ${JSON.stringify(argv)}\n` +
    'out = io.StringIO()\n' +
    'with contextlib.redirect_stdout(out): runpy.run_path(sys.argv[0], run_name="__main__")\n' +
    'r = json.loads(out.getvalue().strip().splitlines()[-1])\n' +
    'hwm = int(re.search(r"^VmHWM:\\s+(\\d+) kB$", open("/proc/self/status").read(), re.M).group(1))\n' +
    'print(json.dumps({"peakBytes": hwm * 1024, "msPerStep": r["msPerStep"]}))\n';
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', env: { ...PYTORCH_GLIBC, ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '2', OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) return (r.stderr || `exit ${r.status}`).trim().split('\n').pop()!;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { peakBytes: number; msPerStep: number };
}

export function benchPeakMemory(opts: { presets: string[]; large: boolean; log: (s: string) => void }): MemoryBench {
  const python = findTorchPython();
  // Both sides on the same OpenBLAS kernels (the torch backend names them for this CPU; children inherit the variable).
  opts.log(`peak memory: OPENBLAS_CORETYPE=${preferOpenblasCore() ?? '(OpenBLAS detects)'}`);
  const rows: PeakRow[] = [];
  const add = (impl: PeakRow['impl'], preset: string, batch: number, r: { peakBytes: number; msPerStep: number } | string) => {
    if (typeof r === 'string') return opts.log(`  ${impl} ${preset} batch ${batch}: failed (${r})`);
    rows.push({ impl, preset, batch, peakBytes: r.peakBytes, msPerStep: r.msPerStep });
    opts.log(`  ${impl} ${preset} batch ${batch}: peak ${(r.peakBytes / 2 ** 30).toFixed(2)} GiB, ${r.msPerStep.toFixed(0)} ms/step`);
  };
  for (const preset of opts.presets) {
    for (const batch of [1, 4]) {
      if (python.python !== null) add('pytorch', preset, batch, runPytorch(python.python, preset, batch));
      add('torch', preset, batch, runCover(preset, batch, false));
      add('torch recompute', preset, batch, runCover(preset, batch, true));
    }
  }
  if (opts.large) add('torch recompute', 'large', 1, runCover('large', 1, true));
  const perClip: MemoryBench['perClip'] = [];
  for (const preset of opts.presets) {
    const clip = (impl: string) => {
      const at = (b: number) => rows.find((r) => r.impl === impl && r.preset === preset && r.batch === b)?.peakBytes;
      const [one, four] = [at(1), at(4)];
      return one !== undefined && four !== undefined ? (four - one) / 3 : null;
    };
    const py = clip('pytorch');
    for (const impl of ['pytorch', 'torch', 'torch recompute']) {
      const c = clip(impl);
      if (c !== null) perClip.push({ preset, impl, bytesPerClip: c, vsPytorch: py ? c / py : null });
    }
  }
  return { rows, perClip };
}

/** The median of a non-empty list (the mean of the middle two when its length is even). */
function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Recompute's step time against the same step without it, from `n` interleaved pairs of fresh processes (off, then
 * blocks) at batch 4: one step each is noisy on a VM whose speed drifts, so each pair's ratio is shown, and the ratio of
 * the medians.
 */
function recomputePairs(preset: string, n: number, log: (s: string) => void): void {
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = runCover(preset, 4, false);
    const b = runCover(preset, 4, true);
    if (typeof a === 'string' || typeof b === 'string') return log(`${preset}: failed (${typeof a === 'string' ? a : b})`);
    off.push(a.msPerStep);
    on.push(b.msPerStep);
    log(`${preset} batch 4, pair ${i + 1}: off ${a.msPerStep.toFixed(0)} ms, recompute ${b.msPerStep.toFixed(0)} ms, ${(b.msPerStep / a.msPerStep).toFixed(2)}x`);
  }
  log(`${preset} batch 4: median off ${median(off).toFixed(0)} ms, median recompute ${median(on).toFixed(0)} ms, ${(median(on) / median(off)).toFixed(2)}x`);
}

export function renderMemoryBench(m: MemoryBench): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(b < 2 ** 30 ? 1 : 0);
  const t = table(['preset', 'implementation', 'peak at B=1 (MiB)', 'peak at B=4 (MiB)', 'per clip (MiB)', 'vs pytorch', 'ms/step at B=4']);
  for (const c of m.perClip) {
    const at = (b: number) => m.rows.find((r) => r.impl === c.impl && r.preset === c.preset && r.batch === b);
    t.push([c.preset, c.impl, mib(at(1)!.peakBytes), mib(at(4)!.peakBytes), mib(c.bytesPerClip), c.vsPytorch === null ? '-' : `${c.vsPytorch.toFixed(2)}x`, at(4)!.msPerStep.toFixed(0)]);
  }
  const large = m.rows.find((r) => r.preset === 'large');
  const tail = large ? `\nlarge (16 x 448, ${(getPreset('large').depth)} blocks), batch 1, recompute: one step ${(large.msPerStep / 1000).toFixed(0)} s, peak ${(large.peakBytes / 2 ** 30).toFixed(1)} GiB\n` : '';
  return `\nPeak resident memory of a training step (fresh process each; per clip = (peak at 4 - peak at 1) / 3)\n${t.toString()}\n${tail}`;
}

/**
 * cover's torch backend against PyTorch eager, one row per preset and implementation: the step at the bench's batch
 * (from the timing rows) beside the peak bytes a clip adds (from the memory rows), each with its ratio to PyTorch's,
 * and recompute's step time against its own run without it (both at batch 4, in the memory rows); `large` last.
 */
/**
 * The one table of issue 19: per preset, PyTorch's step and cover's torch step beside it (the medians over the pairs,
 * and each pair's ratio when there are several), and, with the memory rows, the peak a clip adds and recompute's cost.
 */
export function renderTorchSummary(train: { backend: string; preset: string; batch: number; microBatch: number; msPerStep: number; round?: number }[], m?: MemoryBench): string {
  const t = table(['preset', 'implementation', 'ms/step at B=8', 'vs pytorch', 'peak per clip (MiB)', 'vs pytorch', 'recompute: time vs off (B=4)']);
  const steps = (impl: string, preset: string) => train.filter((r) => r.backend === impl && r.preset === preset);
  const at4 = (impl: string, preset: string) => m?.rows.find((r) => r.impl === impl && r.preset === preset && r.batch === 4);
  const presets = [...new Set([...train.filter((r) => r.backend === 'pytorch').map((r) => r.preset), ...(m?.perClip.map((c) => c.preset) ?? [])])];
  for (const preset of presets) {
    const py = steps('pytorch', preset);
    for (const impl of ['pytorch', 'torch', 'torch recompute']) {
      const clip = m?.perClip.find((c) => c.preset === preset && c.impl === impl);
      const timed = impl === 'torch recompute' ? [] : steps(impl, preset);
      if (!clip && !timed.length) continue;
      const ms = timed.length ? median(timed.map((r) => r.msPerStep)) : null;
      const passes = timed[0] && timed[0].microBatch < timed[0].batch ? ` (${Math.ceil(timed[0].batch / timed[0].microBatch)} passes)` : '';
      let vs = '-';
      if (impl === 'torch' && ms !== null && py.length) {
        vs = `${(ms / median(py.map((r) => r.msPerStep))).toFixed(2)}x`;
        const pairs = timed.map((r) => [r, py.find((q) => (q.round ?? 0) === (r.round ?? 0))] as const).filter(([, q]) => q);
        if (pairs.length > 1) vs += ` (pairs ${pairs.map(([r, q]) => (r.msPerStep / q!.msPerStep).toFixed(2)).join(', ')})`;
      }
      const off4 = at4('torch', preset);
      const on4 = at4('torch recompute', preset);
      t.push([
        preset,
        impl,
        ms === null ? '-' : `${ms.toFixed(0)}${timed.length > 1 ? ` (median of ${timed.length})` : ''}${passes}`,
        vs,
        clip ? (clip.bytesPerClip / 2 ** 20).toFixed(1) : '-',
        !clip || clip.vsPytorch === null || impl === 'pytorch' ? '-' : `${clip.vsPytorch.toFixed(2)}x`,
        impl === 'torch recompute' && off4 && on4 ? `${(on4.msPerStep / off4.msPerStep).toFixed(2)}x` : '-',
      ]);
    }
  }
  const large = m?.rows.find((r) => r.preset === 'large');
  if (large) t.push(['large', 'torch recompute', `batch 1: ${(large.msPerStep / 1000).toFixed(0)} s`, '-', `peak ${(large.peakBytes / 2 ** 30).toFixed(1)} GiB`, '-', '-']);
  const what = m ? 'timing rows at batch 8, memory rows at batch 1 and 4' : 'timing rows at batch 8';
  return `\ncover's torch backend against PyTorch eager (this run: ${what})\n${t.toString()}\n`;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  const main = async () => {
    if (process.argv[2] === '--child') {
      const [preset, batch, mode, steps, warmup, micro] = process.argv.slice(3);
      return child(preset, Number(batch), mode === 'blocks', Number(steps), Number(warmup), Number(micro));
    }
    const json = process.argv.includes('--json');
    const log = (s: string) => process.stderr.write(`${s}\n`);
    if (arg('--pairs')) {
      for (const preset of (arg('--presets') ?? 'base').split(',')) recomputePairs(preset, Number(arg('--pairs')), log);
      return;
    }
    const m = benchPeakMemory({ presets: (arg('--presets') ?? 'tiny,small,base').split(','), large: process.argv.includes('--large'), log });
    process.stdout.write(json ? `${JSON.stringify(m, null, 2)}\n` : renderMemoryBench(m));
  };
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
