#!/usr/bin/env python3
"""Clip-decoding throughput with PyAV (FFmpeg), the PyTorch-world peer of cover's own video decoders.

Measures clips per second for the same work the project's decoders do: for each clip, open the file, seek to the
keyframe at or before the clip's start, decode forward only up to the last sampled frame, and scale + convert only
the sampled frames to RGB (swscale FAST_BILINEAR) into a uint8 array [frames, H, W, 3].

    python3 bench/pyav_decode.py --spec SPEC.json [--procs N] [--threads K]

SPEC.json: {"clips": [{"path": "/abs/file.mp4", "startS": 3.2, "frames": [0, 10, 20], "size": [W, H]}, ...],
            "repeat": 1}
  startS: time of the clip's first frame, in seconds from the start of the file; frame n is the n-th decoded frame
  at or after startS - 0.5/fps (fps = the stream's average frame rate). frames: sorted distinct offsets from it.
  size: output [width, height]. repeat: how many times the clip list is gone over (timed together).
--procs N: decode the clips over a pool of N worker processes, one clip per task (started and warmed untimed).
--threads K: FFmpeg decoder threads per clip (1 = single-threaded, 0 = FFmpeg's choice).

The first clip is decoded once untimed (page cache, imports). Prints one JSON line on stdout: clips, ms, clipsPerSec,
msPerClip, procs, threads, pyav, ffmpeg (libavcodec version), padded (frames repeated because a video ended first)
and checksum (sum of all output bytes mod 2**32, so callers can check that the same frames were produced).
Errors: one line `pyav_decode: <file>: <problem>` on stderr, exit code 2.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Optional

try:
    import av
    import numpy as np
except ImportError as _e:  # e.g. a venv python3 without Debian's python3-av: say so in one line
    print(f"pyav_decode: {_e.name}: not importable by {sys.executable} (Debian: /usr/bin/python3 with python3-av)",
          file=sys.stderr)
    sys.exit(2)

INTERPOLATION = "FAST_BILINEAR"
av.logging.set_level(av.logging.PANIC)  # FFmpeg's own log lines would break the one-line error contract


class ClipError(Exception):
    """A problem with one file (or the spec); reported as `pyav_decode: <file>: <problem>`."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(file, problem)
        self.file = file
        self.problem = problem


@dataclass(frozen=True)
class Clip:
    path: str
    start_s: float
    frames: tuple[int, ...]
    width: int
    height: int


@dataclass(frozen=True)
class ClipResult:
    checksum: int
    padded: int


# ---------------------------------------------------------------------------------------------------------- spec


def _parse_clip(spec_path: str, i: int, raw: Any) -> Clip:
    where = f"{spec_path}: clips[{i}]"
    if not isinstance(raw, dict):
        raise ClipError(where, "not an object")
    path, start_s, frames, size = raw.get("path"), raw.get("startS"), raw.get("frames"), raw.get("size")
    if not isinstance(path, str) or not path:
        raise ClipError(where, "missing 'path'")
    if not isinstance(start_s, (int, float)) or isinstance(start_s, bool) or start_s < 0:
        raise ClipError(where, "'startS' must be a number >= 0")
    if (not isinstance(frames, list) or not frames
            or not all(isinstance(f, int) and not isinstance(f, bool) and f >= 0 for f in frames)
            or any(a >= b for a, b in zip(frames, frames[1:]))):
        raise ClipError(where, "'frames' must be a non-empty sorted list of distinct integers >= 0")
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise ClipError(where, "'size' must be [width, height] of positive integers")
    if not os.path.isfile(path):
        raise ClipError(path, "no such file")
    return Clip(path, float(start_s), tuple(frames), size[0], size[1])


