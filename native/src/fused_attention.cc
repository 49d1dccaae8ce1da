// Fused multi-head attention core (vit.py Attention.forward between qkv and proj): for every sequence b and head h,
// P = softmax(q k^T * scale), o = P v, written with the heads merged. It reads q, k and v straight from the qkv
// projection's output [Bx, S, 3, H, Dh] (row stride 3*H*Dh) and writes out [Bx, S, H*Dh] with row stride H*Dh, so the
// split / transpose / merge copies of the unfused path never happen. (b, h) pairs are split over the pool; each pair
// runs single-threaded sgemm calls (the BLAS is pinned to 1 thread).
//
// Backward, per (b, h), with dO the pair's slice of dout:
//   dV = P^T dO;  dP = dO V^T;  dS = P o (dP - rowsum(dP o P));  dQ = scale dS K;  dK = scale dS^T Q.
// Every element of dqkv belongs to exactly one (b, h), so dqkv is overwritten without a zero fill.
#include <cmath>
#include <vector>

#include "blas.h"
#include "fused_util.h"
#include "napi_args.h"

namespace cover {
namespace {

/** The call's dims and the sizes its arrays must hold, every product checked (napi_args.h) before it is used. */
struct Geometry {
  int64_t Bx, S, H, Dh;
  int64_t D;          // H * Dh
  int64_t pairs;      // Bx * H
  int64_t qkvSize;    // Bx * S * 3 * D
  int64_t outSize;    // Bx * S * D
  int64_t probsSize;  // Bx * H * S * S
  /** qkv's row stride 3 * D, as the BLAS's int leading dimension. */
  int ld() const { return static_cast<int>(3 * D); }
  // Pairs per chunk: enough that a chunk does ~64K multiply-adds (tiny sequences are not worth a thread wake-up).
  int64_t grain() const {
    const int64_t ss = S * S;  // <= probsSize <= 2^46 whenever a pair runs
    return ss >= 65536 ? 1 : std::max<int64_t>(1, 65536 / std::max<int64_t>(1, ss * Dh));
  }
};

Geometry geometryArgs(const Napi::CallbackInfo& info, size_t first, const char* fn) {
  Geometry g{};
  g.Bx = dimArg(info, first, fn);
  g.S = dimArg(info, first + 1, fn);
  g.H = dimArg(info, first + 2, fn);
  g.Dh = dimArg(info, first + 3, fn);
  g.D = mulSize(info, g.H, g.Dh, fn);
  g.pairs = mulSize(info, g.Bx, g.H, fn);
  g.outSize = mulSize(info, mulSize(info, g.Bx, g.S, fn), g.D, fn);
  g.qkvSize = mulSize(info, g.outSize, 3, fn);
  g.probsSize = mulSize(info, mulSize(info, g.pairs, g.S, fn), g.S, fn);
  if (3 * g.D > 2147483647) {
    throwRange(info, fn, "H * Dh = " + std::to_string(g.D) + " makes qkv's row stride 3 * H * Dh past 2^31 - 1");
  }
  return g;
}

// Row-wise softmax of p [S, S] in place (max-subtracted, double sum).
void softmaxRows(float* p, int64_t S) {
  for (int64_t i = 0; i < S; i++) {
    float* row = p + i * S;
    float mx = row[0];
    for (int64_t j = 1; j < S; j++) mx = std::max(mx, row[j]);
    double sum = 0;
    for (int64_t j = 0; j < S; j++) {
      row[j] = std::exp(row[j] - mx);
      sum += row[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < S; j++) row[j] *= inv;
  }
}

// attentionForward(qkv, out, probs, Bx, S, H, Dh, scale)
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  const char* fn = "attentionForward";
  const Geometry g = geometryArgs(info, 3, fn);
  const float scale = static_cast<float>(numArg(info, 7, fn));
  const int64_t D = g.D, S = g.S, Dh = g.Dh, H = g.H;
  const float* qkv = f32Arg(info, 0, g.qkvSize, fn);
  float* out = f32Arg(info, 1, g.outSize, fn);
  float* probs = f32Arg(info, 2, g.probsSize, fn);
  if (S == 0 || Dh == 0) return info.Env().Undefined();
  const int ld = g.ld();
  parallelFor(g.pairs, g.grain(), [&](int64_t p0, int64_t p1) {
    for (int64_t pair = p0; pair < p1; pair++) {
      const int64_t b = pair / H, h = pair % H;
      const float* q = qkv + b * S * 3 * D + h * Dh;  // [S, Dh], row stride 3D
      const float* k = q + D;
      const float* v = q + 2 * D;
      float* P = probs + pair * S * S;  // [S, S]
      sgemm(false, true, S, S, Dh, scale, q, ld, k, ld, 0.f, P, S);  // scores = scale q k^T
      softmaxRows(P, S);
      sgemm(false, false, S, Dh, S, 1.f, P, S, v, ld, 0.f, out + b * S * D + h * Dh, D);  // o = P v, heads merged
    }
  });
  return info.Env().Undefined();
}

// attentionBackward(dout, qkv, probs, dqkv, Bx, S, H, Dh, scale)
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  const char* fn = "attentionBackward";
  const Geometry g = geometryArgs(info, 4, fn);
  const float scale = static_cast<float>(numArg(info, 8, fn));
  const int64_t D = g.D, S = g.S, Dh = g.Dh, H = g.H;
  const float* dout = f32Arg(info, 0, g.outSize, fn);
  const float* qkv = f32Arg(info, 1, g.qkvSize, fn);
  const float* probs = f32Arg(info, 2, g.probsSize, fn);
  float* dqkv = f32Arg(info, 3, g.qkvSize, fn);
  if (S == 0 || Dh == 0) return info.Env().Undefined();
  const int ld = g.ld();
  parallelFor(g.pairs, g.grain(), [&](int64_t p0, int64_t p1) {
    std::vector<float> dS(static_cast<size_t>(S * S));  // this chunk's scratch [S, S]
    for (int64_t pair = p0; pair < p1; pair++) {
      const int64_t b = pair / H, h = pair % H;
      const int64_t base = b * S * 3 * D + h * Dh;
      const float* q = qkv + base;
      const float* k = q + D;
      const float* v = q + 2 * D;
      float* dq = dqkv + base;
      float* dk = dq + D;
      float* dv = dq + 2 * D;
      const float* P = probs + pair * S * S;
      const float* dO = dout + b * S * D + h * Dh;  // [S, Dh], row stride D
      sgemm(true, false, S, Dh, S, 1.f, P, S, dO, D, 0.f, dv, ld);  // dV = P^T dO
      sgemm(false, true, S, S, Dh, 1.f, dO, D, v, ld, 0.f, dS.data(), S);  // dP = dO V^T
      for (int64_t i = 0; i < S; i++) {  // dS = P o (dP - rowsum(dP o P))
        const float* pr = P + i * S;
        float* dr = dS.data() + i * S;
        double dot = 0;
        for (int64_t j = 0; j < S; j++) dot += static_cast<double>(dr[j]) * pr[j];
        const float d = static_cast<float>(dot);
        for (int64_t j = 0; j < S; j++) dr[j] = pr[j] * (dr[j] - d);
      }
      sgemm(false, false, S, Dh, S, scale, dS.data(), S, k, ld, 0.f, dq, ld);  // dQ = scale dS K
      sgemm(true, false, S, Dh, S, scale, dS.data(), S, q, ld, 0.f, dk, ld);  // dK = scale dS^T Q
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void registerFusedAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionForward", Napi::Function::New(env, AttentionForward));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward));
}

}  // namespace cover
