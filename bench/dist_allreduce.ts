// The all-reduce of one data-parallel step, alone: every trained parameter of a preset (one head of 400 classes)
// averaged over the ranks by the same call the trainer makes (ProcessGroup.allreduce: 25 MiB buckets, Gloo), timed
// `--reps` times after one warm-up. Start it as the ranks of a job, e.g.
//   npx tsc -p tsconfig.json && /usr/bin/python3 -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 2 \
//     --tee 2 --no_python node dist/bench/dist_allreduce.js --preset small --reps 5
// Rank 0 prints one JSON line: preset, parameters, MB reduced, and the median and each time in ms.

import * as tf from '@tensorflow/tfjs-core';
import { getPreset } from '../src/config/presets';
import { startTorch } from '../src/engine/backends/torch';
import { currentJob } from '../src/dist/job';
import { ProcessGroup } from '../src/dist/process_group';
import { TimeSformer } from '../src/model/timesformer';

async function main(): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const preset = arg('--preset', 'small');
  const reps = Number(arg('--reps', '5'));
  const job = currentJob();
  if (!job) throw new Error('start it with torchrun (or srun): it is one rank of a job');
  tf.env().set('PROD', true);
  await startTorch({ device: 'cpu' });
  const pg = ProcessGroup.join(job);
  const model = new TimeSformer(getPreset(preset), [{ name: 'k400', numClasses: 400, labels: Array.from({ length: 400 }, (_, i) => String(i)) }], 0);
  const grads = [...model.namedWeights().values()].filter((v) => v.trainable);
  const floats = grads.reduce((n, g) => n + g.size, 0);
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    pg.barrier();
    const out = pg.allreduce(grads, 1 / pg.world);
    if (r > 0) times.push(pg.lastAllreduceMs);
    tf.dispose(out);
  }
  pg.barrier();
  times.sort((a, b) => a - b);
  if (pg.isWriter) {
    console.log(JSON.stringify({ preset, ranks: pg.world, backend: pg.backend, parameters: floats, mb: +(floats * 4 / 2 ** 20).toFixed(1), medianMs: +times[Math.floor(times.length / 2)].toFixed(1), ms: times.map((t) => +t.toFixed(1)) }));
  }
  model.dispose();
  pg.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
