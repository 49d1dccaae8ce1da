// Fused exact GELU (PyTorch nn.GELU default), forward and backward, one pass each in place of tfjs's
// mul/erf/add/mul/mul chain (and square/mul/exp/mul/mul/add/mul backward):
//   y = x Phi(x);  dx = dy (Phi(x) + x phi(x)),  Phi the standard normal CDF, phi its density.
// Phi and phi come from fused_math.h (vectorizable; accuracy there). On x86-64 the loops are also compiled for AVX2 and
// the CPU picks the version at load time (target_clones): the default build flags stay portable, and both versions
// give the same bits (no FMA contraction either way). Elements are split over the pool in chunks of kElementGrain.
#include "fused_math.h"
#include "fused_util.h"
#include "napi_args.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define COVER_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define COVER_SIMD_CLONES
#endif

namespace cover {
namespace {

COVER_SIMD_CLONES void geluRange(const float* x, float* out, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) out[i] = x[i] * normalCdf(x[i]);
}

COVER_SIMD_CLONES void geluGradRange(const float* x, const float* dy, float* dx, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) dx[i] = dy[i] * (normalCdf(x[i]) + x[i] * normalPdf(x[i]));
}

// geluForward(x, out, n)
Napi::Value GeluForward(const Napi::CallbackInfo& info) {
  const char* fn = "geluForward";
  const int64_t n = dimArg(info, 2, fn);
  const float* x = f32Arg(info, 0, n, fn);
  float* out = f32Arg(info, 1, n, fn);
  parallelFor(n, kElementGrain, [&](int64_t i0, int64_t i1) { geluRange(x, out, i0, i1); });
  return info.Env().Undefined();
}

// geluBackward(x, dy, dx, n)
Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
  const char* fn = "geluBackward";
  const int64_t n = dimArg(info, 3, fn);
  const float* x = f32Arg(info, 0, n, fn);
  const float* dy = f32Arg(info, 1, n, fn);
  float* dx = f32Arg(info, 2, n, fn);
  parallelFor(n, kElementGrain, [&](int64_t i0, int64_t i1) { geluGradRange(x, dy, dx, i0, i1); });
  return info.Env().Undefined();
}

}  // namespace

void registerFusedGelu(Napi::Env env, Napi::Object exports) {
  exports.Set("geluForward", Napi::Function::New(env, GeluForward));
  exports.Set("geluBackward", Napi::Function::New(env, GeluBackward));
}

}  // namespace cover
