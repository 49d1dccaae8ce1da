#!/usr/bin/env python3
"""The same TimeSformer training step in PyTorch, for `npm run bench`'s comparison row.

Builds the model described by --config (cover's ModelConfig JSON: divided space-time attention as the reference
vit.py does it: temporal attention + temporal_fc, then spatial attention with the CLS token repeated per frame and
averaged back, then the MLP), runs forward + backward + AdamW on a random batch, and prints one JSON line:
ms per step (median after --warmup untimed steps), the torch version and threads, and torch's own sgemm rate at 1024^3.
Threads: torch.set_num_threads(--torch-threads); the BLAS reads OPENBLAS_NUM_THREADS from the environment (the bench
sets it). The probe's fastest setting on 2 cores: 1 torch thread, 2 OpenBLAS threads.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):  # [Bx, S, D]
        bx, s, d = x.shape
        qkv = self.qkv(x).reshape(bx, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [Bx, H, S, Dh]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(bx, s, d))


def drop_path(x, rate, training):
    if rate == 0.0 or not training:
        return x
    keep = 1.0 - rate
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask / keep


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, qkv_bias, eps, dpr):
        super().__init__()
        self.dpr = dpr
        self.temporal_norm1 = nn.LayerNorm(dim, eps=eps)
        self.temporal_attn = Attention(dim, heads, qkv_bias)
        self.temporal_fc = nn.Linear(dim, dim)
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x, b, t, n):  # x [B, 1 + N*T, D], tokens in (h w t) order
        d = x.shape[-1]
        xt = x[:, 1:]  # [B, N*T, D]
        res = self.temporal_attn(self.temporal_norm1(xt.reshape(b * n, t, d)))  # [B*N, T, D]
        xt = xt + drop_path(self.temporal_fc(res.reshape(b, n * t, d)), self.dpr, self.training)
        cls = x[:, :1].expand(b, t, d).reshape(b * t, 1, d)
        xs = xt.reshape(b, n, t, d).transpose(1, 2).reshape(b * t, n, d)
        res = self.attn(self.norm1(torch.cat([cls, xs], dim=1)))  # [B*T, 1+N, D]
        cls_out = res[:, 0].reshape(b, t, d).mean(dim=1, keepdim=True)
        res = res[:, 1:].reshape(b, t, n, d).transpose(1, 2).reshape(b, n * t, d)
        x = torch.cat([x[:, :1], xt], dim=1) + drop_path(torch.cat([cls_out, res], dim=1), self.dpr, self.training)
        return x + drop_path(self.mlp(self.norm2(x)), self.dpr, self.training)


class TimeSformer(nn.Module):
    def __init__(self, c, classes):
        super().__init__()
        d, p = c["embedDim"], c["patchSize"]
        self.patch = p
        self.n = (c["imgSize"] // p) ** 2
        self.proj = nn.Conv2d(3, d, kernel_size=p, stride=p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.randn(1, self.n + 1, d) * 0.02)
        self.time_embed = nn.Parameter(torch.zeros(1, c["numFrames"], d))
        depth = c["depth"]
        rates = [c.get("dropPathRate", 0.0) * i / max(1, depth - 1) for i in range(depth)]
        self.blocks = nn.ModuleList(
            [Block(d, c["numHeads"], c.get("mlpRatio", 4.0), c.get("qkvBias", True), c.get("layerNormEps", 1e-6), r) for r in rates]
        )
        self.norm = nn.LayerNorm(d, eps=c.get("layerNormEps", 1e-6))
        self.head = nn.Linear(d, classes)

    def forward(self, x):  # [B, T, H, W, 3], as cover feeds it
        b, t = x.shape[:2]
        frames = x.reshape(b * t, *x.shape[2:]).permute(0, 3, 1, 2)  # [B*T, 3, H, W]
        tok = self.proj(frames).flatten(2).transpose(1, 2)  # [B*T, N, D]
        d = tok.shape[-1]
        cls = self.cls_token.expand(b * t, 1, d)
        tok = torch.cat([cls, tok], dim=1) + self.pos_embed
        cls = tok[:b, :1]
        tok = tok[:, 1:].reshape(b, t, self.n, d).transpose(1, 2) + self.time_embed[:, None, :t]  # [B, N, T, D]
        x = torch.cat([cls, tok.reshape(b, self.n * t, d)], dim=1)
        for blk in self.blocks:
            x = blk(x, b, t, self.n)
        return self.head(self.norm(x)[:, 0])


def sgemm_rate(n=1024, seconds=0.5):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        calls += 1
    return 2 * n**3 * calls / (time.perf_counter() - t0) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, help="cover ModelConfig as JSON")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--micro-batch", type=int, default=0,
                    help="clips per forward/backward pass, gradients accumulated to the batch (default: the batch)")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps first (kernels, allocator, caches settle)")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--torch-threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (bench/gpu_check.sh)")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"],
                    help="cuda matmuls: fp32, TF32, or bf16 autocast with float32 weights and optimizer state")
    a = ap.parse_args()
    torch.set_num_threads(a.torch_threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = a.precision == "tf32"
        torch.backends.cudnn.allow_tf32 = a.precision == "tf32"
    c = json.loads(a.config)
    model = TimeSformer(c, a.classes).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
    x = torch.randn(a.batch, c["numFrames"], c["imgSize"], c["imgSize"], 3, device=dev)
    y = torch.arange(a.batch, device=dev) % a.classes
    autocast = a.precision == "bf16" and dev.type == "cuda"

    micro = a.micro_batch or a.batch

    def step():
        opt.zero_grad(set_to_none=True)
        for i in range(0, a.batch, micro):  # as cover's trainStep: each pass's mean loss weighted by its share
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=autocast):
                loss = F.cross_entropy(model(x[i:i + micro]), y[i:i + micro]) * (len(y[i:i + micro]) / a.batch)
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        value = loss.item()  # synchronises the device, so the step's time is all of its work
        return value

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({
        "msPerStep": statistics.median(times),
        "steps": a.steps,
        "batch": a.batch,
        "microBatch": micro,
        "maxRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cudaPeakMiB": round(torch.cuda.max_memory_reserved() / 2**20) if dev.type == "cuda" else None,
        "torch": torch.__version__,
        "torchThreads": torch.get_num_threads(),
        "gemmGflops": sgemm_rate(),
    }))


if __name__ == "__main__":
    main()
