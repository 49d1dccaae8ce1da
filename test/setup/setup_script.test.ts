// The set-up a new user runs first (README line 1) is the one CI runs: scripts/setup.sh. Without root it names the
// missing Debian packages and prints the exact apt-get line, then stops before npm.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const SETUP = 'scripts/setup.sh';
/** The torch backend's Debian packages and the file of each that says it is installed. */
const TORCH_PACKAGES: [string, string][] = [
  ['libtorch-dev', '/usr/include/ATen/ATen.h'],
  ['python3-torch', '/usr/lib/python3/dist-packages/torch/__init__.py'],
  ['libgloo-dev', '/usr/include/gloo/allreduce.h'],
];

test("the README's first command and .ci/run set up the same way: scripts/setup.sh, then npm ci", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const firstCommand = /```bash\n([^\n]+)\n/.exec(readme)![1];
  expect(firstCommand).toMatch(new RegExp(`^bash ${SETUP} && npm ci && npm run build && node bin/cover.js cotrain\\b`));
  const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
  expect(ci).toMatch(new RegExp(`^bash ${SETUP}\nnpm ci\\b`, 'm'));
  // CI installs no system package of its own: every apt-get is the script's.
  expect(ci).not.toMatch(/apt-get/);
});

test("the README's test command is .ci/run's, and it ends with the install check and the GPU dry run (nothing CI runs is missing from it)", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const secondCommand = /```bash\n[^\n]+\n([^\n#]+?)\s*#/.exec(readme)![1];
  expect(secondCommand).toBe('npm test');
  const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
  // .ci/run runs `npm test` (jest's JSON output asked through the environment) and no test step of its own.
  expect(ci.match(/^[^#\n]*\bnpm test\b.*$/gm)).toEqual(['COVER_JEST_ARGS="--json --outputFile=$results" npm test || status=$?']);
  expect(ci).not.toMatch(/^[^#\n]*(jest|package_check|gpu_check|gpu_dry_run)/m);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.test).toMatch(/&& jest \$COVER_JEST_ARGS && bash scripts\/package_check\.sh && bash scripts\/gpu_dry_run\.sh$/);
  // Every script `npm test` and .ci/run reach is named on the README's test line, so a reader sees what runs.
  const testLine = /```bash\n[^\n]+\n([^\n]+)\n/.exec(readme)![1];
  for (const script of new Set([...`${pkg.scripts.test}\n${ci}`.matchAll(/scripts\/[\w.]+\.sh/g)].map((m) => m[0]))) {
    if (script !== SETUP) expect(testLine).toContain(script);
  }
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
    // The torch backend's Debian packages are checked by their files (present here: then not named), never by PATH.
    for (const [pkg, file] of TORCH_PACKAGES) {
      if (fs.existsSync(file)) expect(r.stderr).not.toContain(` ${pkg}`);
      else expect(r.stderr).toMatch(new RegExp(`missing: .* ${pkg}( |$)`, 'm'));
    }
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('on this machine (set up) it finds nothing missing and installs nothing', () => {
  const r = spawnSync('bash', [path.join(ROOT, SETUP)], { encoding: 'utf8', cwd: ROOT });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('');
  expect(r.status).toBe(0);
});

test('the torch backend: setup installs libtorch-dev, python3-torch and libgloo-dev when missing; CI expects the backend', () => {
  const script = fs.readFileSync(path.join(ROOT, SETUP), 'utf8');
  for (const [pkg, file] of TORCH_PACKAGES) {
    expect(script).toContain(`[ -e ${file} ] || need+=(${pkg})`);
    expect(script).toMatch(new RegExp(`^#\\s+${pkg}\\s+\\S`, 'm')); // with a comment saying why
  }
  // The whole list in one apt-get line, in the order checked, after the other packages.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-setup-'));
  try {
    fs.writeFileSync(path.join(bin, 'id'), '#!/bin/sh\necho 1000\n', { mode: 0o755 });
    fs.symlinkSync(spawnSync('bash', ['-c', 'command -v dirname'], { encoding: 'utf8' }).stdout.trim(), path.join(bin, 'dirname'));
    // A copy of the script whose file checks look under an empty root: every package is missing.
    const copy = path.join(bin, 'setup.sh');
    fs.writeFileSync(copy, script.replace(/\[ -e \//g, `[ -e ${bin}/nothing/`).replace(/\[ -d \//g, `[ -d ${bin}/nothing/`).replace('cd "$(dirname "$0")/.."', `cd ${ROOT}`));
    const r = spawnSync('/bin/bash', [copy], { encoding: 'utf8', env: { PATH: bin }, cwd: ROOT });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/install -y --no-install-recommends ffmpeg( \S+)* g\+\+ make python3 opencv-doc dataset-fashion-mnist libtorch-dev python3-torch libgloo-dev( \S+)*\n/);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
  const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
  expect(ci).toMatch(/^export COVER_EXPECT_TORCH=1$/m);
});
