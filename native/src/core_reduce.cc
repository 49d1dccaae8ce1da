// Reductions over the middle axis of x viewed as [outer, size, inner] (tfjs's Sum, Mean, Max, Min, Prod once its axes
// are contiguous): out [outer, inner]. inner == 1 reduces contiguous rows with 8 independent accumulators (the compiler
// keeps them in vector registers); inner > 1 adds whole rows into a row of accumulators, which vectorizes across
// columns. Sum, mean and prod accumulate in double. An empty reduction gives sum 0, prod 1, mean NaN, max -inf,
// min +inf.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core.h"
#include "napi_args.h"
#include "pool.h"

namespace cover {
namespace {

enum ReduceOp { kSum, kMean, kMax, kMin, kProd, kReduceCount };

// Accumulator type and the combine step of each reduction. Max/min propagate NaN (as TensorFlow and tfjs's cpu
// backend do).
struct SumR {
  using Acc = double;
  static Acc init() { return 0.0; }
  static Acc step(Acc a, float x) { return a + x; }
  static Acc join(Acc a, Acc b) { return a + b; }
};
struct ProdR {
  using Acc = double;
  static Acc init() { return 1.0; }
  static Acc step(Acc a, float x) { return a * x; }
  static Acc join(Acc a, Acc b) { return a * b; }
};
struct MaxR {
  using Acc = float;
  static Acc init() { return -std::numeric_limits<float>::infinity(); }
  static Acc step(Acc a, float x) { return (x > a || x != x) ? x : a; }
  static Acc join(Acc a, Acc b) { return (b > a || b != b) ? b : a; }
};
struct MinR {
  using Acc = float;
  static Acc init() { return std::numeric_limits<float>::infinity(); }
  static Acc step(Acc a, float x) { return (x < a || x != x) ? x : a; }
  static Acc join(Acc a, Acc b) { return (b < a || b != b) ? b : a; }
};

/** Reduces x[0..n) (contiguous). */
template <class R>
typename R::Acc reduceRow(const float* __restrict x, int64_t n) {
  using A = typename R::Acc;
  A acc[8];
  for (int k = 0; k < 8; k++) acc[k] = R::init();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; k++) acc[k] = R::step(acc[k], x[i + k]);
  }
  for (; i < n; i++) acc[0] = R::step(acc[0], x[i]);
  return R::join(R::join(R::join(acc[0], acc[1]), R::join(acc[2], acc[3])),
                 R::join(R::join(acc[4], acc[5]), R::join(acc[6], acc[7])));
}

// Max/min over a contiguous row: eight lanes of a NaN-blind max (vectorizes to maxps) plus eight lanes summing v * 0,
// which stays 0 unless a NaN or an infinity went by; only then a second pass looks for a NaN. The generic form above
// (one select that also tests for NaN) keeps the compiler from vectorizing.
template <bool IsMax>
float extremeRow(const float* __restrict x, int64_t n) {
  constexpr float kStart = IsMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  float acc[8] = {kStart, kStart, kStart, kStart, kStart, kStart, kStart, kStart};
  float probe[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; k++) {
      const float v = x[i + k];
      acc[k] = (IsMax ? v > acc[k] : v < acc[k]) ? v : acc[k];
      probe[k] += v * 0.f;
    }
  }
  for (; i < n; i++) {
    acc[0] = (IsMax ? x[i] > acc[0] : x[i] < acc[0]) ? x[i] : acc[0];
    probe[0] += x[i] * 0.f;
  }
  float r = acc[0], p = probe[0];
  for (int k = 1; k < 8; k++) {
    r = (IsMax ? acc[k] > r : acc[k] < r) ? acc[k] : r;
    p += probe[k];
  }
  if (p != p) {
    for (int64_t j = 0; j < n; j++) {
      if (x[j] != x[j]) return x[j];
    }
  }
  return r;
}
template <>
float reduceRow<MaxR>(const float* __restrict x, int64_t n) { return extremeRow<true>(x, n); }
template <>
float reduceRow<MinR>(const float* __restrict x, int64_t n) { return extremeRow<false>(x, n); }

template <class R>
float finish(typename R::Acc a, double scale) {
  return static_cast<float>(a * scale);
}
template <>
float finish<MaxR>(float a, double) { return a; }
template <>
float finish<MinR>(float a, double) { return a; }

