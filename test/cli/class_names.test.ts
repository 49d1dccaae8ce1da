// Class names through the built CLI (run `npx tsc -p tsconfig.json` first): an ImageNet-style folder with synset
// folders and a LOC_synset_mapping.txt (written by the test) shows names, not synset ids, in `cover data check`, in a
// checkpoint trained on it (`cover cotrain`), in `cover predict` and in `cover eval`'s confusion matrix; a checkpoint
// saved before display names existed still loads. The demo suite's ImageNet-style set shows names too.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SYNSETS, mappingText, writeSynsetFolder } from '../helpers/synset_folder';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-names-'));
const root = path.join(tmp, 'inet');
const run = path.join(tmp, 'run');
const ck = path.join(run, 'checkpoint');
const image = () => path.join(root, 'val', SYNSETS[0].id, fs.readdirSync(path.join(root, 'val', SYNSETS[0].id))[0]);
const ids = SYNSETS.map((s) => s.id);
const shown = ['tench', 'crane (n02012849)', 'crane (n03126707)'];

function cover(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000, cwd: tmp });
  if (r.status !== 0) throw new Error(`cover ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  writeSynsetFolder(root);
  fs.writeFileSync(path.join(root, 'LOC_synset_mapping.txt'), mappingText('loc'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('data check prints the class names; --json keeps each synset as id', () => {
  const out = cover('data', 'check', `imagefolder:${root}`);
  for (const name of shown) expect(out).toContain(`│ ${name} `);
  expect(out).not.toContain('n01440764');
  const report = JSON.parse(cover('data', 'check', `imagefolder:${root}`, '--json'));
  expect(report.perClass.map((c: { name: string; id: string }) => [c.name, c.id])).toEqual(shown.map((n, i) => [n, ids[i]]));
});

test('cotrain -> predict -> eval: the checkpoint keeps synsets as labels and stores the names; both show the names', () => {
  cover('cotrain', '--datasets', 'inet', '--data', `inet=imagefolder:${root}`, '--preset', 'tiny', '--batch-size', '4', '--eval-every', '0',
    '--views', '1x1', '--backend', 'wasm', '--steps', '2', '--out', run);
  const config = JSON.parse(fs.readFileSync(path.join(ck, 'config.json'), 'utf8'));
  expect(config.heads).toEqual([{ name: 'inet', num_classes: 3, labels: ids, display_names: SYNSETS.map((s) => s.names) }]);

  const table = cover('predict', image(), '--checkpoint', ck, '--top', '3', '--backend', 'wasm');
  for (const name of shown) expect(table).toContain(`│ ${name} `);
  expect(table).not.toMatch(/│ n\d{8} /);
  const pred = JSON.parse(cover('predict', image(), '--checkpoint', ck, '--top', '3', '--json', '--backend', 'wasm'));
  const top = pred.overall.inet as Array<{ label: string; id: string }>;
  expect(top.map((p) => [p.label, p.id]).sort()).toEqual(shown.map((n, i) => [n, ids[i]]).sort());

  const ev = JSON.parse(cover('eval', '--checkpoint', ck, '--data', `inet=imagefolder:${root}`, '--views', '1x1', '--json', '--backend', 'wasm'));
  expect(ev.evals[0].perClass.map((p: { label: string }) => p.label)).toEqual(shown);
  expect(fs.readFileSync(ev.csv.inet, 'utf8').split('\n')[0]).toBe('true\\predicted,tench,crane (n02012849),crane (n03126707)');

  // A checkpoint from before display names: it loads, predict shows its labels, eval takes the names from the data.
  const old = path.join(tmp, 'old-checkpoint');
  fs.cpSync(ck, old, { recursive: true });
  fs.rmSync(path.join(old, 'eval'), { recursive: true, force: true });
  const oldConfig = { ...config, heads: config.heads.map(({ display_names: _, ...h }: Record<string, unknown>) => h) };
  fs.writeFileSync(path.join(old, 'config.json'), JSON.stringify(oldConfig, null, 2));
  const oldPred = JSON.parse(cover('predict', image(), '--checkpoint', old, '--top', '3', '--json', '--backend', 'wasm'));
  expect((oldPred.overall.inet as Array<{ label: string }>).map((p) => p.label).sort()).toEqual(ids);
  const oldEv = JSON.parse(cover('eval', '--checkpoint', old, '--data', `inet=imagefolder:${root}`, '--views', '1x1', '--json', '--backend', 'wasm'));
  expect(oldEv.evals[0].perClass.map((p: { label: string }) => p.label)).toEqual(shown);
});

test("the demo suite's ImageNet-style set writes LOC_synset_mapping.txt, and data check shows its names", () => {
  const imnet = path.join(tinySuite(), 'imnet');
  const mapping = fs.readFileSync(path.join(imnet, 'LOC_synset_mapping.txt'), 'utf8').trim().split('\n');
  expect(mapping.length).toBeGreaterThan(0);
  const report = JSON.parse(cover('data', 'check', `imagefolder:${imnet}`, '--json'));
  for (const c of report.perClass as Array<{ name: string; id: string }>) {
    const line = mapping.find((l) => l.startsWith(`${c.id} `))!;
    expect(c.name).toBe(line.slice(c.id.length + 1).split(',')[0].trim());
    expect(c.id).toMatch(/^n\d{8}$/);
  }
});
