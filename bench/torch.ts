// The PyTorch row of `npm run bench`: the same model (cover's preset config, passed as JSON) and the same step (forward,
// backward, gradient norm, AdamW) in bench/torch_step.py, run with the probe's fastest setting on this kind of machine:
// 1 torch thread and OpenBLAS with as many threads as cores (COVER_TORCH_THREADS / OPENBLAS_NUM_THREADS override), and
// the OpenBLAS kernels the torch backend picks (OPENBLAS_CORETYPE, engine/blas_core.ts).
// Skipped, with the reason, when no python3 with torch is importable (COVER_PYTHON picks the interpreter).

import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { getPreset } from '../src/config/presets';
import { preferOpenblasCore } from '../src/engine/backends/torch';
import { trainStepFlops } from '../src/model/flops';
import { TrainBenchResult, warmupSteps } from './train';

const SCRIPT = path.join(__dirname, '..', '..', 'bench', 'torch_step.py');

/** The first interpreter that imports torch: $COVER_PYTHON, python3, /usr/bin/python3. */
export function findTorchPython(): { python: string; version: string } | { python: null; why: string } {
  const candidates = [process.env.COVER_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    // From /: in the repository the torch/ folder (the addon) would pass for a namespace package named torch.
    const r = spawnSync(python, ['-c', 'import torch; torch.zeros(1); print(torch.__version__)'], { encoding: 'utf8', cwd: '/' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return { python: null, why: `no python3 with torch importable (tried ${candidates.join(', ')}; apt-get install python3-torch)` };
}

/**
 * PyTorch's fastest glibc settings here: freed memory is kept for reuse instead of unmapped and faulted in again
 * (docs/notes/libtorch-probe.md: base 91 s -> 45 s a step). cover's torch rows run without them, as a user's run does:
 * the addon keeps freed memory itself (mallopt), and with these set as well its `small` step took 10-20% longer.
 */
export const PYTORCH_GLIBC = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295' };

/**
 * PyTorch eager's step for each preset, a fresh python3 each; `beside(preset, steps, round)` runs right after each row.
 * With `rounds` > 1, each preset's row and the one beside it are repeated that many times, interleaved: a ratio near 1
 * is resolved only by several pairs on a VM whose speed drifts.
 */
export async function benchTorch(
  presets: string[],
  opts: { steps: number; batch: number; rounds?: number; log: (s: string) => void; beside?: (preset: string, steps: number, round: number) => void },
): Promise<{ result: TrainBenchResult; gemmGflops: number }[]> {
  const found = findTorchPython();
  if (found.python === null) {
    opts.log(`pytorch: skipped (${'why' in found ? found.why : ''})`);
    return [];
  }
  const blasThreads = process.env.OPENBLAS_NUM_THREADS ?? String(os.cpus().length);
  const torchThreads = process.env.COVER_TORCH_THREADS ?? '1';
  // The OpenBLAS kernels cover's torch backend names for this CPU (OpenBLAS 0.3.21 falls back to SSE3 ones on CPUs it
  // does not know), so both rows run the same sgemm.
  const core = preferOpenblasCore();
  opts.log(`pytorch: torch ${found.version} (${found.python}), ${torchThreads} torch thread(s), OPENBLAS_NUM_THREADS=${blasThreads}, OPENBLAS_CORETYPE=${core ?? '(OpenBLAS detects)'}`);
  const out: { result: TrainBenchResult; gemmGflops: number }[] = [];
  for (const preset of presets) for (let round = 0; round < (opts.rounds ?? 1); round++) {
    const cfg = getPreset(preset);
    const steps = preset === 'base' ? Math.min(opts.steps, 2) : opts.steps; // a base step takes tens of seconds here
    const r = spawnSync(
      found.python,
      [SCRIPT, '--config', JSON.stringify(cfg), '--batch', String(opts.batch), '--steps', String(steps), '--warmup', String(warmupSteps(preset)), '--classes', '10', '--torch-threads', torchThreads],
      {
        encoding: 'utf8',
        env: { ...PYTORCH_GLIBC, ...process.env, OPENBLAS_NUM_THREADS: blasThreads, OMP_NUM_THREADS: torchThreads },
      },
    );
    if (r.status !== 0) {
      opts.log(`pytorch: ${preset} failed (${(r.stderr || '').trim().split('\n').pop()})`);
      continue;
    }
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { msPerStep: number; gemmGflops: number };
    const flop = trainStepFlops(cfg, opts.batch, cfg.numFrames, cfg.imgSize, [10]);
    const result: TrainBenchResult = {
      backend: 'pytorch',
      preset,
      batch: opts.batch,
      frames: cfg.numFrames,
      microBatch: opts.batch,
      msPerStep: j.msPerStep,
      gflopPerStep: flop / 1e9,
      gflops: flop / 1e9 / (j.msPerStep / 1000),
      clipsPerSec: opts.batch / (j.msPerStep / 1000),
      steps,
      round,
    };
    opts.log(`  ${preset}: ${j.msPerStep.toFixed(0)} ms/step, ${result.gflops.toFixed(1)} GFLOP/s (torch sgemm ${j.gemmGflops.toFixed(0)} GFLOP/s)`);
    out.push({ result, gemmGflops: j.gemmGflops });
    opts.beside?.(preset, steps, round); // a row to compare with this one, measured in the same state of the machine
  }
  return out;
}