/** inner == 1: out[o] = R(x[o, :]). `scale` multiplies the result (1/size for mean, else 1). */
template <class R>
void reduceRows(const float* x, float* out, int64_t outer, int64_t size, double scale) {
  if (outer == 1 && size >= 2 * kReduceGrain) {
    // One long row: fixed slices (their count depends on the size only, so the result does not depend on the thread
    // count) reduced in parallel, then combined in slice order.
    const int parts = static_cast<int>(std::min<int64_t>(16, size / kReduceGrain));
    std::vector<typename R::Acc> partial(parts, R::init());
    const int64_t slice = (size + parts - 1) / parts;
    parallelFor(parts, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; p++) {
        const int64_t b = p * slice, e = std::min(size, b + slice);
        if (b < e) partial[p] = reduceRow<R>(x + b, e - b);
      }
    });
    typename R::Acc acc = partial[0];
    for (int p = 1; p < parts; p++) acc = R::join(acc, partial[p]);
    out[0] = finish<R>(acc, scale);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kReduceGrain / std::max<int64_t>(1, size));
  parallelFor(outer, grain, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; o++) out[o] = finish<R>(reduceRow<R>(x + o * size, size), scale);
  });
}

/** inner > 1: out[o, j] = R over s of x[o, s, j], for columns [j0, j1) of every o in [o0, o1). */
template <class R>
void reduceColumns(const float* x, float* out, int64_t size, int64_t inner, int64_t o0, int64_t o1, int64_t j0,
                   int64_t j1, double scale) {
  using A = typename R::Acc;
  constexpr int64_t kBlock = 512;  // accumulators for 512 columns live on the stack (4 KB in double)
  A acc[kBlock];
  for (int64_t o = o0; o < o1; o++) {
    for (int64_t jb = j0; jb < j1; jb += kBlock) {
      const int64_t w = std::min(kBlock, j1 - jb);
      for (int64_t j = 0; j < w; j++) acc[j] = R::init();
      const float* base = x + o * size * inner + jb;
      for (int64_t s = 0; s < size; s++) {
        const float* __restrict row = base + s * inner;
        for (int64_t j = 0; j < w; j++) acc[j] = R::step(acc[j], row[j]);
      }
      float* __restrict dst = out + o * inner + jb;
      for (int64_t j = 0; j < w; j++) dst[j] = finish<R>(acc[j], scale);
    }
  }
}

template <class R>
void reduce(const float* x, float* out, int64_t outer, int64_t size, int64_t inner, double scale) {
  if (inner == 1) {
    reduceRows<R>(x, out, outer, size, scale);
    return;
  }
  const int64_t work = outer * size * inner;
  const int threads = poolThreads();
  if (work < kReduceGrain || threads == 1) {
    reduceColumns<R>(x, out, size, inner, 0, outer, 0, inner, scale);
  } else if (outer >= threads) {
    const int64_t grain = std::max<int64_t>(1, kReduceGrain / std::max<int64_t>(1, size * inner));
    parallelFor(outer, grain, [&](int64_t o0, int64_t o1) { reduceColumns<R>(x, out, size, inner, o0, o1, 0, inner, scale); });
  } else {
    // Few outer rows: split the columns instead, in blocks of 16 so that each thread's stores stay vector-aligned.
    const int64_t blocks = (inner + 15) / 16;
    const int64_t grain = std::max<int64_t>(1, kReduceGrain / std::max<int64_t>(1, outer * size * 16));
    parallelFor(blocks, grain, [&](int64_t b0, int64_t b1) {
      reduceColumns<R>(x, out, size, inner, 0, outer, b0 * 16, std::min(inner, b1 * 16), scale);
    });
  }
}

}  // namespace

const std::vector<const char*>& reduceOpNames() {
  static const std::vector<const char*> names = {"sum", "mean", "max", "min", "prod"};
  return names;
}

// reduce(op, x, out, outer, size, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const char* fn = "reduce";
  const int op = opArg(info, 0, kReduceCount, fn);
  const int64_t outer = dimArg(info, 3, fn), size = dimArg(info, 4, fn), inner = dimArg(info, 5, fn);
  const int64_t nOut = mulSize(info, outer, inner, fn);
  const float* x = f32Arg(info, 1, mulSize(info, nOut, size, fn), fn);
  float* out = f32Arg(info, 2, nOut, fn);
  if (nOut == 0) return info.Env().Undefined();
  switch (op) {
    case kSum: reduce<SumR>(x, out, outer, size, inner, 1.0); break;
    case kMean: reduce<SumR>(x, out, outer, size, inner, size == 0 ? std::nan("") : 1.0 / static_cast<double>(size)); break;
    case kMax: reduce<MaxR>(x, out, outer, size, inner, 1.0); break;
    case kMin: reduce<MinR>(x, out, outer, size, inner, 1.0); break;
    case kProd: reduce<ProdR>(x, out, outer, size, inner, 1.0); break;
  }
  return info.Env().Undefined();
}

}  // namespace cover
