// Shared by the core kernels (core_*.cc): their N-API entry points and the work sizes below which a kernel stays on the
// calling thread. Arguments are read and sizes checked through napi_args.h, the addon's one argument header.
#pragma once
#include <napi.h>

#include <cstdint>
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

}  // namespace cover
