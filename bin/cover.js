#!/usr/bin/env node
'use strict';
// The `cover` command. The TypeScript sources are compiled to dist/ by `npm run build` (also run by `npm test`).

// Output is for pipes too. A reader that closes early (`cover ... | head`) ends cover quietly, as Unix tools do: the
// next write fails with EPIPE, and that is the end of the run, not an error to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/**
 * Exits once stdout and stderr have handed everything to the OS. Writes to a pipe are asynchronous in Node: exiting
 * while a --json document is still queued would cut it at the pipe's buffer size (64 KiB).
 */
function exitWhenFlushed(code) {
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0);
  if (pending.length === 0) process.exit(code);
  let left = pending.length;
  for (const s of pending) s.once('drain', () => --left === 0 && process.exit(code));
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
