#!/usr/bin/env node
'use strict';
// The `cover` command. The TypeScript sources are compiled to dist/ by `npm run build` (also run by `npm test`).

// Output is for pipes too. A reader that closes early (`cover ... | head`) ends cover quietly, as Unix tools do: the
// next write fails with EPIPE, and that is the end of the run, not an error to report. Any other write error (a full
// disk, an I/O error) means the output is lost: it is reported and the exit code says so (3, the machine's problem).
let outputError = null;
for (const [name, stream] of [['standard output', process.stdout], ['standard error', process.stderr]]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(0);
    if (!outputError) outputError = { name, err };
  });
}

/**
 * Exits once stdout and stderr have handed everything to the OS. Writes to a pipe are asynchronous in Node: exiting
 * while a --json document is still queued would cut it at the pipe's buffer size (64 KiB). A write to a file fails
 * on a later tick, so the exit waits one turn of the event loop for its error before choosing the code.
 */
function exitWhenFlushed(code) {
  const exit = () =>
    setImmediate(() => {
      if (!outputError) process.exit(code);
      const { name, err } = outputError;
      if (name === 'standard output') {
        try {
          process.stderr.write(`cover: error: ${name}: cannot write: ${err.code === 'ENOSPC' ? 'the disk is full' : err.message} (${err.code}) (fix: free some space, or send the output elsewhere)\n`);
        } catch {
          // stderr is gone too: the exit code alone says it
        }
      }
      process.exit(code === 0 ? 3 : code);
    });
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0 && !s.destroyed);
  if (pending.length === 0) return exit();
  let left = pending.length;
  for (const s of pending) {
    const done = () => --left === 0 && exit();
    s.once('drain', done);
    s.once('error', done);
  }
}

let main;
try {
  ({ main } = require('../dist/src/cli/index.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/index.js')) {
    process.stderr.write('cover: not built yet (fix: run `npm run build` in the cover folder)\n');
    exitWhenFlushed(2);
    return;
  }
  throw err;
}
main(process.argv).then(exitWhenFlushed, (err) => {
  process.stderr.write(`cover: internal error: ${err && err.stack ? err.stack : err}\n`);
  exitWhenFlushed(1);
});
