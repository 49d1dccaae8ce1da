// `cover eval` and `cover predict` through the built CLI (run `npm run build` first), on the tiny demo suite and the
// opencv-doc sample files: tables, the published comparison, --json, and the one-line errors (exit 2, no stack trace).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { useBackend } from '../helpers/tf';
import { head, tinyCheckpoint, tinyDemo } from '../helpers/tiny_checkpoint';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const JPEG = '/usr/share/doc/opencv-doc/examples/data/HappyFish.jpg';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-evalcli-'));
let demoDir: string; // the shared tiny suite
const ck = path.join(tmp, 'ck'); // k400 + ssv2 heads, demo labels
const ckMine = path.join(tmp, 'ck-mine'); // k400 + mine heads, both k400 labels
const ckBad = path.join(tmp, 'ck-bad'); // k400 head with the labels in another order
let copy: string;

function cover(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--backend', 'wasm'], { encoding: 'utf8', timeout: 120_000, cwd: tmp });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user mistake: exit 2 and exactly one line on stderr, no stack trace. */
function expectOneLineError(r: ReturnType<typeof cover>, pattern: RegExp): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  await useBackend('wasm');
  const d = await tinyDemo();
  demoDir = d.root;
  copy = path.join(tmp, 'kinetics-copy');
  fs.cpSync(path.join(d.root, 'k400'), copy, { recursive: true });
  await tinyCheckpoint(ck, [head('k400', d.k400), head('ssv2', d.ssv2)]);
  await tinyCheckpoint(ckMine, [head('k400', d.k400), head('mine', d.k400)]);
  await tinyCheckpoint(ckBad, [head('k400', [...d.k400].reverse())]);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('eval on the demo suite: the accuracy table, "not comparable", confusion CSVs', () => {
  const r = cover('eval', '--checkpoint', ck, '--demo', 'tiny', '--demo-dir', demoDir, '--views', '1x1');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/Evaluation of .*ck, val split \(1×1 views, 2×32\)/);
  expect(r.stdout).toMatch(/head\s*│ dataset split │ clips │ top-1 % │ top-5 % │ mean class acc %/);
  expect(r.stdout).toMatch(/│ k400 │ k400 val\s*│\s+8 │/);
  expect(r.stdout).toContain('k400: demo-suite data, so these numbers are not comparable with the published K400 results.');
  expect(r.stdout).not.toContain('published top-1');
  for (const h of ['k400', 'ssv2']) {
    const csv = path.join(ck, 'eval', `confusion_${h}.csv`);
    expect(r.stdout).toContain(`${h}: ${csv}`);
    expect(fs.readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(5);
  }
});

test('eval on real data named k400 prints the published table; a dataset of another name is not comparable', () => {
  const r = cover('eval', '--checkpoint', ckMine, '--data', `k400=${copy}`, '--data', `mine=kinetics:${copy}`, '--views', '1x3');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('Kinetics-400 (published top-1)');
  for (const row of ['TimeSformer-HR', 'VATT-Large', 'OmniSource', 'ViViT-H/14x2', 'SwinV2-G', 'CoVeR', 'this checkpoint']) expect(r.stdout).toContain(row);
  // Each published row's source as a numbered footnote; the rows the announcement printed otherwise say what it printed.
  expect(r.stdout).toMatch(/│ TimeSformer-HR\s+│ ImageNet-21K\s+│ K400\s+│\s+79\.7 │ \[2\]\s+│/);
  expect(r.stdout).toContain('  [2] Bertasius et al. 2021 (TimeSformer), arXiv 2102.05095, Table 5: TimeSformer-HR, 16×448, ImageNet-21K pre-training, 1×3 views; checked in the paper.');
  expect(r.stdout).toMatch(/│ SwinV2-G\s+│ ImageNet-22K-ext \(70M images\)\s+│ K400\s+│\s+86\.8 │ \[9\] \*\s+│/);
  expect(r.stdout).toContain('The announcement printed "Video Swin Transformer, ImageNet21K+external, K400, 86.8": 86.8 is SwinV2-G');
  expect(r.stdout).toMatch(/published CoVeR: 87\.2 top-1 \(1×3 views, 16×448\) \/ this run: \d+\.\d top-1 \(1×3 views, 2×32; different protocol\)/);
  expect(r.stdout).toContain('mine: no published baseline for this dataset; its numbers are not comparable with published ones.');
  expect(r.stdout).not.toContain('demo-suite');
});

test('eval --json gives metrics, comparisons and CSV paths in one object', () => {
  const r = cover('eval', '--checkpoint', ckMine, '--datasets', 'k400', '--data', `k400=${copy}`, '--views', '1x1', '--json', '--csv-dir', path.join(tmp, 'csv'));
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j.protocol).toEqual({ temporalClips: 1, spatialCrops: 1, frames: 2, resolution: 32 });
  expect(j.demo).toBe(false);
  expect(j.evals).toHaveLength(1);
  expect(j.evals[0]).toMatchObject({ head: 'k400', n: 8, split: 'val' });
  expect(j.evals[0].confusion).toHaveLength(4);
  expect(j.evals[0].perClass).toHaveLength(4);
  expect(j.comparisons[0].published.rows.map((x: { model: string }) => x.model)).toContain('CoVeR');
  // --json carries every row's full source.
  expect(j.comparisons[0].published.rows.find((x: { top1: number }) => x.top1 === 85.4)).toMatchObject({
    model: 'TokenLearner 16at18+L/10',
    source: { arxiv: '2106.11297', verified: { status: 'secondary' } },
    announced: { model: 'ViViT', top1: 85.4 },
  });
  expect(fs.existsSync(j.csv.k400)).toBe(true);
  expect(path.dirname(j.csv.k400)).toBe(path.join(tmp, 'csv'));
});

