#!/usr/bin/env node
'use strict';
// The `cover` command. The TypeScript sources are compiled to dist/ by `npm run build` (also run by `npm test`).
let main;
try {
  ({ main } = require('../dist/src/cli/index.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/index.js')) {
    process.stderr.write('cover: not built yet (fix: run `npm run build` in the cover folder)\n');
    process.exit(2);
  }
  throw err;
}
main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`cover: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
