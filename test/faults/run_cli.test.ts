// Fault injection through the built CLI (run `npm run build` first), on the tiny preset and the shared tiny suite: a
// run stopped by SIGINT or SIGTERM exits 130 or 143 after its checkpoint and says how to resume; two runs never train
// in one folder at once; a lock left by SIGKILL is taken over; a run stopped before its first checkpoint gets one way
// out, not two refusals pointing at each other; settings a checkpoint fixes are never silently replaced.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-faults-'));
const demo = tinySuite();
const TINY = ['--datasets', 'k400,imnet', '--demo', 'tiny', '--demo-dir', demo, '--preset', 'tiny', '--batch-size', '4', '--eval-every', '0', '--views', '1x1', '--backend', 'wasm'];
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cover(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000, cwd: tmp });
}

function steps(out: string): number[] {
  const file = path.join(out, 'log.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((e) => e.type === 'step').map((e) => e.step);
}

/** Starts a long run and resolves once its log reaches `atStep`, with the child and its output so far. */
async function started(args: string[], out: string, atStep: number): Promise<{ child: ChildProcess; output: () => { stdout: string; stderr: string; code: Promise<number | null> } }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = new Promise<number | null>((r) => child.once('close', (c) => r(c))); // after its output is read
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (steps(out).some((s) => s >= atStep)) {
        clearInterval(timer);
        resolve();
      }
    }, 25);
    void code.then(() => {
      clearInterval(timer);
      reject(new Error(`the run ended before step ${atStep}:\n${stdout}\n${stderr}`));
    });
  });
  return { child, output: () => ({ stdout, stderr, code }) };
}

test.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s stops a run after its checkpoint, exits %i and says how to resume', async (signal, exitCode) => {
  const out = path.join(tmp, `stop-${signal}`);
  const run = await started(['cotrain', ...TINY, '--steps', '5000', '--checkpoint-every', '1000', '--out', out], out, 2);
  run.child.kill(signal);
  expect(await run.output().code).toBe(exitCode);
  const o = run.output(); // all it wrote
  const step = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint', 'config.json'), 'utf8')).extra.run.step;
  expect(step).toBeGreaterThanOrEqual(2);
  expect(o.stdout).toContain(`stopped at step ${step} of 5000; checkpoint ${out}/checkpoint. Continue with: cover cotrain --resume --out ${out}`);
  expect(fs.readdirSync(out).sort()).toEqual(['checkpoint', 'log.jsonl', 'result.json', 'tb']); // the lock is gone
}, 300_000);

