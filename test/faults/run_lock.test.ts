// The run folder's lock (src/run/run_lock.ts): one run at a time in a folder, a lock left by a killed run taken over,
// one from another host or a live process refused with its owner named, and nothing left behind on release.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CoverError } from '../../src/errors';
import { LOCK_FILE, lockRunDir } from '../../src/run/run_lock';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(tmp, `run${n++}`);

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as CoverError).oneLine();
  }
  throw new Error('not refused');
}

test('a second lock on a locked folder is refused with the owner named; release frees it and removes what it made', () => {
  const out = fresh();
  const lock = lockRunDir(out);
  const owner = JSON.parse(fs.readFileSync(path.join(out, LOCK_FILE), 'utf8'));
  expect(owner).toMatchObject({ pid: process.pid, host: os.hostname() });
  expect(refusal(() => lockRunDir(out))).toMatch(new RegExp(`^${out}: is in use by another cover run \\(pid ${process.pid} on host `));
  lock.release();
  lock.release(); // twice is harmless
  expect(fs.existsSync(out)).toBe(false); // the lock made the folder and nothing else was written
  const again = lockRunDir(out);
  fs.writeFileSync(path.join(out, 'log.jsonl'), '');
  again.release();
  expect(fs.readdirSync(out)).toEqual(['log.jsonl']);
});

test('a lock whose process is gone (SIGKILL) is taken over, and says so', () => {
  const out = fresh();
  fs.mkdirSync(out);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), started: 1, since: 'then', command: 'cotrain' }));
  const said: string[] = [];
  const lock = lockRunDir(out, (l) => said.push(l));
  expect(said).toEqual([`took over the lock of a run that is gone (pid ${dead.stdout}, since then)`]);
  expect(JSON.parse(fs.readFileSync(path.join(out, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
  lock.release();
});

test('a lock held by a live process of this host is refused; a reused pid (another start time) is stale', async () => {
  const out = fresh();
  fs.mkdirSync(out);
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
  await new Promise((r) => live.once('spawn', r));
  try {
    const stat = fs.readFileSync(`/proc/${live.pid}/stat`, 'utf8');
    const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const write = (s: number) => fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: live.pid, host: os.hostname(), started: s, since: 'now', command: 'cotrain --resume' }));
    write(started);
    expect(refusal(() => lockRunDir(out))).toBe(
      `${out}: is in use by another cover run (pid ${live.pid} on host ${os.hostname()}, since now: cover cotrain --resume) (fix: wait for that run to end, or stop it (kill ${live.pid}) and continue it with --resume)`,
    );
    write(started + 1); // the pid now belongs to a process started at another time: the lock's owner is gone
    lockRunDir(out).release();
  } finally {
    live.kill();
  }
});

test('a lock from another host is refused with the file to remove; a damaged lock is replaced', () => {
  const out = fresh();
  fs.mkdirSync(out);
  const file = path.join(out, LOCK_FILE);
  fs.writeFileSync(file, JSON.stringify({ pid: 1, host: 'elsewhere', started: 1, since: 'then', command: 'cotrain' }));
  expect(refusal(() => lockRunDir(out))).toBe(`${out}: is in use by another cover run (pid 1 on host elsewhere, since then: cover cotrain) (fix: if that run is over, remove ${file})`);
  fs.writeFileSync(file, 'not json');
  const said: string[] = [];
  lockRunDir(out, (l) => said.push(l)).release();
  expect(said).toEqual(['removed a damaged run.lock']);
});

test('--out that cannot be a run folder: one line each', () => {
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, 'precious');
  expect(refusal(() => lockRunDir(''))).toBe('--out is empty (fix: give the folder the run writes to, e.g. --out runs/first)');
  expect(refusal(() => lockRunDir(file))).toBe(`${file}: is a file, not a folder (fix: give --out a folder (it is created when missing), not a file)`);
  expect(refusal(() => lockRunDir(path.join(file, 'x')))).toBe(`${path.join(file, 'x')}: cannot use it as the run folder: a part of the path is a file, not a folder (ENOTDIR) (fix: check the path)`);
  expect(fs.readFileSync(file, 'utf8')).toBe('precious');
});
