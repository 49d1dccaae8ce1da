// The CoVeR workflow end to end through the built CLI on the tiny demo suite:
// pretrain (images) -> cotrain (videos + images, from the pretrain checkpoint) -> eval -> predict -> transfer -> report.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-workflow-'));
const demo = ['--demo', 'tiny', '--demo-dir', tinySuite()];
const small = ['--preset', 'tiny', '--batch-size', '4', '--eval-every', '0', '--views', '1x1', '--backend', 'wasm'];

function cover(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`cover ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('pretrain -> cotrain -> eval -> predict -> transfer -> report', () => {
  const pre = path.join(tmp, 'pretrain');
  const r1 = cover(['pretrain', ...demo, ...small, '--steps', '4', '--out', pre]);
  expect(r1.stdout).toContain('finished 4 steps');
  expect(fs.existsSync(path.join(pre, 'checkpoint', 'weights.safetensors'))).toBe(true);

  const co = path.join(tmp, 'cotrain');
  const r2 = cover(['cotrain', '--datasets', 'k400,ssv2,mit,imnet', ...demo, ...small, '--steps', '6', '--init', path.join(pre, 'checkpoint'), '--out', co, '--json']);
  const result = JSON.parse(r2.stdout);
  expect(result.steps).toBe(6);
  expect(result.evals.map((e: { head: string }) => e.head).sort()).toEqual(['imnet', 'k400', 'mit', 'ssv2']);
  const config = JSON.parse(fs.readFileSync(path.join(co, 'checkpoint', 'config.json'), 'utf8'));
  expect(config.heads.map((h: { name: string }) => h.name).sort()).toEqual(['imnet', 'k400', 'mit', 'ssv2']);
  expect(fs.readFileSync(path.join(co, 'report.html'), 'utf8')).toContain('<svg');

  const ev = cover(['eval', '--checkpoint', path.join(co, 'checkpoint'), '--views', '1x3', '--json', ...demo]);
  const evals = JSON.parse(ev.stdout).evals;
  expect(evals).toHaveLength(4);
  for (const e of evals) expect(e.top1).toBeGreaterThanOrEqual(0);

  const vtest = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
  const first = (dir: string) => path.join(dir, fs.readdirSync(dir).sort()[0]);
  const clip = fs.existsSync(vtest) ? vtest : first(first(path.join(tinySuite(), 'k400', 'val'))); // k400/val/<label>/<clip>.mp4
  const pr = cover(['predict', clip, '--checkpoint', path.join(co, 'checkpoint'), '--head', 'all', '--top', '3', '--json']);
  const pred = JSON.parse(pr.stdout);
  expect(Object.keys(pred.overall).sort()).toEqual(['imnet', 'k400', 'mit', 'ssv2']);
  expect(pred.overall.k400).toHaveLength(3);

  const tr = cover(['transfer', 'ssv2', 'k400', ...demo, ...small, '--source-steps', '3', '--steps', '3', '--cotrained', path.join(co, 'checkpoint'), '--out', path.join(tmp, 'transfer')]);
  expect(tr.stdout).toContain('ssv2 → k400');
  expect(tr.stdout).toContain('k400 → k400');
  expect(tr.stdout).toContain('co-trained → k400');

  const rep = cover(['report', co, '--out', path.join(tmp, 'r.html')]);
  expect(rep.stdout).toContain('report of 6 steps');
  expect(fs.readFileSync(path.join(tmp, 'r.html'), 'utf8')).not.toMatch(/https?:\/\//);
});
