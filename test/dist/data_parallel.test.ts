// Data parallel on c10d (Gloo on loopback), through the built CLI: 2 ranks x 4 clips train the weights 1 process x 8
// clips trains (same seed, no drop-path, no mixup; 10 steps), launched by torchrun (Debian's python3-torch) and by
// `--nproc 2`; each evaluation (one at step 5 on 5 samples, shares of 2 and 3, and the final one) is sharded over the
// ranks and gathered, so rank 0 logs and reports what the one process does; a rank killed mid-run stops the other with one line, the last checkpoint stays good and `--resume`
// continues. The datasets are two image heads (the demo's imnet under two names), so that no ffmpeg decode dominates.
// Skipped where the torch backend is not built, unless COVER_EXPECT_TORCH=1 (CI), and then they fail.

import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';
import { describeTorch, maxRelDiff } from '../torch/torch_helpers';

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'cover.js');
const PYTHON = '/usr/bin/python3';

let dir: string;

function trainArgs(out: string, extra: string[] = []): string[] {
  const imnet = path.join(tinySuite(), 'imnet');
  return [
    'cotrain', '--datasets', 'imnet,other', '--data', `imnet=${imnet}`, '--data', `other=${imnet}`,
    '--preset', 'tiny', '--backend', 'torch', '--steps', '10', '--batch-size', '8', '--fixed-counts', 'imnet=4,other=4',
    '--drop-path', '0', '--mixup', '0', '--eval-every', '5', '--eval-samples', '5', '--views', '1x1', '--checkpoint-every', '5', '--seed', '3', '--out', out, ...extra,
  ];
}

