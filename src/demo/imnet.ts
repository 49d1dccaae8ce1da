// The demo's image set in the ImageNet layout (docs/notes/cover-spec.md §4.4): `train/<wnid>/<wnid>_<n>.JPEG`,
// `val/<wnid>/ILSVRC2012_val_<8 digits>.JPEG` and `LOC_synset_mapping.txt`. Its classes are the appearance set's
// object categories (for Fashion-MNIST, the matching ImageNet-1k synsets: t-shirt -> n03595614 "jersey, T-shirt"),
// as single images: the image <-> video co-training case of CoVeR.

import * as path from 'path';
import { promises as fs } from 'fs';
import { compareCodePoints } from '../data/datasets/common';
import { writeText } from './encode';
import { DemoContext, DemoDataset, fileRng, queueImage } from './plan';

export async function writeImnet(ctx: DemoContext, finalRoot: string): Promise<DemoDataset> {
  const { preset } = ctx;
  const root = path.join(ctx.dir, 'imnet');
  const classes = ctx.sprites.classes.slice(0, preset.classes.imnet).map((c, i) => ({ ...c, sprite: i }));
  classes.sort((a, b) => compareCodePoints(a.wnid, b.wnid));
  await fs.mkdir(root, { recursive: true });
  await writeText(path.join(root, 'LOC_synset_mapping.txt'), classes.map((c) => `${c.wnid} ${c.words}`).join('\n') + '\n');
  let valNo = 0;
  for (const split of ['train', 'val'] as const) {
    const n = split === 'train' ? preset.imageTrain : preset.imageVal;
    for (const c of classes) {
      for (let i = 0; i < n; i++) {
        const rng = fileRng(ctx, 'imnet', split, c.wnid, i);
        const file = split === 'train' ? `${c.wnid}_${i + 1}.JPEG` : `ILSVRC2012_val_${String(++valNo).padStart(8, '0')}.JPEG`;
        queueImage(ctx, path.join(root, split, c.wnid, file), rng, c.sprite, split);
      }
    }
  }
  return {
    name: 'imnet',
    format: 'imagefolder',
    root: path.join(finalRoot, 'imnet'),
    kind: 'image',
    classes: classes.map((c) => c.wnid),
    train: classes.length * preset.imageTrain,
    val: classes.length * preset.imageVal,
  };
}
