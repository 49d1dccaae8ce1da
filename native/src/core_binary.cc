// Elementwise binary ops with broadcasting (tfjs's Add, Sub, Multiply, RealDiv, Pow, SquaredDifference, Maximum,
// Minimum). The shape is first coalesced (size-1 dims dropped, neighbours merged where both inputs stay contiguous), so
// same-shape, scalar, row-broadcast ([R, C] op [C]) and column-broadcast ([R, C] op [R, 1]) operands all reduce to
// runs of one inner loop with input strides (1, 1), (1, 0) or (0, 1): one op switch per run, tight loops the compiler
// vectorizes. Pow by a scalar 2, 3, 0.5, -0.5, 1 or -1 becomes a multiply / sqrt instead of powf.
#include <cmath>
#include <cstring>
#include <limits>

#include "core.h"
#include "napi_args.h"
#include "pool.h"

namespace cover {
namespace {

enum BinaryOp { kAdd, kSub, kMul, kDiv, kPow, kSqDiff, kMax, kMin, kBinaryCount };

// Functors: inlined into each loop, so the op is chosen once per run, never per element.
struct Add { static float f(float a, float b) { return a + b; } };
struct Sub { static float f(float a, float b) { return a - b; } };
struct Mul { static float f(float a, float b) { return a * b; } };
struct Div { static float f(float a, float b) { return a / b; } };
struct Pow { static float f(float a, float b) { return std::pow(a, b); } };
struct SqDiff { static float f(float a, float b) { const float d = a - b; return d * d; } };
// NaN in either operand gives NaN (TensorFlow's Maximum/Minimum and tfjs's cpu backend do the same).
struct Max { static float f(float a, float b) { return (a > b || a != a) ? a : b; } };
struct Min { static float f(float a, float b) { return (a < b || a != a) ? a : b; } };
// a ** b for a scalar b the caller has checked.
struct PowSquare { static float f(float a, float) { return a * a; } };
struct PowCube { static float f(float a, float) { return a * a * a; } };
// powf's edge cases kept: pow(-0, 0.5) = +0, pow(-inf, 0.5) = inf, pow(±0, -0.5) = inf, pow(-inf, -0.5) = 0.
constexpr float kInf = std::numeric_limits<float>::infinity();
struct PowSqrt { static float f(float a, float) { return a == -kInf ? kInf : std::sqrt(a) + 0.f; } };
struct PowRsqrt { static float f(float a, float) { return a == 0.f ? kInf : (a == -kInf ? 0.f : 1.f / std::sqrt(a)); } };
struct PowOne { static float f(float a, float) { return a; } };
struct PowRecip { static float f(float a, float) { return 1.f / a; } };

/** A coalesced problem: out has `shape` (rank <= kMaxRank, row-major), a and b read with their strides. */
struct Layout {
  int rank = 0;
  int64_t shape[kMaxRank];
  int64_t sa[kMaxRank];
  int64_t sb[kMaxRank];
  int64_t total = 1;
};

Layout coalesce(const std::vector<int64_t>& shape, const std::vector<int64_t>& sa, const std::vector<int64_t>& sb) {
  Layout l;
  for (size_t i = 0; i < shape.size(); i++) {
    l.total *= shape[i];
    if (shape[i] == 1) continue;
    if (l.rank > 0) {
      const int p = l.rank - 1;
      // Dim p followed by dim i reads both inputs as one longer run when each stride of p is stride(i) * shape[i].
      if (l.sa[p] == sa[i] * shape[i] && l.sb[p] == sb[i] * shape[i]) {
        l.shape[p] *= shape[i];
        l.sa[p] = sa[i];
        l.sb[p] = sb[i];
        continue;
      }
    }
    l.shape[l.rank] = shape[i];
    l.sa[l.rank] = sa[i];
    l.sb[l.rank] = sb[i];
    l.rank++;
  }
  if (l.rank == 0) {  // a scalar: one run of length 1
    l.rank = 1;
    l.shape[0] = 1;
    l.sa[0] = 1;
    l.sb[0] = 1;
  }
  return l;
}

template <class F>
COVER_CLONES void runInner(const float* __restrict a, int64_t sa, const float* __restrict b, int64_t sb, float* __restrict o, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) o[i] = F::f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float s = b[0];
    for (int64_t i = 0; i < n; i++) o[i] = F::f(a[i], s);
  } else if (sa == 0 && sb == 1) {
    const float s = a[0];
    for (int64_t i = 0; i < n; i++) o[i] = F::f(s, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) o[i] = F::f(a[i * sa], b[i * sb]);
  }
}

