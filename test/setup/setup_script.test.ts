// The set-up a new user runs first (README line 1) is the one CI runs: scripts/setup.sh. Without root it names the
// missing Debian packages and prints the exact apt-get line, then stops before npm.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const SETUP = 'scripts/setup.sh';

test("the README's first command and .ci/run both run scripts/setup.sh", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const firstCommand = /```bash\n([^\n]+)\n/.exec(readme)![1];
  expect(firstCommand).toMatch(new RegExp(`^bash ${SETUP} && node bin/cover.js cotrain\\b`));
  const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
  expect(ci).toMatch(new RegExp(`^bash ${SETUP}$`, 'm'));
  // CI installs nothing of its own: every apt-get and npm ci is the script's.
  expect(ci).not.toMatch(/apt-get|npm ci|npm install/);
});

test('without root, a machine that lacks the packages gets the exact apt-get line and exit 1, before npm runs', () => {
  // A PATH with only bash's helpers: no ffmpeg, g++, make, python3, sudo or npm; `id -u` says 1000 (not root).
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-setup-'));
  try {
    fs.writeFileSync(path.join(bin, 'id'), '#!/bin/sh\necho 1000\n', { mode: 0o755 });
    for (const tool of ['dirname']) fs.symlinkSync(spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, tool));
    const r = spawnSync('/bin/bash', [path.join(ROOT, SETUP)], { encoding: 'utf8', env: { PATH: bin }, cwd: ROOT });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/missing: ffmpeg( \S+)* g\+\+ make python3/);
    expect(r.stderr).toMatch(/run as root: {2}apt-get update && apt-get install -y --no-install-recommends ffmpeg( \S+)* g\+\+ make python3/);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('on this machine (set up) --system finds nothing missing and installs nothing', () => {
  const r = spawnSync('bash', [path.join(ROOT, SETUP), '--system'], { encoding: 'utf8', cwd: ROOT });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('');
  expect(r.status).toBe(0);
});
