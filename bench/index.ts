// `npm run bench`: training step time and matmul GFLOP/s for the `tiny` and `small` presets on every backend present,
// next to the backend's measured plain-GEMM rate (the ceiling a matmul-bound step can reach), a kernel profile of the
// embedded default (small on wasm) showing where the rest of the time goes, and the data loader's decode throughput.
// Rows: 'wasm' is plain tfjs-wasm (--accel off), 'wasm+native' the same with the native accelerator, 'pytorch' the same
// model and step in PyTorch (bench/torch_step.py, when a python3 with torch is importable; COVER_PYTHON picks one),
// 'wasm2' the threaded wasm build, 'torch' cover's libtorch backend (torch/, when built; with PyTorch's rows, each preset
// in a fresh process right after PyTorch's), 'cpu' plain JS. `base` (the
// reference TimeSformer-B) is timed on torch and PyTorch only: it does not fit the wasm heap; torch runs it at the micro-batch
// a training run would pick here (the largest that fits the machine's memory), shown in the B x T column. GFLOP/s are set against the machine's sgemm peak: the best plain
// 1024^3 GEMM rate measured in the run (native BLAS, torch, or wasm).
// Options: --json (one JSON object), --quick (fewer steps), --threads N (wasm threads), --backends wasm,wasm+native,cpu,
// --no-base (skip the `base` rows: a step takes tens of seconds on 2 cores), --no-memory (skip the peak-memory rows:
// torch with and without recompute against PyTorch, a fresh process each, bench/memory.ts), --large (add `large` at batch 1
// with recompute to them: one step takes minutes), --pairs N (each preset's PyTorch row and cover's torch row beside it
// N times, interleaved; the summary gives the ratio of the medians and each pair's), --presets tiny,small,base (the
// presets of those rows).

import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import { table } from '../src/cli/render';
import { initBackend } from '../src/engine/backend';
import { measureGemm } from '../src/engine/gemm_rate';
import { backendCapacity, fits } from '../src/engine/capacity';
import { planTrainingMemory } from '../src/model/memory';
import { getPreset, PRESET_NAMES } from '../src/config/presets';
import { benchTrainStep, lossTrajectory, TrainBenchResult, warmupSteps } from './train';
import { benchData, renderDataBench } from './data';
import { benchDecode, renderDecodeBench } from './decode';
import { benchTorch } from './torch';
import { benchPeakMemory, MemoryBench, renderMemoryBench, renderTorchSummary, runCover } from './memory';

interface BenchReport {
  machine: { cpus: number; node: string };
  gemm: Record<string, number>;
  train: TrainBenchResult[];
  /** 20 `small` steps from one seed on plain wasm and with the accelerator: the largest loss difference. */
  accelLossCheck?: { steps: number; maxAbsDiff: number; off: number[]; native: number[] };
  data?: unknown;
  decode?: unknown;
  /** Peak resident memory of a step, torch (with and without recompute) against PyTorch eager (bench/memory.ts). */
  memory?: MemoryBench;
}

/**
 * The micro-batch a torch training run picks for `preset` at batch `B` here (the trainer's auto micro-batch): `B` when
 * the step fits the machine's free memory, else the largest that does (`base` at batch 8 on a 24 GiB machine: 4).
 */
function torchMicroBatch(preset: string, B: number): number {
  const cap = backendCapacity('torch');
  for (let m = B; m > 1; m--) {
    const plan = planTrainingMemory({ model: getPreset(preset), headClasses: [10], optimizer: 'adamw', batchSize: B, microBatch: m, path: 'torch' });
    if (fits(plan.totalBytes, cap)) return m;
  }
  return 1;
}

