// The one place where errors become what the user sees. A CoverError (a user's mistake or a missing capability) is
// one line and a non-zero exit code, never a stack trace; so is running out of memory, whatever the engine threw for it
// (a wasm abort, a failed allocation: engine/oom_guard.ts). Anything else is a bug in cover and keeps its stack.

import { CommanderError } from 'commander';
import { outOfMemoryError } from '../engine/oom_guard';
import { CoverError } from '../errors';

export function handleError(raw: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  const err = outOfMemoryError(raw) ?? raw;
  if (err instanceof CoverError) {
    write(`cover: error: ${err.oneLine()}\n`);
    return err.exitCode;
  }
  if (err instanceof CommanderError) {
    // commander has already printed its message (unknown option, missing argument, --help).
    return err.exitCode === 0 ? 0 : 2;
  }
  const e = err as Error;
  write(`cover: internal error (please report it): ${e && e.stack ? e.stack : String(err)}\n`);
  return 1;
}
