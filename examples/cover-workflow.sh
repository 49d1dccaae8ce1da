#!/usr/bin/env bash
# The CoVeR workflow end to end on the demo suite, at quick sizes (about a minute on 2 cores with the `tiny` preset):
# pretrain on images -> co-train on videos and images from it -> transfer -> evaluate -> predict -> export.
# Run from the repository after the README's set-up:  bash examples/cover-workflow.sh [OUT]
# At real sizes, drop PRESET/STEPS/DEMO and give --data NAME=PATH for each dataset (docs/usage.md).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${1:-runs/example}"
COVER="${COVER:-node bin/cover.js}"
PRESET="${PRESET:-tiny}"            # tiny: seconds; small: the demo default; base: TimeSformer-B
STEPS="${STEPS:-20}"
DEMO="--demo tiny ${DEMO_DIR:+--demo-dir $DEMO_DIR}"
QUICK="--preset $PRESET --batch-size 4 --eval-every 0 --views 1x1"

# 1. Image pretraining: the non-temporal parameters on the image set (images are single-frame videos).
$COVER pretrain --datasets imnet $DEMO $QUICK --steps "$STEPS" --out "$OUT/pretrain"

# 2. Co-training from it: one model, one head per dataset, batches mixed in proportion to dataset size.
$COVER cotrain --datasets k400,ssv2,mit,imnet $DEMO $QUICK --steps "$STEPS" --init "$OUT/pretrain/checkpoint" --out "$OUT/cotrain"

# 3. Transfer: SSv2 -> K400 beside K400 -> K400 and the co-trained model fine-tuned on K400.
$COVER transfer ssv2 k400 $DEMO $QUICK --source-steps "$STEPS" --steps "$STEPS" --cotrained "$OUT/cotrain/checkpoint" --out "$OUT/transfer"

# 4. Evaluation of every head of the co-trained model on its val split (confusion matrices in checkpoint/eval/).
$COVER eval --checkpoint "$OUT/cotrain/checkpoint" --views 1x1

# 5. Prediction on one video with the K400 head.
video="$(find "${DEMO_DIR:-.cover/demo/tiny}/k400/val" -name '*.mp4' | sort | head -1)"
$COVER predict "$video" --checkpoint "$OUT/cotrain/checkpoint" --head k400 --top 3

# 6. Export for PyTorch: the reference TimeSformer's state_dict names, loadable with load_state_dict.
$COVER export "$OUT/cotrain/checkpoint" --format timesformer --head k400 --out "$OUT/export"
echo "workflow done: $OUT"