test('predict on vtest.avi: a top-k table per head and a timeline of windows', () => {
  const r = cover('predict', VTEST, '--checkpoint', ck, '--top', '3', '--window', '10');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(`${VTEST}: 79.5 s at 10 fps, 8 windows of 10.0 s (2 frames each)`);
  expect(r.stdout).toMatch(/\nk400 \(mean over windows\)\n/);
  expect(r.stdout).toMatch(/\nssv2 \(mean over windows\)\n/);
  expect(r.stdout).toMatch(/│ 3 │ .* │ 0\.\d{3} │/);
  const timeline = r.stdout.split('timeline (best label per window)\n')[1].trim().split('\n');
  expect(timeline).toHaveLength(8);
  expect(timeline[0]).toMatch(/^0\.0-10\.0s {3}k400: .+ 0\.\d\d \| ssv2: .+ 0\.\d\d$/);
  expect(timeline[7]).toMatch(/^69\.5-79\.5s {2}k400: /);
});

test('predict --json on a JPEG and on cup.mp4', () => {
  let r = cover('predict', JPEG, '--checkpoint', ck, '--head', 'ssv2', '--top', '2', '--json');
  expect(r.status).toBe(0);
  let j = JSON.parse(r.stdout);
  expect(j).toMatchObject({ kind: 'image', heads: ['ssv2'], clipFrames: 1 });
  expect(j.windows).toHaveLength(1);
  expect(j.overall.ssv2).toHaveLength(2);

  const cup = path.join(tmp, 'cup.mp4');
  fs.writeFileSync(cup, spawnSync('gunzip', ['-c', '/usr/share/doc/opencv-doc/opencv4/html/cup.mp4.gz'], { maxBuffer: 64 << 20 }).stdout);
  r = cover('predict', cup, '--checkpoint', ck, '--json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  j = JSON.parse(r.stdout);
  expect(j.kind).toBe('video');
  expect(j.windows.length).toBeGreaterThan(1);
  expect(j.overall.k400).toHaveLength(4); // top 5, capped at the 4 classes
});

test('one-line errors, exit 2: missing checkpoint, heads not matching, unknown dataset, bad --views, bad --top', () => {
  expectOneLineError(cover('eval', '--checkpoint', path.join(tmp, 'nowhere')), /^cover: error: .*nowhere: no such checkpoint folder \(fix: /);
  expectOneLineError(cover('predict', VTEST, '--checkpoint', path.join(tmp, 'nowhere')), /nowhere: no such checkpoint folder/);
  expectOneLineError(
    cover('eval', '--checkpoint', ckBad, '--demo', 'tiny', '--demo-dir', demoDir),
    /^cover: error: .*ck-bad: head 'k400' does not match the dataset .*k400: class 0 is '.+' in the head but '.+' in the dataset \(fix: /,
  );
  expectOneLineError(cover('eval', '--checkpoint', ck, '--datasets', 'k400,kinetics'), /unknown dataset 'kinetics': the checkpoint has no head of that name/);
  expectOneLineError(cover('eval', '--checkpoint', ck, '--views', '2x2'), /^cover: error: --views takes TxS: T temporal clips from 1 to 10, S spatial crops 1 or 3 \(e\.g\. 1x3\), got '2x2'$/);
  expectOneLineError(cover('predict', VTEST, '--checkpoint', ck, '--top', '0'), /--top takes a whole number of at least 1, got '0'/);
  expectOneLineError(cover('predict', VTEST, '--checkpoint', ck, '--head', 'mit'), /^cover: error: the checkpoint has no head 'mit' \(fix: use --head with one of: k400, ssv2, or all\)/);
  expectOneLineError(cover('predict', path.join(tmp, 'missing.mp4'), '--checkpoint', ck), /missing\.mp4: video file not found/);
  expectOneLineError(cover('eval', '--checkpoint', ck, '--memory-cache', '-5'), /^cover: error: --memory-cache takes a number from 0 to 1048576 \(0 = off\), got '-5'$/);
  expectOneLineError(cover('predict', VTEST, '--checkpoint', ck, '--accel', 'gpu'), /^cover: error: --accel takes one of auto, native, off, got 'gpu'$/);
});

test('--help shows examples', () => {
  for (const c of ['eval', 'predict']) {
    const r = spawnSync(process.execPath, [BIN, c, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--checkpoint <dir>');
  }
});