/** A bad option: one line, exit 2. */
function usage(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
  process.exitCode = 2;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const quick = process.argv.includes('--quick');
  const threads = arg('--threads') ? Number(arg('--threads')) : undefined;
  // 'wasm2' is wasm with the opt-in 2-thread build (--threads 2).
  // PyTorch first: its base step needs ~17 GB, which it could not get once this process holds torch's and wasm's memory.
  const backends = (arg('--backends') ?? 'pytorch,tensorflow,wasm,wasm+native,torch,wasm2,cpu').split(',');
  const withBase = !process.argv.includes('--no-base');
  const presets = arg('--presets')?.split(',') ?? (withBase ? ['tiny', 'small', 'base'] : ['tiny', 'small']);
  const rounds = Number(arg('--pairs') ?? 1);
  const unknown = presets.filter((p) => !(PRESET_NAMES as string[]).includes(p));
  if (unknown.length) return usage(`--presets ${arg('--presets')}: no preset named ${unknown.join(', ')} (give some of ${PRESET_NAMES.join(', ')})`);
  if (!Number.isInteger(rounds) || rounds < 1) return usage(`--pairs ${arg('--pairs')}: not a whole number of pairs (give 1 or more)`);
  const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : process.stdout.write(`${s}\n`));
  const report: BenchReport = { machine: { cpus: os.cpus().length, node: process.version }, gemm: {}, train: [] };

  // cover's torch rows are timed beside PyTorch's, each in a fresh process right after PyTorch's of the same preset:
  // this VM's speed drifts by 20% over minutes, and a process that has held `base` runs slower after it.
  const paired = new Set<string>();
  if (backends.includes('pytorch')) {
    const beside = (preset: string, steps: number, round: number) => {
      const r = runCover(preset, 8, false, { steps, warmup: warmupSteps(preset), microBatch: torchMicroBatch(preset, 8) });
      if (typeof r === 'string') return log(`  torch ${preset}: failed (${r})`);
      report.train.push({ ...r, backend: 'torch', round });
      paired.add(r.preset);
      log(`  torch ${preset}: ${r.msPerStep.toFixed(0)} ms/step, ${r.gflops.toFixed(1)} GFLOP/s, ${r.clipsPerSec.toFixed(1)} clips/s trained`);
    };
    const rows = await benchTorch(presets, { steps: quick ? 2 : 10, batch: 8, rounds, log, beside: backends.includes('torch') ? beside : undefined });
    for (const r of rows) report.train.push(r.result);
    if (rows.length) report.gemm.pytorch = rows[0].gemmGflops;
  }
  // Peak memory next, each in a fresh process, while this one holds nothing: once it has timed `base` on torch it
  // keeps ~16 GB for reuse (glibc and the addon do not give freed memory back), and a 9 GB PyTorch child beside that
  // would not fit a 24 GiB machine.
  if (backends.includes('torch') && !process.argv.includes('--no-memory')) {
    log('peak memory (a fresh process each):');
    report.memory = benchPeakMemory({ presets, large: process.argv.includes('--large'), log });
  }

  for (const entry of backends) {
    if (entry === 'pytorch') continue;
    const backend = entry === 'wasm2' || entry === 'wasm+native' ? 'wasm' : entry;
    const accel = entry === 'wasm+native' ? 'native' : 'off';
    try {
      await initBackend({ backend: backend as 'wasm' | 'cpu' | 'tensorflow' | 'torch', threads: entry === 'wasm2' ? 2 : entry === 'wasm' ? threads : undefined, accel });
    } catch (err) {
      log(`${entry}: not available (${(err as Error).message})`);
      continue;
    }
    const name = entry === 'wasm2' ? 'wasm x2' : entry === 'wasm+native' ? 'wasm+native' : tf.getBackend();
    const gemm = measureGemm(backend === 'cpu' ? 256 : 1024, 500);
    report.gemm[name] = gemm.gflops;
    log(`${name}: plain GEMM ${gemm.n}^3 at ${gemm.gflops.toFixed(1)} GFLOP/s`);
    const slow = backend === 'cpu';
    for (const preset of (name === 'torch' && withBase ? ['tiny', 'small', 'base'] : ['tiny', 'small']).filter((p) => !(name === 'torch' && paired.has(p)))) {
      const steps = (slow && preset === 'small') || preset === 'base' ? (quick ? 1 : 2) : quick ? 2 : 10;
      const microBatch = name === 'torch' ? torchMicroBatch(preset, 8) : undefined;
      const r = { ...(await benchTrainStep({ preset, batch: 8, steps, microBatch, profile: (name === 'wasm' || name === 'wasm+native') && preset === 'small' })), backend: name };
      report.train.push(r);
      log(`  ${preset}: ${r.msPerStep.toFixed(0)} ms/step, ${r.gflops.toFixed(1)} GFLOP/s, ${r.clipsPerSec.toFixed(1)} clips/s trained`);
    }
  }

  if (backends.includes('wasm') && backends.includes('wasm+native')) {
    try {
      const steps = quick ? 5 : 20;
      await initBackend({ backend: 'wasm', accel: 'off' });
      const off = lossTrajectory({ preset: 'small', batch: 8, steps });
      await initBackend({ backend: 'wasm', accel: 'native' });
      const native = lossTrajectory({ preset: 'small', batch: 8, steps });
      const maxAbsDiff = Math.max(...off.map((l, i) => Math.abs(l - native[i])));
      report.accelLossCheck = { steps, maxAbsDiff, off, native };
      log(`losses over ${steps} small steps, plain wasm vs accelerator: max difference ${maxAbsDiff.toExponential(1)}`);
    } catch (err) {
      log(`accelerator loss check: skipped (${(err as Error).message})`);
    }
  }

  try {
    await initBackend({ backend: 'wasm', accel: 'off' });
    report.data = await benchData({ quick });
  } catch (err) {
    log(`data: skipped (${(err as Error).message})`);
  }
  try {
    report.decode = await benchDecode({ clips: quick ? 6 : 16, log });
  } catch (err) {
    log(`decode: skipped (${(err as Error).message})`);
  }

  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const peak = Math.max(0, ...Object.values(report.gemm));
  const t = table(['backend', 'preset', 'B x T', 'ms/step', 'vs pytorch', 'GFLOP/step', 'GFLOP/s', 'of sgemm peak', 'clips/s trained']);
  for (const r of report.train) {
    const torch = report.train.find((q) => q.backend === 'pytorch' && q.preset === r.preset && (q.round ?? 0) === (r.round ?? 0));
    const ratio = torch ? `${(r.msPerStep / torch.msPerStep).toFixed(2)}x` : '-';
    const micro = r.microBatch < r.batch ? ` (${Math.ceil(r.batch / r.microBatch)} passes of ${r.microBatch})` : '';
    t.push([r.backend, r.preset, `${r.batch} x ${r.frames}${micro}`, r.msPerStep.toFixed(0), ratio, r.gflopPerStep.toFixed(2), r.gflops.toFixed(1), peak ? `${((100 * r.gflops) / peak).toFixed(0)}%` : '-', r.clipsPerSec.toFixed(1)]);
  }
  const peaks = Object.entries(report.gemm).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  process.stdout.write(`\nTraining step (matmul FLOPs counted analytically, fwd + bwd = 3x fwd; sgemm peak ${peak.toFixed(0)} GFLOP/s = best of: ${peaks})\n${t.toString()}\n`);
  for (const prof of report.train.filter((r) => r.kernels)) {
    const k = table([`kernel (${prof.preset}, ${prof.backend}, one step)`, 'ms', 'share']);
    for (const e of prof.kernels!) k.push([e.kernel, e.ms.toFixed(1), `${(100 * e.share).toFixed(1)}%`]);
    process.stdout.write(`\nWhere a step's time goes\n${k.toString()}\n`);
  }
  if (report.accelLossCheck) {
    const c = report.accelLossCheck;
    process.stdout.write(`\nSame step with and without the accelerator: losses over ${c.steps} small steps differ by at most ${c.maxAbsDiff.toExponential(1)} (first ${c.off[0].toFixed(6)} / ${c.native[0].toFixed(6)}, last ${c.off[c.steps - 1].toFixed(6)} / ${c.native[c.steps - 1].toFixed(6)})\n`);
  }
  if (report.memory) process.stdout.write(renderMemoryBench(report.memory));
  if (report.memory || paired.size) process.stdout.write(renderTorchSummary(report.train, report.memory));
  if (report.decode) {
    process.stdout.write(`\nDecoders on the same clips (clips/s; compare with 'clips/s trained' above)\n${renderDecodeBench(report.decode as Parameters<typeof renderDecodeBench>[0])}\n`);
  }
  if (report.data) process.stdout.write(`\nData loader (8 frames at 224x224 per clip)\n${renderDataBench(report.data as Parameters<typeof renderDataBench>[0])}\n`);
}

main().then(
  () => process.exit(), // exitCode: 2 after a bad option
  (err) => {
    process.stderr.write(`bench failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
