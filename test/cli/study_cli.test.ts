// `cover study` through the built CLI: --quick on the tiny demo suite writes study.json, study.md and study.html with
// every arm; the same command again reuses every finished arm; another study in the same folder is refused; bad flags
// are one line each.
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
  'seed0/single_k400', 'seed0/single_ssv2', 'seed0/single_mit', 'seed0/videos', 'seed0/cover',
  'seed0/single_k400_to_ssv2', 'seed0/single_ssv2_to_ssv2', 'seed0/single_mit_to_ssv2', 'seed0/cover_to_ssv2',
  'seed0/single_k400_to_k400', 'seed0/single_ssv2_to_k400', 'seed0/single_mit_to_k400', 'seed0/cover_to_k400',
];

test('cover study --quick writes every arm to json, md and html; again it reuses them; another study there is refused', () => {
  const r = cover(['study', '--quick', '--demo-dir', demo, '--backend', 'wasm']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^cover study: k400, ssv2, mit \+ images imnet \| 1 seed \| budget steps, 4 steps a single arm \| transfer to ssv2, k400 \(2 steps\) \| preset tiny/);
  expect(r.stdout).toContain('| head | val clips | (a) alone | (b) k400+ssv2+mit | (c) CoVeR | 1 s.e. (val) |');
  expect(r.stdout).toContain('| start | top-1 | CoVeR → k400 minus this |');
  expect(r.stdout).toContain('study: runs/study-quick/study.md, runs/study-quick/study.html, runs/study-quick/study.json');
  const dir = path.join(tmp, 'runs', 'study-quick');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'study.json'), 'utf8'));
  expect(json).toMatchObject({ generator: 'cover study', complete: true, budget: { kind: 'steps' }, spec: { seeds: [0], steps: 4, finetuneSteps: 2 } });
  expect(json.arms.map((a: { id: string }) => a.id)).toEqual(ARMS);
  for (const a of json.arms) {
    expect(a.status).toBe('trained');
    for (const d of a.datasets) expect(a.evals[d].n).toBe(8); // tiny suite: 4 classes x 2 val clips
    expect(fs.existsSync(path.join(dir, a.id, 'checkpoint', 'config.json'))).toBe(true);
  }
  expect(json.summary.heads.map((h: { head: string }) => h.head)).toEqual(['k400', 'ssv2', 'mit', 'imnet']);
  const md = fs.readFileSync(path.join(dir, 'study.md'), 'utf8');
  const html = fs.readFileSync(path.join(dir, 'study.html'), 'utf8');
  for (const id of ARMS) {
    expect(md).toContain(`| ${id} |`);
    expect(html).toContain(`<td>${id}</td>`);
  }
  expect(md).toContain('| status | complete: 13 of 13 arms |');
  expect(html).toMatch(/^<!doctype html>[\s\S]*<title>cover study: k400, ssv2, mit \+ images imnet<\/title>/);

  // The same command again: every arm is finished, so each is reused as it is.
  const again = cover(['study', '--quick', '--demo-dir', demo, '--backend', 'wasm']);
  expect(again.stderr).toBe('');
  expect(again.status).toBe(0);
  expect(again.stdout).toContain('continuing the study in runs/study-quick');
  expect(again.stdout.match(/finished earlier, reused/g)).toHaveLength(13);
  const json2 = JSON.parse(fs.readFileSync(path.join(dir, 'study.json'), 'utf8'));
  expect(json2.arms.map((a: { status: string }) => a.status)).toEqual(Array(13).fill('reused'));
  expect(json2.summary).toEqual(json.summary);

  // Another plan in the same folder is refused, and nothing of the study changes.
  const other = cover(['study', '--quick', '--steps', '5', '--demo-dir', demo, '--backend', 'wasm']);
  expect(other.status).toBe(2);
  expect(other.stdout).not.toContain('==');
  expect(other.stderr).toBe(
    'cover: error: runs/study-quick: already holds another study (steps 4, not 5; finetuneSteps 2, not 3) ' +
      "(fix: run that study's command again to continue it, replace it with --overwrite, or choose another --out)\n",
  );
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'study.json'), 'utf8')).spec.steps).toBe(4);
}, 900_000);

test.each([
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
