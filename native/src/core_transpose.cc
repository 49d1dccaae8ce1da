// Transpose (tfjs's Transpose, rank <= 6). The permutation is first coalesced: size-1 dims dropped, input dims that stay
// neighbours in the output merged. Then either the innermost output dim is still the input's innermost (every output
// row is a contiguous input run: memcpy per run, e.g. [B, S, H, Dh] -> [B, H, S, Dh]), or the problem is a stack of 2-D
// transposes between the input's innermost dim and the output's innermost dim, done in 4x4 SSE blocks within tiles of
// 8 output rows by 64 columns (transpose2d).
#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

#include "core.h"
#include "napi_args.h"
#include "pool.h"

namespace cover {
namespace {

/** Output rows per 2-D transpose task. */
constexpr int64_t kTileRows = 8;

/** The coalesced problem: output dim k has size shape[k] and reads the input with stride inStride[k]. */
struct Plan {
  int rank = 0;
  int64_t shape[kMaxRank];
  int64_t inStride[kMaxRank];
  int64_t total = 1;
};

Plan plan(const std::vector<int64_t>& shape, const std::vector<int64_t>& perm) {
  const int r = static_cast<int>(shape.size());
  // Input dims without the size-1 ones, renumbered.
  int64_t keep[kMaxRank];
  int newIndex[kMaxRank];
  int kr = 0;
  for (int i = 0; i < r; i++) {
    newIndex[i] = shape[i] == 1 ? -1 : kr;
    if (shape[i] != 1) keep[kr++] = shape[i];
  }
  int p[kMaxRank];
  int pr = 0;
  for (int k = 0; k < r; k++) {
    if (newIndex[perm[k]] >= 0) p[pr++] = newIndex[perm[k]];
  }
  // Merge input dims i, i+1 that are also adjacent (in that order) in the output.
  int64_t mShape[kMaxRank] = {0};
  int group[kMaxRank] = {0};  // input dim -> merged input dim
  int mr = 0;
  for (int i = 0; i < kr; i++) {
    bool merge = false;
    if (i > 0) {
      for (int k = 0; k + 1 < pr; k++) {
        if (p[k] == i - 1 && p[k + 1] == i) merge = true;
      }
    }
    if (merge) {
      mShape[mr - 1] *= keep[i];
      group[i] = mr - 1;
    } else {
      mShape[mr] = keep[i];
      group[i] = mr++;
    }
  }
  int64_t mStride[kMaxRank] = {0};
  int64_t s = 1;
  for (int i = mr - 1; i >= 0; i--) {
    mStride[i] = s;
    s *= mShape[i];
  }
  Plan pl;
  int last = -1;
  for (int k = 0; k < pr; k++) {
    const int g = group[p[k]];
    if (g == last) continue;  // the rest of a merged group
    pl.shape[pl.rank] = mShape[g];
    pl.inStride[pl.rank] = mStride[g];
    pl.rank++;
    last = g;
  }
  for (int i = 0; i < r; i++) pl.total *= shape[i];
  return pl;
}

/** out[i] for i in [begin, end) of the runs: run q is output row q (all dims but the last), a contiguous input run. */
void copyRuns(const Plan& pl, const float* x, float* out, int64_t begin, int64_t end) {
  const int r = pl.rank;
  const int64_t len = pl.shape[r - 1];
  int64_t idx[kMaxRank];
  int64_t rest = begin, off = 0;
  for (int d = r - 2; d >= 0; d--) {
    idx[d] = rest % pl.shape[d];
    rest /= pl.shape[d];
    off += idx[d] * pl.inStride[d];
  }
  for (int64_t q = begin; q < end; q++) {
    std::memcpy(out + q * len, x + off, sizeof(float) * len);
    for (int d = r - 2; d >= 0; d--) {
      off += pl.inStride[d];
      if (++idx[d] < pl.shape[d]) break;
      off -= pl.inStride[d] * pl.shape[d];
      idx[d] = 0;
    }
  }
}

/**
 * out[i * os + j] = in[i + j * is] for i < ni, j < nj: one 2-D transpose, in 4x4 SSE blocks over tiles 64 wide. A task
 * writes at most kTileRows output rows, so the tile's output lines stay few enough for L1 even when the output row
 * stride is a multiple of 4 KB (B*T*N = 1024 rows is common here: [1024, 768] took 2 ns/element in 32x32 tiles, 0.18
 * in these).
 */
void transpose2d(const float* __restrict in, int64_t is, float* __restrict out, int64_t os, int64_t ni, int64_t nj) {
  constexpr int64_t kTileCols = 64;
  for (int64_t j0 = 0; j0 < nj; j0 += kTileCols) {
    const int64_t j1 = std::min(nj, j0 + kTileCols);
    int64_t i = 0;
#if defined(__SSE2__)
    for (; i + 4 <= ni; i += 4) {
      int64_t j = j0;
      for (; j + 4 <= j1; j += 4) {
        __m128 r0 = _mm_loadu_ps(in + (j + 0) * is + i), r1 = _mm_loadu_ps(in + (j + 1) * is + i);
        __m128 r2 = _mm_loadu_ps(in + (j + 2) * is + i), r3 = _mm_loadu_ps(in + (j + 3) * is + i);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _mm_storeu_ps(out + (i + 0) * os + j, r0);
        _mm_storeu_ps(out + (i + 1) * os + j, r1);
        _mm_storeu_ps(out + (i + 2) * os + j, r2);
        _mm_storeu_ps(out + (i + 3) * os + j, r3);
      }
      for (; j < j1; j++) {
        for (int64_t k = 0; k < 4; k++) out[(i + k) * os + j] = in[i + k + j * is];
      }
    }
#endif
    for (; i < ni; i++) {
      for (int64_t j = j0; j < j1; j++) out[i * os + j] = in[i + j * is];
    }
  }
}

/**
 * The 2-D case: output dim `a` reads the input contiguously (stride 1), the output's last dim reads it with stride
 * `sb`. Task t = (slab, block of kTileRows rows of dim a); slab enumerates every other output dim.
 */
void tiles(const Plan& pl, int a, const float* x, float* out, int64_t t0, int64_t t1) {
  const int r = pl.rank;
  const int64_t A = pl.shape[a], Bn = pl.shape[r - 1], sb = pl.inStride[r - 1];
  int64_t outStride[kMaxRank];
  int64_t s = 1;
  for (int d = r - 1; d >= 0; d--) {
    outStride[d] = s;
    s *= pl.shape[d];
  }
  const int64_t rowTiles = (A + kTileRows - 1) / kTileRows;
  for (int64_t t = t0; t < t1; t++) {
    int64_t slab = t / rowTiles;
    const int64_t i0 = (t % rowTiles) * kTileRows, i1 = std::min(A, i0 + kTileRows);
    int64_t inOff = 0, outOff = 0;
    for (int d = r - 2; d >= 0; d--) {
      if (d == a) continue;
      const int64_t id = slab % pl.shape[d];
      slab /= pl.shape[d];
      inOff += id * pl.inStride[d];
      outOff += id * outStride[d];
    }
    transpose2d(x + inOff + i0, sb, out + outOff + i0 * outStride[a], outStride[a], i1 - i0, Bn);
  }
}

}  // namespace

// transpose(x, out, shape, perm)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  const char* fn = "transpose";
  const std::vector<int64_t> shape = dimsArg(info, 2, -1, fn);
  const int64_t r = static_cast<int64_t>(shape.size());
  if (r < 1 || r > kMaxRank) {
    throw Napi::RangeError::New(info.Env(), "transpose: shape has rank " + std::to_string(r) + ", must be 1..6");
  }
  const std::vector<int64_t> perm = dimsArg(info, 3, r, fn);
  bool seen[kMaxRank] = {false};
  for (int64_t p : perm) {
    if (p >= r || seen[p]) throw Napi::RangeError::New(info.Env(), "transpose: perm is not a permutation of 0..rank-1");
    seen[p] = true;
  }
  const int64_t total = productSize(info, shape, fn);
  const float* x = f32Arg(info, 0, total, fn);
  float* out = f32Arg(info, 1, total, fn);
  if (total == 0) return info.Env().Undefined();
  const Plan pl = plan(shape, perm);
  if (pl.rank == 0 || pl.inStride[pl.rank - 1] == 1) {
    // Contiguous runs (the identity permutation is one run).
    const int64_t len = pl.rank == 0 ? 1 : pl.shape[pl.rank - 1];
    const int64_t runs = total / len;
    if (runs == 1) {
      parallelFor(total, kTransposeGrain, [&](int64_t b, int64_t e) { std::memcpy(out + b, x + b, sizeof(float) * (e - b)); });
      return info.Env().Undefined();
    }
    const int64_t grain = std::max<int64_t>(1, kTransposeGrain / len);
    parallelFor(runs, grain, [&](int64_t b, int64_t e) { copyRuns(pl, x, out, b, e); });
    return info.Env().Undefined();
  }
  int a = 0;
  while (pl.inStride[a] != 1) a++;  // the output dim that holds the input's innermost dim
  const int64_t rowTiles = (pl.shape[a] + kTileRows - 1) / kTileRows;
  const int64_t tasks = total / (pl.shape[a] * pl.shape[pl.rank - 1]) * rowTiles;
  const int64_t perTask = std::min(kTileRows, pl.shape[a]) * pl.shape[pl.rank - 1];
  const int64_t grain = std::max<int64_t>(1, kTransposeGrain / perTask);
  parallelFor(tasks, grain, [&](int64_t t0, int64_t t1) { tiles(pl, a, x, out, t0, t1); });
  return info.Env().Undefined();
}

}  // namespace cover
