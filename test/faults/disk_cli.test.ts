// Fault injection on the disk, through the built CLI (run `npm run build` first): output to a full disk is an error
// (exit 3, one line), never exit 0 with nothing written; a run folder on a read-only disk is refused before any work;
// a disk that fills up in the middle of a run stops it with one line, keeps its last checkpoint whole, and the run
// resumes once there is space. The disk cases mount small tmpfs folders, which needs root: without it they are
// skipped, and say so.
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-disk-'));
const demo = tinySuite();
const TINY = ['--datasets', 'k400', '--demo', 'tiny', '--demo-dir', demo, '--preset', 'tiny', '--batch-size', '4', '--eval-every', '0', '--views', '1x1', '--backend', 'wasm'];
const mounts: string[] = [];

function cover(args: string[], opts: { stdout?: number } = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000, cwd: tmp, stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'] });
}

/** A tmpfs of `size` at a new folder, or null where this process may not mount one (not root, or a container). */
function tmpfs(name: string, options: string): string | null {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  mounts.push(dir);
  return dir;
}

afterAll(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

let checkpoint = '';
beforeAll(() => {
  const r = cover(['cotrain', ...TINY, '--steps', '1', '--out', path.join(tmp, 'base')]);
  if (r.status !== 0) throw new Error(r.stderr);
  checkpoint = path.join(tmp, 'base', 'checkpoint');
}, 240_000);

describe('stdout on a full disk (/dev/full) is an error, with one line, never exit 0', () => {
  const video = () => {
    const val = path.join(demo, 'k400', 'val');
    const cls = fs.readdirSync(val)[0];
    return path.join(val, cls, fs.readdirSync(path.join(val, cls))[0]);
  };
  test.each([
    ['predict --json', () => ['predict', video(), '--checkpoint', checkpoint, '--json', '--backend', 'wasm']],
    ['predict', () => ['predict', video(), '--checkpoint', checkpoint, '--backend', 'wasm']],
    ['data check --json', () => ['data', 'check', `kinetics:${path.join(demo, 'k400')}`, '--json']],
  ])('%s > /dev/full', (_name, args) => {
    const full = fs.openSync('/dev/full', 'w');
    try {
      const r = cover(args(), { stdout: full });
      expect(r.stderr).toBe('cover: error: standard output: cannot write: the disk is full (ENOSPC) (fix: free some space, or send the output elsewhere)\n');
      expect(r.status).toBe(3);
    } finally {
      fs.closeSync(full);
    }
  }, 120_000);
});

test('a run folder on a read-only disk is refused before any work', () => {
  const ro = tmpfs('ro', 'size=1m,ro');
  if (!ro) return console.warn('skipped: mounting a read-only tmpfs needs root');
  const r = cover(['cotrain', ...TINY, '--steps', '1', '--out', path.join(ro, 'run')]);
  expect(r.stderr).toBe(`cover: error: ${ro}: cannot write the run folder there: the file system is read-only (EROFS) (fix: choose a folder on a writable disk)\n`);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
}, 120_000);

test('a disk full from the start: one line, exit 3, nothing left behind', () => {
  const disk = tmpfs('full-at-start', 'size=64k');
  if (!disk) return console.warn('skipped: mounting a tmpfs needs root');
  fill(disk);
  const r = cover(['cotrain', ...TINY, '--steps', '1', '--out', path.join(disk, 'run')]);
  expect(r.stderr).toMatch(/^cover: error: \S+: cannot (lock|create) the run folder: the disk is full \(ENOSPC\) \(fix: free some space on that disk, or choose a folder on another one\)\n$/);
  expect(r.status).toBe(3);
  expect(fs.readdirSync(disk)).toEqual(['filler']);
}, 120_000);

test('a disk that fills up mid-run: one line, exit 3, the last checkpoint whole; --resume goes on once there is space', async () => {
  const disk = tmpfs('fills-up', 'size=8m');
  if (!disk) return console.warn('skipped: mounting a tmpfs needs root');
  const out = path.join(disk, 'run');
  const child = spawn(process.execPath, [BIN, 'cotrain', ...TINY, '--steps', '60', '--checkpoint-every', '2', '--out', out], { cwd: tmp });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (fs.existsSync(path.join(out, 'checkpoint', 'config.json'))) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
    void code.then(() => reject(new Error(`the run ended first: ${stderr}`)));
  });
  fill(disk);
  expect(await code).toBe(3);
  expect(stderr).toMatch(/(^|\n)cover: error: \S+: cannot (append to the run log|append to the TensorBoard events file|save the checkpoint \(the one saved before is kept as it was\)|write it): the disk is full \(ENOSPC\) \(fix: free some space on that disk, or choose a folder on another one\)\n$/);
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
  expect(fs.readdirSync(out).sort()).toEqual(['checkpoint', 'log.jsonl', 'tb']); // no half-written checkpoint beside it, no lock

  const saved = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint', 'config.json'), 'utf8')).extra.run.step;
  expect(saved % 2).toBe(0);

  fs.rmSync(path.join(disk, 'filler'));
  const resumed = cover(['cotrain', '--resume', '--out', out, '--backend', 'wasm']);
  expect(resumed.stderr).toBe('');
  expect(resumed.stdout).toContain(`resuming cotrain from step ${saved} of 60`);
  const logged = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((e) => e.type === 'step').map((e) => e.step);
  expect(logged).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
}, 240_000);

/** Fills the disk at `dir` to the last byte. */
function fill(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  for (let size = 4096; size >= 1; size = Math.floor(size / 2)) {
    try {
      for (;;) fs.writeSync(fd, block, 0, size);
    } catch {
      // next, a smaller piece
    }
  }
  fs.closeSync(fd);
}
