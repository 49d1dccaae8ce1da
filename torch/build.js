#!/usr/bin/env node
// Builds the addon with g++ directly against a libtorch found on this machine (never downloading anything):
//   1. $COVER_LIBTORCH: a prefix with include/ and lib/ (a libtorch zip, a CMake install), or a pip `torch` package folder;
//   2. the `torch` package of the `python3` on PATH (a pip PyTorch, possibly with CUDA), built with its C++ ABI flag;
//   3. Debian's libtorch-dev (/usr/include/ATen/ATen.h, libs in /usr/lib/<multiarch>, ABI 1).
// Writes build/cover_torch.node and build/config.json. When no libtorch is found, or the compile fails, it exits non-zero
// with one line, and npm drops this optional package: cover runs without the torch backend.
'use strict';
const { spawnSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const NO_LIBTORCH =
  'cover-torch: no libtorch found (looked at $COVER_LIBTORCH, the torch package of python3 on PATH, and /usr/include/ATen); ' +
  'cover runs without the torch backend (fix: apt-get install libtorch-dev, or pip install torch, then npm ci)';

function fail(msg) {
  console.error(msg);
  process.exit(1);
}

/**
 * libtorch's version from its headers: torch/version.h (1.x) or torch/headeronly/version.h, which 2.x's version.h only
 * includes. The string macro continues on the next line (`#define TORCH_VERSION \` then `"2.13.0"`).
 */
function readVersionHeader(includeDir) {
  const files = ['torch/headeronly/version.h', 'torch/csrc/api/include/torch/version.h', 'torch/version.h'];
  for (const f of files) {
    const p = path.join(includeDir, f);
    if (!fs.existsSync(p)) continue;
    const text = fs.readFileSync(p, 'utf8').replace(/\\\r?\n/g, ' ');
    const m = /#define\s+TORCH_VERSION\s+"([^"]+)"/.exec(text);
    if (m) return m[1];
    const parts = ['MAJOR', 'MINOR', 'PATCH'].map((k) => (new RegExp(`#define\\s+TORCH_VERSION_${k}\\s+(\\d+)`).exec(text) || [])[1]);
    if (parts.every(Boolean)) return parts.join('.');
  }
  return 'unknown';
}

/**
 * The C++ standard to compile with: the one libtorch's CMake config asks of its users (TorchConfig.cmake's CXX_STANDARD:
 * 20 in PyTorch 2.13's wheel, whose headers warn on every file under C++17; 14 in Debian's 1.13), never below 17, which
 * cover's own sources need. Without the CMake file: 17.
 */
function cxxStandard(cmakeDirs) {
  for (const d of cmakeDirs) {
    const p = path.join(d, 'TorchConfig.cmake');
    if (!fs.existsSync(p)) continue;
    const m = /CXX_STANDARD\s+(\d+)/.exec(fs.readFileSync(p, 'utf8'));
    if (m) return Math.max(17, Number(m[1]));
  }
  return 17;
}

/** A prefix (include/ + lib/) or a pip torch folder (include/ + lib/ too): the layout is the same. */
function fromPrefix(prefix, source, abi, version, cudaVersion) {
  const include = path.join(prefix, 'include');
  const lib = path.join(prefix, 'lib');
  if (!fs.existsSync(path.join(include, 'ATen', 'ATen.h'))) return null;
  if (!fs.existsSync(path.join(lib, 'libtorch_cpu.so')) && !fs.existsSync(path.join(lib, 'libtorch.so'))) return null;
  if (abi === undefined) {
    // A libtorch zip says which ABI in its name only; guess from the symbols libc10 exports.
    const r = spawnSync('nm', ['-D', '-C', path.join(lib, 'libc10.so')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    abi = r.stdout && r.stdout.includes('std::__cxx11::basic_string') ? 1 : 0;
  }
  return {
    libtorch: lib,
    include: [include, path.join(include, 'torch', 'csrc', 'api', 'include')],
    version: version || readVersionHeader(include),
    abi,
    std: cxxStandard([path.join(prefix, 'share', 'cmake', 'Torch')]),
    cuda: fs.existsSync(path.join(lib, 'libtorch_cuda.so')),
    cudaVersion: cudaVersion || '',
    source,
  };
}

function findEnv() {
  const p = process.env.COVER_LIBTORCH;
  if (!p) return null;
  const found = fromPrefix(path.resolve(p), 'COVER_LIBTORCH');
  if (!found) fail(`cover-torch: COVER_LIBTORCH=${p} has no include/ATen/ATen.h and lib/libtorch_cpu.so (fix: point it at a libtorch prefix or a pip torch folder)`);
  return found;
}

/** The torch package of $COVER_PYTHON (default python3), run from / so that this folder cannot pass for `torch`. */
function findPython() {
  const code =
    "import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI)); print(torch.__version__); print(torch.version.cuda or '')";
  const r = spawnSync(process.env.COVER_PYTHON || 'python3', ['-c', code], { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0 || !r.stdout) return null;
  const [dir, abi, version, cuda] = r.stdout.split('\n').map((s) => s.trim());
  return fromPrefix(dir, 'python', Number(abi), version, cuda);
}

function findDebian() {
  if (!fs.existsSync('/usr/include/ATen/ATen.h')) return null;
  let multiarch = '';
  const r = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' });
  if (r.status === 0) multiarch = r.stdout.trim();
  const candidates = [multiarch && `/usr/lib/${multiarch}`, '/usr/lib64', '/usr/lib'].filter(Boolean);
  const lib = candidates.find((d) => fs.existsSync(path.join(d, 'libtorch_cpu.so')));
  if (!lib) return null;
  return {
    libtorch: lib,
    include: ['/usr/include', '/usr/include/torch/csrc/api/include'],
    version: readVersionHeader('/usr/include'),
    abi: 1,
    std: cxxStandard([path.join(lib, 'cmake', 'Torch'), '/usr/share/cmake/Torch']),
    cuda: fs.existsSync(path.join(lib, 'libtorch_cuda.so')),
    cudaVersion: '',
    source: 'debian',
  };
}

function nodeInclude() {
  const dirs = [];
  if (process.env.npm_config_nodedir) dirs.push(path.join(process.env.npm_config_nodedir, 'include', 'node'));
  dirs.push(path.join(path.dirname(fs.realpathSync(process.execPath)), '..', 'include', 'node'), '/usr/include/node');
  const d = dirs.find((x) => fs.existsSync(path.join(x, 'node_api.h')));
  if (!d) fail('cover-torch: the Node headers (node_api.h) were not found (fix: install nodejs headers, or set npm_config_nodedir)');
  return d;
}

function addonApiInclude() {
  try {
    return require('node-addon-api').include_dir.replace(/^"|"$/g, '');
  } catch {
    fail('cover-torch: node-addon-api is not installed (fix: npm ci)');
  }
}

/**
 * c10d's process groups for data parallel (src/dist.cc): Gloo when its headers are here (Debian: libgloo-dev; the
 * header ProcessGroupGloo.hpp is empty without USE_C10D_GLOO), NCCL when this libtorch has CUDA and nccl.h is found.
 */
function collectiveFlags(cfg) {
  const dirs = [...cfg.include, '/usr/include', '/usr/local/include'];
  const flags = [];
  if (dirs.some((d) => fs.existsSync(path.join(d, 'gloo', 'algorithm.h')))) flags.push('-DUSE_C10D_GLOO');
  if (cfg.cuda) {
    const nvidia = pipNvidiaIncludes(cfg.libtorch);
    const nccl = [...dirs, ...(process.env.NCCL_INCLUDE_DIR ? [process.env.NCCL_INCLUDE_DIR] : []), ...nvidia].find((d) => fs.existsSync(path.join(d, 'nccl.h')));
    // ProcessGroupNCCL.hpp includes ATen/cuda/CUDAContext.h, which needs the CUDA runtime's and cuBLAS's headers.
    const cudaDirs = [...toolkitIncludes(), ...nvidia];
    if (nccl && cudaDirs.some((d) => fs.existsSync(path.join(d, 'cuda_runtime_api.h')))) {
      flags.push('-DUSE_C10D_NCCL', '-DCOVER_TORCH_NCCL', `-I${nccl}`, ...cudaDirs.map((d) => `-I${d}`));
    } else if (nccl) {
      console.log('cover-torch: nccl.h is here but not the CUDA headers (cuda_runtime_api.h): building without NCCL (fix: set CUDA_HOME to the CUDA toolkit)');
    }
  }
  return flags;
}

/** The CUDA toolkit's include folder: $CUDA_HOME, nvcc's on PATH, /usr/local/cuda. */
function toolkitIncludes() {
  const homes = [process.env.CUDA_HOME, process.env.CUDA_PATH];
  for (const dir of (process.env.PATH || '').split(':')) {
    if (dir && fs.existsSync(path.join(dir, 'nvcc'))) homes.push(path.dirname(path.dirname(fs.realpathSync(path.join(dir, 'nvcc')))));
  }
  homes.push('/usr/local/cuda');
  return [...new Set(homes.filter(Boolean).map((h) => path.join(h, 'include')))].filter((d) => fs.existsSync(d));
}

/** The include folders of pip's nvidia-* packages beside a pip torch (site-packages/nvidia/<lib>/include, one level deeper too). */
function pipNvidiaIncludes(libtorch) {
  const root = path.join(libtorch, '..', '..', 'nvidia');
  if (!fs.existsSync(root)) return [];
  const out = [];
  for (const a of fs.readdirSync(root)) {
    const d = path.join(root, a, 'include');
    if (fs.existsSync(d)) out.push(d);
  }
  return out;
}

function compile(cfg) {
  const out = path.join(__dirname, 'build');
  fs.mkdirSync(path.join(out, 'obj'), { recursive: true });
  const srcDir = path.join(__dirname, 'src');
  // The C++ the addons share (cxx/optimizer_update.h): the repository's folder, which npm links this package beside.
  const sharedDir = path.join(__dirname, '..', 'cxx');
  const sources = fs.readdirSync(srcDir).filter((f) => f.endsWith('.cc')).sort();
  // -O3 without errno and FP traps (not -ffast-math: NaN and Inf checks must hold) lets GCC vectorize the optimizer's
  // update loop (cxx/optimizer_update.h), as native/binding.gyp does: small's AdamW 11.8 -> 2.9 ms a step, same bits.
  const flags = [
    '-O3', '-fno-math-errno', '-fno-trapping-math', '-fPIC', `-std=c++${cfg.std}`, `-D_GLIBCXX_USE_CXX11_ABI=${cfg.abi}`, '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS',
    '-Wno-deprecated-declarations', `-I${sharedDir}`, `-I${nodeInclude()}`, `-I${addonApiInclude()}`, ...cfg.include.map((i) => `-I${i}`),
  ];
  if (cfg.cuda) flags.push('-DCOVER_TORCH_CUDA');
  flags.push(...collectiveFlags(cfg));
  // One g++ per core, each needing about 1.5 GiB with libtorch's headers, at most one per file.
  const jobs = Math.max(1, Math.min(Number(process.env.COVER_TORCH_JOBS) || os.cpus().length, Math.floor(os.totalmem() / 1.5 / 2 ** 30), sources.length));
  const objects = sources.map((s) => path.join(out, 'obj', s.replace(/\.cc$/, '.o')));
  const headers = [srcDir, sharedDir].flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.h')).map((f) => fs.statSync(path.join(d, f)).mtimeMs));
  const newestHeader = Math.max(0, ...headers);
  const stale = sources.filter((s, i) => {
    const o = objects[i];
    if (!fs.existsSync(o)) return true;
    const ot = fs.statSync(o).mtimeMs;
    return ot < fs.statSync(path.join(srcDir, s)).mtimeMs || ot < newestHeader || process.env.COVER_TORCH_REBUILD;
  });
  const configSig = JSON.stringify(flags);
  const sigFile = path.join(out, 'obj', 'flags.json');
  const sameFlags = fs.existsSync(sigFile) && fs.readFileSync(sigFile, 'utf8') === configSig;
  const todo = sameFlags ? stale : sources;
  return new Promise((resolve) => {
    let next = 0;
    let running = 0;
    let failed = false;
    const startOne = () => {
      if (failed) return;
      if (next >= todo.length) {
        if (running === 0) resolve(true);
        return;
      }
      const s = todo[next++];
      running++;
      const p = spawn('g++', [...flags, '-c', path.join(srcDir, s), '-o', path.join(out, 'obj', s.replace(/\.cc$/, '.o'))], { stdio: 'inherit' });
      p.on('close', (code) => {
        running--;
        if (code !== 0) {
          failed = true;
          resolve(false);
          return;
        }
        startOne();
      });
      p.on('error', () => {
        failed = true;
        resolve(false);
      });
    };
    if (todo.length === 0) resolve(true);
    for (let i = 0; i < jobs; i++) startOne();
  }).then((ok) => {
    if (!ok) return false;
    fs.writeFileSync(sigFile, configSig);
    const libs = ['-ltorch', '-ltorch_cpu', '-lc10'];
    if (cfg.cuda) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
    const link = spawnSync('g++', ['-shared', '-o', path.join(out, 'cover_torch.node'), ...objects, `-L${cfg.libtorch}`,
      `-Wl,-rpath,${cfg.libtorch}`, ...libs, '-ldl'], { stdio: 'inherit' });
    return link.status === 0;
  });
}

/** The one line npm ci shows: which libtorch was chosen, from where, and how it is compiled. */
function choiceLine(cfg) {
  const from = { COVER_LIBTORCH: '$COVER_LIBTORCH', python: `${process.env.COVER_PYTHON || 'python3'}'s torch`, debian: "Debian's libtorch-dev" }[cfg.source];
  const cuda = cfg.cuda ? `CUDA${cfg.cudaVersion ? ` ${cfg.cudaVersion}` : ''}` : 'CPU only';
  return `cover-torch: building against libtorch ${cfg.version} (${from}, ${cfg.libtorch}; ${cuda}; C++${cfg.std})`;
}

async function main() {
  const cfg = findEnv() || findPython() || findDebian();
  if (!cfg) fail(NO_LIBTORCH);
  console.log(choiceLine(cfg));
  const ok = await compile(cfg);
  if (!ok) fail(`cover-torch: compiling against libtorch ${cfg.version} (${cfg.source}, ${cfg.libtorch}) failed; cover runs without the torch backend (fix: see the compiler output above)`);
  const { cudaVersion, ...config } = cfg;
  fs.writeFileSync(path.join(__dirname, 'build', 'config.json'), JSON.stringify({ ...config, cudaVersion }, null, 2) + '\n');
}

if (require.main === module) main();
else module.exports = { readVersionHeader, cxxStandard, choiceLine };
