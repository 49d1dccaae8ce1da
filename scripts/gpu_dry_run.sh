#!/usr/bin/env bash
# The GPU check's dry run, the last step of `npm test` (issue 21): every part of bench/gpu_check.sh, the script a bare
# GPU machine runs, here on the cpu at small sizes, against the libtorch `npm ci` built with and python3's PyTorch for
# the PyTorch rows, so that it cannot rot while no GPU runs it. About half a minute; prints its table; fails when a part
# does.
set -euo pipefail
cd "$(dirname "$0")/.."
# The PyTorch rows' interpreter: the first that imports torch, as the bench picks it (bench/torch.ts findTorchPython).
py=""
for c in "${PYTHON:-}" python3 /usr/bin/python3; do
  # From /: here the repository's torch/ folder would pass for a namespace package named torch.
  if [ -n "$c" ] && (cd / && "$c" -c 'import torch; torch.zeros(1)') >/dev/null 2>&1; then py="$c"; break; fi
done
[ -n "$py" ] || { echo "gpu dry run: no python3 that imports torch (set PYTHON, or apt-get install python3-torch: scripts/setup.sh does)" >&2; exit 1; }
dir="$(mktemp -d)"
if ! PYTHON="$py" bash bench/gpu_check.sh --cpu "$dir" > "$dir/run.log" 2>&1; then
  tail -20 "$dir/run.log"
  cat "$dir/gpu_check.md" 2>/dev/null || true
  echo "gpu dry run: failed (log: $dir/run.log)" >&2
  exit 1
fi
cat "$dir/gpu_check.md"
rm -rf "$dir"
