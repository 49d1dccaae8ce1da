// One part of the GPU check per call (bench/gpu_check.sh runs each under its own `timeout`, so a hang costs one row):
//   node dist/bench/gpu_check.js losses --device cuda --preset small --batch 4 --steps 20
//   node dist/bench/gpu_check.js step --device cuda --precision bf16 --preset base --batch 32 --micro 8 --steps 3
//   node dist/bench/gpu_check.js allreduce --device cuda --preset base
//   node dist/bench/gpu_check.js decoder --device cuda
//   node dist/bench/gpu_check.js config --preset base
// Each prints one JSON line on stdout; a part that cannot run prints {"error": "..."} and exits 1. All on the torch
// backend (libtorch), the backend the GPU runs.

import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import { getPreset } from '../src/config/presets';
import { initBackend, TorchDevice, TorchPrecision } from '../src/engine/backend';
import { readLaunchEnv } from '../src/dist/launch_env';
import { ProcessGroup } from '../src/dist/process_group';
import { TimeSformer } from '../src/model/timesformer';
import { loadAv } from '../src/data/decode/video/av_addon';
import { benchTrainStep, lossTrajectory } from './train';

type Args = Record<string, string>;

function parseArgs(argv: string[]): Args {
  const out: Args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`gpu_check: expected --name value pairs, got ${argv.slice(i).join(' ')}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

const num = (a: Args, k: string, d: number) => (a[k] === undefined ? d : Number(a[k]));
const maxRssMiB = () => +(process.resourceUsage().maxRSS / 1024).toFixed(0);

async function start(a: Args): Promise<{ device: TorchDevice; precision: TorchPrecision; libtorch: string }> {
  const device = (a.device ?? 'cpu') as TorchDevice;
  const precision = (a.precision ?? 'fp32') as TorchPrecision;
  tf.env().set('PROD', true);
  const t = (await initBackend({ backend: 'torch', device, precision })).torch;
  return { device, precision, libtorch: t ? `${t.version} (${t.source})` : 'unknown' };
}

/** Losses of `steps` training steps from one seed: run once on cuda and once on cpu, and the report compares them. */
async function losses(a: Args): Promise<object> {
  const s = await start(a);
  const t0 = performance.now();
  const l = lossTrajectory({ preset: a.preset ?? 'small', batch: num(a, 'batch', 4), steps: num(a, 'steps', 20) });
  return { ...s, preset: a.preset ?? 'small', batch: num(a, 'batch', 4), losses: l, seconds: +((performance.now() - t0) / 1000).toFixed(2), maxRssMiB: maxRssMiB() };
}

/** One preset's training step (AdamW, clipping) at a batch, as `npm run bench` times it: ms per step, median. */
async function step(a: Args): Promise<object> {
  const s = await start(a);
  const r = await benchTrainStep({ preset: a.preset ?? 'base', batch: num(a, 'batch', 8), microBatch: num(a, 'micro', num(a, 'batch', 8)), steps: num(a, 'steps', 3), warmup: 1 });
  return { ...s, ...r, maxRssMiB: maxRssMiB() };
}

/** A world-1 all-reduce of every trained parameter of a preset (NCCL on cuda, Gloo on cpu), the trainer's own call. */
async function allreduce(a: Args): Promise<object> {
  const s = await start(a);
  const job = readLaunchEnv({ RANK: '0', WORLD_SIZE: '1', MASTER_ADDR: '127.0.0.1', MASTER_PORT: a.port ?? '29511' });
  if (!job) throw new Error('gpu_check: no launch environment');
  const pg = ProcessGroup.join(job);
  const model = new TimeSformer(getPreset(a.preset ?? 'base'), [{ name: 'k400', numClasses: 400, labels: Array.from({ length: 400 }, (_, i) => String(i)) }], 0);
  try {
    const grads = [...model.namedWeights().values()].filter((v) => v.trainable);
    const want = grads.map((g) => g.dataSync().slice(0, 4));
    const times: number[] = [];
    let maxErr = 0;
    for (let r = 0; r < 4; r++) {
      const out = pg.allreduce(grads, 1 / pg.world);
      if (r > 0) times.push(pg.lastAllreduceMs);
      // A world of one averages over itself: the values come back unchanged.
      out.forEach((o, i) => o.dataSync().slice(0, 4).forEach((v, j) => (maxErr = Math.max(maxErr, Math.abs(v - want[i][j])))));
      tf.dispose(out);
    }
    times.sort((x, y) => x - y);
    const floats = grads.reduce((n, g) => n + g.size, 0);
    return { ...s, backend: pg.backend, preset: a.preset ?? 'base', mb: +((floats * 4) / 2 ** 20).toFixed(1), medianMs: +times[Math.floor(times.length / 2)].toFixed(2), maxErr };
  } finally {
    model.dispose();
    pg.destroy();
  }
}

/** The decoder's GPU path (NVDEC through the in-process decoder, av/): whether it can open here, or why not. */
async function decoder(a: Args): Promise<object> {
  const { addon, error } = loadAv();
  if (!addon) return { skipped: `the in-process decoder (av/) is ${error}` };
  const problem = a.device === 'cuda' ? addon.cudaProblem() : 'asked for --device cpu';
  return { ffmpeg: addon.info().ffmpeg ?? null, nvdec: problem === '' ? 'opens' : problem };
}

async function main(): Promise<void> {
  const [part, ...rest] = process.argv.slice(2);
  const a = parseArgs(rest);
  const parts: Record<string, (a: Args) => Promise<object>> = {
    losses,
    step,
    allreduce,
    decoder,
  };
  // The model config alone, for bench/torch_step.py --config.
  if (part === 'config') return console.log(JSON.stringify(getPreset(a.preset ?? 'base')));
  const run = parts[part];
  if (!run) throw new Error(`gpu_check: unknown part '${part}' (one of config, ${Object.keys(parts).join(', ')})`);
  console.log(JSON.stringify({ part, host: os.hostname(), ...(await run(a)) }));
}

main().catch((err) => {
  console.log(JSON.stringify({ error: String((err as Error)?.message ?? err).split('\n')[0] }));
  process.exit(1);
});
