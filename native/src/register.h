// Each kernel family adds its functions to the addon's exports.
#pragma once
#include <napi.h>

namespace cover {
/** gemm, binary, unary, reduce, transpose, softmax, ... (core_*.cc). */
void registerCore(Napi::Env env, Napi::Object exports);
/** layerNorm*, gelu*, attention*, adamw, sgd, sumSquares (fused_*.cc). */
void registerFused(Napi::Env env, Napi::Object exports);
}  // namespace cover
