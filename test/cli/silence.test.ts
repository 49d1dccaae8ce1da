// Nothing is lost in silence, through the built CLI as a user meets it: on a copy of the tiny demo K400 with rows broken
// the way real downloads break (a clip missing, a label that is not a class, a line that does not parse), training and
// `cover eval` count what the readers dropped, by reason, in their tables, --json and result.json, and --max-bad covers
// those rows; a run whose loss turns NaN stops with one line and leaves its last checkpoint byte for byte as it was;
// `cover data check constructor` and a label index of 9999999999 are one-line errors, not internal ones.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';
import { createHash } from 'crypto';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-silence-'));
const k400 = path.join(tmp, 'broken', 'k400');
const TRAIN = ['cotrain', '--datasets', 'k400', '--data', `k400=kinetics:${k400}`, '--preset', 'tiny', '--steps', '1', '--batch-size', '2',
  '--eval-every', '0', '--views', '1x1', '--backend', 'wasm'];

function cover(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
}

/** The stderr of a one-line error: exactly one line, `cover: error: ...`, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^cover: error: /);
  return lines[0];
}

function sha(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));
}

beforeAll(() => {
  // A copy outside the demo suite (no demo.json beside it), as a user's own download would be.
  fs.mkdirSync(path.dirname(k400), { recursive: true });
  fs.cpSync(path.join(tinySuite(), 'k400'), k400, { recursive: true });
  // train: one clip missing, one line cut short.
  const firstClip = (split: string) => {
    const dir = path.join(k400, split, 'bag');
    return path.join(dir, fs.readdirSync(dir).sort()[0]);
  };
  fs.rmSync(firstClip('train'));
  fs.appendFileSync(path.join(k400, 'annotations', 'train.csv'), 'bag,only-two-fields\n');
  // val: one clip missing, one label that is no class, one line with an unterminated quote.
  fs.rmSync(firstClip('val'));
  fs.appendFileSync(path.join(k400, 'annotations', 'val.csv'), 'juggling,abcdefghijk,10,20,val\nbag,"unterminated,1,2,val\n');
}, 300_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('cotrain stops before training when the dropped rows exceed --max-bad, naming the dataset, the counts and the fix', () => {
  const out = path.join(tmp, 'refused');
  const r = cover([...TRAIN, '--out', out]);
  expect(r.status).toBe(2);
  const line = oneLine(r.stderr);
  expect(line).toContain("dataset 'k400': 2 of 17 train rows dropped (1 missing file, 1 bad line), more than --max-bad 0.05 (0 of 17 rows) allows");
  expect(line).toContain(`cover data check kinetics:${k400} --split train`);
  expect(line).toContain('raise --max-bad');
  expect(fs.existsSync(path.join(out, 'checkpoint'))).toBe(false);
});

let checkpoint: string;

test('cotrain within --max-bad shows the rows dropped, by reason, in its table and in result.json', () => {
  const out = path.join(tmp, 'run');
  const r = cover([...TRAIN, '--max-bad', '5', '--out', out]);
  checkpoint = path.join(out, 'checkpoint');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // Said at the start...
  expect(r.stdout).toContain('k400: 2 of 17 train rows dropped (1 missing file, 1 bad line), within --max-bad 5');
  expect(r.stdout).toContain('k400: 3 of 10 val rows dropped (1 missing file, 1 unknown label, 1 bad line), within --max-bad 5');
  // ...in the validation table (a `dropped` column and the line under it)...
  expect(r.stdout).toMatch(/│ dropped │ skipped │/);
  expect(r.stdout).toMatch(/│ k400 │ k400 val +│ +7 │.*│ +3 │ +0 │/);
  expect(r.stdout).toContain('k400: top-1 over 7 of 10 val rows: 3 dropped by the dataset reader (1 missing file, 1 unknown label, 1 bad line), 0 unreadable');
  // ...and for the training data.
  expect(r.stdout).toContain('training data: k400: 2 of 17 train rows dropped (1 missing file, 1 bad line); trained on the 15 others');

  const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
  const [train, val] = result.dropped;
  expect(train).toMatchObject({ dataset: 'k400', split: 'train', rows: 17, kept: 15, dropped: 2, byReason: { 'missing-file': 1, 'unknown-label': 0, 'bad-row': 1 } });
  expect(val).toMatchObject({ dataset: 'k400', split: 'val', rows: 10, kept: 7, dropped: 3, byReason: { 'missing-file': 1, 'unknown-label': 1, 'bad-row': 1 } });
  expect(train.examples[0]).toMatch(/train\.csv:\d+: clip not found/);
  expect(result.evals[0].dropped).toMatchObject({ split: 'val', dropped: 3 });
});

test('cover eval counts the dropped rows with --max-bad, and shows them in its table and --json', () => {
  const refused = cover(['eval', '--checkpoint', checkpoint, '--views', '1x1', '--backend', 'wasm']);
  expect(refused.status).toBe(2);
  expect(oneLine(refused.stderr)).toContain("dataset 'k400': 3 of 10 val rows dropped (1 missing file, 1 unknown label, 1 bad line), more than --max-bad 0.05 (0 of 10 rows) allows");

  const text = cover(['eval', '--checkpoint', checkpoint, '--views', '1x1', '--backend', 'wasm', '--max-bad', '3']);
  expect(text.stderr).toBe('');
  expect(text.status).toBe(0);
  expect(text.stdout).toMatch(/│ k400 │ k400 val +│ +7 │.*│ +3 │ +0 │/);
  expect(text.stdout).toContain('k400: top-1 over 7 of 10 val rows: 3 dropped by the dataset reader (1 missing file, 1 unknown label, 1 bad line), 0 unreadable');

  const json = cover(['eval', '--checkpoint', checkpoint, '--views', '1x1', '--backend', 'wasm', '--max-bad', '3', '--json']);
  expect(json.status).toBe(0);
  const r = JSON.parse(json.stdout);
  expect(r.evals[0].n).toBe(7);
  expect(r.evals[0].dropped).toMatchObject({ dataset: 'k400', split: 'val', rows: 10, kept: 7, dropped: 3, byReason: { 'missing-file': 1, 'unknown-label': 1, 'bad-row': 1 } });
});

test('a NaN loss stops the run with one line, before anything is saved: the last checkpoint stays byte for byte', () => {
  const out = path.join(tmp, 'nan');
  // The largest settings the options allow diverge: lr 10 with weight decay 1 and no clipping. Step 1 is finite and
  // saved; no save follows (--checkpoint-every 1000), so the resumed run must stop at its first non-finite step with
  // the step-1 checkpoint untouched. Which turns non-finite first, the loss or (with a finite loss) the gradient norm,
  // depends on the backend's kernels; either is one line naming the step and the settings.
  const first = cover([...TRAIN, '--max-bad', '5', '--lr', '10', '--weight-decay', '1', '--clip-grad', '0', '--checkpoint-every', '1000', '--out', out, '--json']);
  expect(first.status).toBe(0);
  const before = sha(path.join(out, 'checkpoint'));

  const resumed = cover(['cotrain', '--resume', '--steps', '300', '--out', out, '--backend', 'wasm']);
  expect(resumed.status).toBe(2);
  const line = oneLine(resumed.stderr);
  expect(line).toMatch(/^cover: error: step (\d+): (the loss is NaN \(head k400\), gradient norm NaN|the gradient norm is NaN \(loss [\d.e+-]+\)); training stopped before updating the weights, nothing saved, the checkpoint of step 1 \(.*\) is kept as it was \(fix: start again with a lower --lr \(it was 10\) or with --clip-grad 1 \(it was off\)/);
  const stopped = Number(/step (\d+):/.exec(line)![1]);
  expect(stopped).toBeGreaterThan(2);
  expect(sha(path.join(out, 'checkpoint'))).toEqual(before);
  const last = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').pop()!;
  expect(JSON.parse(last)).toMatchObject({ type: 'stop', step: stopped, reason: 'non-finite' });
  const result = JSON.parse(first.stdout);
  expect(result.dropped.map((d: { split: string; dropped: number }) => [d.split, d.dropped])).toEqual([['train', 2], ['val', 3]]);
});

test('cover data check constructor is an unknown dataset, in one line', () => {
  const r = cover(['data', 'check', 'constructor']);
  expect(r.status).toBe(2);
  expect(oneLine(r.stderr)).toMatch(/^cover: error: unknown dataset 'constructor': not a name cover knows and no such folder \(fix: known names are k400, /);
});

test('a label index of 9999999999 is a one-line DatasetError naming the file and line (list file and manifest)', () => {
  const dir = path.join(tmp, 'lists');
  fs.mkdirSync(dir, { recursive: true });
  const clips = fs.readdirSync(path.join(k400, 'train', 'trouser')).slice(0, 2).map((f) => path.join(k400, 'train', 'trouser', f));
  fs.writeFileSync(path.join(dir, 'train.csv'), `${clips[0]} 0\n${clips[1]} 9999999999\n`);
  const list = cover(['data', 'check', `kinetics:${dir}`]);
  expect(list.status).toBe(2);
  expect(oneLine(list.stderr)).toBe(
    `cover: error: ${path.join(dir, 'train.csv')}:2: label index 9999999999 would make 10000000000 classes (cover allows up to 100000 without a class list) (fix: fix the label index on that line, or put a class list (classes.txt, one name per line) next to the file)`,
  );
  const manifest = path.join(tmp, 'manifest', 'train.csv');
  fs.mkdirSync(path.dirname(manifest), { recursive: true });
  fs.writeFileSync(manifest, `path,label\n${clips[0]},1\n${clips[1]},100000000\n`);
  const m = cover(['data', 'check', `manifest:${manifest}`]);
  expect(m.status).toBe(2);
  expect(oneLine(m.stderr)).toContain(`${manifest}:3: label index 100000000 would make 100000001 classes`);
});
