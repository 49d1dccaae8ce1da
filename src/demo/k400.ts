// The demo's appearance set in the Kinetics layout (docs/notes/cover-spec.md §4.1): `annotations/{train,val}.csv` with
// the official header and clips `{split}/{label folder}/{youtube_id}_{start:06d}_{end:06d}.mp4`. The class is WHAT the
// object is (a Fashion-MNIST garment or a shape); every clip moves it at random over a random background.

import * as path from 'path';
import { promises as fs } from 'fs';
import { compareCodePoints } from '../data/datasets/common';
import { csvField } from '../data/datasets/csv';
import { kineticsClipName, kineticsLabelFolder } from '../data/datasets/kinetics';
import { writeText } from './encode';
import { wander } from './motion';
import { DemoContext, DemoDataset, fileRng, queueClip, youtubeId } from './plan';

export async function writeK400(ctx: DemoContext, finalRoot: string): Promise<DemoDataset> {
  const { preset } = ctx;
  const root = path.join(ctx.dir, 'k400');
  const labels = ctx.sprites.classes.slice(0, preset.classes.k400).map((c) => c.name);
  await fs.mkdir(path.join(root, 'annotations'), { recursive: true });
  for (const split of ['train', 'val'] as const) {
    const rows = ['label,youtube_id,time_start,time_end,split'];
    const n = split === 'train' ? preset.train : preset.val;
    labels.forEach((label, cls) => {
      for (let i = 0; i < n; i++) {
        const rng = fileRng(ctx, 'k400', split, cls, i);
        const id = youtubeId(rng.fork('id'));
        const start = rng.fork('time').randint(0, 290);
        const end = start + 10; // Kinetics clips are cut 10 s windows of the source video
        rows.push([csvField(label), csvField(id), start, end, split].join(','));
        const out = path.join(root, split, kineticsLabelFolder(label), kineticsClipName(id, start, end));
        queueClip(ctx, out, rng, cls, split, (r) => wander(preset.frames, preset.size, r), { fps: 12, codec: 'h264', gop: 8 });
      }
    });
    await writeText(path.join(root, 'annotations', `${split}.csv`), rows.join('\n') + '\n');
  }
  return { name: 'k400', format: 'kinetics', root: path.join(finalRoot, 'k400'), kind: 'video', classes: [...labels].sort(compareCodePoints), train: labels.length * preset.train, val: labels.length * preset.val };
}
