// Output through pipes, on the built CLI: a --json document larger than a pipe's 64 KiB buffer arrives whole at a slow
// reader, and a reader that closes early (`| head -1`, `| true`) ends cover quietly: exit 0, nothing on stderr.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { useBackend } from '../helpers/tf';
import { head, tinyCheckpoint } from '../helpers/tiny_checkpoint';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const MEGAMIND = '/usr/share/doc/opencv-doc/examples/data/Megamind.avi';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-pipes-'));
const ck = path.join(tmp, 'ck');

/** Runs a shell pipeline; COVER in it stands for the built CLI. */
function sh(pipeline: string) {
  const cover = `'${process.execPath}' '${BIN}'`;
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${pipeline.replace(/\bCOVER\b/g, cover)}`], { encoding: 'utf8', timeout: 120_000, cwd: tmp });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  await useBackend('wasm');
  // 400 labels, so that --top 400 makes every window's JSON large.
  await tinyCheckpoint(ck, [head('k400', Array.from({ length: 400 }, (_, i) => `class number ${i}`))]);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a --json result over 64 KiB arrives whole at a reader that starts late', () => {
  // The reader sleeps first, so the pipe's buffer is full while cover finishes: cover must wait for it to drain.
  const reader = `(sleep 1; node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(s.length, Object.keys(j).length > 0)})')`;
  const r = sh(`COVER predict '${MEGAMIND}' --checkpoint '${ck}' --top 400 --backend wasm --json | ${reader}`);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const [bytes, ok] = r.stdout.trim().split(' ');
  expect(Number(bytes)).toBeGreaterThan(65_536 * 2);
  expect(ok).toBe('true');
});

test('--help | head -1 and | true end cover quietly, every time', () => {
  for (let i = 0; i < 5; i++) {
    const h = sh('COVER cotrain --help | head -1');
    expect(h.stderr).toBe('');
    expect(h.status).toBe(0);
    expect(h.stdout).toBe('Usage: cover cotrain [options]\n');
    // The reader is gone before cover writes anything: the first write fails with EPIPE.
    const t = sh('COVER cotrain --help | true');
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
  }
});

test('a long --json output into a closed reader ends quietly too', () => {
  const r = sh(`COVER predict '${MEGAMIND}' --checkpoint '${ck}' --top 400 --backend wasm --json | head -c 100 >/dev/null`);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
