// Class names for ImageNet-style folders: a synset-to-name file (LOC_synset_mapping.txt, words.txt) in the dataset root
// or its parent gives DatasetIndex.displayNames, the labels stay the synsets, and shownLabels gives the names tables and
// predictions print. The folders are written by the test (ffmpeg JPEGs).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readImageFolder } from '../../../src/data/datasets/imagefolder';
import { shortName, shownLabels } from '../../../src/data/datasets/label_names';
import { headsFor } from '../../../src/train/run_data';
import { SYNSETS, mappingText, writeSynsetFolder } from '../../helpers/synset_folder';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-synsets-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ids = SYNSETS.map((s) => s.id);
const names = SYNSETS.map((s) => s.names);

test('LOC_synset_mapping.txt in the root: names beside the synset labels, in the head a training run builds', async () => {
  const root = writeSynsetFolder(path.join(tmp, 'loc', 'imagenet'), 1);
  fs.writeFileSync(path.join(root, 'LOC_synset_mapping.txt'), mappingText('loc'));
  const idx = await readImageFolder(root, { split: 'train' });
  expect(idx.labels).toEqual(ids);
  expect(idx.displayNames).toEqual(names);
  expect(shownLabels(idx)).toEqual(['tench', 'crane (n02012849)', 'crane (n03126707)']);
  expect(headsFor(new Map([['inet', idx]]))).toEqual([{ name: 'inet', numClasses: 3, labels: ids, displayNames: names }]);
});

test("words.txt (tab-separated, CRLF, other synsets too) in the root's parent", async () => {
  const parent = path.join(tmp, 'words');
  const root = writeSynsetFolder(path.join(parent, 'tiny-imagenet'), 1);
  fs.writeFileSync(path.join(parent, 'words.txt'), mappingText('words'));
  const idx = await readImageFolder(root, { split: 'val' });
  expect(idx.labels).toEqual(ids);
  expect(idx.displayNames).toEqual(names);
});

test('no mapping file, or one naming none of the classes: no names, the synsets are shown', async () => {
  const root = writeSynsetFolder(path.join(tmp, 'none', 'imagenet'), 1);
  expect((await readImageFolder(root, { split: 'train' })).displayNames).toBeUndefined();
  fs.writeFileSync(path.join(root, 'words.txt'), 'n09999999\tsomething else\n');
  const idx = await readImageFolder(root, { split: 'train' });
  expect(idx.displayNames).toBeUndefined();
  expect(shownLabels(idx)).toEqual(ids);
});

test('shortName and shownLabels', () => {
  expect(shortName('jersey, T-shirt, tee shirt')).toBe('jersey');
  expect(shortName('tench')).toBe('tench');
  // A class the file did not name keeps its id; an empty first name does too.
  expect(shownLabels({ labels: ['n1', 'n2', 'n3'], displayNames: ['n1', ', odd', 'goldfish, Carassius auratus'] })).toEqual(['n1', 'n2', 'goldfish']);
  expect(shownLabels({ labels: ['a', 'b'] })).toEqual(['a', 'b']);
});
