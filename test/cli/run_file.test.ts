// Run files through the built CLI (run `npm run build` first): --print-config prints the resolved run as YAML that
// --config reads back to the same text; an option on the command line wins over the file; --config RUN/checkpoint
// re-runs a run's settings on the same data (byte-identical weights); a bad file is one line naming the file and key.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-runfile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cover(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000, cwd: tmp });
}

test('--print-config prints a run file that --config reads back; the command line wins over it', () => {
  const a = cover('cotrain', '--datasets', 'k400,imnet', '--preset', 'tiny', '--steps', '7', '--recipe', 'timesformer', '--data', 'k400=/data/k400', '--print-config');
  expect(a.stderr).toBe('');
  expect(a.status).toBe(0);
  expect(a.stdout).toMatch(/^# cover cotrain run file: cover cotrain --config THIS_FILE/);
  expect(a.stdout).toContain('\nrecipe: timesformer\ndatasets: k400,imnet\npreset: tiny\nsteps: 7\n');
  expect(a.stdout).toContain('\noptimizer: sgd\n'); // resolved: the recipe's
  fs.writeFileSync(path.join(tmp, 'a.yaml'), a.stdout);
  const b = cover('cotrain', '--config', 'a.yaml', '--print-config');
  expect(b.stdout).toBe(a.stdout);
  const c = cover('cotrain', '--config', 'a.yaml', '--steps', '9', '--print-config');
  expect(c.stdout).toBe(a.stdout.replace('\nsteps: 7\n', '\nsteps: 9\n'));
  // JSON works the same.
  fs.writeFileSync(path.join(tmp, 'a.json'), JSON.stringify({ datasets: 'k400', preset: 'tiny', 'batch-size': 4 }));
  expect(cover('cotrain', '--config', 'a.json', '--print-config').stdout).toContain('\ndatasets: k400\npreset: tiny\nsteps: 2400\nbatch-size: 4\n');
});

test('--config RUN/checkpoint re-runs the run: its settings, its data, the same weights', () => {
  const first = path.join(tmp, 'first');
  const r = cover('cotrain', '--datasets', 'k400,imnet', '--demo', 'tiny', '--demo-dir', tinySuite(), '--preset', 'tiny', '--steps', '3',
    '--batch-size', '4', '--eval-every', '0', '--views', '1x1', '--lr', '0.002', '--backend', 'wasm', '--out', first);
  expect(r.status).toBe(0);
  const again = path.join(tmp, 'again');
  const r2 = cover('cotrain', '--config', path.join(first, 'checkpoint'), '--backend', 'wasm', '--out', again);
  expect(r2.stderr).toBe('');
  expect(r2.status).toBe(0);
  const w = (d: string) => fs.readFileSync(path.join(d, 'checkpoint', 'weights.safetensors'));
  expect(w(again).equals(w(first))).toBe(true);
});

test.each([
  ['bad-key.yaml', 'batchSize: 4\n', "'batchSize' is not an option cover cotrain takes from a run file (fix: write it batch-size)"],
  ['bad-value.yaml', 'lr: fast\n', "lr: takes a number above 0 and at most 10, got 'fast' (fix: see cover --help for --lr)"],
  ['bad-choice.yaml', 'optimizer: adam\n', "optimizer: takes one of adamw, sgd, got 'adam' (fix: write one of adamw, sgd)"],
  ['bad-flag.yaml', 'decay-all: yes please\n', 'decay-all: takes true or false, got "yes please" (fix: write decay-all: true or decay-all: false)'],
  ['not-a-map.yaml', '- steps\n', 'is not a map of options (`batch-size: 8` a line) (fix: write one option a line, its name without the dashes; --print-config prints one)'],
  ['resume.yaml', 'resume: true\n', "'resume' is not an option cover cotrain takes from a run file (fix: use the option names of cover cotrain --help, without the dashes)"],
])('%s: one line naming the file and the key', (name, text, line) => {
  fs.writeFileSync(path.join(tmp, name), text);
  const r = cover('cotrain', '--config', name);
  expect(r.stderr).toBe(`cover: error: ${name}: ${line}\n`);
  expect(r.status).toBe(2);
});
