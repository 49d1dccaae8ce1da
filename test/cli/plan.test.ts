// `cover plan` through the built CLI (run `npm run build` first): a table and a verdict, the same numbers as --json,
// and no backend started (it answers on a machine without one, at once).
import { spawnSync } from 'child_process';
import * as path from 'path';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const cover = (...args: string[]) => spawnSync(process.execPath, [BIN, 'plan', ...args], { encoding: 'utf8', timeout: 60_000 });

test('base at batch 8 on an 80 GiB device: fits, with the parts and the largest one-pass batch', () => {
  const r = cover('--preset', 'base', '--batch-size', '8', '--memory', '80GiB');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^cover plan: base, batch 8, sgd, torch kernels\n/);
  expect(r.stdout).toContain('weights (121.6 M parameters)');
  const json = JSON.parse(cover('--preset', 'base', '--batch-size', '8', '--memory', '80GiB', '--json').stdout);
  expect(json.fits).toBe(true);
  expect(r.stdout).toContain(`fits in 80 GiB; one pass holds at most ${json.largestBatchOnePass} clips`);
});

test('a batch that does not fit names the micro-batch that does', () => {
  const r = cover('--preset', 'base', '--batch-size', '16', '--memory', '24GiB', '--optimizer', 'adamw');
  const json = JSON.parse(cover('--preset', 'base', '--batch-size', '16', '--memory', '24GiB', '--optimizer', 'adamw', '--json').stdout);
  expect(json.fits).toBe(false);
  expect(r.stdout).toContain(`does not fit in 24 GiB; --micro-batch ${json.largestMicroBatch} does`);
});

test('--recompute blocks: large fits an 80 GiB GPU at batch 8, where one clip a pass is all it fits without', () => {
  const off = JSON.parse(cover('--preset', 'large', '--batch-size', '8', '--memory', '80GiB', '--json').stdout);
  const r = cover('--preset', 'large', '--batch-size', '8', '--memory', '80GiB', '--recompute', 'blocks');
  const on = JSON.parse(cover('--preset', 'large', '--batch-size', '8', '--memory', '80GiB', '--recompute', 'blocks', '--json').stdout);
  expect([off.fits, off.largestBatchOnePass, on.fits, on.recompute]).toEqual([false, 1, true, 'blocks']);
  expect(r.stdout).toMatch(/^cover plan: large, batch 8, sgd, torch kernels, blocks recomputed\n/);
  expect(r.stdout).toContain('activations (micro-batch 8, blocks recomputed) and input');
  expect(r.stdout).toContain(`fits in 80 GiB; one pass holds at most ${on.largestBatchOnePass} clips`);
});
