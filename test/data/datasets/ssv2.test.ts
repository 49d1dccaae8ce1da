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

describe('readSsv2: keys and numbers', () => {
  test('a split list whose entries have no "template" names the key once (a test list read as val, say)', async () => {
    const root = await copyDataset(ssv2, path.join(suite.scratch, 'notemplate'));
    const file = path.join(root, 'labels', 'validation.json');
    const entries = JSON.parse(await fs.readFile(file, 'utf8')) as Array<{ id: string }>;
    await fs.writeFile(file, JSON.stringify(entries.map((e) => ({ id: e.id }))));
    const err = await readSsv2(root, { split: 'val' }).catch((e: unknown) => e);
    expect((err as DatasetError).oneLine()).toBe(
      `${file}: no entry of the SSv2 list has a "template" key (its keys: id) (fix: use the split JSON of the SSv2 release: [{"id", "label", "template", "placeholders"}, ...])`,
    );
  });

  test('ids that name no clip (1.5, -3, true, "", "a/b", 1e21) are bad rows; numeric ids read', async () => {
    const root = await copyDataset(ssv2, path.join(suite.scratch, 'ids'));
    const file = path.join(root, 'labels', 'validation.json');
    const entries = JSON.parse(await fs.readFile(file, 'utf8')) as Array<{ id: unknown; template: string }>;
    const t = entries[0].template;
    const bad = [1.5, -3, true, '', 'a/b', 1e21];
    const numeric = { ...entries[0], id: Number(entries[0].id) };
    await fs.writeFile(file, '[\n' + [numeric, ...bad.map((id) => ({ id, template: t }))].map((e) => JSON.stringify(e)).join(',\n') + '\n]\n');
    const idx = await readSsv2(root, { split: 'val' });
    expect(idx.samples).toHaveLength(1);
    expect(idx.problems.map((p) => [p.kind, p.source])).toEqual(bad.map((_, i) => ['bad-row', `${file}:${i + 3}`]));
    expect(idx.problems[0].problem).toBe('entry #1 has the id 1.5, not a clip name (digits, or a file name without a folder)');
  });

  test('a label map index must be a whole number written as digits ("", "0x1", 1.5, true are refused)', async () => {
    for (const [i, v] of ['', '0x1', 1.5, true].entries()) {
      const root = await copyDataset(ssv2, path.join(suite.scratch, `labelmap-${i}`));
      const file = path.join(root, 'labels', 'labels.json');
      const map = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
      const first = Object.keys(map).find((k) => map[k] === '0' || map[k] === 0)!;
      await fs.writeFile(file, JSON.stringify({ ...map, [first]: v }));
      await expect(readSsv2(root, { split: 'val' })).rejects.toMatchObject({ path: file, message: expect.stringContaining(`the index ${JSON.stringify(v)}`) });
    }
  });

  test('an unreadable label map is one line with the fix of its cause, not a stack trace', async () => {
    const file = path.join(ssv2, 'labels', 'labels.json');
    const spy = jest.spyOn(fs, 'readFile').mockRejectedValueOnce(Object.assign(new Error('EACCES: simulated'), { code: 'EACCES' }));
    try {
      await expect(readSsv2(ssv2, { split: 'val' })).rejects.toMatchObject({ constructor: DatasetError, path: file, message: 'cannot read the SSv2 label map: permission denied (EACCES)' });
    } finally {
      spy.mockRestore();
    }
  });
});