/** Output elements [begin, end) of the flat index space: walks the outer dims with an odometer, one inner run each. */
template <class F>
void runRange(const Layout& l, const float* a, const float* b, float* out, int64_t begin, int64_t end) {
  const int r = l.rank;
  const int64_t inner = l.shape[r - 1];
  int64_t idx[kMaxRank];
  int64_t rest = begin / inner;
  int64_t offA = 0, offB = 0;
  for (int d = r - 2; d >= 0; d--) {
    idx[d] = rest % l.shape[d];
    rest /= l.shape[d];
    offA += idx[d] * l.sa[d];
    offB += idx[d] * l.sb[d];
  }
  int64_t j = begin % inner;
  int64_t pos = begin;
  while (pos < end) {
    const int64_t n = std::min(inner - j, end - pos);
    runInner<F>(a + offA + j * l.sa[r - 1], l.sa[r - 1], b + offB + j * l.sb[r - 1], l.sb[r - 1], out + pos, n);
    pos += n;
    j = 0;
    for (int d = r - 2; d >= 0; d--) {  // next outer index
      offA += l.sa[d];
      offB += l.sb[d];
      if (++idx[d] < l.shape[d]) break;
      offA -= l.sa[d] * l.shape[d];
      offB -= l.sb[d] * l.shape[d];
      idx[d] = 0;
    }
  }
}

template <class F>
void run(const Layout& l, const float* a, const float* b, float* out, int64_t grain) {
  parallelFor(l.total, grain, [&](int64_t begin, int64_t end) { runRange<F>(l, a, b, out, begin, end); });
}

/** Pow with a scalar exponent that has a cheaper exact form; false when it has none. */
bool runPowSpecial(const Layout& l, const float* a, const float* b, float* out) {
  for (int d = 0; d < l.rank; d++) {
    if (l.sb[d] != 0 && l.shape[d] != 1) return false;
  }
  const float e = b[0];
  if (e == 2.f) run<PowSquare>(l, a, b, out, kElementwiseGrain);
  else if (e == 3.f) run<PowCube>(l, a, b, out, kElementwiseGrain);
  else if (e == 0.5f) run<PowSqrt>(l, a, b, out, kElementwiseGrain);
  else if (e == -0.5f) run<PowRsqrt>(l, a, b, out, kElementwiseGrain);
  else if (e == 1.f) run<PowOne>(l, a, b, out, kElementwiseGrain);
  else if (e == -1.f) run<PowRecip>(l, a, b, out, kElementwiseGrain);
  else return false;
  return true;
}

}  // namespace

const std::vector<const char*>& binaryOpNames() {
  static const std::vector<const char*> names = {"add", "sub", "mul", "div", "pow", "sqdiff", "max", "min"};
  return names;
}

// binary(op, a, b, out, outShape, aStrides, bStrides)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const char* fn = "binary";
  const int op = opArg(info, 0, kBinaryCount, fn);
  const std::vector<int64_t> shape = dimsArg(info, 4, -1, fn);
  if (shape.size() > static_cast<size_t>(kMaxRank)) {
    throw Napi::RangeError::New(info.Env(), "binary: outShape has rank " + std::to_string(shape.size()) + ", at most 6");
  }
  const std::vector<int64_t> sa = dimsArg(info, 5, static_cast<int64_t>(shape.size()), fn);
  const std::vector<int64_t> sb = dimsArg(info, 6, static_cast<int64_t>(shape.size()), fn);
  const int64_t total = productSize(info, shape, fn);
  const float* a = f32Arg(info, 1, extentSize(info, shape, sa, fn), fn);
  const float* b = f32Arg(info, 2, extentSize(info, shape, sb, fn), fn);
  float* out = f32Arg(info, 3, total, fn);
  if (total == 0) return info.Env().Undefined();
  const Layout l = coalesce(shape, sa, sb);
  switch (op) {
    case kAdd: run<Add>(l, a, b, out, kElementwiseGrain); break;
    case kSub: run<Sub>(l, a, b, out, kElementwiseGrain); break;
    case kMul: run<Mul>(l, a, b, out, kElementwiseGrain); break;
    case kDiv: run<Div>(l, a, b, out, kElementwiseGrain); break;
    case kPow:
      if (!runPowSpecial(l, a, b, out)) run<Pow>(l, a, b, out, kElementwiseGrain / 8);  // powf: ~20 ns per element
      break;
    case kSqDiff: run<SqDiff>(l, a, b, out, kElementwiseGrain); break;
    case kMax: run<Max>(l, a, b, out, kElementwiseGrain); break;
    case kMin: run<Min>(l, a, b, out, kElementwiseGrain); break;
  }
  return info.Env().Undefined();
}

}  // namespace cover
