#!/usr/bin/env bash
# The system part of cover's set-up on a fresh Debian 12 machine: the Debian packages it needs, installed when missing.
# The README's first command and CI (.ci/run) both run this script, then `npm ci` and the build, so CI proves the README.
#
#   bash scripts/setup.sh            # as root: apt-get install what is missing (nothing when all is there)
#
# Without root (and without passwordless sudo) it prints the exact apt-get line to run and stops with exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."

# What cover needs from Debian, and why:
#   ffmpeg                 decodes and encodes every video (cover finds it on PATH)
#   libopenblas0-pthread   the BLAS that the native accelerator (native/) loads at run time
#   g++ make python3       node-gyp's tools to build the accelerator at `npm ci`
#   opencv-doc             real sample videos (vtest.avi, cup.mp4, ...) that the tests and the bench decode
#   dataset-fashion-mnist  real images the demo suite draws its objects from
#   libtorch-dev           libtorch 1.13.1 (CPU): headers and libraries the torch backend (torch/) builds and links against
#                          at `npm ci`; without it (and without a pip PyTorch) npm drops cover-torch and cover runs on wasm
#   python3-torch          Debian's PyTorch for /usr/bin/python3: the bench's PyTorch eager rows (bench/torch_step.py)
#   libgloo-dev            Gloo's headers, which libtorch's c10d headers include (distributed training over processes)
#   libavformat-dev libavcodec-dev libswscale-dev pkg-config
#                          FFmpeg's libraries (the same 5.1 as the ffmpeg command): the in-process decoder (av/) builds
#                          against them at `npm ci`; without them cover decodes with one ffmpeg process per clip
#   python3-av             PyAV, the bench's peer for decoding (bench/pyav_decode.py)
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
compgen -G '/usr/lib/*/openblas-pthread/libopenblas.so.0' >/dev/null || compgen -G '/usr/lib/*/libopenblas.so.0' >/dev/null || need+=(libopenblas0-pthread)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -e /usr/share/doc/opencv-doc/examples/data/vtest.avi ] || need+=(opencv-doc)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
# File checks, not `import torch` (a second or more): each package's own file says it is installed.
[ -e /usr/include/ATen/ATen.h ] || need+=(libtorch-dev)
[ -e /usr/lib/python3/dist-packages/torch/__init__.py ] || need+=(python3-torch)
[ -e /usr/include/gloo/allreduce.h ] || need+=(libgloo-dev)
compgen -G '/usr/include/*/libavformat/avformat.h' >/dev/null || need+=(libavformat-dev)
compgen -G '/usr/include/*/libavcodec/avcodec.h' >/dev/null || need+=(libavcodec-dev)
compgen -G '/usr/include/*/libswscale/swscale.h' >/dev/null || need+=(libswscale-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[ -e /usr/lib/python3/dist-packages/av/__init__.py ] || need+=(python3-av)

if [ ${#need[@]} -gt 0 ]; then
  line="apt-get install -y --no-install-recommends ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"
  else
    echo "cover setup: these Debian packages are missing: ${need[*]}" >&2
    echo "cover setup: run as root:  apt-get update && $line" >&2
    echo "cover setup: then run this script again." >&2
    exit 1
  fi
  echo "cover setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
