// The lock that makes a run folder one run's at a time: `run.lock`, created exclusively (O_EXCL) before a training
// run writes anything, holding the owner's pid, host and process start time, removed when the run ends (also on
// process.exit, e.g. a second Ctrl-C). A lock whose owner is gone (killed with SIGKILL, a crashed machine) is stale:
// on the same host cover sees that the pid is gone or belongs to a newer process, and takes the lock over; a lock from
// another host cannot be checked, so it is refused with the owner named and the file to remove.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileError, UsageError } from '../errors';
import { checkWritableFolder } from './run_dir';

export const LOCK_FILE = 'run.lock';

interface LockOwner {
  pid: number;
  host: string;
  /** The owner's start time in clock ticks since boot (/proc/PID/stat field 22), so a reused pid is not taken for it. */
  started: number | null;
  since: string;
  command: string;
}

export interface RunLock {
  /** Removes the lock (and the folder, when the lock made it and nothing else was written). Safe to call twice. */
  release(): void;
}

/**
 * Locks run folder `out` for this process, creating the folder when needed. Throws a one-line UsageError when another
 * live process holds it, a FileError when the folder cannot be made or written (a file, read-only, full).
 *
 * @example
 * const lock = lockRunDir('runs/cotrain');
 * try { ... } finally { lock.release(); }
 * // a second process: "runs/cotrain: is in use by another cover run (pid 4242 on host a, since 2026-12-05T13:20:00Z)"
 */
export function lockRunDir(out: string, log?: (line: string) => void): RunLock {
  const madeDir = makeDir(out);
  const file = path.join(out, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), started: startTicks(process.pid), since: new Date().toISOString(), command: process.argv.slice(2).join(' ') };
  try {
    for (let attempt = 0; !createLock(file, me); attempt++) {
      let owner = readOwner(file);
      if (owner === null) {
        sleepMs(200); // an owner may be between creating the file and writing it: look again before calling it damaged
        owner = readOwner(file);
      }
      if ((owner && !isStale(owner)) || attempt >= 3) {
        throw new UsageError(`is in use by another cover run${owner ? ` (pid ${owner.pid} on host ${owner.host}, since ${owner.since}: cover ${owner.command})` : ''}`, {
          path: out,
          suggestion: owner?.host === me.host
            ? `wait for that run to end, or stop it (kill ${owner.pid}) and continue it with --resume`
            : `if that run is over, remove ${file}`,
        });
      }
      takeOver(file, owner, log);
    }
  } catch (err) {
    if (madeDir) removeIfEmpty(out); // the folder made for this run, which never started
    throw err;
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (readOwner(file)?.pid === me.pid) fs.unlinkSync(file);
    } catch {
      // the folder went away or became unreadable: nothing of ours is left to remove
    }
    if (madeDir) removeIfEmpty(out);
  };
  process.on('exit', release);
  return { release };
}

/** Creates the lock file with this process as its owner; false when it exists. */
function createLock(file: string, me: LockOwner): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileError(err, file, 'lock the run folder');
  }
  try {
    fs.writeSync(fd, `${JSON.stringify(me)}\n`);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw fileError(err, file, 'lock the run folder');
  }
  fs.closeSync(fd);
  return true;
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir); // fails, as it should, when anything is in it
  } catch {
    // not empty, or gone
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates `out` (and its parents); true when it did not exist. */
function makeDir(out: string): boolean {
  checkWritableFolder(out);
  if (fs.existsSync(out)) return false;
  try {
    fs.mkdirSync(out, { recursive: true });
  } catch (err) {
    throw fileError(err, out, 'create the run folder');
  }
  return true;
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null; // being written this instant, or damaged: treated as stale only when it stays so (takeOver)
  }
}

/** Whether the lock's owner is surely gone: same host, and the pid is not running or was started later. */
function isStale(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const started = startTicks(owner.pid);
  return owner.started !== null && started !== null && started !== owner.started;
}

/**
 * Removes a stale lock. It is renamed aside first (atomic), then checked again, so that two processes taking over the
 * same stale lock at once cannot remove each other's fresh one: the loser finds a live lock and is refused.
 */
function takeOver(file: string, stale: LockOwner | null, log?: (line: string) => void): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // another process took it over first; the next attempt sees its lock
  }
  const moved = readOwner(aside);
  if (stale === null ? moved !== null : moved?.pid !== stale.pid || moved.since !== stale.since) {
    fs.renameSync(aside, file); // a fresh lock, written between our read and the rename: give it back
    return;
  }
  fs.rmSync(aside, { force: true });
  log?.(stale ? `took over the lock of a run that is gone (pid ${stale.pid}, since ${stale.since})` : 'removed a damaged run.lock');
}

/** A process's start time in clock ticks since boot, from /proc (Linux); null elsewhere. */
function startTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}
