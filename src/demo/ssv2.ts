// The demo's motion set in the Something-Something v2 layout (docs/notes/cover-spec.md §4.2): `labels/labels.json`
// ({template without brackets: "index"}), `labels/train.json` and `labels/validation.json` ([{id, label, template,
// placeholders}]) and clips `20bn-something-something-v2/{id}.webm`. The class is WHAT HAPPENS, whatever the object:
// moving left/right/up/down, turning clockwise/anticlockwise, approaching/receding; a horizontal flip swaps
// left<->right and clockwise<->anticlockwise, so it changes the label.

import * as path from 'path';
import { promises as fs } from 'fs';
import { compareCodePoints } from '../data/datasets/common';
import { ssv2TemplateKey } from '../data/datasets/ssv2';
import { writeText } from './encode';
import { SSV2_ACTIONS, ssv2Motion } from './motion';
import { DemoContext, DemoDataset, fileRng, queueClip } from './plan';

export async function writeSsv2(ctx: DemoContext, finalRoot: string): Promise<DemoDataset> {
  const { preset } = ctx;
  const root = path.join(ctx.dir, 'ssv2');
  const actions = SSV2_ACTIONS.slice(0, preset.classes.ssv2);
  // Class ids follow the sorted templates, as in the released labels file.
  const keys = actions.map((a) => ssv2TemplateKey(a.template)).sort(compareCodePoints);
  const labelMap = Object.fromEntries(keys.map((k, i) => [k, String(i)]));
  const objects = ctx.sprites.classes.slice(0, preset.classes.k400);
  const videoDir = path.join(root, '20bn-something-something-v2');
  await fs.mkdir(path.join(root, 'labels'), { recursive: true });
  await fs.mkdir(videoDir, { recursive: true });
  await writeText(path.join(root, 'labels', 'labels.json'), JSON.stringify(labelMap, null, 1) + '\n');
  const used = new Set<number>();
  for (const split of ['train', 'val'] as const) {
    const entries: object[] = [];
    const n = split === 'train' ? preset.train : preset.val;
    actions.forEach((action, a) => {
      for (let i = 0; i < n; i++) {
        const rng = fileRng(ctx, 'ssv2', split, a, i);
        const idRng = rng.fork('id');
        let id = idRng.randint(1, 220000);
        while (used.has(id)) id = idRng.randint(1, 220000);
        used.add(id);
        const obj = rng.fork('object').randint(0, objects.length - 1);
        const thing = objects[obj].name;
        entries.push({ id: String(id), label: action.template.replace('[something]', thing), template: action.template, placeholders: [thing] });
        queueClip(ctx, path.join(videoDir, `${id}.webm`), rng, obj, split, (r) => ssv2Motion(action.motion, preset.frames, preset.size, r), {
          fps: 12,
          codec: 'vp9',
          gop: 16,
        });
      }
    });
    // One entry per line, as `file:line` problems then point at the entry.
    const text = '[\n' + entries.map((e) => JSON.stringify(e)).join(',\n') + '\n]\n';
    await writeText(path.join(root, 'labels', split === 'train' ? 'train.json' : 'validation.json'), text);
  }
  return { name: 'ssv2', format: 'ssv2', root: path.join(finalRoot, 'ssv2'), kind: 'video', classes: keys, train: keys.length * preset.train, val: keys.length * preset.val };
}
