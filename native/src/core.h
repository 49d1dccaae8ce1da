// Shared by the core kernels (core_*.cc): their N-API entry points, the argument checks they add to napi_args.h
// (dimensions, booleans, checked sizes), and the work sizes below which a kernel stays on the calling thread.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "napi_args.h"

namespace cover {

// Hot loops get an AVX2 clone beside the portable SSE2 one, picked once at load time (GCC ifunc; x86-64 only). The
// build itself stays portable (no -march). Measured here: fastExp 1.7 -> 0.64 ns/element, fastTanh 2.9 -> 1.0. No FMA
// in the clone, so both clones round identically.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define COVER_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define COVER_CLONES
#endif

/** Highest rank binary() and transpose() take (tfjs tensors in cover never exceed it). */
constexpr int kMaxRank = 6;

// Grains, in elements: below these a kernel runs on the calling thread. Waking the pool costs ~1–3 µs while its workers
// spin and ~50 µs once they sleep; an elementwise pass streams ~2–4 GB/s per core here, so a split pays from ~32K floats.
constexpr int64_t kElementwiseGrain = 32 * 1024;
constexpr int64_t kReduceGrain = 32 * 1024;
constexpr int64_t kTransposeGrain = 32 * 1024;
/** Multiply-adds below which a gemm stays on one thread. */
constexpr int64_t kGemmGrain = 96 * 1024;

Napi::Value Gemm(const Napi::CallbackInfo& info);
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value Unary(const Napi::CallbackInfo& info);
Napi::Value Reduce(const Napi::CallbackInfo& info);
Napi::Value Transpose(const Napi::CallbackInfo& info);
Napi::Value Softmax(const Napi::CallbackInfo& info);
Napi::Value Copy(const Napi::CallbackInfo& info);

/** Op names, in code order (exported as binaryOps / unaryOps / reduceOps). */
const std::vector<const char*>& binaryOpNames();
const std::vector<const char*>& unaryOpNames();
const std::vector<const char*>& reduceOpNames();

/** A dimension or count: an integer in [0, 2^31); RangeError otherwise. */
inline int64_t dimArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const double v = numArg(info, i, fn);
  if (!(v >= 0 && v < 2147483648.0) || v != static_cast<double>(static_cast<int64_t>(v))) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) +
                                                " must be an integer in [0, 2^31), got " + std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

inline bool boolArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must be a boolean");
  }
  return info[i].As<Napi::Boolean>().Value();
}

/** An op code in [0, count); RangeError otherwise. */
inline int opArg(const Napi::CallbackInfo& info, size_t i, size_t count, const char* fn) {
  const int64_t op = dimArg(info, i, fn);
  if (op >= static_cast<int64_t>(count)) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": unknown op " + std::to_string(op) + " (there are " +
                                                std::to_string(count) + ")");
  }
  return static_cast<int>(op);
}

/** a * b for element counts, with a RangeError past 2^46 elements (far beyond any heap) instead of an overflow. */
inline int64_t mulSize(const Napi::CallbackInfo& info, int64_t a, int64_t b, const char* fn) {
  constexpr int64_t kLimit = int64_t{1} << 46;
  if (a != 0 && b > kLimit / a) throw Napi::RangeError::New(info.Env(), std::string(fn) + ": sizes are too large");
  return a * b;
}

/** A shape/strides/perm array with its length and entries checked: `len` entries (any length when len < 0), each >= 0. */
inline std::vector<int64_t> dimsArg(const Napi::CallbackInfo& info, size_t i, int64_t len, const char* fn) {
  std::vector<int64_t> v = intsArg(info, i, fn);
  if (len >= 0 && static_cast<int64_t>(v.size()) != len) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must have " +
                                                std::to_string(len) + " entries, has " + std::to_string(v.size()));
  }
  for (int64_t d : v) {
    if (d < 0 || d >= 2147483648LL) {
      throw Napi::RangeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) +
                                                  " has an entry out of range: " + std::to_string(d));
    }
  }
  return v;
}

}  // namespace cover
