#!/usr/bin/env bash
# The GPU check in one run (issue 21): build cover-torch against this machine's PyTorch (CUDA, NCCL when nccl.h is
# there), then the parity fixture at fp32 and bf16, 20 `small` steps on cuda against cpu, a `base` training step at
# batch 8 and 32 (micro-batch 8) at fp32, tf32 and bf16 beside PyTorch eager (bench/torch_step.py) with peak GPU memory,
# a world-1 NCCL all-reduce, and the decoder's GPU path. Writes DIR/gpu_check.md (the table) and DIR/gpu_check.json.
#
#   bench/gpu_check.sh DIR          on a GPU machine: the build, then at most 5 minutes; twice fits in 15
#   bench/gpu_check.sh --cpu DIR    the dry run: every step the same, with --device cpu and small sizes (CI runs it)
#
# Runs from a clone (node on PATH, dist/ built, node_modules installed) or from the pack bench/gpu_pack.sh makes (its
# own Node, no npm, no network). Needs g++ and a PyTorch importable by $PYTHON (default python3). Each part has its own
# time limit, and the parts after the build share $COVER_GPU_CHECK_BUDGET seconds (300 on cuda, 180 dry): a hang
# costs one row, and the rows the budget does not reach are skipped (the training steps come last).
set -uo pipefail
mode=cuda
[ "${1:-}" = "--cpu" ] && { mode=cpu; shift; }
[ $# -eq 1 ] || { echo "usage: bench/gpu_check.sh [--cpu] DIR (the folder the table and JSON go to)" >&2; exit 2; }
mkdir -p "$1" || exit 2
OUT=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-python3}

# The pack stores its large files (Node, sharp's libvips) xz-compressed: Python's lzma unpacks them once, beside.
if [ -e MANIFEST.txt ]; then
  "$PY" -c '
import lzma, os, shutil, sys
for d, _, fs in os.walk("."):
    for f in fs:
        src = os.path.join(d, f); dst = src[:-3]
        if f.endswith(".xz") and not os.path.exists(dst):
            with lzma.open(src) as i, open(dst + ".tmp", "wb") as o: shutil.copyfileobj(i, o)
            os.chmod(dst + ".tmp", os.stat(src).st_mode & 0o777); os.replace(dst + ".tmp", dst)' || { echo "gpu_check: could not unpack the pack's .xz files" >&2; exit 2; }
  chmod +x node/bin/node
fi
# Node: $NODE, the pack's own, or node on PATH.
NODE=${NODE:-$( [ -x node/bin/node ] && echo "$ROOT/node/bin/node" || command -v node || true)}
[ -n "$NODE" ] || { echo "gpu_check: no Node (run bench/gpu_pack.sh where npm works and bring its folder, or set NODE)" >&2; exit 2; }
[ -e dist/bench/gpu_check.js ] || { echo "gpu_check: $ROOT/dist is not built (npm run build, or use the pack)" >&2; exit 2; }
export COVER_TORCH_PATH="$ROOT/torch"
# On the GPU the addon is built against $PYTHON's torch; the dry run keeps the libtorch npm ci chose (a relink, not a
# rebuild) unless COVER_PYTHON or COVER_LIBTORCH says otherwise.
if [ $mode = cuda ]; then
  DEV=cuda; BUDGET=${COVER_GPU_CHECK_BUDGET:-300}; export COVER_PYTHON=${COVER_PYTHON:-$PY}
  PARITY_SET="fp32:1e-4 bf16:1e-1"; LOSS="--preset small --batch 4 --steps 20"
  STEP_PRESET=base; STEP_ROWS="8:8:5 32:8:3"; PRECISIONS="fp32 tf32 bf16"; ALLREDUCE=base
else
  DEV=cpu; BUDGET=${COVER_GPU_CHECK_BUDGET:-180}
  PARITY_SET="fp32:1e-4 bf16:1e-1"; LOSS="--preset tiny --batch 2 --steps 5"
  STEP_PRESET=tiny; STEP_ROWS="2:2:2 4:2:2"; PRECISIONS="fp32 tf32 bf16"; ALLREDUCE=tiny
fi
t_run=$(date +%s) t_start=0 # t_start: when the budget started (0: not yet; the env and the build have their own limits)
: > "$OUT/rows.tsv"

