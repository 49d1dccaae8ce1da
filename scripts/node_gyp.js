// `node-gyp rebuild` of one addon folder against the Node headers already on this machine, never downloading them (the
// network may be closed): $npm_config_nodedir when npm passes one, else /usr when /usr/include/node/node_api.h exists
// (Debian's nodejs). Shared by native/build.js and av/build.js; returns the exit status (0 when built).
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

/** Builds the addon in `dir`; prints why not (prefixed with `name`) and returns non-zero when it cannot. */
function gypRebuild(dir, name) {
  const gyp = nodeGyp();
  if (!gyp) {
    console.error(`${name}: node-gyp not found (it ships with npm)`);
    return 1;
  }
  const args = [gyp, 'rebuild'];
  const nodedir = process.env.npm_config_nodedir || (fs.existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  return spawnSync(process.execPath, args, { cwd: dir, stdio: 'inherit' }).status ?? 1;
}

module.exports = { gypRebuild };
