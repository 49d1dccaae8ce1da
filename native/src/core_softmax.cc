// Softmax over the last axis (tfjs's Softmax): per row, subtract the max, exponentiate (the vectorizable fastExp of
// core_math.h), sum in double, scale by the reciprocal. Rows split over the pool.
#include <algorithm>
#include <limits>

#include "core.h"
#include "napi_args.h"
#include "core_math.h"
#include "pool.h"

namespace cover {
namespace {

COVER_CLONES void softmaxRow(const float* __restrict x, float* __restrict out, int64_t cols) {
  // The max ignores NaN: a NaN logit makes its exp, so the row's sum and every output of the row, NaN anyway. Eight
  // independent lanes (max, then the double sum) so that the compiler keeps each loop in vector registers.
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  float mv[8] = {kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf};
  int64_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    for (int k = 0; k < 8; k++) mv[k] = x[j + k] > mv[k] ? x[j + k] : mv[k];
  }
  for (; j < cols; j++) mv[0] = x[j] > mv[0] ? x[j] : mv[0];
  float m = mv[0];
  for (int k = 1; k < 8; k++) m = mv[k] > m ? mv[k] : m;
  for (int64_t c = 0; c < cols; c++) out[c] = fastExp(x[c] - m);
  double sv[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  j = 0;
  for (; j + 8 <= cols; j += 8) {
    for (int k = 0; k < 8; k++) sv[k] += out[j + k];
  }
  for (; j < cols; j++) sv[0] += out[j];
  const double sum = ((sv[0] + sv[1]) + (sv[2] + sv[3])) + ((sv[4] + sv[5]) + (sv[6] + sv[7]));
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t c = 0; c < cols; c++) out[c] *= inv;
}

}  // namespace

// softmax(x, out, rows, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const char* fn = "softmax";
  const int64_t rows = dimArg(info, 2, fn), cols = dimArg(info, 3, fn);
  const int64_t n = mulSize(info, rows, cols, fn);
  const float* x = f32Arg(info, 0, n, fn);
  float* out = f32Arg(info, 1, n, fn);
  if (n == 0) return info.Env().Undefined();
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / 4 / cols);
  parallelFor(rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) softmaxRow(x + r * cols, out + r * cols, cols);
  });
  return info.Env().Undefined();
}

}  // namespace cover
