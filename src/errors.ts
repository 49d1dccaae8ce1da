// Typed errors for cover. The library throws these; the CLI's one handleError (src/cli/handle_error.ts) turns them into
// a single line naming the file, the problem and the fix, and a non-zero exit code. A plain Error is a bug in cover and
// keeps its stack trace.

import { errnoCode, fsProblem, MACHINE_ERRNOS } from './fs_problem';

export type ErrorCode =
  | 'CONFIG'
  | 'CHECKPOINT'
  | 'BACKEND'
  | 'OUT_OF_MEMORY'
  | 'DATASET'
  | 'DECODE'
  | 'USAGE'
  | 'FILE';

/**
 * Exit codes by error kind: 2 for a user's mistake in arguments or files, 3 for the machine, 1 for anything else.
 * Running out of memory is 2: the fix is always a setting (a smaller micro-batch, model or another backend).
 */
const EXIT_CODES: Record<ErrorCode, number> = {
  CONFIG: 2,
  CHECKPOINT: 2,
  DATASET: 2,
  DECODE: 2,
  USAGE: 2,
  FILE: 2,
  OUT_OF_MEMORY: 2,
  BACKEND: 3,
};

export class CoverError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, printed after the message. */
  readonly suggestion?: string;
  /** The file or folder the problem is in, when there is one. */
  readonly path?: string;

  constructor(code: ErrorCode, message: string, opts: { suggestion?: string; path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.suggestion = opts.suggestion;
    this.path = opts.path;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  /**
   * The one line the CLI prints: `path: message (fix: suggestion)`. Control characters (a file name's ANSI escapes or
   * newlines) are shown as escapes, never sent to the terminal.
   */
  oneLine(): string {
    const where = this.path ? `${printable(this.path)}: ` : '';
    const fix = this.suggestion ? ` (fix: ${this.suggestion})` : '';
    return where + printable(`${this.message}${fix}`.replace(/\s*\n\s*/g, ' '));
  }
}

export class ConfigError extends CoverError {
  constructor(message: string, opts: { suggestion?: string; path?: string; cause?: unknown } = {}) {
    super('CONFIG', message, opts);
  }
}

export class CheckpointError extends CoverError {
  constructor(message: string, opts: { suggestion?: string; path?: string; cause?: unknown } = {}) {
    super('CHECKPOINT', message, opts);
  }
}

export class BackendError extends CoverError {
  constructor(message: string, opts: { suggestion?: string; path?: string; cause?: unknown } = {}) {
    super('BACKEND', message, opts);
  }
}

export class OutOfMemoryError extends CoverError {
  constructor(message: string, opts: { suggestion?: string; path?: string; cause?: unknown } = {}) {
    super('OUT_OF_MEMORY', message, opts);
  }
}

export class DatasetError extends CoverError {
  constructor(message: string, opts: { suggestion?: string; path?: string; cause?: unknown } = {}) {
    super('DATASET', message, opts);
  }
}

export class DecodeError extends CoverError {
  constructor(message: string, opts: { suggestion?: string; path?: string; cause?: unknown } = {}) {
    super('DECODE', message, opts);
  }
}

export class UsageError extends CoverError {
  constructor(message: string, opts: { suggestion?: string; path?: string; cause?: unknown } = {}) {
    super('USAGE', message, opts);
  }
}

/**
 * A file or folder cover cannot read or write: permissions, a read-only or full disk, a path through a file. A full
 * disk (or a failing one) is the machine's problem (exit 3); the rest are fixed by choosing another path (exit 2).
 */
export class FileError extends CoverError {
  /** The errno code (ENOSPC, EACCES, ...) when the system gave one. */
  readonly errno?: string;

  constructor(message: string, opts: { suggestion?: string; path?: string; cause?: unknown; errno?: string } = {}) {
    super('FILE', message, opts);
    this.errno = opts.errno;
  }

  override get exitCode(): number {
    return this.errno !== undefined && MACHINE_ERRNOS.has(this.errno) ? 3 : 2;
  }
}

/**
 * A system error from reading or writing `file` as a FileError: `<file>: cannot <doing>: <what the code means>
 * (fix: ...)`. Anything that is not a system error (a bug) is returned as it is, to keep its stack.
 *
 * @example
 * fileError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), 'runs/a/log.jsonl', 'append to the log')
 * // FileError: runs/a/log.jsonl: cannot append to the log: the disk is full (ENOSPC) (fix: free some space on that disk, ...)
 */
export function fileError(err: unknown, file: string, doing: string, what: 'file' | 'folder' = 'file'): unknown {
  if (err instanceof CoverError) return err;
  const code = errnoCode(err);
  if (code === undefined) return err;
  const { message, suggestion } = fsProblem(err, what, 'write');
  return new FileError(`cannot ${doing}: ${message}`, { path: file, suggestion, cause: err, errno: code });
}

/** `s` with control characters (ANSI escapes, tabs, carriage returns) written as escapes, safe to print. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
