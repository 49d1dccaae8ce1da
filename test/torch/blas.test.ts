// The torch backend's BLAS settings: the OpenBLAS kernel set named from the CPU's flags (blas_core.ts), and the BLAS
// thread count the addon keeps for its ops (torch/src/state.cc).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openblasCoreFor, preferOpenblasCore } from '../../src/engine/blas_core';
import { loadTorch } from '../../src/engine/backends/torch/addon';
import { describeTorch } from './torch_helpers';

const cpu = (vendor: string, flags: string) => `processor\t: 0\nvendor_id\t: ${vendor}\ncpu family\t: 6\nflags\t\t: ${flags}\n\n`;
const AVX512 = 'fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 amx_tile';

describe('openblasCoreFor', () => {
  it('names SkylakeX for an Intel CPU with AVX-512 (BW, DQ, VL, CD) and Haswell for AVX2 + FMA', () => {
    expect(openblasCoreFor(cpu('GenuineIntel', AVX512))).toBe('SkylakeX');
    expect(openblasCoreFor(cpu('GenuineIntel', 'sse sse2 avx avx2 fma'))).toBe('Haswell');
    expect(openblasCoreFor(cpu('GenuineIntel', 'sse sse2 avx avx2 fma avx512f'))).toBe('Haswell'); // Knights Landing: no BW/VL
  });

  it('leaves older Intel CPUs and other vendors to OpenBLAS', () => {
    expect(openblasCoreFor(cpu('GenuineIntel', 'sse sse2 sse3 avx'))).toBeNull();
    expect(openblasCoreFor(cpu('AuthenticAMD', AVX512))).toBeNull();
    expect(openblasCoreFor('')).toBeNull();
  });
});

describe('preferOpenblasCore', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-blas-'));
  const info = path.join(dir, 'cpuinfo');
  fs.writeFileSync(info, cpu('GenuineIntel', AVX512));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sets OPENBLAS_CORETYPE when it is unset, and keeps the user own value', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(preferOpenblasCore(env, info)).toBe('SkylakeX');
    expect(env.OPENBLAS_CORETYPE).toBe('SkylakeX');
    const mine: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Haswell' };
    expect(preferOpenblasCore(mine, info)).toBe('Haswell');
    expect(mine.OPENBLAS_CORETYPE).toBe('Haswell');
  });

  it('changes nothing where there is no /proc/cpuinfo', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(preferOpenblasCore(env, path.join(dir, 'missing'))).toBeNull();
    expect(env).toEqual({});
  });
});

describeTorch('the addon BLAS', () => {
  it('runs with the thread count setThreads gives, and reports OpenBLAS kernel set', () => {
    const t = loadTorch().addon!;
    const before = t.info();
    if (before.blasThreads === 0) return; // a libtorch without OpenBLAS (MKL follows ATen's count by itself)
    expect(before.blasCore).not.toBe('');
    try {
      t.setThreads(3);
      expect(t.info().blasThreads).toBe(3);
    } finally {
      t.setThreads(before.threads);
    }
  });

  it('loads OpenBLAS with the kernel set named for this CPU (a fresh process: OpenBLAS reads it once)', () => {
    const want = openblasCoreFor(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '');
    if (!want || loadTorch().addon!.info().blasThreads === 0) return;
    const target = require.resolve(process.env.COVER_TORCH_PATH || 'cover-torch');
    const r = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(target)}).info().blasCore)`], {
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_CORETYPE: want, OPENBLAS_VERBOSE: '0' },
    });
    expect(r.stderr).not.toMatch(/Core not found/);
    expect(r.stdout.trim().toLowerCase()).toBe(want.toLowerCase());
  });
});
