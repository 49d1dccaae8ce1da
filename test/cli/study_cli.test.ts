// `cover study` through the built CLI: --quick on the tiny demo suite pretrains on the images first and writes
// study.json, study.md and study.html with every arm, each arm's predictions.csv beside its run; the same command again
// reuses every finished arm; another study in the same folder is refused; --init and --from-scratch start the arms from
// the given or random weights; bad flags are one line each.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-study-cli-'));
const demo = tinySuite();

function cover(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', timeout: 400_000 });
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ARMS = [
  'seed0/pretrain', 'seed0/single_k400', 'seed0/single_ssv2', 'seed0/single_mit', 'seed0/videos', 'seed0/cover',
  'seed0/single_k400_to_ssv2', 'seed0/single_ssv2_to_ssv2', 'seed0/single_mit_to_ssv2', 'seed0/cover_to_ssv2',
  'seed0/single_k400_to_k400', 'seed0/single_ssv2_to_k400', 'seed0/single_mit_to_k400', 'seed0/cover_to_k400',
];

test('cover study --quick writes every arm to json, md and html; again it reuses them; another study there is refused', () => {
  const r = cover(['study', '--quick', '--demo-dir', demo, '--backend', 'wasm']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^cover study: k400, ssv2, mit \+ images imnet \| 1 seed \| budget steps, 4 steps a single arm \| transfer to ssv2, k400 \(2 steps\) \| preset tiny/);
  expect(r.stdout.split('\n')[1]).toBe(
    "start: image pretraining: `cover pretrain` on imnet for 4 steps (cover's choice: the budget of a single arm, --pretrain-steps to change it), once per seed; every arm of the seed starts from it",
  );
  expect(r.stdout).toContain('== [2/14] seed 0: (a) k400, 4 steps from seed0/pretrain');
  expect(r.stdout).toContain("## Paired tests on the same val clips (McNemar's exact test, per seed)");
  expect(r.stdout).toMatch(/\| k400 \| \(c\) − \(a\) \| \d+ vs \d+, p [\d.]+ \|/);
  expect(r.stdout).toContain('| head | val clips | (a) alone | (b) k400+ssv2+mit | (c) CoVeR | 1 s.e. (val) |');
  expect(r.stdout).toContain('| start | top-1 | CoVeR → k400 minus this [95% interval] (each seed) |');
  expect(r.stdout).toMatch(/\| co-training on several video datasets beats training on one \| [^|]+ \| k400 [+-][\d.]+ \([+-][\d.]+\), one seed, McNemar p [\d.]+;/);
  expect(r.stdout).toContain('study: runs/study-quick/study.md, runs/study-quick/study.html, runs/study-quick/study.json');
  const dir = path.join(tmp, 'runs', 'study-quick');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'study.json'), 'utf8'));
  expect(json).toMatchObject({ generator: 'cover study', complete: true, budget: { kind: 'steps' }, spec: { seeds: [0], steps: 4, finetuneSteps: 2, start: 'pretrain', pretrainSteps: 4 } });
  expect(json.arms.map((a: { id: string }) => a.id)).toEqual(ARMS);
  for (const a of json.arms) {
    expect(a.status).toBe('trained');
    for (const d of a.datasets) expect(a.evals[d].n).toBe(8); // tiny suite: 4 classes x 2 val clips
    expect(fs.existsSync(path.join(dir, a.id, 'checkpoint', 'config.json'))).toBe(true);
    const rows = fs.readFileSync(path.join(dir, a.id, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('head,clip,label,predicted,correct');
    expect(rows).toHaveLength(1 + 8 * a.datasets.length);
  }
  expect(json.summary.heads.map((h: { head: string }) => h.head)).toEqual(['k400', 'ssv2', 'mit', 'imnet']);
  const md = fs.readFileSync(path.join(dir, 'study.md'), 'utf8');
  const html = fs.readFileSync(path.join(dir, 'study.html'), 'utf8');
  for (const id of ARMS) {
    expect(md).toContain(`| ${id} |`);
    expect(html).toContain(`<td>${id}</td>`);
  }
  expect(md).toContain('| status | complete: 14 of 14 arms |');
  expect(md).toContain('| seed0/cover | CoVeR (from seed0/pretrain) |');
  expect(html).toMatch(/^<!doctype html>[\s\S]*<title>cover study: k400, ssv2, mit \+ images imnet<\/title>/);

  // `cover report` writes the report again from the folder alone: to a file of its own, or the study's three files.
  const report = cover(['report', 'runs/study-quick', '--out', 'again.md']);
  expect(report.stderr).toBe('');
  expect(report.stdout).toBe('report of the study (14 of 14 arms finished): again.md\n');
  expect(fs.readFileSync(path.join(tmp, 'again.md'), 'utf8')).toBe(md);
  fs.writeFileSync(path.join(dir, 'study.md'), 'stale');
  expect(cover(['report', 'runs/study-quick']).stdout).toBe('report of the study (14 of 14 arms finished): runs/study-quick/study.json, runs/study-quick/study.md, runs/study-quick/study.html\n');
  expect(fs.readFileSync(path.join(dir, 'study.md'), 'utf8')).toBe(md);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'study.json'), 'utf8'))).toEqual(json);

  // The same command again: every arm is finished, so each is reused as it is.
  const again = cover(['study', '--quick', '--demo-dir', demo, '--backend', 'wasm']);
  expect(again.stderr).toBe('');
  expect(again.status).toBe(0);
  expect(again.stdout).toContain('continuing the study in runs/study-quick');
  expect(again.stdout.match(/finished earlier, reused/g)).toHaveLength(14);
  const json2 = JSON.parse(fs.readFileSync(path.join(dir, 'study.json'), 'utf8'));
  expect(json2.arms.map((a: { status: string }) => a.status)).toEqual(Array(14).fill('reused'));
  expect(json2.summary).toEqual(json.summary);

  // Another plan in the same folder is refused, and nothing of the study changes.
  const other = cover(['study', '--quick', '--steps', '5', '--demo-dir', demo, '--backend', 'wasm']);
  expect(other.status).toBe(2);
  expect(other.stdout).not.toContain('==');
  expect(other.stderr).toBe(
    'cover: error: runs/study-quick: already holds another study (steps 4, not 5; finetuneSteps 2, not 3; pretrainSteps 4, not 5) ' +
      "(fix: run that study's command again to continue it, replace it with --overwrite, or choose another --out)\n",
  );
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'study.json'), 'utf8')).spec.steps).toBe(4);
}, 900_000);

