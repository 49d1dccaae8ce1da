// Typed errors for cover. The library throws these; the CLI's one handleError (src/cli/handle_error.ts) turns them into
// a single line naming the file, the problem and the fix, and a non-zero exit code. A plain Error is a bug in cover and
// keeps its stack trace.

export type ErrorCode =
  | 'CONFIG'
  | 'CHECKPOINT'
  | 'BACKEND'
  | 'OUT_OF_MEMORY'
  | 'DATASET'
  | 'DECODE'
  | 'USAGE';

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

  /** The one line the CLI prints: `path: message (fix: suggestion)`. */
  oneLine(): string {
    const where = this.path ? `${this.path}: ` : '';
    const fix = this.suggestion ? ` (fix: ${this.suggestion})` : '';
    return `${where}${this.message}${fix}`.replace(/\s*\n\s*/g, ' ');
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
