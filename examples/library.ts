// cover as a library, end to end: co-train a model on the demo suite with train(), evaluate its heads, predict on a
// video, and export the K400 head for PyTorch: what `cover cotrain`, `eval`, `predict` and `export` do, as calls.
// Build and run from the repository:  npm run build && node dist/examples/library.js [OUT]
// In a project of your own, import from the package instead of '../src'.

import * as path from 'path';
import { evaluateCheckpoint, exportCheckpoint, openDataset, predictWithCheckpoint, train } from '../src';

export async function main(out = 'runs/library', demoDir?: string): Promise<void> {
  // One training request: the datasets (the demo suite, since no `data` is given), the settings given explicitly (the
  // rest come from the recipe), the folder; log lines and progress come back through hooks.
  const { result, header } = await train(
    {
      kind: 'cotrain',
      datasets: ['k400', 'ssv2', 'imnet'],
      demo: { size: 'tiny', dir: demoDir },
      settings: { preset: 'tiny', steps: 20, batchSize: 4, evalEvery: 0, views: '1x1' },
      out: path.join(out, 'cotrain'),
      overwrite: true,
    },
    { log: (line) => console.log(line), header: (h) => console.log(`training ${h.datasets.join(' + ')} on ${h.backend.name}`) },
  );
  console.log(`trained ${result.steps} steps (${header.preset}), last loss ${result.lastLoss.toFixed(3)}`);

  // Every head on its val split; the confusion matrices go to the checkpoint's eval/ folder.
  const ev = await evaluateCheckpoint({ checkpoint: result.checkpoint, data: {}, views: '1x1', split: 'val' });
  for (const e of ev.evals) console.log(`${e.head}: top-1 ${(100 * e.top1).toFixed(1)}% on ${e.n} clips`);

  // The K400 head on one video of the suite.
  const k400 = await openDataset(ev.datasets.find((d) => d.name === 'k400')!.spec, { split: 'val' });
  const video = k400.samples[0].path;
  const p = await predictWithCheckpoint(result.checkpoint, video, { heads: ['k400'], top: 3 });
  console.log(`${path.basename(video)}: ${p.overall.k400.map((l) => `${l.label} ${l.prob.toFixed(2)}`).join(', ')}`);

  // The K400 head as the reference TimeSformer's state_dict (model.pth) and a Hugging Face-style safetensors.
  const ex = await exportCheckpoint(result.checkpoint, { format: 'timesformer', head: 'k400', out: path.join(out, 'export'), overwrite: true });
  console.log(`exported ${ex.files.join(', ')} to ${ex.out}`);
}

if (require.main === module) {
  main(process.argv[2]).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
