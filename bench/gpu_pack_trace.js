// Loaded with `node -r` by bench/gpu_pack.sh while the check's parts run here: at exit, appends to $COVER_PACK_TRACE
// every file this process loaded (require's modules), read (fs reads: tfjs-backend-wasm's .wasm) or mapped (the shared
// libraries an addon pulls in, as sharp's libvips: /proc/self/maps), one path a line.
// The pack copies the node_modules files among them and nothing else from node_modules.
'use strict';
const fs = require('fs');
const Module = require('module');

const out = process.env.COVER_PACK_TRACE;
const read = new Set();
for (const name of ['readFileSync', 'readFile', 'openSync']) {
  const original = fs[name];
  fs[name] = function traced(file, ...rest) {
    if (typeof file === 'string') read.add(file);
    return original.call(this, file, ...rest);
  };
}
process.on('exit', () => {
  let mapped = [];
  try {
    mapped = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5] || '');
  } catch {
    mapped = [];
  }
  const files = [...Object.keys(Module._cache), ...read, ...mapped].filter((f) => f.includes('node_modules'));
  if (out) fs.appendFileSync(out, files.map((f) => `${f}\n`).join(''));
});
