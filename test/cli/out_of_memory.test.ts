// A run that cannot fit the 4 GiB wasm heap must end at once with one line giving the numbers and the fixes that would
// fit, exit 2, before any weight is allocated (it used to end in "internal error ... out of memory" or "RuntimeError:
// memory access out of bounds" with a stack): `base` (TimeSformer-B) at batch 8 in one pass without recompute, and
// `large` at any batch. (`base` itself fits the heap now, recomputed or one clip a pass.) A preset that fits is not refused.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-oom-'));
const demo = tinySuite();
const common = ['cotrain', '--datasets', 'k400,imnet', '--demo', 'tiny', '--demo-dir', demo, '--steps', '1', '--eval-every', '0', '--views', '1x1', '--backend', 'wasm'];

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...common, ...args], { encoding: 'utf8', timeout: 240_000 });
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each([['off'], ['auto']])('--accel %s', (accel) => {
  test('--preset base --batch-size 8 in one pass without recompute ends at once with one line of numbers and fixes, exit 2', () => {
    const t0 = Date.now();
    const out = path.join(tmp, `base-${accel}-8`);
    const r = run(['--preset', 'base', '--batch-size', '8', '--micro-batch', '8', '--recompute', 'off', '--accel', accel, '--out', out]);
    expect(Date.now() - t0).toBeLessThan(60_000); // allocating base's weights alone would take longer than refusing
    expect(r.stderr).not.toMatch(/internal error|RuntimeError|\n\s+at /);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^cover: error: --preset base needs about [\\d.]+ GiB to train \\(weights 0\\.45, grads [\\d.]+, AdamW slots 0\\.90, ` +
            `activations at micro-batch 8 [\\d.]+\\) but on the wasm backend( with the accelerator)? the wasm heap holds at most 4 GiB ` +
            `\\(fix: .*--preset small.*\\)$`,
        ),
      ),
    ]);
    expect(r.status).toBe(2);
    // No step ran and no checkpoint was written.
    expect(fs.existsSync(path.join(out, 'checkpoint'))).toBe(false);
  });

  test('--preset large, which fits at no micro-batch even recomputed, ends at once with the numbers at micro-batch 1 recomputed', () => {
    const t0 = Date.now();
    const r = run(['--preset', 'large', '--batch-size', '1', '--accel', accel, '--out', path.join(tmp, `large-${accel}`)]);
    expect(Date.now() - t0).toBeLessThan(60_000);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    // No --micro-batch or --recompute: auto tries them all, so the line gives the least large can need.
    expect(lines[0]).toMatch(/^cover: error: --preset large needs about [\d.]+ GiB to train \(.*activations at micro-batch 1 with recompute [\d.]+\) but on the wasm backend/);
    expect(r.status).toBe(2);
  });
});

test('a preset that fits (tiny, batch 8) is not refused', () => {
  const r = run(['--preset', 'tiny', '--batch-size', '8', '--out', path.join(tmp, 'tiny')]);
  expect(r.stderr).not.toMatch(/out of memory|needs about/);
  expect(r.status).toBe(0);
});
