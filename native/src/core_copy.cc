// copy(src, dst, shape, srcStrides, dstStrides): dst[i . dstStrides] = src[i . srcStrides] for every index i of `shape`
// (rank 1..6, strides in elements, 0 allowed in srcStrides to repeat). One kernel behind Slice, Concat, SplitV, Tile and
// PadV2 (core_kernels.ts), which tfjs-wasm runs as JavaScript loops of small TypedArray.set calls. Rows whose last
// dimension is contiguous on both sides are memcpy'd; rows are split across the pool when there are many.
#include <algorithm>
#include <cstring>

#include "core.h"
#include "napi_args.h"
#include "pool.h"

namespace cover {
namespace {

constexpr int kRank = 6;

struct CopyPlan {
  int rank = 0;
  int64_t shape[kRank];
  int64_t src[kRank];
  int64_t dst[kRank];
};

/** Rows [begin, end) (a row = every dim but the last). */
void copyRows(const CopyPlan& p, const float* src, float* dst, int64_t begin, int64_t end) {
  const int r = p.rank;
  const int64_t len = p.shape[r - 1];
  const int64_t ss = p.src[r - 1], ds = p.dst[r - 1];
  int64_t idx[kRank] = {0};
  int64_t rest = begin, so = 0, dof = 0;
  for (int d = r - 2; d >= 0; d--) {
    idx[d] = rest % p.shape[d];
    rest /= p.shape[d];
    so += idx[d] * p.src[d];
    dof += idx[d] * p.dst[d];
  }
  for (int64_t q = begin; q < end; q++) {
    const float* s = src + so;
    float* o = dst + dof;
    if (ss == 1 && ds == 1) {
      std::memcpy(o, s, sizeof(float) * len);
    } else {
      for (int64_t j = 0; j < len; j++) o[j * ds] = s[j * ss];
    }
    for (int d = r - 2; d >= 0; d--) {
      so += p.src[d];
      dof += p.dst[d];
      if (++idx[d] < p.shape[d]) break;
      so -= p.src[d] * p.shape[d];
      dof -= p.dst[d] * p.shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

Napi::Value Copy(const Napi::CallbackInfo& info) {
  const char* fn = "copy";
  const std::vector<int64_t> shape = dimsArg(info, 2, -1, fn);
  const int r = static_cast<int>(shape.size());
  if (r < 1 || r > kRank) throw Napi::RangeError::New(info.Env(), "copy: rank must be 1..6");
  const std::vector<int64_t> ss = dimsArg(info, 3, r, fn), ds = dimsArg(info, 4, r, fn);
  // Every size below is checked for overflow before it is compared with an array's length.
  const int64_t total = productSize(info, shape, fn);
  const int64_t srcNeed = extentSize(info, shape, ss, fn), dstNeed = extentSize(info, shape, ds, fn);
  if (total == 0) return info.Env().Undefined();
  const float* src = f32Arg(info, 0, srcNeed, fn);
  float* dst = f32Arg(info, 1, dstNeed, fn);
  CopyPlan p;
  p.rank = r;
  for (int d = 0; d < r; d++) {
    p.shape[d] = shape[d];
    p.src[d] = ss[d];
    p.dst[d] = ds[d];
  }
  const int64_t len = p.shape[r - 1];
  const int64_t rows = total / len;
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, len));  // ~32K elements per chunk
  parallelFor(rows, grain, [&](int64_t b, int64_t e) { copyRows(p, src, dst, b, e); });
  return info.Env().Undefined();
}

}  // namespace cover
