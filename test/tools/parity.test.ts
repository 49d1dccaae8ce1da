// The reference parity fixture (PyTorch TimeSformer outputs) through cover's model, on cpu and on wasm.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expectParity, PARITY_FIXTURE } from '../helpers/fixtures';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors';
import { runParity } from '../../src/tools/parity';
import { useBackend } from '../helpers/tf';
import { initAccel } from '../../src/engine/accel/accel';
import { loadNative } from '../../src/engine/accel/native';

const FIXTURE = PARITY_FIXTURE;

describe.each(['cpu', 'wasm'] as const)('parity with the reference on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('tiny-a: features and logits within 1e-4 for T=4 and T=1, no tensor leaked', async () => {
    const before = tf.memory().numTensors;
    const r = await runParity(FIXTURE);
    expect(r.backend).toBe(backend);
    expect(r.cases.map((c) => c.name)).toEqual(['T1', 'T4']);
    for (const c of r.cases) {
      expect(c.featuresMaxAbsErr).toBeLessThan(1e-4);
      expect(c.logitsMaxAbsErr).toBeLessThan(1e-4);
    }
    expect(r.pass).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

(loadNative().addon ? describe : describe.skip)('parity with the reference on wasm + the native accelerator', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    initAccel('native', 'wasm');
  });
  afterAll(() => initAccel('off', 'wasm'));

  test('tiny-a: features and logits within 1e-4 with native kernels and fused LayerNorm/GELU/attention', async () => {
    await expectParity(FIXTURE);
  });
});

test('a perturbed weight makes parity fail (the check can fail)', async () => {
  await useBackend('wasm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-parity-'));
  for (const f of ['config.json', 'io.safetensors']) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  const w = readSafetensors(path.join(FIXTURE, 'weights.safetensors')).tensors;
  const t = w.get('blocks.1.temporal_fc.weight')!;
  t.data[0] += 0.05;
  writeSafetensors(path.join(dir, 'weights.safetensors'), w);
  const r = await runParity(dir);
  expect(r.pass).toBe(false);
  expect(r.cases.find((c) => c.name === 'T4')!.featuresMaxAbsErr).toBeGreaterThan(1e-4);
  fs.rmSync(dir, { recursive: true });
});

test('npm run parity -- <fixture> through the built CLI: a table, "parity: pass", exit 0; a missing fixture: one line, exit 2', () => {
  const bin = path.resolve(__dirname, '../../bin/cover.js');
  const ok = spawnSync(process.execPath, [bin, 'parity', FIXTURE, '--backend', 'wasm'], { encoding: 'utf8' });
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('parity: pass');
  expect(ok.stdout).toMatch(/T4 .* ok/);
  const bad = spawnSync(process.execPath, [bin, 'parity', path.join(os.tmpdir(), 'no-such-fixture'), '--backend', 'cpu'], { encoding: 'utf8' });
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  expect(bad.stderr).toContain('no config.json');
});
