// Parsers of cover's option values, run by commander while it reads the command line, so a bad value stops the command
// before any work starts (before the backend starts, before data is read). Each one throws commander's
// InvalidArgumentError with one sentence naming the option, what it takes and the value given; formatParseError turns
// that (and commander's own messages: unknown option, bad choice, missing value) into cover's one error line.

import { InvalidArgumentError } from 'commander';
import { DATASET_FORMATS, SHORT_NAMES } from '../data/datasets/registry';
import { RUN_LIMITS } from '../run/run_config';

/** A whole number in plain decimal digits: no sign, point, exponent or 0x. */
const DIGITS = /^\d+$/;
/** A decimal number, with an optional exponent (1e-4); no hex, Infinity or NaN. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** A dataset name: a head name, a `--data NAME=`, a short name like k400. */
export const NAME = /^[A-Za-z][\w-]*$/;

/** Most wasm threads (`--threads`, COVER_THREADS): more than any machine's cores is a typo, and a thread storm. */
export const MAX_THREADS = 256;
/** Longest predict window / stride in seconds. */
export const MAX_WINDOW_S = 86400;
/** Longest doctor matMul timing. */
export const MAX_GEMM_MS = 60000;

function fail(flag: string, takes: string, v: string, fix = ''): never {
  throw new InvalidArgumentError(`${flag} takes ${takes}, got '${v}'${fix ? ` (fix: ${fix})` : ''}`);
}

export interface IntRange {
  min: number;
  /** Largest value; omitted: no bound below Number.MAX_SAFE_INTEGER. */
  max?: number;
  /** What special values mean, e.g. '0 = off'. */
  note?: string;
}

/** `a whole number from 1 to 64 (0 = off)`. */
export function describeInt(r: IntRange): string {
  const range = r.max === undefined ? `a whole number of at least ${r.min}` : `a whole number from ${r.min} to ${r.max}`;
  return r.note ? `${range} (${r.note})` : range;
}

/** A whole number in [min, max], written in decimal digits (0x10, 1e3 and 1e308 are refused). */
export function intArg(flag: string, r: IntRange): (v: string) => number {
  return (v: string) => {
    const s = v.trim();
    const n = Number(s);
    if (!DIGITS.test(s)) {
      // 1e3 or 0x10 are whole numbers to Number(), but not what a user reads in the help: say how to write them.
      const fix = s !== '' && Number.isInteger(n) && n >= r.min && n <= (r.max ?? Number.MAX_SAFE_INTEGER) ? `write it in plain digits: ${n}` : '';
      fail(flag, describeInt(r), v, fix);
    }
    if (!(Number.isSafeInteger(n) && n >= r.min && n <= (r.max ?? Number.MAX_SAFE_INTEGER))) fail(flag, describeInt(r), v);
    return n;
  };
}

export interface NumRange {
  min: number;
  /** true: the value must be above min. */
  minExclusive?: boolean;
  max?: number;
  /** true: the value must be below max. */
  maxExclusive?: boolean;
  note?: string;
}

/** `a number from 0 to below 1`, `a number above 0 and at most 10`, `a number of at least 0 (0 = off)`. */
export function describeNum(r: NumRange): string {
  const lo = r.minExclusive ? `above ${r.min}` : r.max === undefined ? `of at least ${r.min}` : `from ${r.min}`;
  const hi = r.max === undefined ? '' : r.minExclusive ? ` and ${r.maxExclusive ? 'below' : 'at most'} ${r.max}` : ` to ${r.maxExclusive ? 'below ' : ''}${r.max}`;
  const range = `a number ${lo}${hi}`;
  return r.note ? `${range} (${r.note})` : range;
}

export function inNumRange(n: number, r: NumRange): boolean {
  if (!Number.isFinite(n)) return false;
  if (r.minExclusive ? !(n > r.min) : !(n >= r.min)) return false;
  if (r.max !== undefined && (r.maxExclusive ? !(n < r.max) : !(n <= r.max))) return false;
  return true;
}

/** A finite decimal number in the range. */
export function numArg(flag: string, r: NumRange): (v: string) => number {
  return (v: string) => {
    const s = v.trim();
    const n = Number(s);
    if (!DECIMAL.test(s) || !inNumRange(n, r)) fail(flag, describeNum(r), v);
    return n;
  };
}