def load_spec(spec_path: str) -> tuple[list[Clip], int]:
    try:
        with open(spec_path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise ClipError(spec_path, e.strerror or str(e)) from None
    except ValueError as e:
        raise ClipError(spec_path, f"bad JSON: {e}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("clips"), list) or not raw["clips"]:
        raise ClipError(spec_path, "expected {\"clips\": [...non-empty...], \"repeat\": N}")
    repeat = raw.get("repeat", 1)
    if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
        raise ClipError(spec_path, "'repeat' must be an integer >= 1")
    return [_parse_clip(spec_path, i, c) for i, c in enumerate(raw["clips"])], repeat


# -------------------------------------------------------------------------------------------------------- decode


def _frame_rate(stream: av.video.stream.VideoStream) -> Fraction:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return Fraction(rate)
    raise ValueError("stream has no frame rate")


def _to_rgb(frame: av.VideoFrame, clip: Clip) -> np.ndarray:
    rgb = frame.reformat(width=clip.width, height=clip.height, format="rgb24", interpolation=INTERPOLATION)
    return rgb.to_ndarray()


def _decode_into(container: av.container.InputContainer, clip: Clip, threads: int, out: np.ndarray) -> int:
    """Fills out[i] with frame clip.frames[i]; returns how many frames were padded (video ended first)."""
    stream = container.streams.video[0]
    ctx = stream.codec_context
    ctx.thread_type = "AUTO" if threads != 1 else "SLICE"
    ctx.thread_count = threads
    tb = stream.time_base
    start = stream.start_time or 0
    fps = _frame_rate(stream)
    first_s = clip.start_s - 0.5 / float(fps)  # frames at or after this time count from 0
    seek_pts = int(max(first_s, 0.0) / tb) + start
    container.seek(seek_pts, stream=stream, backward=True, any_frame=False)

    wanted, last_wanted = clip.frames, clip.frames[-1]
    n, k = 0, 0  # n: index of the next counted frame; k: index into wanted
    last: Optional[av.VideoFrame] = None
    for frame in container.decode(stream):
        last = frame
        if frame.pts is not None and float((frame.pts - start) * tb) < first_s:
            continue
        if n == wanted[k]:
            out[k] = _to_rgb(frame, clip)
            k += 1
            if n == last_wanted:
                return 0
        n += 1
    if last is None:
        raise ValueError(f"no frames decoded after seeking to {first_s:.3f}s")
    # The video ended first: repeat its last frame for the remaining offsets.
    rgb = _to_rgb(last, clip)
    padded = len(wanted) - k
    out[k:] = rgb
    return padded


def decode_clip(clip: Clip, threads: int) -> tuple[np.ndarray, int]:
    out = np.empty((len(clip.frames), clip.height, clip.width, 3), dtype=np.uint8)
    try:
        container = av.open(clip.path)
    except (av.AVError, OSError) as e:
        raise ClipError(clip.path, f"cannot open: {e}") from None
    try:
        if not container.streams.video:
            raise ClipError(clip.path, "no video stream")
        padded = _decode_into(container, clip, threads, out)
    except ClipError:
        raise
    except (av.AVError, ValueError) as e:
        raise ClipError(clip.path, f"decode failed: {e}") from None
    finally:
        container.close()
    return out, padded


def run_clip(task: tuple[Clip, int]) -> ClipResult:
    """One pool task: decode a clip and return only its checksum and padding (the frames stay in the worker)."""
    clip, threads = task
    frames, padded = decode_clip(clip, threads)
    return ClipResult(int(frames.sum(dtype=np.uint64)), padded)


def _noop(_: int) -> int:
    return os.getpid()


# ----------------------------------------------------------------------------------------------------------- run


def run_timed(clips: list[Clip], repeat: int, procs: int, threads: int) -> tuple[float, list[ClipResult]]:
    tasks = [(c, threads) for _ in range(repeat) for c in clips]
    run_clip(tasks[0])  # warm-up: page cache, imports, codec init; not timed
    if procs == 1:
        t0 = time.perf_counter()
        results = [run_clip(t) for t in tasks]
        return (time.perf_counter() - t0) * 1000.0, results
    with multiprocessing.Pool(procs) as pool:
        pool.map(_noop, range(procs * 4), chunksize=1)  # workers started and responsive before timing
        t0 = time.perf_counter()
        results = list(pool.imap_unordered(run_clip, tasks, chunksize=1))
        ms = (time.perf_counter() - t0) * 1000.0
    return ms, results


def ffmpeg_version() -> Optional[str]:
    v = getattr(av, "library_versions", {}).get("libavcodec")
    return ".".join(str(x) for x in v) if v else None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line on stderr and exit 2, like every other error
        raise ClipError("arguments", message)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = _Parser(description="PyAV clip-decoding throughput (peer of cover's decoders).")
    p.add_argument("--spec", required=True, help="JSON file with the clips to decode")
    p.add_argument("--procs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--threads", type=int, default=1, help="FFmpeg decoder threads per clip (default 1; 0 = auto)")
    args = p.parse_args(argv)
    if args.procs < 1:
        raise ClipError("--procs", "must be >= 1")
    if args.threads < 0:
        raise ClipError("--threads", "must be >= 0")
    return args


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
        clips, repeat = load_spec(args.spec)
        ms, results = run_timed(clips, repeat, args.procs, args.threads)
    except ClipError as e:
        print(f"pyav_decode: {e.file}: {e.problem}", file=sys.stderr)
        return 2
    n = len(results)
    print(json.dumps({
        "clips": n,
        "ms": round(ms, 3),
        "clipsPerSec": round(n / (ms / 1000.0), 3) if ms > 0 else None,
        "msPerClip": round(ms / n, 4),
        "procs": args.procs,
        "threads": args.threads,
        "pyav": av.__version__,
        "ffmpeg": ffmpeg_version(),
        "padded": sum(r.padded for r in results),
        "checksum": sum(r.checksum for r in results) % 2**32,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
