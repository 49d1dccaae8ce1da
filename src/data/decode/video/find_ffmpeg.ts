// Where cover's ffmpeg and ffprobe come from, in order (docs/notes/engine-probe.md §5):
//   1. COVER_FFMPEG / COVER_FFPROBE: explicit paths. A wrong one is an error, never silently skipped.
//   2. ffmpeg-static, only if its binary exists (offline its install script fails and leaves a path to nothing).
//   3. @ffmpeg-installer/ffmpeg (+ @ffprobe-installer/ffprobe): static builds shipped inside npm packages.
//   4. PATH (Debian's ffmpeg 5.1: current, with ffprobe; the recommended setup).
// ffprobe is looked up beside the chosen ffmpeg first, then from the same sources. The answer is memoised per process.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DecodeError } from '../../../errors';

export type FfmpegSource = 'COVER_FFMPEG' | 'ffmpeg-static' | '@ffmpeg-installer/ffmpeg' | 'PATH';

export interface FfmpegLocation {
  /** Absolute path of a working ffmpeg, or null when none was found. */
  ffmpeg: string | null;
  /** Absolute path of ffprobe, or null (cover can read video facts from `ffmpeg -i` instead). */
  ffprobe: string | null;
  source: FfmpegSource | null;
  /** From `ffmpeg -version`, e.g. '5.1.9-0+deb12u1'. */
  version: string | null;
  /** Every place looked at, with what was found there, in order. */
  tried: string[];
  /** Set when COVER_FFMPEG / COVER_FFPROBE is set but unusable. */
  problem: EnvProblem | null;
}

export interface EnvProblem {
  variable: 'COVER_FFMPEG' | 'COVER_FFPROBE';
  /** The value the variable holds. */
  path: string;
  /** e.g. 'COVER_FFMPEG is set to a file that does not exist'. */
  message: string;
}

export const FFMPEG_FIX = 'apt-get install ffmpeg, or set COVER_FFMPEG=/path/to/ffmpeg';

let cache: FfmpegLocation | null = null;

/** Forgets the memoised answer (tests change COVER_FFMPEG and PATH between calls). */
export function resetFfmpegCache(): void {
  cache = null;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `<bin> -version` and returns the version word of its first line, or null when it does not run. */
function toolVersion(bin: string): string | null {
  const r = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) return null;
  const m = /^\S+ version (\S+)/.exec(r.stdout);
  return m ? m[1] : 'unknown';
}

/** A package's exported binary path, if the package is installed; otherwise a note on why not. */
function packagePath(pkg: string, pick: (mod: unknown) => unknown): { path: string | null; note: string } {
  let mod: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(pkg);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { path: null, note: e.code === 'MODULE_NOT_FOUND' ? 'not installed' : `fails to load (${e.message.split('\n')[0]})` };
  }
  const p = pick(mod);
  if (typeof p !== 'string' || p === '') return { path: null, note: 'installed, but has no binary for this platform' };
  if (!isExecutableFile(p)) return { path: null, note: `installed, but its binary ${p} does not exist (its install script needs the network)` };
  return { path: p, note: p };
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

type EnvLookup = { path: string | null; problem: EnvProblem | null };

function fromEnv(variable: EnvProblem['variable'], tried: string[]): EnvLookup {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return { path: null, problem: null };
  const p = path.resolve(raw);
  const bad = (what: string): EnvLookup => {
    tried.push(`${variable}=${raw}: ${what}`);
    return { path: null, problem: { variable, path: raw, message: `${variable} is set to ${what}` } };
  };
  if (!fs.existsSync(p)) return bad('a file that does not exist');
  if (!isExecutableFile(p)) return bad('something that is not an executable file');
  tried.push(`${variable}=${raw}: found`);
  return { path: p, problem: null };
}

