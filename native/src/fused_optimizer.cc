// The optimizer step over every parameter in one call (AdamW, SGD with Nesterov momentum) and the global gradient norm,
// in place of tfjs's ~10 kernels per parameter per step. All parameters form one flat index space (FlatIndex) split over
// the pool, so a step over ~100 tensors of very different sizes still splits evenly.
//
// The update math is cxx/optimizer_update.h's, shared with the torch addon: src/train/optimizer.ts's unfused path
// operation by operation in float32, so the two agree to rounding; only sumSquares accumulates in double.
#include <cmath>
#include <string>
#include <vector>

#include "fused_util.h"
#include "napi_args.h"
#include "optimizer_update.h"

namespace cover {
namespace {

void requireSameLengths(const Napi::CallbackInfo& info, const char* fn, const std::vector<size_t>& want,
                        const std::vector<size_t>& got, const char* what) {
  if (got.size() != want.size()) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": " + what + " has " + std::to_string(got.size()) +
                                                " arrays, params has " + std::to_string(want.size()));
  }
  for (size_t k = 0; k < want.size(); k++) {
    if (got[k] != want[k]) {
      throw Napi::RangeError::New(info.Env(), std::string(fn) + ": " + what + "[" + std::to_string(k) + "] has " +
                                                  std::to_string(got[k]) + " elements, params[" + std::to_string(k) +
                                                  "] has " + std::to_string(want[k]));
    }
  }
}

// sumSquares(arrays) -> number
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  std::vector<size_t> lengths;
  const std::vector<float*> arrays = f32ListArg(info, 0, "sumSquares", lengths);
  const FlatIndex flat(lengths);
  const int chunks = chunkCount(flat.total(), kElementGrain);
  std::vector<double> partial(static_cast<size_t>(std::max(chunks, 1)), 0.0);
  parallelChunks(flat.total(), chunks, [&](int c, int64_t begin, int64_t end) {
    double s = 0;
    flat.forRange(begin, end, [&](size_t k, int64_t i0, int64_t i1) {
      const float* a = arrays[k];
      for (int64_t i = i0; i < i1; i++) s += static_cast<double>(a[i]) * a[i];
    });
    partial[c] = s;
  });
  double total = 0;
  for (double s : partial) total += s;
  return Napi::Number::New(info.Env(), total);
}

// adamw(params, grads, m, v, weightDecay, lr, beta1, beta2, eps, step, gradScale)
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  const char* fn = "adamw";
  std::vector<size_t> lengths, gl, ml, vl;
  const std::vector<float*> params = f32ListArg(info, 0, fn, lengths);
  const std::vector<float*> grads = f32ListArg(info, 1, fn, gl);
  const std::vector<float*> ms = f32ListArg(info, 2, fn, ml);
  const std::vector<float*> vs = f32ListArg(info, 3, fn, vl);
  const std::vector<double> wds = numsArg(info, 4, fn);
  requireSameLengths(info, fn, lengths, gl, "grads");
  requireSameLengths(info, fn, lengths, ml, "m");
  requireSameLengths(info, fn, lengths, vl, "v");
  if (wds.size() != lengths.size()) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": weightDecay has " + std::to_string(wds.size()) +
                                                " entries, params has " + std::to_string(lengths.size()));
  }
  const double lr = numArg(info, 5, fn), beta1 = numArg(info, 6, fn), beta2 = numArg(info, 7, fn), eps = numArg(info, 8, fn);
  const double step = numArg(info, 9, fn), gradScale = numArg(info, 10, fn);
  if (!(step >= 1)) throw Napi::RangeError::New(info.Env(), std::string(fn) + ": step must be >= 1 (the 1-based update count)");
  const cover_optim::AdamWConstants c = cover_optim::adamwConstants(lr, beta1, beta2, eps, step, gradScale);
  const FlatIndex flat(lengths);
  parallelFor(flat.total(), kElementGrain, [&](int64_t begin, int64_t end) {
    flat.forRange(begin, end, [&](size_t k, int64_t i0, int64_t i1) {
      cover_optim::adamwRange(params[k], grads[k], ms[k], vs[k], static_cast<float>(wds[k]), c, i0, i1);
    });
  });
  return info.Env().Undefined();
}

// sgd(params, grads, bufs, weightDecay, lr, momentum, nesterov, gradScale)
Napi::Value Sgd(const Napi::CallbackInfo& info) {
  const char* fn = "sgd";
  std::vector<size_t> lengths, gl, bl;
  const std::vector<float*> params = f32ListArg(info, 0, fn, lengths);
  const std::vector<float*> grads = f32ListArg(info, 1, fn, gl);
  const std::vector<float*> bufs = f32ListArg(info, 2, fn, bl);
  const std::vector<double> wds = numsArg(info, 3, fn);
  const double lr = numArg(info, 4, fn), momentum = numArg(info, 5, fn);
  const bool nesterov = boolArg(info, 6, fn);
  const double gradScale = numArg(info, 7, fn);
  requireSameLengths(info, fn, lengths, gl, "grads");
  if (momentum > 0) requireSameLengths(info, fn, lengths, bl, "bufs");
  if (wds.size() != lengths.size()) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": weightDecay has " + std::to_string(wds.size()) +
                                                " entries, params has " + std::to_string(lengths.size()));
  }
  const cover_optim::SgdConstants c = cover_optim::sgdConstants(lr, momentum, nesterov, gradScale);
  const FlatIndex flat(lengths);
  parallelFor(flat.total(), kElementGrain, [&](int64_t begin, int64_t end) {
    flat.forRange(begin, end, [&](size_t k, int64_t i0, int64_t i1) {
      cover_optim::sgdRange(params[k], grads[k], c.useMomentum ? bufs[k] : nullptr, static_cast<float>(wds[k]), c, i0, i1);
    });
  });
  return info.Env().Undefined();
}

}  // namespace

void registerFusedOptimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
  exports.Set("adamw", Napi::Function::New(env, AdamW));
  exports.Set("sgd", Napi::Function::New(env, Sgd));
}

}  // namespace cover