function run(cmd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every weight of a run's checkpoint (safetensors, read without tfjs). */
function weights(out: string): Map<string, Float32Array> {
  const buf = fs.readFileSync(path.join(dir, out, 'checkpoint', 'weights.safetensors'));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const out2 = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [a, b] = t.data_offsets;
    const bytes = buf.subarray(8 + n + a, 8 + n + b);
    out2.set(name, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
  }
  return out2;
}

function stepLosses(out: string): number[] {
  return fs.readFileSync(path.join(dir, out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'step').map((e) => e.loss);
}

function expectSameWeights(a: string, b: string): void {
  const wa = weights(a);
  const wb = weights(b);
  expect([...wa.keys()].sort()).toEqual([...wb.keys()].sort());
  let worst = 0;
  for (const [name, v] of wb) worst = Math.max(worst, maxRelDiff(Array.from(wa.get(name)!), Array.from(v)));
  expect(worst).toBeLessThan(1e-5);
  const la = stepLosses(a);
  const lb = stepLosses(b);
  expect(la).toHaveLength(10);
  expect(maxRelDiff(la, lb)).toBeLessThan(1e-5);
  // The evaluations: at step 5 (5 samples) and the final one (the whole val split), per head: same n and top-1.
  const evalsOf = (out: string) =>
    fs.readFileSync(path.join(dir, out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'eval')
      .map((e) => ({ step: e.step, heads: Object.fromEntries(Object.entries(e.evals as Record<string, { top1: number; n: number }>).map(([h, v]) => [h, { n: v.n, top1: v.top1 }])) }));
  expect(evalsOf(a).map((e) => e.step)).toEqual([5, 10]);
  expect(evalsOf(a)).toEqual(evalsOf(b));
  expect(evalsOf(a)[0].heads.imnet.n).toBe(5);
  const final = (out: string) => JSON.parse(fs.readFileSync(path.join(dir, out, 'result.json'), 'utf8')).evals.map((e: { head: string; n: number; top1: number; top5: number; confusion: number[][]; bad: { count: number } }) => [e.head, e.n, e.top1, e.top5, e.confusion, e.bad.count]);
  expect(final(a)).toEqual(final(b));
  expect(final(a).map((e: unknown[]) => e[1])).toEqual([8, 8]);
}

/** The pid of the child of `parent` started as rank `rank` (its RANK variable). */
function rankPid(parent: number, rank: number): number | null {
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`)) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

function lastLoggedStep(out: string): number {
  const f = path.join(dir, out, 'log.jsonl');
  if (!fs.existsSync(f)) return 0;
  const steps = fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return {}; } }).filter((e) => e.type === 'step');
  return steps.length ? steps[steps.length - 1].step : 0;
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describeTorch('data parallel on c10d (Gloo, loopback)', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-dist-'));
    const one = run(process.execPath, [BIN, ...trainArgs('one')]);
    expect([one.code, one.stderr]).toEqual([0, '']);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('torchrun, 2 ranks x 4 clips: the weights and losses of 1 process x 8 clips after 10 steps (1e-5)', () => {
    const r = run(PYTHON, ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '--redirects', '2', '--tee', '2', '--no_python', process.execPath, BIN, ...trainArgs('torchrun')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/data parallel: 2 ranks \(torchrun, gloo at /);
    expectSameWeights('torchrun', 'one');
  });

  test('--nproc 2: the same weights; rank 0 alone prints and writes', () => {
    const r = run(process.execPath, [BIN, ...trainArgs('nproc', ['--nproc', '2'])]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.match(/^finished 10 steps/gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/data parallel: 2 ranks \(--nproc, gloo at 127.0.0.1:\d+\); batch 8 = 2 x 4 clips/);
    expectSameWeights('nproc', 'one');
  });

  test('a rank killed mid-run stops the other with one line; the checkpoint is intact and --resume continues', async () => {
    const args = trainArgs('killed', ['--nproc', '2', '--steps', '40', '--checkpoint-every', '4']);
    const launcher = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const done = finished(launcher);
    const t0 = Date.now();
    while (lastLoggedStep('killed') < 9 && Date.now() - t0 < 90000) await new Promise((r) => setTimeout(r, 100));
    const victim = rankPid(launcher.pid!, 1);
    expect(victim).not.toBeNull();
    process.kill(victim!, 'SIGKILL');
    const r = await done;
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = /^cover: error: rank 1 failed: it stopped without reporting an error \(killed, or out of memory\?\); all ranks stopped \(the last checkpoint, step (\d+), is intact\)$/;
    expect(lines[0]).toMatch(line);
    const m = line.exec(lines[0]);
    const saved = Number(m![1]);
    expect(saved % 4).toBe(0);
    expect(saved).toBeGreaterThanOrEqual(8);
    const ck = JSON.parse(fs.readFileSync(path.join(dir, 'killed', 'checkpoint', 'config.json'), 'utf8'));
    expect(ck.extra.run.step).toBe(saved);

    const resumed = run(process.execPath, [BIN, 'cotrain', '--resume', '--out', 'killed', '--backend', 'torch', '--nproc', '2']);
    expect([resumed.code, resumed.stderr]).toEqual([0, '']);
    expect(resumed.stdout).toMatch(new RegExp(`resuming cotrain from step ${saved} of 40`));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'killed', 'result.json'), 'utf8')).steps).toBe(40);
  }, 240000);

  test('another backend, or launcher variables that disagree, are one line before anything starts', () => {
    const env = { ...process.env, RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29999' };
    const wasm = spawnSync(process.execPath, [BIN, ...trainArgs('wasm').map((a) => (a === 'torch' ? 'wasm' : a))], { cwd: dir, env, encoding: 'utf8' });
    expect([wasm.status, wasm.stderr]).toEqual([2, "cover: error: --backend wasm: data-parallel training (2 ranks, torchrun) runs on the torch backend's c10d process group (fix: use --backend torch (apt-get install libtorch-dev libgloo-dev, then npm ci, if it is not built))\n"]);
    const bad = spawnSync(process.execPath, [BIN, ...trainArgs('bad')], { cwd: dir, env: { ...env, RANK: '2' }, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^cover: error: RANK=2 is not below WORLD_SIZE=2 \(fix: torchrun and srun set these for you; .*\)\n$/);
    const nproc = spawnSync(process.execPath, [BIN, ...trainArgs('x', ['--nproc', '2'])], { cwd: dir, env, encoding: 'utf8' });
    expect(nproc.stderr).toMatch(/^cover: error: --nproc 2: this process is already rank 0 of 2, started by torchrun \(fix: /);
    // A batch that does not split into equal shares: one line before any rank starts, not one per rank.
    const uneven = spawnSync(process.execPath, [BIN, ...trainArgs('uneven', ['--nproc', '3'])], { cwd: dir, encoding: 'utf8' });
    expect([uneven.status, uneven.stderr]).toEqual([2, 'cover: error: --batch-size 8 does not split evenly over --nproc 3 ranks (fix: give a --batch-size that is a multiple of 3, e.g. 9, or another --nproc)\n']);
    expect(fs.existsSync(path.join(dir, 'uneven'))).toBe(false);
  });
});
