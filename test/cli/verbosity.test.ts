// --quiet and --verbose of a training run through the built CLI (run `npm run build` first): --quiet leaves only the
// results (no header, no recipe, no step lines), --verbose a line at every step in a pipe, and the two together are one
// line of refusal.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-verbosity-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const RUN = ['cotrain', '--datasets', 'k400', '--demo', 'tiny', '--preset', 'tiny', '--steps', '3', '--batch-size', '4', '--eval-every', '0', '--views', '1x1', '--backend', 'wasm'];

function cover(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...RUN, '--demo-dir', tinySuite(), ...args], { encoding: 'utf8', timeout: 240_000 });
}

test('--quiet: only the results', () => {
  const r = cover('--quiet', '--out', path.join(tmp, 'quiet'));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^\nfinished 3 steps in /);
  expect(r.stdout).not.toMatch(/^(cover cotrain:|accelerator:|recipe|step )/m);
});

test('--verbose: every step, in a pipe', () => {
  const r = cover('--verbose', '--out', path.join(tmp, 'verbose'));
  expect(r.status).toBe(0);
  expect(r.stdout.match(/^step \d+\/3 /gm)).toEqual(['step 1/3 ', 'step 2/3 ', 'step 3/3 ']);
});

test('--quiet with --verbose: one line', () => {
  const r = cover('--quiet', '--verbose', '--out', path.join(tmp, 'both'));
  expect(r.stderr).toBe('cover: error: --quiet cannot be used with --verbose (fix: give one of them)\n');
  expect(r.status).toBe(2);
});
