// A run killed with SIGKILL mid-training, then resumed with --resume, ends with exactly the weights and losses of a run
// that was never interrupted (through the built CLI, on the tiny demo suite: dense, segment, jittered MiT and image sampling).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-resume-'));
const demo = tinySuite();
const common = ['cotrain', '--datasets', 'k400,ssv2,mit,imnet', '--demo', 'tiny', '--demo-dir', demo, '--preset', 'tiny', '--batch-size', '4',
  '--steps', '24', '--checkpoint-every', '4', '--eval-every', '0', '--views', '1x1', '--drop-path', '0.2', '--mixup', '0.2', '--backend', 'wasm'];

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
}

function stepLosses(out: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const line of fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line);
    if (e.type === 'step') m.set(e.step, e.loss);
  }
  return m;
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('SIGKILL mid-training, then --resume, matches an uninterrupted run exactly', async () => {
  const full = path.join(tmp, 'full');
  const r1 = run([...common, '--out', full]);
  expect(r1.stderr).toBe('');
  expect(r1.status).toBe(0);

  // The same run, killed with SIGKILL once it has passed step 10 (a checkpoint was written at step 8).
  const killed = path.join(tmp, 'killed');
  const child = spawn(process.execPath, [BIN, ...common, '--out', killed], { stdio: 'ignore' });
  const log = path.join(killed, 'log.jsonl');
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const steps = fs.existsSync(log) ? [...stepLosses(killed).keys()] : [];
      if (steps.some((s) => s >= 10)) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the run finished before it could be killed'));
    });
  });
  await new Promise((r) => child.once('exit', r));
  const savedRun = JSON.parse(fs.readFileSync(path.join(killed, 'checkpoint', 'config.json'), 'utf8')).extra.run;
  const saved = savedRun.step;
  expect(saved).toBeGreaterThanOrEqual(8);
  expect(saved).toBeLessThan(24);
  // The checkpoint stores where the batch sampler stands (resume restores it; nothing is replayed).
  expect(savedRun.sampler).toMatchObject({ version: 1, batches: saved, batchSize: 4 });

  const r2 = run(['cotrain', '--resume', '--out', killed, '--backend', 'wasm']);
  expect(r2.status).toBe(0);
  expect(r2.stdout).toContain(`resuming cotrain from step ${saved}`);

  // Same weights, byte for byte, and the same loss at every step.
  const w1 = fs.readFileSync(path.join(full, 'checkpoint', 'weights.safetensors'));
  const w2 = fs.readFileSync(path.join(killed, 'checkpoint', 'weights.safetensors'));
  expect(w2.equals(w1)).toBe(true);
  const l1 = stepLosses(full);
  const l2 = stepLosses(killed);
  expect([...l2.keys()]).toEqual([...l1.keys()]);
  for (const [s, l] of l1) expect(l2.get(s)).toBe(l);
}, 400_000); // three runs of the CLI, each allowed 240 s by run()
