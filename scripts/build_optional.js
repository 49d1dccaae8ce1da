#!/usr/bin/env node
// `npm ci`'s postinstall: builds the optional native parts (native/: the accelerator, torch/: the libtorch backend, av/:
// the in-process video decoder) that
// npm did not build itself. npm 11 skips a dependency's install script unless package.json's allowScripts approves it,
// and its approvals do not match local `file:` packages, so cover builds them here, as their own install scripts would.
// A part that cannot be built (no g++, no libtorch) is left out with its build's reason, and cover runs without it.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const PARTS = [
  { dir: 'native', built: 'build/Release/cover_native.node' },
  { dir: 'torch', built: 'build/cover_torch.node' },
  { dir: 'av', built: 'build/Release/cover_av.node' },
];

/** One line: the libtorch an existing torch/ build was compiled against (build/config.json, written by torch/build.js). */
function torchBuiltLine(dir) {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'build', 'config.json'), 'utf8'));
    const from = { COVER_LIBTORCH: '$COVER_LIBTORCH', python: "a Python's torch", debian: "Debian's libtorch-dev" }[c.source] || c.source;
    return `cover-torch: already built against libtorch ${c.version} (${from}, ${c.libtorch}; ${c.cuda ? 'CUDA' : 'CPU only'}; C++${c.std || 17})`;
  } catch {
    return 'cover-torch: already built (build/config.json unreadable: npm rebuild cover-torch says which libtorch)';
  }
}

for (const part of PARTS) {
  const dir = path.join(root, part.dir);
  if (fs.existsSync(path.join(dir, part.built))) {
    // npm ran its install script, or an earlier install did; the torch backend still says which libtorch it has.
    if (part.dir === 'torch') process.stdout.write(`${torchBuiltLine(dir)}\n`);
    continue;
  }
  const r = spawnSync(process.execPath, ['build.js'], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0) process.stdout.write(`cover: optional ${part.dir}/ not built (see above); cover runs without it\n`);
}
