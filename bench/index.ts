// `npm run bench`: training step time and matmul GFLOP/s for the `tiny` and `small` presets on every backend present,
// next to the backend's measured plain-GEMM rate (the ceiling a matmul-bound step can reach), a kernel profile of the
// embedded default (small on wasm) showing where the rest of the time goes, and the data loader's decode throughput.
// Options: --json (one JSON object), --quick (fewer steps), --threads N (wasm threads), --backends wasm,cpu.

import * as tf from '@tensorflow/tfjs-core';
import { table } from '../src/cli/render';
import { initBackend } from '../src/engine/backend';
import { measureGemm } from '../src/engine/gemm_rate';
import { benchTrainStep, TrainBenchResult } from './train';
import { benchData, renderDataBench } from './data';

interface BenchReport {
  machine: { cpus: number; node: string };
  gemm: Record<string, number>;
  train: TrainBenchResult[];
  data?: unknown;
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
  const backends = (arg('--backends') ?? 'tensorflow,wasm,wasm2,cpu').split(',');
  const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : process.stdout.write(`${s}\n`));
  const report: BenchReport = { machine: { cpus: require('os').cpus().length, node: process.version }, gemm: {}, train: [] };

  for (const entry of backends) {
    const backend = entry === 'wasm2' ? 'wasm' : entry;
    try {
      await initBackend({ backend: backend as 'wasm' | 'cpu' | 'tensorflow', threads: entry === 'wasm2' ? 2 : backend === 'wasm' ? threads : undefined });
    } catch (err) {
      log(`${entry}: not available (${(err as Error).message})`);
      continue;
    }
    const name = entry === 'wasm2' ? 'wasm x2' : tf.getBackend();
    const gemm = measureGemm(backend === 'cpu' ? 256 : 1024, 500);
    report.gemm[name] = gemm.gflops;
    log(`${name}: plain GEMM ${gemm.n}^3 at ${gemm.gflops.toFixed(1)} GFLOP/s`);
    const slow = backend === 'cpu';
    for (const preset of ['tiny', 'small']) {
      const steps = slow && preset === 'small' ? 1 : quick ? 2 : 5;
      const r = { ...(await benchTrainStep({ preset, batch: 8, steps, profile: name === 'wasm' && preset === 'small' })), backend: name };
      report.train.push(r);
      log(`  ${preset}: ${r.msPerStep.toFixed(0)} ms/step, ${r.gflops.toFixed(1)} GFLOP/s, ${r.clipsPerSec.toFixed(1)} clips/s trained`);
    }
  }

  try {
    await initBackend({ backend: 'wasm' });
    report.data = await benchData({ quick });
  } catch (err) {
    log(`data: skipped (${(err as Error).message})`);
  }

  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const t = table(['backend', 'preset', 'B x T', 'ms/step', 'GFLOP/step', 'GFLOP/s', 'of GEMM peak', 'clips/s trained']);
  for (const r of report.train) {
    const peak = report.gemm[r.backend];
    t.push([r.backend, r.preset, `${r.batch} x ${r.frames}`, r.msPerStep.toFixed(0), r.gflopPerStep.toFixed(2), r.gflops.toFixed(1), peak ? `${((100 * r.gflops) / peak).toFixed(0)}%` : '-', r.clipsPerSec.toFixed(1)]);
  }
  process.stdout.write(`\nTraining step (matmul FLOPs counted analytically, fwd + bwd = 3x fwd)\n${t.toString()}\n`);
  const prof = report.train.find((r) => r.kernels);
  if (prof?.kernels) {
    const k = table(['kernel (small, wasm, one step)', 'ms', 'share']);
    for (const e of prof.kernels) k.push([e.kernel, e.ms.toFixed(1), `${(100 * e.share).toFixed(1)}%`]);
    process.stdout.write(`\nWhere a step's time goes\n${k.toString()}\n`);
  }
  if (report.data) process.stdout.write(`\nData loader (8 frames at 224x224 per clip)\n${renderDataBench(report.data as Parameters<typeof renderDataBench>[0])}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