test('--from-scratch starts every arm from random weights, --init from the given ones; neither pretrains', () => {
  const small = ['study', '--quick', '--datasets', 'k400,ssv2', '--transfer-to', 'none', '--demo-dir', demo, '--backend', 'wasm'];
  const scratch = cover([...small, '--from-scratch', '--out', 'runs/scratch']);
  expect(scratch.stderr).toBe('');
  expect(scratch.status).toBe(0);
  expect(scratch.stdout.split('\n')[1]).toBe('start: random weights (--from-scratch): one initialisation per seed, shared by every arm of it; no image pretraining');
  const arms = (out: string) => JSON.parse(fs.readFileSync(path.join(tmp, out, 'study.json'), 'utf8')).arms.map((a: { id: string }) => a.id);
  expect(arms('runs/scratch')).toEqual(['seed0/single_k400', 'seed0/single_ssv2', 'seed0/videos', 'seed0/cover']);
  expect(scratch.stdout).not.toContain('backbone: from');

  const init = cover([...small, '--init', 'runs/scratch/seed0/cover/checkpoint', '--out', 'runs/init']);
  expect(init.stderr).toBe('');
  expect(init.status).toBe(0);
  expect(init.stdout.split('\n')[1]).toBe('start: the weights given with --init (runs/scratch/seed0/cover/checkpoint), the same for every arm of every seed');
  expect(arms('runs/init')).toEqual(['seed0/single_k400', 'seed0/single_ssv2', 'seed0/videos', 'seed0/cover']);
  expect(init.stdout.match(/backbone: from checkpoint runs\/scratch\/seed0\/cover\/checkpoint/g)).toHaveLength(4);
  expect(fs.readFileSync(path.join(tmp, 'runs/init/study.md'), 'utf8')).toContain('| start | the weights given with --init (runs/scratch/seed0/cover/checkpoint), the same for every arm of every seed |');
}, 600_000);

test.each([
  [['--from-scratch', '--init', 'x'], 'cover: error: --from-scratch and --init cannot be used together (fix: give --init CKPT to start every arm from those weights, or --from-scratch for random weights)'],
  [['--from-scratch', '--pretrain-steps', '3'], 'cover: error: --pretrain-steps is not used with --from-scratch: there is no pretraining stage (fix: leave --pretrain-steps out, or drop --init/--from-scratch to pretrain on the images once per seed)'],
  [['--datasets', 'k400,nope'], "cover: error: unknown dataset name 'nope' and no --data given (fix: the demo suite has k400, ssv2, mit, imnet; for your own data pass --data nope=FORMAT:PATH (formats: kinetics, ssv2, mit, imagefolder, manifest))"],
  [['--transfer-to', 'imnet'], "cover: error: --transfer-to names 'imnet', which is not in --datasets k400,ssv2,mit (fix: choose targets among k400, ssv2, mit, or add 'imnet' to --datasets)"],
  [['--seeds', '0'], "cover: error: --seeds takes a whole number from 1 to 100, got '0'"],
  [['--budget', 'epochs'], "cover: error: --budget takes one of steps, clips, got 'epochs'"],
])('cover study %j is one line on stderr', (args, line) => {
  const r = cover(['study', '--quick', '--demo-dir', path.join(tmp, 'demo-errors'), '--out', path.join(tmp, 'never'), ...args]);
  expect(r.status).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe(line);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  expect(fs.existsSync(path.join(tmp, 'demo-errors'))).toBe(false);
});