# part NAME LIMIT CMD...: runs CMD under `timeout LIMIT`, its stdout to OUT/NAME.out (the report reads its JSON), stdout
# and stderr to OUT/NAME.log; one row in rows.tsv: name, exit status (124: timed out), seconds, peak GPU memory in MiB (nvidia-smi).
part() {
  local name=$1 limit=$2; shift 2
  local now; now=$(date +%s)
  local left=$((t_start ? BUDGET - (now - t_start) : limit))
  if [ $left -lt 10 ]; then
    printf '%s\tskip\t0\t\n' "$name" >> "$OUT/rows.tsv"; echo "== $name: skipped (the run's ${BUDGET}s are used)"; return
  fi
  [ "$limit" -gt $left ] && limit=$left
  echo "== $name"
  local sampler=""
  if [ $DEV = cuda ] && command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$OUT/$name.mem" 2>/dev/null & sampler=$!
  fi
  timeout -k 10 "$limit" bash -c '"$@"' part "$@" > "$OUT/$name.out" 2> "$OUT/$name.log"
  local rc=$?
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null && wait "$sampler" 2>/dev/null
  cat "$OUT/$name.out" >> "$OUT/$name.log"
  local peak=""
  [ -s "$OUT/$name.mem" ] 2>/dev/null && peak=$(sort -n "$OUT/$name.mem" | tail -1)
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$(($(date +%s) - now))" "$peak" >> "$OUT/rows.tsv"
  [ $rc -eq 0 ] || echo "   exit $rc: $(tail -1 "$OUT/$name.log" | cut -c1-300)"
}
py() { (cd / && "$PY" "$@"); } # from /, so that this folder's torch/ cannot pass for the torch package
cover() { "$NODE" bin/cover.js "$@"; }
check() { "$NODE" dist/bench/gpu_check.js "$@"; }
export -f py cover check
export NODE PY

part env 60 py -c '
import json, os, platform, shutil, subprocess, sys
def out(cmd):
    try: return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return ""
r = {"python": platform.python_version(), "node": sys.argv[1], "gxx": out(["g++", "-dumpfullversion"]), "nvcc": out(["nvcc", "--version"]).split("\n")[-1],
     "gpu": out(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"])}
try:
    import torch
    r.update(torch=torch.__version__, cuda=torch.version.cuda, gpus=torch.cuda.device_count(), torchDir=os.path.dirname(torch.__file__))
    nccl = os.path.join(os.path.dirname(os.path.dirname(torch.__file__)), "nvidia", "nccl", "include", "nccl.h")
    r["ncclHeader"] = next((p for p in [nccl, "/usr/include/nccl.h", "/usr/local/include/nccl.h"] if os.path.exists(p)), None)
except Exception as e:
    r["torchError"] = str(e)
print(json.dumps(r))' "$("$NODE" --version)"

part build "${COVER_GPU_CHECK_BUILD_LIMIT:-540}" bash -c 'cd torch && "$NODE" build.js && tr -d "\n" < build/config.json && echo' 
t_start=$(date +%s) # the budget counts from here
part doctor 90 cover doctor --backend torch --device $DEV --json
for pt in $PARITY_SET; do
  p=${pt%%:*}; tol=${pt#*:}
  part "parity-$p" 90 cover parity test/fixtures/timesformer-parity/tiny-a --backend torch --device $DEV --precision "$p" --tolerance "$tol" --json
done
part "losses-$DEV" 120 check losses --device $DEV $LOSS
part losses-ref 180 check losses --device cpu $LOSS
part "allreduce-$DEV" 90 check allreduce --device $DEV --preset $ALLREDUCE
part decoder 60 check decoder --device $DEV
cfg=$(check config --preset $STEP_PRESET)
for row in $STEP_ROWS; do
  IFS=: read -r b m s <<< "$row"
  for p in $PRECISIONS; do
    if [ $DEV = cpu ] && [ "$p" = tf32 ]; then printf 'step-%s-%s-cover\tn/a\t0\t\nstep-%s-%s-torch\tn/a\t0\t\n' "$b" "$p" "$b" "$p" >> "$OUT/rows.tsv"; continue; fi
    part "step-$b-$p-cover" 150 check step --device $DEV --precision "$p" --preset $STEP_PRESET --batch "$b" --micro "$m" --steps "$s"
    part "step-$b-$p-torch" 150 py "$ROOT/bench/torch_step.py" --config "$cfg" --batch "$b" --micro-batch "$m" --steps "$s" --device $DEV --precision "$p" --torch-threads "$(nproc)"
  done
done

"$NODE" dist/bench/gpu_report.js "$OUT" --mode $mode --seconds $(($(date +%s) - t_run))
