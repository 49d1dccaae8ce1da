#!/usr/bin/env node
// Builds the in-process decoder with node-gyp (scripts/node_gyp.js: the Node headers on this machine, nothing
// downloaded) against Debian's FFmpeg libraries, found with pkg-config (libavformat-dev, libavcodec-dev, libswscale-dev,
// libavutil-dev: the same FFmpeg as the `ffmpeg` command the set-up installs). When they or the compiler are missing it
// exits non-zero with one line, npm drops this optional package, and cover decodes with an ffmpeg process per clip.
'use strict';
const { spawnSync } = require('child_process');
const { gypRebuild } = require('../scripts/node_gyp');

const LIBS = ['libavformat', 'libavcodec', 'libswscale', 'libavutil'];
const pc = spawnSync('pkg-config', ['--exists', ...LIBS]);
if (pc.error || pc.status !== 0) {
  console.error(
    `cover-av: FFmpeg's development libraries not found (pkg-config ${LIBS.join(' ')}); cover decodes with an ffmpeg ` +
      'process per clip (fix: apt-get install pkg-config libavformat-dev libavcodec-dev libswscale-dev, then npm ci)',
  );
  process.exit(1);
}
const status = gypRebuild(__dirname, 'cover-av');
if (status !== 0) {
  console.error('cover-av: build failed (needs g++, make, python3 and the Node headers); cover decodes with an ffmpeg process per clip');
  process.exit(status);
}
