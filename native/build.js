#!/usr/bin/env node
// Builds the addon with node-gyp against the Node headers already on this machine, never downloading them (the network
// may be closed): $npm_config_nodedir when npm passes one, else /usr when /usr/include/node/node_api.h exists (Debian's
// nodejs). Any failure (no compiler, no headers) exits non-zero, and npm then drops this optional package: cover runs on
// plain wasm.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function nodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const candidates = [];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  const npmDir = path.join(path.dirname(fs.realpathSync(process.execPath)), '..', 'lib', 'node_modules', 'npm');
  candidates.push(path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => fs.existsSync(c));
}

const gyp = nodeGyp();
if (!gyp) {
  console.error('cover-native: node-gyp not found (it ships with npm); cover will run without the native accelerator');
  process.exit(1);
}
const args = [gyp, 'rebuild'];
const nodedir = process.env.npm_config_nodedir || (fs.existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
if (nodedir) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, { cwd: __dirname, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('cover-native: build failed (needs g++, make, python3 and the Node headers); cover will run without the native accelerator');
  process.exit(r.status || 1);
}