/** Units of `--memory`: binary (GiB, MiB) and decimal (GB, MB) as the device makers and nvidia-smi write them. */
const SIZE_UNITS: Record<string, number> = { b: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

/** A memory size such as `80GiB`, `24GB` or `512MiB` (a unit is required), in bytes; at most 64 TiB. */
export function sizeArg(flag: string): (v: string) => number {
  return (v: string) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(v);
    const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
    const bytes = m && unit ? Number(m[1]) * unit : NaN;
    if (!(bytes >= 2 ** 20 && bytes <= 2 ** 46)) fail(flag, 'a memory size from 1MiB to 64TiB with its unit (80GiB, 24GB, 512MiB)', v);
    return bytes;
  };
}

/** `--max-bad`: a fraction of the samples in [0, 1), or a whole count of at least 1. */
export function maxBadArg(flag: string): (v: string) => number {
  return (v: string) => {
    const s = v.trim();
    const n = Number(s);
    if (!DECIMAL.test(s) || !(Number.isFinite(n) && n >= 0 && (n < 1 || Number.isSafeInteger(n)))) {
      fail(flag, 'a fraction from 0 to below 1, or a whole count of at least 1', v);
    }
    return n;
  };
}

/** Temporal clips x spatial crops: T from 1 to RUN_LIMITS.maxTemporalViews, S 1 or 3 (`--views 1x3`). */
export function viewsArg(flag: string): (v: string) => string {
  return (v: string) => {
    const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(v);
    const t = m ? Number(m[1]) : NaN;
    const s = m ? Number(m[2]) : NaN;
    if (!m || !(t >= 1 && t <= RUN_LIMITS.maxTemporalViews) || (s !== 1 && s !== 3)) {
      fail(flag, `TxS: T temporal clips from 1 to ${RUN_LIMITS.maxTemporalViews}, S spatial crops 1 or 3 (e.g. 1x3)`, v);
    }
    return `${t}x${s}`;
  };
}

/** A comma-separated list of dataset names (`--datasets k400,ssv2`), each once. */
export function namesArg(flag: string, what = 'dataset names'): (v: string) => string {
  return (v: string) => {
    const names = v.split(',').map((s) => s.trim());
    const takes = `comma-separated ${what} (letters, digits, _ and -, each once)`;
    if (names.some((n) => !NAME.test(n)) || new Set(names).size !== names.length) fail(flag, takes, v);
    return names.join(',');
  };
}

/** `--head k400`, `k400,ssv2` or `all`. */
export function headsArg(flag: string): (v: string) => string {
  return (v: string) => {
    if (v.trim() === 'all') return 'all';
    const heads = v.split(',').map((s) => s.trim());
    if (heads.some((h) => !NAME.test(h)) || new Set(heads).size !== heads.length) fail(flag, "a head name, comma-separated head names, or 'all'", v);
    return heads.join(',');
  };
}

/** A comma-separated subset of fixed choices (`--only k400,imnet`), each once. */
export function listOfArg<T extends string>(flag: string, choices: readonly T[]): (v: string) => T[] {
  return (v: string) => {
    const names = v.split(',').map((s) => s.trim());
    if (names.some((n) => !(choices as readonly string[]).includes(n)) || new Set(names).size !== names.length) {
      fail(flag, `names from ${choices.join(',')}`, v);
    }
    return names as T[];
  };
}

/** One dataset name (transfer's target). */
export function nameArg(what: string): (v: string) => string {
  return (v: string) => {
    if (!NAME.test(v.trim())) throw new InvalidArgumentError(`${what} takes a dataset name (letters, digits, _ and -), got '${v}'`);
    return v.trim();
  };
}

/** `--shard i/N`: part i (from 0) of N; `3/8` -> { index: 3, count: 8 }. */
export function shardArg(flag: string): (v: string) => { index: number; count: number } {
  return (v: string) => {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
    const index = m ? Number(m[1]) : NaN;
    const count = m ? Number(m[2]) : NaN;
    if (!m || !(count >= 1 && count <= 1_000_000 && index < count)) {
      fail(flag, 'i/N, part i (from 0 to N-1) of N parts, e.g. 0/4', v, m && count >= 1 && index >= count ? `parts are numbered from 0: the last of ${count} is ${count - 1}/${count}` : '');
    }
    return { index, count };
  };
}

/**
 * `--data NAME=[FORMAT:]PATH`, repeatable: checks the form of each and that no NAME is given twice; the values are
 * collected as given (parseDataPaths turns them into a map).
 */
