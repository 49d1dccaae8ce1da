#!/usr/bin/env node
// Builds the addon with node-gyp (scripts/node_gyp.js: the Node headers on this machine, nothing downloaded). Any
// failure (no compiler, no headers) exits non-zero, and npm then drops this optional package: cover runs on plain wasm.
'use strict';
const { gypRebuild } = require('../scripts/node_gyp');

const status = gypRebuild(__dirname, 'cover-native');
if (status !== 0) {
  console.error('cover-native: build failed (needs g++, make, python3 and the Node headers); cover will run without the native accelerator');
  process.exit(status);
}
