// The attention core for short sequences on the CPU (attention_cpu.cc): per (sequence, head) pair, loops over the qkv
// projection's output in place, for the lengths where at::bmm's per-matrix overhead dominates its work.
#pragma once

#include <ATen/ATen.h>

namespace cover_torch {

/** Whether the loops take this call: float32 contiguous qkv on the CPU, fp32 precision, sequences of at most 32. */
bool shortAttention(const at::Tensor& qkv, int64_t S);

/** qkv [Bx, S, 3, H, Dh] -> out [Bx, S, H*Dh] (heads merged), probs [Bx, H, S, S]; every element written. */
void shortAttentionForward(const float* qkv, float* out, float* probs, int64_t Bx, int64_t S, int64_t H, int64_t Dh, float scale);

/** dout [Bx, S, H*Dh], qkv, probs -> dqkv [Bx, S, 3, H, Dh]; every element written. */
void shortAttentionBackward(const float* dout, const float* qkv, const float* probs, float* dqkv, int64_t Bx, int64_t S, int64_t H,
                            int64_t Dh, float scale);

}  // namespace cover_torch
