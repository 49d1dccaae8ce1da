// examples/ runs: the workflow script (pretrain -> cotrain -> transfer -> eval -> predict -> export through the built
// CLI) and the library example (train, evaluateCheckpoint, predictWithCheckpoint, exportCheckpoint), both on the
// shared tiny suite; the cluster scripts at least parse. Run `npm run build` first (the library example is compiled
// to dist/examples/).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from './helpers/tiny_suite';

const ROOT = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-examples-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('examples/cover-workflow.sh runs the whole workflow', () => {
  const out = path.join(tmp, 'workflow');
  const r = spawnSync('bash', [path.join(ROOT, 'examples/cover-workflow.sh'), out], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, DEMO_DIR: tinySuite(), STEPS: '4' } });
  expect(r.stderr).not.toMatch(/error/);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(`workflow done: ${out}`);
  for (const f of ['pretrain/checkpoint/config.json', 'cotrain/checkpoint/eval/confusion_k400.csv', 'transfer/transfer.json', 'export/model.pth']) {
    expect([f, fs.existsSync(path.join(out, f))]).toEqual([f, true]);
  }
}, 300_000);

test('examples/library.ts: train, evaluate, predict and export through the library', () => {
  const out = path.join(tmp, 'library');
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(ROOT, 'dist/examples/library.js'))}).main(${JSON.stringify(out)}, ${JSON.stringify(tinySuite())}).catch((e) => { console.error(e); process.exit(1); })`], { encoding: 'utf8', timeout: 300_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/trained 20 steps \(tiny\), last loss \d/);
  expect(r.stdout).toMatch(/^k400: top-1 [\d.]+% on 8 clips$/m);
  expect(r.stdout).toContain(`to ${path.join(out, 'export')}`);
}, 300_000);

test.each(['torchrun.sh', 'slurm.sbatch'])('examples/%s parses', (f) => {
  expect(spawnSync('bash', ['-n', path.join(ROOT, 'examples', f)]).status).toBe(0);
});