function findFfprobe(ffmpeg: string | null, tried: string[]): EnvLookup {
  const env = fromEnv('COVER_FFPROBE', tried);
  if (env.path || env.problem) return env;
  if (ffmpeg) {
    const sibling = path.join(path.dirname(ffmpeg), 'ffprobe');
    if (isExecutableFile(sibling)) return { path: sibling, problem: null };
  }
  const installer = packagePath('@ffprobe-installer/ffprobe', (m) => (m as { path?: unknown }).path);
  if (installer.path) return { path: installer.path, problem: null };
  return { path: onPath('ffprobe'), problem: null };
}

function search(): FfmpegLocation {
  const tried: string[] = [];
  const found = (ffmpeg: string, source: FfmpegSource, version: string): FfmpegLocation => {
    const probe = findFfprobe(ffmpeg, tried);
    return { ffmpeg, ffprobe: probe.path, source, version, tried, problem: probe.problem };
  };

  const env = fromEnv('COVER_FFMPEG', tried);
  if (env.problem) return { ffmpeg: null, ffprobe: null, source: null, version: null, tried, problem: env.problem };
  if (env.path) {
    const v = toolVersion(env.path);
    if (v === null) {
      const raw = process.env.COVER_FFMPEG ?? env.path;
      tried.push(`COVER_FFMPEG=${raw}: does not run (\`-version\` failed)`);
      const problem: EnvProblem = { variable: 'COVER_FFMPEG', path: raw, message: 'COVER_FFMPEG is set to a program that does not run as ffmpeg (`-version` failed)' };
      return { ffmpeg: null, ffprobe: null, source: null, version: null, tried, problem };
    }
    return found(env.path, 'COVER_FFMPEG', v);
  }

  const candidates: Array<{ source: FfmpegSource; locate: () => { path: string | null; note: string } }> = [
    { source: 'ffmpeg-static', locate: () => packagePath('ffmpeg-static', (m) => m) },
    { source: '@ffmpeg-installer/ffmpeg', locate: () => packagePath('@ffmpeg-installer/ffmpeg', (m) => (m as { path?: unknown }).path) },
    { source: 'PATH', locate: () => { const p = onPath('ffmpeg'); return { path: p, note: p ?? 'no ffmpeg on PATH' }; } },
  ];
  for (const c of candidates) {
    const loc = c.locate();
    if (!loc.path) {
      tried.push(`${c.source}: ${loc.note}`);
      continue;
    }
    const v = toolVersion(loc.path);
    if (v === null) {
      tried.push(`${c.source}: ${loc.path} does not run`);
      continue;
    }
    tried.push(`${c.source}: ${loc.path}`);
    return found(loc.path, c.source, v);
  }
  return { ffmpeg: null, ffprobe: null, source: null, version: null, tried, problem: null };
}

/**
 * Finds ffmpeg (and ffprobe) once per process; see the order at the top of this file.
 *
 * @example
 * findFfmpeg()
 * // { ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe', source: 'PATH', version: '5.1.9-0+deb12u1',
 * //   tried: ['ffmpeg-static: not installed', '@ffmpeg-installer/ffmpeg: not installed', 'PATH: /usr/bin/ffmpeg'], problem: null }
 */
export function findFfmpeg(): FfmpegLocation {
  if (!cache) cache = search();
  return cache;
}

export type FoundFfmpeg = FfmpegLocation & { ffmpeg: string; source: FfmpegSource };

/** findFfmpeg(), or a DecodeError saying where cover looked and how to install one. */
export function requireFfmpeg(): FoundFfmpeg {
  const loc = findFfmpeg();
  if (loc.problem) {
    // An explicit setting that is wrong is reported, even when ffmpeg itself was found (a bad COVER_FFPROBE).
    const { variable, path: where, message } = loc.problem;
    const tool = variable === 'COVER_FFMPEG' ? 'ffmpeg' : 'ffprobe';
    throw new DecodeError(message, {
      path: where,
      suggestion: `set ${variable} to the full path of a working ${tool}, or unset it to search ffmpeg-static, @ffmpeg-installer and PATH`,
    });
  }
  if (!loc.ffmpeg || !loc.source) {
    throw new DecodeError(`ffmpeg not found (looked at: ${loc.tried.join('; ')})`, { suggestion: FFMPEG_FIX });
  }
  return loc as FoundFfmpeg;
}
