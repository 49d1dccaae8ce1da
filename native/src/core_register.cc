// The core kernels' exports: gemm, binary, unary, reduce, transpose, softmax, copy and the op-name tables (native/index.d.ts).
#include "core.h"
#include "register.h"

namespace cover {
namespace {

Napi::Array names(Napi::Env env, const std::vector<const char*>& list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  for (uint32_t i = 0; i < list.size(); i++) a.Set(i, Napi::String::New(env, list[i]));
  return a;
}

}  // namespace

void registerCore(Napi::Env env, Napi::Object exports) {
  exports.Set("binaryOps", names(env, binaryOpNames()));
  exports.Set("unaryOps", names(env, unaryOpNames()));
  exports.Set("reduceOps", names(env, reduceOpNames()));
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("transpose", Napi::Function::New(env, Transpose, "transpose"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
}

}  // namespace cover
