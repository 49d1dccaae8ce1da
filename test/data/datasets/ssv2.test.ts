import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../../src/errors';
import { readSsv2, ssv2TemplateKey, topLevelElementLines } from '../../../src/data/datasets/ssv2';
import { TinySuite, copyDataset, makeTinySuite } from './fixture';

let suite: TinySuite;
let ssv2: string;

beforeAll(async () => {
  suite = await makeTinySuite();
  ssv2 = path.join(suite.root, 'ssv2');
});
afterAll(() => suite?.cleanup());

test('template keys drop the brackets, as labels.json does', () => {
  expect(ssv2TemplateKey('Putting [something] next to [something]')).toBe('Putting something next to something');
});

test('topLevelElementLines finds where each entry starts, whatever the formatting', () => {
  expect(topLevelElementLines('[\n{"a":"x,]"},\n{"b":[1,\n2]}\n]')).toEqual([2, 3]);
  expect(topLevelElementLines('[{"id":"1"},{"id":"2"}]')).toEqual([1, 1]);
  expect(topLevelElementLines('[ ]')).toEqual([]);
});

describe('readSsv2 on the generated layout', () => {
  test('classes come from labels.json; entries map template -> class; no flips', async () => {
    const train = await readSsv2(ssv2, { split: 'train' });
    const val = await readSsv2(ssv2, { split: 'val' });
    const labelMap = JSON.parse(await fs.readFile(path.join(ssv2, 'labels', 'labels.json'), 'utf8')) as Record<string, string>;
    expect(train.labels).toHaveLength(4);
    for (const [name, i] of Object.entries(labelMap)) expect(train.labels[Number(i)]).toBe(name);
    expect(train).toMatchObject({ format: 'ssv2', sampling: 'segments', flipAllowed: false, problems: [] });
    expect(train.samples).toHaveLength(16);
    expect(val.samples).toHaveLength(8);
    const entries = JSON.parse(await fs.readFile(path.join(ssv2, 'labels', 'train.json'), 'utf8')) as Array<{ id: string; template: string }>;
    train.samples.forEach((s, i) => {
      expect(s.path).toBe(path.join(ssv2, '20bn-something-something-v2', `${entries[i].id}.webm`));
      expect(train.labels[s.label]).toBe(ssv2TemplateKey(entries[i].template));
      expect(s.source).toBe(`${path.join(ssv2, 'labels', 'train.json')}:${i + 2}`);
    });
  });

  test('the official file names and a videos/ folder work too', async () => {
    const root = path.join(suite.scratch, 'official');
    await fs.mkdir(root);
    await fs.copyFile(path.join(ssv2, 'labels', 'labels.json'), path.join(root, 'something-something-v2-labels.json'));
    await fs.copyFile(path.join(ssv2, 'labels', 'validation.json'), path.join(root, 'something-something-v2-validation.json'));
    await fs.cp(path.join(ssv2, '20bn-something-something-v2'), path.join(root, 'videos'), { recursive: true });
    const val = await readSsv2(root, { split: 'val' });
    expect(val.samples).toHaveLength(8);
    expect(val.samples.every((s) => s.path.startsWith(path.join(root, 'videos')))).toBe(true);
  });

  test('unknown templates, missing ids and missing clips are counted with file:line', async () => {
    const root = await copyDataset(ssv2, path.join(suite.scratch, 'broken'));
    const file = path.join(root, 'labels', 'validation.json');
    const entries = JSON.parse(await fs.readFile(file, 'utf8')) as object[];
    entries.push(
      { id: '1', label: 'juggling x', template: 'Juggling [something]', placeholders: ['x'] }, // line 10: unknown template
      { label: 'no id', template: 'Moving [something] from left to right' }, // line 11: no id
      { id: '999999999', label: 'x', template: 'Moving [something] from left to right', placeholders: ['x'] }, // line 12: no clip
    );
    await fs.writeFile(file, '[\n' + entries.map((e) => JSON.stringify(e)).join(',\n') + '\n]\n');
    const idx = await readSsv2(root, { split: 'val' });
    expect(idx.samples).toHaveLength(8);
    expect(idx.problems.map((p) => [p.kind, p.source])).toEqual([
      ['unknown-label', `${file}:10`],
      ['bad-row', `${file}:11`],
      ['missing-file', `${file}:12`],
    ]);
    expect(idx.problems[2].path).toBe(path.join(root, '20bn-something-something-v2', '999999999.webm'));
  });
});

describe('readSsv2 errors', () => {
  test('no label file is a DatasetError naming the root', async () => {
    const root = path.join(suite.scratch, 'nolabels');
    await fs.mkdir(root);
    await expect(readSsv2(root, { split: 'train' })).rejects.toThrow(DatasetError);
    await expect(readSsv2(root, { split: 'train' })).rejects.toMatchObject({ path: root, message: expect.stringContaining('labels.json') });
  });
  test('a truncated split file is one DatasetError naming it', async () => {
    const root = await copyDataset(ssv2, path.join(suite.scratch, 'truncated'));
    const file = path.join(root, 'labels', 'train.json');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.slice(0, text.length / 2));
    const err = await readSsv2(root, { split: 'train' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).path).toBe(file);
    expect((err as DatasetError).oneLine()).toMatch(/not valid JSON .*\(fix: /);
  });
});
