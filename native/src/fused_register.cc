// The fused kernels' exports (index.d.ts, "fused kernels"): LayerNorm, GELU, the attention core and the optimizer step,
// each one native call where tfjs would run tens of kernels.
#include "register.h"

namespace cover {

void registerFusedLayerNorm(Napi::Env env, Napi::Object exports);
void registerFusedGelu(Napi::Env env, Napi::Object exports);
void registerFusedAttention(Napi::Env env, Napi::Object exports);
void registerFusedOptimizer(Napi::Env env, Napi::Object exports);

void registerFused(Napi::Env env, Napi::Object exports) {
  registerFusedLayerNorm(env, exports);
  registerFusedGelu(env, exports);
  registerFusedAttention(env, exports);
  registerFusedOptimizer(env, exports);
}

}  // namespace cover
