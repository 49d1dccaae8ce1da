// The memory preflight and the torch backend: torch holds its tensors in the machine's memory (no 4 GiB heap), so a run
// the wasm heap refuses is offered `--backend torch` first when the addon is present and the run fits in the memory free
// here; on a GPU cover cannot measure the device's memory and skips the check. Without the addon nothing mentions torch.
// The fixes are planned again (planTrainingMemory) against given capacities, so the numbers are this file's, not the
// machine's; the built CLI shows the line a user meets on this machine.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getPreset } from '../../src/config/presets';
import { probeTorchBackend } from '../../src/engine/backend';
import { backendCapacity, BackendCapacity, fits } from '../../src/engine/capacity';
import { planTrainingMemory, TrainingShape } from '../../src/model/memory';
import { trainingFixes } from '../../src/train/memory_preflight';
import { tinySuite } from '../helpers/tiny_suite';

const GiB = 2 ** 30;
const BIN = path.resolve(__dirname, '../../bin/cover.js');
const torchProbe = probeTorchBackend();
const torchPresent = torchProbe.ok || process.env.COVER_EXPECT_TORCH === '1';

/** `--preset base --batch-size 8` with AdamW and one 400-class head, on the wasm heap with the accelerator. */
const base: TrainingShape = { model: getPreset('base'), headClasses: [400], optimizer: 'adamw', batchSize: 8, microBatch: 8, path: 'fused' };
const wasm = backendCapacity('wasm');
const machine = (free: number, backend = 'torch'): BackendCapacity => backendCapacity(backend, { freeBytes: free });

test('torch capacity: the machine\'s free memory on the cpu; on cuda unknown, so every run fits (the check is skipped)', () => {
  expect(machine(64 * GiB)).toMatchObject({ backend: 'torch', limitBytes: 64 * GiB, limit: 'this machine has 64 GiB free' });
  const gpu = backendCapacity('torch', { gpu: true });
  expect(gpu).toMatchObject({ limitBytes: null, limit: "the GPU's memory, which cover does not measure (not checked)" });
  expect(fits(planTrainingMemory({ ...base, model: getPreset('large') }).totalBytes, gpu)).toBe(true);
});

test('base refused on wasm: --backend torch first when it fits the machine\'s memory as asked, at a smaller micro-batch when only that fits', () => {
  // torch has its own activation model (model/memory.ts: the fused one scaled to a measured base step).
  const whole = planTrainingMemory({ ...base, path: 'torch' }).totalBytes;
  const roomy = trainingFixes(base, wasm, true, 'base', { torch: machine(whole + GiB), cpu: machine(whole + GiB, 'cpu') });
  expect(roomy[0]).toBe(`--backend torch (${Math.round((whole + GiB) / GiB)} GiB free here)`);
  expect(roomy.join(', or ')).not.toContain('--backend cpu'); // torch is the better way off the heap
  // Room for micro-batch 2 and a little more, not 3: the largest micro-batch that fits is offered.
  const room = planTrainingMemory({ ...base, path: 'torch', microBatch: 2 }).totalBytes + 0.05 * GiB;
  expect(fits(planTrainingMemory({ ...base, path: 'torch', microBatch: 3 }).totalBytes, machine(room))).toBe(false);
  const tight = trainingFixes(base, wasm, true, 'base', { torch: machine(room), cpu: machine(room, 'cpu') });
  expect(tight[0]).toMatch(/^--backend torch --micro-batch 2 \(\d+(\.\d)? GiB free here\)$/);
});

test('no torch suggestion without the addon, or when the run does not fit the machine either', () => {
  const absent = trainingFixes(base, wasm, true, 'base', { torch: null, cpu: machine(64 * GiB, 'cpu') });
  expect(absent.join(', or ')).not.toContain('torch');
  expect(absent.some((f) => f.startsWith('--backend cpu'))).toBe(true);
  const small = trainingFixes(base, wasm, true, 'base', { torch: machine(GiB), cpu: machine(GiB, 'cpu') });
  expect(small.join(', or ')).not.toContain('--backend');
  expect(small).toContain('--preset small');
});

// The line on this machine: the addon decides whether torch is offered (COVER_EXPECT_TORCH=1 in CI: it must be).
test('cover cotrain --preset base --backend wasm --recompute off: one line whose fixes offer --backend torch exactly when the addon is here', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-torch-oom-'));
  try {
    const args = ['cotrain', '--datasets', 'k400', '--demo', 'tiny', '--demo-dir', tinySuite(), '--steps', '1', '--eval-every', '0', '--views', '1x1'];
    // base at batch 8 fits the wasm heap only recomputed, or one clip a pass: both held off here.
    const r = spawnSync(process.execPath, [BIN, ...args, '--backend', 'wasm', '--preset', 'base', '--batch-size', '8', '--micro-batch', '8', '--recompute', 'off', '--out', path.join(tmp, 'run')], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cover: error: --preset base needs about .* but on the wasm backend .*the wasm heap holds at most 4 GiB \(fix: .*\)$/);
    const fix = /\(fix: (.*)\)$/.exec(lines[0])![1];
    if (torchPresent) expect(fix).toMatch(/^--backend torch( --micro-batch \d+)? \(\d+(\.\d)? GiB free here\)/);
    else expect(fix).not.toContain('torch');
    expect(r.status).toBe(2);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

(torchPresent ? test : test.skip)('on the torch backend (cpu) the limit is the machine\'s free memory: large at batch 256 is refused in one line', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-torch-oom-'));
  try {
    const args = ['cotrain', '--datasets', 'k400', '--demo', 'tiny', '--demo-dir', tinySuite(), '--steps', '1', '--eval-every', '0', '--views', '1x1'];
    const r = spawnSync(process.execPath, [BIN, ...args, '--backend', 'torch', '--device', 'cpu', '--preset', 'large', '--batch-size', '256', '--out', path.join(tmp, 'run')], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toMatch(/^cover: error: --preset large needs about \d+ GiB to train .* but on the torch backend this machine has [\d.]+ GiB free \(fix: .*\)\n$/);
    expect(r.status).toBe(2);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