export function dataArg(flag: string): (v: string, previous?: string[]) => string[] {
  const formats = [...DATASET_FORMATS, ...Object.keys(SHORT_NAMES)];
  return (v: string, previous: string[] = []) => {
    const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(v.trim());
    const takes = `NAME=[FORMAT:]PATH, FORMAT one of ${DATASET_FORMATS.join(', ')} (e.g. k400=/data/kinetics400)`;
    if (!m) fail(flag, takes, v);
    const prefix = /^([A-Za-z][\w-]+):(.*)$/.exec(m[2]);
    // One letter before a colon is a Windows drive (C:\data); a longer word must be a known format.
    if (prefix && (!formats.includes(prefix[1]) || prefix[2] === '')) fail(flag, takes, v);
    const name = m[1];
    if (previous.some((p) => p.split('=')[0] === name)) throw new InvalidArgumentError(`${flag} names '${name}' twice, got '${v}' after '${previous.find((p) => p.split('=')[0] === name)}'`);
    return [...previous, v.trim()];
  };
}

/** `--fixed-counts k400=4,ssv2=4`: whole clips per dataset in every batch, each name once, at least one clip in all. */
export function fixedCountsArg(flag: string): (v: string) => string {
  return (v: string) => {
    parseFixedCountsOrThrow(flag, v);
    return v.trim();
  };
}

export function parseFixedCountsOrThrow(flag: string, v: string): Record<string, number> {
  const takes = `NAME=N,... with N a whole number from 0 to ${RUN_LIMITS.maxBatchSize}, each name once, at least one clip in all (e.g. k400=4,ssv2=4)`;
  const out: Record<string, number> = {};
  let sum = 0;
  for (const part of v.split(',')) {
    const m = /^([A-Za-z][\w-]*)=(\d+)$/.exec(part.trim());
    if (!m || m[1] in out || Number(m[2]) > RUN_LIMITS.maxBatchSize) fail(flag, takes, v);
    out[m[1]] = Number(m[2]);
    sum += out[m[1]];
  }
  if (sum < 1) fail(flag, takes, v);
  return out;
}

/**
 * Commander's error text made into cover's one line: `cover: error: <problem> (fix: ...)`. Our parsers' sentences
 * lose commander's `option '--x <n>' argument 'v' is invalid.` preamble, choices read like them, an environment
 * variable is named first, and anything else (unknown option, missing value) points at the command's --help.
 */
export function formatParseError(text: string, commandPath: string): string {
  const msg = text.trim();
  const choice = (flags: string, v: string, rest: string): string => {
    const choices = /^Allowed choices are (.*)\.$/.exec(rest);
    return choices ? `${longFlag(flags)} takes one of ${choices[1]}, got '${v}'` : rest;
  };
  let m = /^error: option '([^']*)' argument '([\s\S]*)' is invalid\. ([\s\S]*)$/.exec(msg);
  if (m) return `cover: error: ${oneLine(choice(m[1], m[2], m[3]))}\n`;
  m = /^error: option '([^']*)' value '([\s\S]*)' from env '([^']*)' is invalid\. ([\s\S]*)$/.exec(msg);
  if (m) return `cover: error: ${m[3]}: ${oneLine(choice(m[1], m[2], m[4]))}\n`;
  m = /^error: command-argument value '[\s\S]*' is invalid for argument '[^']*'\. ([\s\S]*)$/.exec(msg);
  if (m) return `cover: error: ${oneLine(m[1])}\n`;
  const help = `see cover ${commandPath} --help`.replace(/\s+--help$/, ' --help');
  m = /^error: option '([^']*)' argument missing$/.exec(msg);
  if (m) return `cover: error: ${longFlag(m[1])} needs a value (fix: ${help})\n`;
  m = /^error: (?:option|environment variable) '([^']*)' cannot be used with (?:option|environment variable) '([^']*)'$/.exec(msg);
  if (m) return `cover: error: ${longFlag(m[1])} cannot be used with ${longFlag(m[2])} (fix: give one of them)\n`;
  m = /^([\s\S]*?)\s*\(Did you mean ([^)]*)\)$/.exec(msg);
  if (m) return `cover: ${oneLine(m[1])} (fix: did you mean ${m[2]} ${help})\n`;
  return `cover: ${oneLine(msg.replace(/\.$/, ''))} (fix: ${help})\n`;
}

function longFlag(flags: string): string {
  return /--[\w-]+/.exec(flags)?.[0] ?? flags;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
