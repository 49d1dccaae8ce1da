// The one place where errors become what the user sees. A CoverError (a user's mistake or a missing capability) is
// one line and a non-zero exit code, never a stack trace; anything else is a bug in cover and keeps its stack.

import { CommanderError } from 'commander';
import { CoverError } from '../errors';

export function handleError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
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
