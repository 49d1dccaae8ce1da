// `--backend auto` for a training run: wasm (with the accelerator) for presets that fit its heap, torch for those that do
// not when the torch backend is built; an explicit backend is never changed.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { probeTorchBackend } from '../../src/engine/backend';
import { backendForTraining } from '../../src/train/auto_backend';
import { tinySuite } from '../helpers/tiny_suite';

const HAVE_TORCH = probeTorchBackend().ok;
if (!HAVE_TORCH && process.env.COVER_EXPECT_TORCH === '1') throw new Error('COVER_EXPECT_TORCH=1 but the torch backend is not built');
const BIN = path.resolve(__dirname, '../../bin/cover.js');

test('tiny and small keep the usual order; an explicit backend is kept', () => {
  for (const preset of ['tiny', 'small']) expect(backendForTraining({ backend: 'auto', preset, batchSize: 8, optimizer: 'adamw' })).toBe('auto');
  expect(backendForTraining({ backend: 'wasm', preset: 'base', batchSize: 8, optimizer: 'adamw' })).toBe('wasm');
  expect(backendForTraining({ backend: 'cpu', preset: 'large', batchSize: 1, optimizer: 'sgd' })).toBe('cpu');
});

test('base at batch 8 and large, which do not fit the wasm heap in one pass, go to torch when it is built', () => {
  for (const [preset, batchSize] of [['base', 8], ['large', 1]] as const) {
    expect(backendForTraining({ backend: 'auto', preset, batchSize, optimizer: 'sgd' })).toBe(HAVE_TORCH ? 'torch' : 'auto');
    // A checkpoint's model is known only once it is read: the usual order, and the preflight says what to do.
    expect(backendForTraining({ backend: 'auto', preset, batchSize, optimizer: 'sgd', fromCheckpoint: true })).toBe('auto');
  }
  // base at batch 1 fits the heap with the accelerator since the backward pass frees as it goes: the usual order.
  expect(backendForTraining({ backend: 'auto', preset: 'base', batchSize: 1, optimizer: 'sgd' })).toBe('auto');
});

(HAVE_TORCH ? test : test.skip)('through the CLI: cotrain --preset large with auto runs on torch (its refusal names the torch backend)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-auto-'));
  try {
    const r = spawnSync(process.execPath, [BIN, 'cotrain', '--preset', 'large', '--batch-size', '1024', '--datasets', 'k400', '--demo', 'tiny', '--demo-dir', tinySuite(), '--out', path.join(tmp, 'run')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/\| preset large \| backend torch \(cpu, fp32\)/);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^cover: error: --preset large needs about [\d.]+ GiB to train .* but on the torch backend this machine has/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