test('a second --resume of a running run is refused; the log has each step once; a lock left by SIGKILL is taken over', async () => {
  const out = path.join(tmp, 'twice');
  // Its one checkpoint is at step 2 (of 2), so the resumed runs below save nothing before they are stopped.
  const first = cover(['cotrain', ...TINY, '--steps', '2', '--checkpoint-every', '1000', '--out', out]);
  expect(first.status).toBe(0);
  const a = await started(['cotrain', '--resume', '--steps', '5000', '--out', out, '--backend', 'wasm'], out, 4);
  const b = cover(['cotrain', '--resume', '--steps', '5000', '--out', out, '--backend', 'wasm']);
  expect(b.status).toBe(2);
  expect(b.stderr).toMatch(new RegExp(`^cover: error: ${out}: is in use by another cover run \\(pid ${a.child.pid} on host [^ ]+, since [^ ]+: cover cotrain --resume --steps 5000 --out ${out} --backend wasm\\) \\(fix: wait for that run to end, or stop it \\(kill ${a.child.pid}\\) and continue it with --resume\\)\\n$`));
  a.child.kill('SIGKILL');
  await a.output().code;
  expect(fs.existsSync(path.join(out, 'run.lock'))).toBe(true);

  // The killed run's lock is stale: the next --resume takes it over and finishes.
  const c = cover(['cotrain', '--resume', '--steps', '8', '--out', out, '--backend', 'wasm']);
  expect(c.stderr).toBe('');
  expect(c.status).toBe(0);
  expect(c.stdout).toMatch(/took over the lock of a run that is gone \(pid \d+/);
  const logged = steps(out);
  expect(logged).toEqual([...new Set(logged)].sort((x, y) => x - y));
  expect(logged.at(-1)).toBe(8);
  expect(fs.readdirSync(out).sort()).toEqual(['checkpoint', 'log.jsonl', 'report.html', 'result.json', 'tb']);
}, 400_000);

test('a run stopped before its first checkpoint: the refusal offers --overwrite only, and --resume says the same', async () => {
  const out = path.join(tmp, 'early');
  const run = await started(['cotrain', ...TINY, '--steps', '5000', '--checkpoint-every', '5000', '--out', out], out, 1);
  run.child.kill('SIGKILL');
  await run.output().code;
  const again = cover(['cotrain', ...TINY, '--steps', '2', '--out', out]);
  expect(again.stderr).toBe(`cover: error: ${out}: already holds a run (log.jsonl, tb; it stopped before its first checkpoint, so there is nothing to resume) (fix: replace it with --overwrite, or choose another --out)\n`);
  const resume = cover(['cotrain', '--resume', '--out', out, '--backend', 'wasm']);
  expect(resume.stderr).toBe(`cover: error: ${out}/checkpoint: there is no checkpoint to resume from (the run stopped before its first checkpoint) (fix: start the run again with --overwrite)\n`);
  expect(cover(['cotrain', ...TINY, '--steps', '2', '--out', out, '--overwrite']).status).toBe(0);
}, 300_000);

test('settings a checkpoint fixes: --resume refuses a different one, --init takes the checkpoint\'s preset and refuses another', () => {
  const out = path.join(tmp, 'settings');
  expect(cover(['cotrain', ...TINY, '--steps', '2', '--out', out]).status).toBe(0);
  const ck = path.join(out, 'checkpoint');

  const resume = cover(['cotrain', '--resume', '--preset', 'small', '--out', out, '--backend', 'wasm']);
  expect(resume.stderr).toBe(`cover: error: ${ck}: --resume continues the run with its saved settings: --preset small differs from its tiny (fix: drop --preset to continue the run as it was, or start a new run in another --out with --init ${ck})\n`);
  expect(resume.status).toBe(2);

  // Resuming the finished run evaluates it again and keeps its last loss.
  const result = () => JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
  const lastLoss = result().lastLoss;
  const finished = cover(['cotrain', '--resume', '--preset', 'tiny', '--out', out, '--backend', 'wasm']);
  expect(finished.status).toBe(0);
  expect(finished.stdout).toContain('the run had finished its 2 steps');
  expect(result().lastLoss).toBe(lastLoss);
  expect(typeof lastLoss).toBe('number');

  const init = cover(['cotrain', ...TINY, '--preset', 'small', '--steps', '1', '--init', ck, '--out', path.join(tmp, 'init-small')]);
  expect(init.stderr).toBe(
    `cover: error: --init ${ck} is a 2-block, 32-wide model (2 heads, 8x8 patches) for 2 frames of 32x32, but --preset small is a 4-block, 192-wide model (3 heads, 16x16 patches) for 8 frames of 64x64: ` +
      `only the frame count and resolution can change (fix: drop --preset to train the checkpoint's own architecture, give a preset of its width and depth (tiny), or --init another checkpoint)\n`,
  );
  expect(fs.existsSync(path.join(tmp, 'init-small'))).toBe(false);

  const noPreset = TINY.filter((a, i) => a !== '--preset' && TINY[i - 1] !== '--preset');
  const ok = cover(['cotrain', ...noPreset, '--steps', '1', '--init', ck, '--out', path.join(tmp, 'init-tiny')]);
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('| preset tiny |');
}, 300_000);
