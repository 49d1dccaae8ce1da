// Entry point: info/threads, then the core kernels (core_*.cc) and the fused ones (fused_*.cc) register their exports.
#include <napi.h>

#include "blas.h"
#include "napi_args.h"
#include "pool.h"
#include "register.h"

namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("blas", cover::blasName());
  o.Set("blasPath", cover::blasPath());
  o.Set("threads", cover::poolThreads());
#if defined(__AVX2__)
  o.Set("simd", "avx2");
#elif defined(__SSE2__)
  o.Set("simd", "sse2");
#else
  o.Set("simd", "none");
#endif
  o.Set("version", COVER_NATIVE_VERSION);
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  cover::setPoolThreads(static_cast<int>(cover::intArg(info, 0, "setThreads")));
  return Napi::Number::New(info.Env(), cover::poolThreads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  cover::initBlas();
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  cover::registerCore(env, exports);
  cover::registerFused(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(cover_native, Init)
