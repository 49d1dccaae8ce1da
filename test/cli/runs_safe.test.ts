// Runs are never destroyed by accident (issue 9, item 7), through the built CLI (run `npm run build` first) on the
// tiny preset: a second run into the same --out is refused and leaves the first byte for byte (--overwrite replaces it,
// --resume continues it; a transfer's --out is one run, stages included); each demo size has its own folder and
// generating one never replaces the suite a run was trained on; eval, predict and --init never read the optimizer state.
import { createHash } from 'crypto';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-runs-'));
// The default place of the tiny suite when cover runs in `tmp`; the tests that are not about defaults name it.
const tinyDir = path.join(tmp, '.cover', 'demo', 'tiny');
const FAST = ['--preset', 'tiny', '--batch-size', '4', '--eval-every', '0', '--views', '1x1', '--checkpoint-every', '1'];
const IMNET = ['cotrain', '--datasets', 'imnet', '--demo', 'tiny', '--demo-dir', tinyDir, ...FAST];

function cover(args: string[], cwd = tmp) {
  const engine = args[0] === 'demo-data' ? [] : ['--backend', 'wasm'];
  const r = spawnSync(process.execPath, [BIN, ...args, ...engine], { encoding: 'utf8', timeout: 240_000, cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: string[], cwd = tmp) {
  const r = cover(args, cwd);
  if (r.status !== 0) throw new Error(`cover ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A user's mistake: exit 2 and exactly this one line on stderr. */
function expectRefusal(r: ReturnType<typeof cover>, line: string): void {
  expect(r.stderr).toBe(`${line}\n`);
  expect(r.status).toBe(2);
}

/** Every file under `dir` (relative path → sha256), to compare a folder before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out[r] = createHash('sha256').update(fs.readFileSync(path.join(dir, r))).digest('hex');
    }
  };
  walk('');
  return out;
}

function logLines(run: string): Array<{ type: string; step: number }> {
  return fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('`--demo tiny` after a `--demo small` run leaves that run\'s suite as it was, and its checkpoint still evaluates', () => {
  // A small suite in the default place (its image set only, to keep the test short), and a run trained on it.
  ok(['demo-data', '--size', 'small', '--only', 'imnet']);
  ok(['pretrain', '--datasets', 'imnet', '--demo', 'small', ...FAST, '--steps', '1', '--out', 'runs/small']);
  const config = JSON.parse(fs.readFileSync(path.join(tmp, 'runs/small/checkpoint/config.json'), 'utf8'));
  const smallSuite = path.dirname(config.extra.run.config.datasets[0].spec.replace(/^imagefolder:/, ''));
  const before = snapshot(smallSuite);

  // A run on the tiny suite, in the default place too.
  const r = ok(['pretrain', '--datasets', 'imnet', '--demo', 'tiny', ...FAST, '--steps', '1', '--out', 'runs/tiny']);
  expect(snapshot(smallSuite)).toEqual(before);

  // The first run's checkpoint still evaluates on the data it was trained on (5 classes x 50 val images).
  const ev = ok(['eval', '--checkpoint', 'runs/small/checkpoint', '--views', '1x1', '--json']);
  expect(JSON.parse(ev.stdout).evals.map((e: { head: string; n: number }) => [e.head, e.n])).toEqual([['imnet', 250]]);
  // Each size in its own folder.
  expect(smallSuite).toBe(path.join(tmp, '.cover', 'demo', 'small'));
  expect(r.stdout).toContain(`(demo suite ${tinyDir})`);
});

test('cover demo-data: the same suite is reused, another one is refused unless --overwrite', () => {
  const out = path.join(tmp, 'suite');
  const gen = (...extra: string[]) => cover(['demo-data', '--size', 'tiny', '--only', 'imnet', '--out', out, ...extra]);
  expect(gen('--seed', '1').status).toBe(0);
  const before = snapshot(out);

  expectRefusal(
    gen('--seed', '2'),
    `cover: error: ${out}: holds the tiny demo suite (seed 1: imnet), not the one asked for (seed 1, not 2); cover will not replace it ` +
      '(fix: choose another --out, or add --overwrite to replace it; a run trained on it will then no longer evaluate)',
  );
  expect(snapshot(out)).toEqual(before);

  const again = gen('--seed', '1');
  expect(again.status).toBe(0);
  expect(again.stdout).toMatch(new RegExp(`^the tiny demo suite \\(seed 1\\) is already in ${out}: nothing written`));
  expect(snapshot(out)).toEqual(before);

  const replaced = gen('--seed', '2', '--overwrite');
  expect(replaced.status).toBe(0);
  expect(replaced.stdout).toMatch(/^wrote the tiny demo suite \(seed 2\)/);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'demo.json'), 'utf8')).seed).toBe(2);
});

test('a second cotrain into the same --out is refused and the first run stays byte-identical; --overwrite replaces it; --resume continues it', () => {
  const out = path.join(tmp, 'runs', 'cotrain');
  ok([...IMNET, '--steps', '2', '--out', out]);
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
  const first = snapshot(out);

  const fix = '(fix: continue it with --resume, replace it with --overwrite, or choose another --out)';
  expectRefusal(cover([...IMNET, '--steps', '3', '--out', out]), `cover: error: ${out}: already holds a run (checkpoint at step 2) ${fix}`);
  expect(snapshot(out)).toEqual(first);
  // The default --out (runs/cotrain under the current folder) is the same folder.
  expectRefusal(cover([...IMNET, '--steps', '3']), `cover: error: runs/cotrain: already holds a run (checkpoint at step 2) ${fix}`);
  expect(snapshot(out)).toEqual(first);

  const r = ok([...IMNET, '--steps', '3', '--seed', '5', '--out', out, '--overwrite']);
  expect(r.stdout).toContain(`replacing the run in ${out} (checkpoint at step 2)`);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')).steps).toBe(3);
  expect(logLines(out).filter((e) => e.type === 'start')).toHaveLength(1);
  expect(logLines(out).filter((e) => e.type === 'step').map((e) => e.step)).toEqual([1, 2, 3]);
  expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine'); // not cover's: kept

  const resumed = ok(['cotrain', '--resume', '--steps', '4', '--out', out]);
  expect(resumed.stdout).toContain(`resuming cotrain from step 3 of 4`);
  expect(logLines(out).filter((e) => e.type === 'step').map((e) => e.step)).toEqual([1, 2, 3, 4]);

  expectRefusal(
    cover(['cotrain', '--resume', '--overwrite', '--out', out]),
    'cover: error: --resume and --overwrite cannot be used together (fix: give --resume to continue the run in --out, or --overwrite to replace it)',
  );
});

test('--out . with an unrelated log.jsonl: refused, even with --overwrite, and the file is kept', () => {
  const proj = path.join(tmp, 'project');
  fs.mkdirSync(proj);
  fs.writeFileSync(path.join(proj, 'log.jsonl'), 'my own notes\n');
  for (const extra of [[], ['--overwrite']]) {
    expectRefusal(
      cover([...IMNET, '--steps', '1', '--out', '.', ...extra], proj),
      'cover: error: log.jsonl: exists and was not written by cover, so a run will not write over it (fix: choose another --out)',
    );
  }
  expect(fs.readdirSync(proj)).toEqual(['log.jsonl']);
  expect(fs.readFileSync(path.join(proj, 'log.jsonl'), 'utf8')).toBe('my own notes\n');
});

test("a transfer's --out is one run: a second transfer there is refused; --overwrite removes its stages, not other files", () => {
  const out = path.join(tmp, 'transfer');
  const transfer = ['transfer', 'k400', 'imnet', '--demo', 'tiny', '--demo-dir', tinyDir, ...FAST, '--source-steps', '1', '--steps', '1', '--out', out];
  ok(transfer);
  const stages = ['train_k400', 'k400_to_imnet', 'train_imnet', 'imnet_to_imnet'];
  expect(JSON.parse(fs.readFileSync(path.join(out, 'transfer.json'), 'utf8')).stages).toEqual(stages);
  const first = snapshot(out);

  const held = `cover: error: ${out}: already holds a run (transfer stages ${stages.join(', ')})`;
  expectRefusal(cover(transfer), `${held} (fix: replace it with --overwrite, or choose another --out)`);
  expectRefusal(cover([...IMNET, '--steps', '1', '--out', out]), `${held} (fix: replace it with --overwrite, or choose another --out)`);
  expect(snapshot(out)).toEqual(first);

  // Replaced by a cotrain run: the transfer's files and stage folders go, the user's files stay.
  fs.writeFileSync(path.join(out, 'train_k400', 'notes.txt'), 'mine');
  ok([...IMNET, '--steps', '1', '--out', out, '--overwrite']);
  expect(fs.readdirSync(out).sort()).toEqual(['checkpoint', 'log.jsonl', 'report.html', 'result.json', 'tb', 'train_k400']);
  expect(fs.readdirSync(path.join(out, 'train_k400'))).toEqual(['notes.txt']);
});

test('eval, predict and --init read weights and configuration only: a corrupt optimizer state does not matter', () => {
  const run = path.join(tmp, 'runs', 'state');
  ok([...IMNET, '--steps', '1', '--out', run]);
  const ck = path.join(run, 'checkpoint');
  const state = path.join(ck, 'train_state.safetensors');
  expect(fs.statSync(state).size).toBeGreaterThan(0);
  fs.writeFileSync(state, 'not a safetensors file: a resumed run needs it, nothing else may read it');

  const ev = ok(['eval', '--checkpoint', ck, '--views', '1x1', '--json']);
  expect(JSON.parse(ev.stdout).evals.map((e: { head: string }) => e.head)).toEqual(['imnet']);

  const valDir = path.join(tinyDir, 'imnet', 'val');
  const cls = fs.readdirSync(valDir).sort()[0];
  const image = path.join(valDir, cls, fs.readdirSync(path.join(valDir, cls)).sort()[0]);
  const pr = ok(['predict', image, '--checkpoint', ck, '--top', '2', '--json']);
  expect(JSON.parse(pr.stdout).overall.imnet).toHaveLength(2);

  const init = ok([...IMNET, '--steps', '1', '--init', ck, '--out', path.join(tmp, 'runs', 'from-init')]);
  expect(init.stdout).toContain(`backbone: from checkpoint ${ck}`);

  // The state is still what --resume reads: there a corrupt file is an error.
  expect(cover(['cotrain', '--resume', '--steps', '2', '--out', run]).status).not.toBe(0);
});
