// Temporary failures are the machine's, not the file's: a spawn that fails with EAGAIN (too many processes), EMFILE or
// ENFILE (too many open files), ENOMEM, or a decode killed by its timeout on a loaded machine. They are retried a few
// times with a growing pause before anything counts as a bad sample, and a sample that still fails this way is
// skipped for this step only, never remembered as bad: the next time it is drawn it is decoded again.

import { CoverError } from '../../errors';

/** Error codes that say "try again later" rather than "this file is bad". */
// ESIGNAL: cover's own code for a probe or decode killed by a signal it did not send, or that printed nothing at all.
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['EAGAIN', 'EMFILE', 'ENFILE', 'ENOMEM', 'EBUSY', 'ETIMEDOUT', 'ESIGNAL']);

/** What probe.ts and decode.ts say when they kill a tool at its timeout. */
const TIMEOUT_MESSAGE = /took longer than \d+ ms and was stopped/;

export interface RetryPolicy {
  /** Tries after the first (default 3). */
  retries: number;
  /** Pause before the first retry, doubled before each next one (default 250 ms: 0.25 + 0.5 + 1 s in all). */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 250 };

/** The error code of `err` or of any error in its `cause` chain that is a temporary one, or null. */
export function transientCode(err: unknown): string | null {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return code;
    if (e instanceof Error && TIMEOUT_MESSAGE.test(e.message)) return 'timeout';
  }
  return null;
}

/** Whether a failure may go away by itself (worth a retry, never cached as a bad file). */
export function isTransient(err: unknown): boolean {
  return transientCode(err) !== null;
}

/** Whether an error stops the whole run rather than one sample: the machine is out of memory or the backend is gone. */
export function isFatalForRun(err: unknown): boolean {
  return err instanceof CoverError && (err.code === 'OUT_OF_MEMORY' || err.code === 'BACKEND');
}

export interface RetryHooks {
  /** Stops retrying (the consumer went away): the last error is thrown at once. */
  signal?: AbortSignal;
  /** Called before each retry with the error that caused it. */
  onRetry?: (err: unknown, attempt: number) => void;
}

/**
 * Runs `attempt(k)` (k = 0, 1, ...) until it succeeds, fails with a non-transient error, or the retries are used up;
 * then the last error is thrown.
 * @example
 * await withRetry((k) => decodeClip(file, req, { timeoutMs: 30_000 * 2 ** k }))
 */
export async function withRetry<T>(attempt: (k: number) => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY, hooks: RetryHooks = {}): Promise<T> {
  for (let k = 0; ; k++) {
    try {
      return await attempt(k);
    } catch (err) {
      if (k >= policy.retries || !isTransient(err) || hooks.signal?.aborted) throw err;
      hooks.onRetry?.(err, k + 1);
      await sleep(policy.baseDelayMs * 2 ** k);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
