// The demo's event set in the Moments-in-Time layout (docs/notes/cover-spec.md §4.3): `moments_categories.txt`
// (`category,index`), `trainingSet.csv` / `validationSet.csv` (no header: `category/file.mp4,category,agreement
// counts`) and clips under `videos/training/<category>/` and `videos/validation/<category>/`. The class is an event
// (bouncing, spinning, shaking, blinking, sliding, falling) that looks the same mirrored, with any object.

import * as path from 'path';
import { promises as fs } from 'fs';
import { writeText } from './encode';
import { MIT_EVENTS, mitMotion } from './motion';
import { DemoContext, DemoDataset, fileRng, queueClip, youtubeId } from './plan';

export async function writeMit(ctx: DemoContext, finalRoot: string): Promise<DemoDataset> {
  const { preset } = ctx;
  const root = path.join(ctx.dir, 'mit');
  const categories = [...MIT_EVENTS.slice(0, preset.classes.mit)].sort();
  const objects = ctx.sprites.classes.slice(0, preset.classes.k400);
  await fs.mkdir(root, { recursive: true });
  await writeText(path.join(root, 'moments_categories.txt'), categories.map((c, i) => `${c},${i}`).join('\n') + '\n');
  for (const split of ['train', 'val'] as const) {
    const dirName = split === 'train' ? 'training' : 'validation';
    const rows: string[] = [];
    const n = split === 'train' ? preset.train : preset.val;
    categories.forEach((cat) => {
      for (let i = 0; i < n; i++) {
        const rng = fileRng(ctx, 'mit', split, cat, i);
        const rel = `${cat}/yt-${youtubeId(rng.fork('id'))}_${rng.fork('time').randint(1, 300)}.mp4`;
        const agree = rng.fork('agreement').randint(2, 4);
        rows.push(`${rel},${cat},${agree},${4 - agree}`);
        const obj = rng.fork('object').randint(0, objects.length - 1);
        queueClip(ctx, path.join(root, 'videos', dirName, rel), rng, obj, split, (r) => mitMotion(cat, preset.frames, preset.size, r), {
          fps: 10,
          codec: 'h264',
          gop: 8,
        });
      }
    });
    await writeText(path.join(root, split === 'train' ? 'trainingSet.csv' : 'validationSet.csv'), rows.join('\n') + '\n');
  }
  return { name: 'mit', format: 'mit', root: path.join(finalRoot, 'mit'), kind: 'video', classes: categories, train: categories.length * preset.train, val: categories.length * preset.val };
}
