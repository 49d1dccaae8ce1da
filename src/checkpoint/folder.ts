// A checkpoint folder on disk: the files cover writes in it, the swap that installs a new version, and the recovery
// after a save that was killed. A save writes the whole new version in `<dir>.tmp-<pid>` (config.json last), moves the
// files in `dir` that are not cover's (`cover eval`'s CSVs, a user's notes) into it, then renames `dir` to
// `<dir>.old-<pid>` and the new one to `dir`, and removes the old one. A kill between the two renames leaves no `dir`
// but two complete versions beside it; `recoverFolder` (the run's next start, under its lock) puts the newer one back,
// and readers that find `dir` missing wait for a live save to finish, then name what a killed one left.

import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError } from '../errors';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'weights.safetensors';
export const STATE_FILE = 'train_state.safetensors';
/** The files of a checkpoint folder that are cover's; everything else in it belongs to someone else and is kept. */
export const CHECKPOINT_FILES: readonly string[] = [CONFIG_FILE, WEIGHTS_FILE, STATE_FILE];

/** What a killed save may leave beside `dir`. */
interface Leftover {
  path: string;
  kind: 'tmp' | 'old';
  pid: number;
  /** Holds a whole checkpoint: config.json is written last (atomically), so its presence says the rest is there. */
  complete: boolean;
}

/** `<dir>.tmp-<pid>`, where a save builds the new version. */
export function tmpFolder(dir: string): string {
  return `${path.resolve(dir)}.tmp-${process.pid}`;
}

/**
 * Installs the complete checkpoint `tmp` at `dir` (see the header): at every moment `dir` is the old or the new
 * version, or, for the instant between two renames, absent with both versions complete beside it.
 */
export function installFolder(tmp: string, dir: string): void {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) {
    fs.renameSync(tmp, abs);
    return;
  }
  carryForeign(abs, tmp);
  const old = `${abs}.old-${process.pid}`;
  fs.rmSync(old, { recursive: true, force: true });
  fs.renameSync(abs, old);
  fs.renameSync(tmp, abs);
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Repairs `dir` after a killed save; call it only while holding the run's lock. A missing `dir` is restored from the
 * newest complete leftover (the new version when it was complete, else the old one); the other leftovers are removed,
 * after any file that is not cover's has been moved back into `dir`. Says what it did through `log`.
 */
export function recoverFolder(dir: string, log: (line: string) => void = () => {}): void {
  const abs = path.resolve(dir);
  const left = leftovers(abs).filter((l) => l.pid === process.pid || !isAlive(l.pid));
  if (left.length === 0) return;
  let restored: Leftover | undefined;
  if (!fs.existsSync(abs)) {
    restored = left.find((l) => l.kind === 'tmp' && l.complete) ?? left.find((l) => l.kind === 'old' && l.complete);
    if (restored) {
      fs.renameSync(restored.path, abs);
      log(`restored ${dir} from ${path.basename(restored.path)}, left by a save that was killed`);
    }
  }
  for (const l of left) {
    if (l === restored) continue;
    if (fs.existsSync(abs)) carryForeign(l.path, abs);
    fs.rmSync(l.path, { recursive: true, force: true });
    log(`removed ${path.basename(l.path)}, left by a save that was killed`);
  }
}

/**
 * For a reader: returns when `dir` is there, waiting up to `waitMs` for a save that is between its two renames. When
 * it stays missing and a killed save left a complete version beside it, throws a CheckpointError naming it.
 */
export function awaitFolder(dir: string, waitMs = 2000): void {
  const abs = path.resolve(dir);
  for (let waited = 0; !fs.existsSync(abs); waited += 50) {
    const left = leftovers(abs).filter((l) => l.complete);
    if (left.length === 0) return; // nothing is being saved: the caller says there is no checkpoint
    if (waited >= waitMs) {
      const best = left.find((l) => l.kind === 'tmp') ?? left[0];
      throw new CheckpointError(`is missing: a save was killed and left a complete checkpoint in ${path.basename(best.path)}`, {
        path: dir,
        suggestion: `continue the run with --resume, which restores it, or give ${best.path} itself`,
      });
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/** The leftovers of killed saves beside `dir` (any pid), newest version first. */
export function leftovers(dir: string): Leftover[] {
  const abs = path.resolve(dir);
  const base = path.basename(abs);
  const re = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(tmp|old)-(\\d+)$`);
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(abs));
  } catch {
    return [];
  }
  const found: Leftover[] = [];
  for (const name of names) {
    const m = re.exec(name);
    if (!m) continue;
    const p = path.join(path.dirname(abs), name);
    found.push({ path: p, kind: m[1] as 'tmp' | 'old', pid: Number(m[2]), complete: fs.existsSync(path.join(p, CONFIG_FILE)) });
  }
  return found.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'tmp' ? -1 : 1));
}

/** Moves every entry of `from` that is not one of cover's files into `to`, unless `to` already has one of that name. */
function carryForeign(from: string, to: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(from);
  } catch {
    return;
  }
  for (const name of names) {
    if (CHECKPOINT_FILES.includes(name) || name.startsWith(`${CONFIG_FILE}.tmp`) || fs.existsSync(path.join(to, name))) continue;
    fs.renameSync(path.join(from, name), path.join(to, name));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
