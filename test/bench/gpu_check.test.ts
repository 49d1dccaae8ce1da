// The GPU check's pieces that need no GPU and no build: torch/build.js's reading of a libtorch (version, C++ standard),
// the pack's plan (what it copies, what it leaves out, its size limit) and the report's verdicts. The check itself runs
// in CI as its dry run (bench/gpu_check.sh --cpu, .ci/run).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LEFT_OUT, manifest, NODE_HEADERS, overLimit, planPack } from '../../bench/gpu_pack';
import { failures, parseOutput, PartRow, status } from '../../bench/gpu_report';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const build = require('../../torch/build.js') as { readVersionHeader(dir: string): string; cxxStandard(dirs: string[]): number };

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-gpu-check-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text = 'x'): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

test("libtorch's version from 2.x headers (headeronly/version.h, the macro continued on the next line) and from 1.x's parts", () => {
  write('v2/include/torch/csrc/api/include/torch/version.h', '#include <torch/headeronly/version.h>\n');
  write('v2/include/torch/headeronly/version.h', '#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION \\\n  "2.13.0"\n');
  expect(build.readVersionHeader(path.join(tmp, 'v2/include'))).toBe('2.13.0');
  write('v1/include/torch/csrc/api/include/torch/version.h', '#define TORCH_VERSION_MAJOR 1\n#define TORCH_VERSION_MINOR 13\n#define TORCH_VERSION_PATCH 0\n');
  expect(build.readVersionHeader(path.join(tmp, 'v1/include'))).toBe('1.13.0');
  expect(build.readVersionHeader(path.join(tmp, 'none'))).toBe('unknown');
});

test("the C++ standard is TorchConfig.cmake's CXX_STANDARD, never below 17, and 17 without the file", () => {
  write('a/TorchConfig.cmake', 'set_target_properties(torch PROPERTIES\n    CXX_STANDARD 20\n)\n');
  write('b/TorchConfig.cmake', '    CXX_STANDARD 14\n');
  expect(build.cxxStandard([path.join(tmp, 'missing'), path.join(tmp, 'a')])).toBe(20);
  expect(build.cxxStandard([path.join(tmp, 'b')])).toBe(17);
  expect(build.cxxStandard([path.join(tmp, 'missing')])).toBe(17);
});

test('the pack copies the built tree without maps or stale outputs, the traced node_modules files with their package.json, and leaves native TensorFlow out', () => {
  for (const f of ['bin/cover.js', 'dist/src/index.js', 'dist/src/index.js.map', 'dist/src/index.d.ts', 'dist/src/deleted.js', 'dist/bench/gpu_check.js', 'cxx/a.h', 'torch/src/a.cc']) {
    write(`repo/${f}`);
  }
  for (const f of ['src/index.ts', 'bench/gpu_check.ts']) write(`repo/${f}`);
  write('repo/test/fixtures/timesformer-parity/tiny-a/config.json');
  for (const f of ['package.json', 'LICENSE', 'torch/build.js', 'torch/index.js', 'torch/package.json', 'bench/gpu_check.sh', 'bench/torch_step.py']) write(`repo/${f}`);
  for (const f of ['package.json', 'index.js', 'napi.h', 'napi-inl.h', 'napi-inl.deprecated.h', 'LICENSE.md']) write(`repo/node_modules/node-addon-api/${f}`);
  const core = write('repo/node_modules/@tensorflow/tfjs-core/dist/index.js');
  write('repo/node_modules/@tensorflow/tfjs-core/package.json', '{}');
  const tfNode = write(`repo/node_modules/${LEFT_OUT[0]}index.js`);
  write('node/bin/node.xz');
  NODE_HEADERS.forEach((h) => write(`node/include/node/${h}`));

  const plan = planPack(path.join(tmp, 'repo'), [core, tfNode, path.join(tmp, 'repo/node_modules/gone.js'), ''], path.join(tmp, 'node'));
  const rels = [...plan.keys()];
  expect(rels).toEqual(expect.arrayContaining(['dist/src/index.js', 'torch/build.js', 'node/bin/node.xz', 'node/include/node/node_api.h',
    'node_modules/@tensorflow/tfjs-core/dist/index.js', 'node_modules/@tensorflow/tfjs-core/package.json', 'test/fixtures/timesformer-parity/tiny-a/config.json']));
  expect(rels).toContain('dist/bench/gpu_check.js');
  expect(rels.filter((r) => /\.map$|\.d\.ts$|deleted|tfjs-node|gone/.test(r))).toEqual([]);

  fs.rmSync(path.join(tmp, 'repo/torch/build.js'));
  expect(() => planPack(path.join(tmp, 'repo'), [], path.join(tmp, 'node'))).toThrow(/torch\/build\.js is missing/);
});

test('the size limit refuses a pack over it, naming the largest files; the manifest ends with the total', () => {
  const files = [{ rel: 'node/bin/node.xz', size: 40 * 2 ** 20 }, { rel: 'a.js', size: 25 * 2 ** 20 }];
  expect(overLimit(files, 60)).toMatch(/^gpu_pack: the pack is 65\.0 MiB, over 60 MiB \(largest: node\/bin\/node\.xz 40\.0 MiB, a\.js 25\.0 MiB\)$/);
  expect(overLimit(files, 65)).toBeNull();
  expect(manifest(files).trim().split('\n').pop()).toMatch(/68157440 {2}total \(65\.0 MiB, 2 files\)$/);
});

test("the report fails a run on a failed, timed-out or FAILing part, not on a skipped or n/a one, and reads cover's multi-line JSON", () => {
  const row = (name: string, rc: string, result: Record<string, unknown> | null = {}): PartRow => ({ name, rc, seconds: 3, gpuPeakMiB: null, result, lastLine: 'boom' });
  const rows = [
    row('env', '0'),
    row('parity-fp32', '0', { pass: true, tolerance: 1e-4, cases: [{ featuresMaxAbsErr: 2e-6, logitsMaxAbsErr: 1e-6 }] }),
    row('parity-bf16', '0', { pass: false, tolerance: 1e-1, cases: [{ featuresMaxAbsErr: 0.3, logitsMaxAbsErr: 0.2 }] }),
    row('losses-cuda', '0', { losses: [2.3, 2.2] }),
    row('losses-ref', '0', { losses: [2.3, 2.1] }),
    row('step-8-fp32-cover', '124', null),
    row('step-8-tf32-cover', 'n/a', null),
    row('step-32-bf16-cover', 'skip', null),
    row('decoder', '1', null),
  ];
  expect(failures(rows)).toEqual(['parity-bf16', 'losses-cuda', 'step-8-fp32-cover', 'decoder']);
  expect(status(rows[5])).toBe('timed out after 3 s');
  expect(status(rows[8])).toBe('failed: boom');
  expect(parseOutput('{\n  "pass": true\n}\n')).toEqual({ pass: true });
  expect(parseOutput('warming up\n{"msPerStep": 5}\n')).toEqual({ msPerStep: 5 });
  expect(parseOutput('no json')).toBeNull();
});
