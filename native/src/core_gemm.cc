// Batched matmul on the run-time BLAS (blas.h), split over the addon's pool: one matrix splits the rows of C (or its
// columns when M is small) into one single-threaded sgemm per thread; a batch splits whole matrices. Transposed operands
// are read in place through lda/ldb, never copied (docs/notes/native-probe.md "Mode matters": BLAS pinned to 1 thread,
// our pool splits the work).
#include <algorithm>

#include "blas.h"
#include "core.h"
#include "napi_args.h"
#include "pool.h"

namespace cover {
namespace {

struct GemmArgs {
  const float* a;
  const float* b;
  float* c;
  int64_t batch, M, N, K, strideA, strideB;
  bool transA, transB;
  /** Optional [N] row added to every row of C (a Linear layer's bias): C is filled with it, then sgemm adds with beta 1. */
  const float* bias = nullptr;
};

/** Rows [r0, r1), columns [c0, c1) of matrix c (row stride n) set to the bias, when there is one. */
inline void fillBias(const GemmArgs& g, float* c, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  if (!g.bias) return;
  for (int64_t r = r0; r < r1; r++) std::copy(g.bias + c0, g.bias + c1, c + r * g.N + c0);
}

inline float betaOf(const GemmArgs& g) { return g.bias ? 1.f : 0.f; }

// A stored [M, K] (or [K, M] transposed), B [K, N] (or [N, K]), C [M, N]: leading dimensions of the stored layouts.
inline int lda(const GemmArgs& g) { return static_cast<int>(std::max<int64_t>(1, g.transA ? g.M : g.K)); }
inline int ldb(const GemmArgs& g) { return static_cast<int>(std::max<int64_t>(1, g.transB ? g.K : g.N)); }

void one(const GemmArgs& g, int64_t i) {
  fillBias(g, g.c + i * g.M * g.N, 0, g.M, 0, g.N);
  sgemm(g.transA, g.transB, static_cast<int>(g.M), static_cast<int>(g.N), static_cast<int>(g.K), 1.f, g.a + i * g.strideA,
        lda(g), g.b + i * g.strideB, ldb(g), betaOf(g), g.c + i * g.M * g.N, static_cast<int>(std::max<int64_t>(1, g.N)));
}

void run(const GemmArgs& g) {
  const int64_t work = g.M * g.N * std::max<int64_t>(1, g.K);  // multiply-adds per matrix
  if (g.batch > 1) {
    const int64_t grain = std::max<int64_t>(1, kGemmGrain / std::max<int64_t>(1, work));
    parallelFor(g.batch, grain, [&](int64_t b0, int64_t b1) {
      for (int64_t i = b0; i < b1; i++) one(g, i);
    });
    return;
  }
  if (work < 2 * kGemmGrain || poolThreads() == 1) {
    one(g, 0);
    return;
  }
  const int N = static_cast<int>(g.N), K = static_cast<int>(g.K);
  if (g.M >= g.N || g.M >= 64) {
    // Rows of C: rows [r0, r1) of op(A) start at row r0 of A, or at column r0 when A is stored transposed.
    const int64_t grain = std::max<int64_t>(16, kGemmGrain / std::max<int64_t>(1, g.N * g.K));
    parallelFor(g.M, grain, [&](int64_t r0, int64_t r1) {
      const float* a = g.a + (g.transA ? r0 : r0 * g.K);
      fillBias(g, g.c, r0, r1, 0, g.N);
      sgemm(g.transA, g.transB, static_cast<int>(r1 - r0), N, K, 1.f, a, lda(g), g.b, ldb(g), betaOf(g), g.c + r0 * g.N, N);
    });
  } else {
    // Columns of C: columns [c0, c1) of op(B) start at column c0 of B, or at row c0 when B is stored transposed.
    const int64_t grain = std::max<int64_t>(16, kGemmGrain / std::max<int64_t>(1, g.M * g.K));
    parallelFor(g.N, grain, [&](int64_t c0, int64_t c1) {
      const float* b = g.b + (g.transB ? c0 * g.K : c0);
      fillBias(g, g.c, 0, g.M, c0, c1);
      sgemm(g.transA, g.transB, static_cast<int>(g.M), static_cast<int>(c1 - c0), K, 1.f, g.a, lda(g), b, ldb(g), betaOf(g),
            g.c + c0, N);
    });
  }
}

}  // namespace

// gemm(a, b, c, batch, M, N, K, transA, transB, strideA, strideB)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const char* fn = "gemm";
  GemmArgs g;
  g.batch = dimArg(info, 3, fn);
  g.M = dimArg(info, 4, fn);
  g.N = dimArg(info, 5, fn);
  g.K = dimArg(info, 6, fn);
  g.transA = boolArg(info, 7, fn);
  g.transB = boolArg(info, 8, fn);
  g.strideA = dimArg(info, 9, fn);
  g.strideB = dimArg(info, 10, fn);
  const int64_t sizeA = mulSize(info, g.M, g.K, fn), sizeB = mulSize(info, g.K, g.N, fn);
  const int64_t sizeC = mulSize(info, g.M, g.N, fn);
  // The last matrix ends at (batch-1)*stride + size; an empty batch or matrix touches nothing.
  const bool touchesA = g.batch > 0 && sizeA > 0 && sizeC > 0, touchesB = g.batch > 0 && sizeB > 0 && sizeC > 0;
  const int64_t needA = touchesA ? addSize(info, mulSize(info, g.batch - 1, g.strideA, fn), sizeA, fn) : 0;
  const int64_t needB = touchesB ? addSize(info, mulSize(info, g.batch - 1, g.strideB, fn), sizeB, fn) : 0;
  g.a = f32Arg(info, 0, needA, fn);
  g.b = f32Arg(info, 1, needB, fn);
  g.c = f32Arg(info, 2, mulSize(info, g.batch, sizeC, fn), fn);
  if (info.Length() > 11 && !info[11].IsUndefined() && !info[11].IsNull()) g.bias = f32Arg(info, 11, g.N, fn);
  if (g.batch > 0 && sizeC > 0) run(g);
  return info.Env().Undefined();
}

}  // namespace cover
