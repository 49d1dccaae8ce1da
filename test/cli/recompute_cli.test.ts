// --recompute through the built CLI on the tiny demo suite: a run that recomputes its blocks logs the losses of one
// that does not (same seed, dropout and drop-path on), saves its choice in the checkpoint, and a --resume that would
// change it is refused in one line; auto on a run that fits chooses off; a bad mode is one line and exit 2.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-recompute-'));
const demo = tinySuite();
const common = ['cotrain', '--datasets', 'k400,imnet', '--demo', 'tiny', '--demo-dir', demo, '--preset', 'tiny', '--batch-size', '4',
  '--steps', '3', '--eval-every', '0', '--eval-samples', '4', '--views', '1x1', '--drop-path', '0.2', '--backend', 'wasm'];

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
const losses = (out: string) =>
  fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)).filter((e) => e.type === 'step').map((e) => e.loss as number);
const saved = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'checkpoint', 'config.json'), 'utf8')).extra.run.config.recompute;

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('blocks trains to the losses of off, is saved, and --resume refuses to change it', () => {
  const off = path.join(tmp, 'off');
  const blocks = path.join(tmp, 'blocks');
  const a = run([...common, '--recompute', 'off', '--out', off]);
  expect(a.stderr).toBe('');
  expect(a.status).toBe(0);
  const b = run([...common, '--recompute', 'blocks', '--out', blocks]);
  expect(b.stderr).toBe('');
  expect(b.status).toBe(0);
  const [la, lb] = [losses(off), losses(blocks)];
  expect(lb).toHaveLength(3);
  lb.forEach((l, i) => expect(Math.abs(l - la[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(la[i]))));
  expect([saved(off), saved(blocks)]).toEqual(['off', 'blocks']);

  const r = run([...common, '--steps', '4', '--recompute', 'off', '--resume', '--out', blocks]);
  expect(r.status).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/--resume continues the run with its saved settings: --recompute off differs from its blocks/);
});

test('auto (the default) chooses off when the batch fits in one pass, says nothing, and saves off', () => {
  const out = path.join(tmp, 'auto');
  const r = run([...common, '--steps', '1', '--out', out]);
  expect(r.status).toBe(0);
  expect(r.stdout).not.toMatch(/recompute blocks/);
  expect(saved(out)).toBe('off');
});

test('a bad --recompute is one line and exit 2', () => {
  const r = run([...common, '--recompute', 'layers', '--out', path.join(tmp, 'bad')]);
  expect(r.status).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/--recompute/);
  expect(r.stderr).toMatch(/off, blocks, auto/);
});
