#!/usr/bin/env bash
# The torch backend on an NVIDIA GPU, in one run and one table (issue 10, item 7): build cover-torch against the pip
# PyTorch found here, run the parity fixture on cuda, and time a `base` training step (batch 8, AdamW, clipping) at fp32,
# tf32 and bf16 in cover (tfjs model code on the torch backend) and in PyTorch eager (bench/torch_step.py) on the same GPU.
#
# Needs: Linux, an NVIDIA GPU, a PyTorch with CUDA importable by $PYTHON (default python3), g++, Node >= 20 ($NODE or on
# PATH), and this repository with dist/ built (npm run build) and node_modules installed. No network. Under 10 minutes.
# Not yet run: no GPU machine has been lent to this project.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
NODE=${NODE:-$(command -v node || true)}
[ -n "$NODE" ] || { echo "gpu_check: no node on PATH (set NODE=/path/to/node, version 20 or newer)" >&2; exit 1; }
"$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' || { echo "gpu_check: $PY's torch sees no CUDA GPU" >&2; exit 1; }
[ -e dist/bench/train.js ] || { echo "gpu_check: dist/ is not built (run npm run build where npm works, and bring dist/)" >&2; exit 1; }
out=$(mktemp -d)

echo "== building cover-torch against $("$PY" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)')"
(cd torch && COVER_LIBTORCH="$("$PY" -c 'import torch, os; print(os.path.dirname(torch.__file__))')" "$NODE" build.js)
export COVER_TORCH_PATH="$PWD/torch"

echo "== parity fixture on cuda"
"$NODE" bin/cover.js parity test/fixtures/timesformer-parity/tiny-a --backend torch --device cuda --json > "$out/parity.json" || true

echo "== base training step, batch 8"
for p in fp32 tf32 bf16; do
  "$NODE" -e '
    const { initBackend } = require("./dist/src/engine/backend");
    const { benchTrainStep } = require("./dist/bench/train");
    (async () => {
      await initBackend({ backend: "torch", device: "cuda", precision: process.argv[1] });
      console.log(JSON.stringify(await benchTrainStep({ preset: "base", batch: 8, steps: 10 })));
    })().catch((e) => { console.log(JSON.stringify({ error: String(e && e.message || e) })); });
  ' "$p" > "$out/cover-$p.json"
  cfg=$("$NODE" -e 'console.log(JSON.stringify(require("./dist/src/config/presets").getPreset("base")))')
  "$PY" bench/torch_step.py --config "$cfg" --batch 8 --steps 10 --classes 10 --device cuda --precision "$p" > "$out/torch-$p.json" 2> "$out/torch-$p.err" \
    || echo "{\"error\": \"$(tail -1 "$out/torch-$p.err")\"}" > "$out/torch-$p.json"
done

"$NODE" -e '
  const fs = require("fs"); const dir = process.argv[1];
  const read = (f) => { try { return JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8").trim().split("\n").pop()); } catch (e) { return { error: "no output" }; } };
  const parity = read("parity.json");
  const worst = (parity.cases || []).reduce((m, c) => Math.max(m, c.featuresMaxAbsErr, c.logitsMaxAbsErr), 0);
  console.log(`\nparity (tiny-a on cuda): ${parity.cases ? `${parity.pass ? "pass" : "FAIL"}, max abs error ${worst.toExponential(2)} (tolerance ${parity.tolerance})` : "no result"}`);
  console.log("\n| precision | cover torch ms/step | PyTorch eager ms/step | cover / PyTorch |\n|---|---|---|---|");
  for (const p of ["fp32", "tf32", "bf16"]) {
    const c = read(`cover-${p}.json`), t = read(`torch-${p}.json`);
    const cm = c.msPerStep, tm = t.msPerStep;
    console.log(`| ${p} | ${cm ? cm.toFixed(1) : c.error} | ${tm ? tm.toFixed(1) : t.error} | ${cm && tm ? (cm / tm).toFixed(2) + "x" : "-"} |`);
  }
' "$out"
