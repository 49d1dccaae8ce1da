// The attention core for short sequences on the CPU. TimeSformer's temporal attention runs over T = 8 or 16 frames for
// every patch location and head: on `small` at batch 8, 384 products of 8x64 by 64x8 a call. at::bmm makes one BLAS
// call per matrix, about 2 us each for 8 multiply-adds per output (4 GFLOP/s), and the split and merge copies around it
// move qkv twice. Here each (sequence, head) pair reads q, k and v straight from qkv [Bx, S, 3, H, Dh] (row stride 3D)
// and writes its output with the heads merged (row stride D): dot products of Dh-long rows and axpys, which GCC
// vectorizes, with AVX2 and FMA where the CPU has them (target_clones builds a Haswell copy and a baseline one, and the
// loader picks).
//
// Forward:  P = softmax(scale q k^T), o = P v.
// Backward: dV = P^T dO;  dP = dO V^T;  dS = scale P o (dP - rowsum(dP o P));  dQ = dS K;  dK = dS^T Q.
#include "attention_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define COVER_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define COVER_CLONES
#endif

namespace cover_torch {
namespace {

constexpr int64_t kMaxS = 32;

/** sum a[d] b[d] over n, in 8 independent partial sums (so that the compiler can vectorize without reassociating). */
inline float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    for (int u = 0; u < 8; u++) acc[u] += a[d + u] * b[d + u];
  }
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; d < n; d++) s += a[d] * b[d];
  return s;
}

/** y[d] += a x[d] for d < n. */
inline void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t d = 0; d < n; d++) y[d] += a * x[d];
}

struct Pair {
  int64_t S, Dh, ld, ldo;  // ld: qkv's row stride (3D); ldo: out's and dout's (D)
};

// One pair: q, k, v rows at stride ld; o rows at stride ldo; p [S, S].
COVER_CLONES void forwardPair(const float* q, const float* k, const float* v, float* o, float* p, Pair g, float scale) {
  const int64_t S = g.S, Dh = g.Dh;
  for (int64_t i = 0; i < S; i++) {
    float* row = p + i * S;
    float mx = -INFINITY;
    for (int64_t j = 0; j < S; j++) {
      row[j] = scale * dot(q + i * g.ld, k + j * g.ld, Dh);
      mx = std::max(mx, row[j]);
    }
    float sum = 0;
    for (int64_t j = 0; j < S; j++) {
      row[j] = std::exp(row[j] - mx);
      sum += row[j];
    }
    const float inv = 1.0f / sum;
    float* oi = o + i * g.ldo;
    std::memset(oi, 0, sizeof(float) * Dh);
    for (int64_t j = 0; j < S; j++) {
      row[j] *= inv;
      axpy(row[j], v + j * g.ld, oi, Dh);
    }
  }
}

// One pair: dO rows at stride ldo; q, k, v and dq, dk, dv rows at stride ld; p [S, S].
COVER_CLONES void backwardPair(const float* dO, const float* q, const float* k, const float* v, const float* p, float* dq, float* dk,
                               float* dv, Pair g, float scale) {
  const int64_t S = g.S, Dh = g.Dh;
  float dS[kMaxS * kMaxS];
  for (int64_t j = 0; j < S; j++) {
    std::memset(dk + j * g.ld, 0, sizeof(float) * Dh);
    std::memset(dv + j * g.ld, 0, sizeof(float) * Dh);
  }
  for (int64_t i = 0; i < S; i++) {
    const float* pi = p + i * S;
    const float* dOi = dO + i * g.ldo;
    float* dSi = dS + i * S;
    float rowsum = 0;
    for (int64_t j = 0; j < S; j++) {
      axpy(pi[j], dOi, dv + j * g.ld, Dh);  // dV[j] += P[i, j] dO[i]
      dSi[j] = dot(dOi, v + j * g.ld, Dh);  // dP[i, j]
      rowsum += dSi[j] * pi[j];
    }
    float* dqi = dq + i * g.ld;
    std::memset(dqi, 0, sizeof(float) * Dh);
    for (int64_t j = 0; j < S; j++) {
      dSi[j] = scale * pi[j] * (dSi[j] - rowsum);
      axpy(dSi[j], k + j * g.ld, dqi, Dh);            // dQ[i] += dS[i, j] K[j]
      axpy(dSi[j], q + i * g.ld, dk + j * g.ld, Dh);  // dK[j] += dS[i, j] Q[i]
    }
  }
}

}  // namespace

bool shortAttention(const at::Tensor& qkv, int64_t S) {
  return S <= kMaxS && qkv.device().is_cpu() && qkv.scalar_type() == at::kFloat && qkv.is_contiguous() &&
         currentPrecision() == Precision::fp32;
}

void shortAttentionForward(const float* qkv, float* out, float* probs, int64_t Bx, int64_t S, int64_t H, int64_t Dh, float scale) {
  const int64_t D = H * Dh;
  const Pair g{S, Dh, 3 * D, D};
  for (int64_t b = 0; b < Bx; b++) {
    for (int64_t h = 0; h < H; h++) {
      const float* base = qkv + b * S * 3 * D + h * Dh;
      forwardPair(base, base + D, base + 2 * D, out + b * S * D + h * Dh, probs + (b * H + h) * S * S, g, scale);
    }
  }
}

void shortAttentionBackward(const float* dout, const float* qkv, const float* probs, float* dqkv, int64_t Bx, int64_t S, int64_t H,
                            int64_t Dh, float scale) {
  const int64_t D = H * Dh;
  const Pair g{S, Dh, 3 * D, D};
  for (int64_t b = 0; b < Bx; b++) {
    for (int64_t h = 0; h < H; h++) {
      const int64_t at = b * S * 3 * D + h * Dh;
      backwardPair(dout + b * S * D + h * Dh, qkv + at, qkv + at + D, qkv + at + 2 * D, probs + (b * H + h) * S * S, dqkv + at,
                   dqkv + at + D, dqkv + at + 2 * D, g, scale);
    }
  }
}

}  // namespace cover_torch
