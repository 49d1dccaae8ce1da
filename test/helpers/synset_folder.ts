// An ImageNet-style folder made by the tests: train/<synset>/*.JPEG and val/<synset>/*.JPEG, one solid-colour JPEG per
// class (ffmpeg) copied `perClass` times, and a synset-to-name file in the format asked for.
import * as fs from 'fs';
import * as path from 'path';
import { ffmpeg } from './media';

/** Three classes, two of which share their first name, as ImageNet's two cranes (the bird and the machine) do. */
export const SYNSETS: Array<{ id: string; names: string; colour: string }> = [
  { id: 'n01440764', names: 'tench, Tinca tinca', colour: 'red' },
  { id: 'n02012849', names: 'crane', colour: 'green' },
  { id: 'n03126707', names: 'crane', colour: 'blue' },
];

/** `LOC_synset_mapping.txt` as ILSVRC/Kaggle ship it (`<synset> <names>`), or `words.txt` (tab, plus other synsets). */
export function mappingText(kind: 'loc' | 'words'): string {
  if (kind === 'loc') return SYNSETS.map((s) => `${s.id} ${s.names}`).join('\n') + '\n';
  const extra = ['n00001740\tentity', 'n09999999\tsomething else, not a class here'];
  return [extra[0], ...SYNSETS.map((s) => `${s.id}\t${s.names}`), extra[1]].join('\r\n') + '\r\n';
}

/** Writes the folder at `root` (train: perClass images per class, val: 1); returns root. */
export function writeSynsetFolder(root: string, perClass = 4): string {
  let val = 0;
  for (const s of SYNSETS) {
    const train = path.join(root, 'train', s.id);
    fs.mkdirSync(train, { recursive: true });
    fs.mkdirSync(path.join(root, 'val', s.id), { recursive: true });
    const first = path.join(train, `${s.id}_1.JPEG`);
    ffmpeg(['-f', 'lavfi', '-i', `color=c=${s.colour}:s=48x48`, '-frames:v', '1', first]);
    for (let i = 2; i <= perClass; i++) fs.copyFileSync(first, path.join(train, `${s.id}_${i}.JPEG`));
    fs.copyFileSync(first, path.join(root, 'val', s.id, `ILSVRC2012_val_${String(++val).padStart(8, '0')}.JPEG`));
  }
  return root;
}
