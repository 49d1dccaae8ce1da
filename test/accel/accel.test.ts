// The accelerator's switch: --accel auto/native/off on each backend, what it reports, and (on machines that have a
// compiler, Node headers and OpenBLAS, as CI does: COVER_EXPECT_NATIVE=1) that the addon was really built.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { accelInfo, activeNative, initAccel, parseAccelMode } from '../../src/engine/accel/accel';
import { loadNative } from '../../src/engine/accel/native';
import { BackendError, UsageError } from '../../src/errors';

const built = loadNative().addon !== null;

afterAll(() => initAccel('off', tf.getBackend()));

test('the addon is built and finds a BLAS where the machine has what it needs', () => {
  if (process.env.COVER_EXPECT_NATIVE !== '1') return; // a machine without g++/headers: nothing to require
  const { addon, error } = loadNative();
  expect(error).toBeNull();
  expect(addon!.info().blas).not.toBe('none');
});

test('--accel off restores tfjs kernels; auto uses the addon on wasm exactly when it is built', async () => {
  const off = await initBackend({ backend: 'wasm', accel: 'off' });
  expect(off.accel).toMatchObject({ mode: 'off', active: false });
  expect(activeNative()).toBeNull();
  const auto = await initBackend({ backend: 'wasm', accel: 'auto' });
  expect(auto.accel.active).toBe(built);
  expect(accelInfo().active).toBe(built);
  if (built) {
    expect(auto.accel.kernels).toEqual(expect.arrayContaining(['BatchMatMul', 'Add', 'Sum', 'Transpose', 'Softmax']));
    expect(auto.accel.reason).toMatch(/native .*thread/);
  } else {
    expect(auto.accel.reason).toMatch(/not built|failed to load/);
  }
});

test('--accel native refuses with one line on the cpu backend, or when the addon is missing', async () => {
  await expect(initBackend({ backend: 'cpu', accel: 'native' })).rejects.toThrow(BackendError);
  await expect(initBackend({ backend: 'cpu', accel: 'native' })).rejects.toThrow(/runs on the wasm backend/);
  const cpuAuto = await initBackend({ backend: 'cpu', accel: 'auto' });
  expect(cpuAuto.accel.active).toBe(false);
  if (!built) await expect(initBackend({ backend: 'wasm', accel: 'native' })).rejects.toThrow(BackendError);
});

test('modes parse from flags and COVER_ACCEL', () => {
  expect(parseAccelMode(undefined)).toBe('auto');
  expect(parseAccelMode('OFF')).toBe('off');
  expect(() => parseAccelMode('gpu')).toThrow(UsageError);
});
