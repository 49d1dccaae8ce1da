#!/usr/bin/env bash
# Data-parallel co-training under torchrun: run this on every node, with NODE set to its index (0 on the node that is
# MASTER_ADDR). cover joins the c10d job from torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
# Debian 12's python3-torch 1.13 spells the flags with underscores and, on Python 3.11, needs nonzero --redirects/--tee;
# PyTorch 2.x's torchrun takes the same command (docs/distributed.md).
# One machine, N processes, needs none of this:  node bin/cover.js cotrain --backend torch --nproc N ...
set -euo pipefail
cd "$(dirname "$0")/.."
NODES="${NODES:-2}"
NODE="${NODE:?set NODE to the index of this node, 0 to NODES-1}"
MASTER="${MASTER:-node01}"
DATA="${DATA:-/data}"
OUT="${OUT:-/shared/runs/cotrain}"

/usr/bin/python3 -m torch.distributed.run --nnodes "$NODES" --node_rank "$NODE" --nproc_per_node 1 \
  --master_addr "$MASTER" --master_port 29500 --redirects 2 --tee 2 --no_python \
  node bin/cover.js cotrain --backend torch --batch-size 64 --datasets k400,ssv2 \
  --data k400="$DATA/kinetics400" --data ssv2="$DATA/smth-smth-v2" --out "$OUT"
