// Fused LayerNorm over the last axis (nn.LayerNorm, biased variance): one call forward, one backward, in place of tfjs's
// moments/sub/rsqrt/mul/add chain (about 10 kernels forward and 20 backward, each a pass over [rows, cols]).
// Rows are split over the pool; the backward's dgamma/dbeta are per-chunk partial sums (double) added up at the end.
//
// Backward (xhat = (x - mean) * rstd, g = dy * gamma, means over the row's cols):
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat));  dgamma = sum_rows dy * xhat;  dbeta = sum_rows dy.
#include <cmath>
#include <vector>

#include "fused_util.h"
#include "napi_args.h"

namespace cover {
namespace {

// Rows per chunk: at least kElementGrain elements.
int64_t rowGrain(int64_t cols) { return std::max<int64_t>(1, kElementGrain / std::max<int64_t>(1, cols)); }

void forwardRows(const float* x, const float* gamma, const float* beta, float* out, float* mean, float* rstd, int64_t r0,
                 int64_t r1, int64_t cols, double eps) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    double s = 0;
    for (int64_t c = 0; c < cols; c++) s += xr[c];
    const double mu = s / static_cast<double>(cols);
    double q = 0;
    for (int64_t c = 0; c < cols; c++) {
      const double d = xr[c] - mu;
      q += d * d;
    }
    const float m = static_cast<float>(mu);
    const float rs = static_cast<float>(1.0 / std::sqrt(q / static_cast<double>(cols) + eps));
    mean[r] = m;
    rstd[r] = rs;
    float* o = out + r * cols;
    for (int64_t c = 0; c < cols; c++) o[c] = (xr[c] - m) * rs * gamma[c] + beta[c];
  }
}

// dx for rows [r0, r1); adds dy * xhat and dy into the chunk's partials dg/db [cols].
void backwardRows(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, float* dx,
                  double* dg, double* db, int64_t r0, int64_t r1, int64_t cols) {
  const double invCols = 1.0 / static_cast<double>(cols);
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    const float m = mean[r];
    const float rs = rstd[r];
    double sg = 0, sgx = 0;
    for (int64_t c = 0; c < cols; c++) {
      const float xhat = (xr[c] - m) * rs;
      const float g = dyr[c] * gamma[c];
      sg += g;
      sgx += static_cast<double>(g) * xhat;
      dg[c] += static_cast<double>(dyr[c]) * xhat;
      db[c] += dyr[c];
    }
    const float meanG = static_cast<float>(sg * invCols);
    const float meanGx = static_cast<float>(sgx * invCols);
    float* dxr = dx + r * cols;
    for (int64_t c = 0; c < cols; c++) {
      const float xhat = (xr[c] - m) * rs;
      dxr[c] = rs * (dyr[c] * gamma[c] - meanG - xhat * meanGx);
    }
  }
}

// layerNormForward(x, gamma, beta, out, mean, rstd, rows, cols, eps)
Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  const char* fn = "layerNormForward";
  const int64_t rows = dimArg(info, 6, fn), cols = dimArg(info, 7, fn);
  const double eps = numArg(info, 8, fn);
  const int64_t n = mulSize(info, rows, cols, fn);
  const float* x = f32Arg(info, 0, n, fn);
  const float* gamma = f32Arg(info, 1, cols, fn);
  const float* beta = f32Arg(info, 2, cols, fn);
  float* out = f32Arg(info, 3, n, fn);
  float* mean = f32Arg(info, 4, rows, fn);
  float* rstd = f32Arg(info, 5, rows, fn);
  if (cols == 0) return info.Env().Undefined();
  parallelFor(rows, rowGrain(cols), [&](int64_t r0, int64_t r1) { forwardRows(x, gamma, beta, out, mean, rstd, r0, r1, cols, eps); });
  return info.Env().Undefined();
}

// layerNormBackward(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, cols)
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  const char* fn = "layerNormBackward";
  const int64_t rows = dimArg(info, 8, fn), cols = dimArg(info, 9, fn);
  const int64_t n = mulSize(info, rows, cols, fn);
  const float* dy = f32Arg(info, 0, n, fn);
  const float* x = f32Arg(info, 1, n, fn);
  const float* gamma = f32Arg(info, 2, cols, fn);
  const float* mean = f32Arg(info, 3, rows, fn);
  const float* rstd = f32Arg(info, 4, rows, fn);
  float* dx = f32Arg(info, 5, n, fn);
  float* dgamma = f32Arg(info, 6, cols, fn);
  float* dbeta = f32Arg(info, 7, cols, fn);
  const int chunks = chunkCount(rows, rowGrain(cols));
  // [chunks][2][cols]: chunk c's dgamma partial, then its dbeta partial.
  std::vector<double> partial(static_cast<size_t>(std::max(chunks, 1)) * 2 * cols, 0.0);
  parallelChunks(rows, chunks, [&](int c, int64_t r0, int64_t r1) {
    double* dg = partial.data() + static_cast<size_t>(c) * 2 * cols;
    backwardRows(dy, x, gamma, mean, rstd, dx, dg, dg + cols, r0, r1, cols);
  });
  for (int64_t k = 0; k < cols; k++) {
    double g = 0, b = 0;
    for (int c = 0; c < chunks; c++) {
      g += partial[static_cast<size_t>(c) * 2 * cols + k];
      b += partial[static_cast<size_t>(c) * 2 * cols + cols + k];
    }
    dgamma[k] = static_cast<float>(g);
    dbeta[k] = static_cast<float>(b);
  }
  return info.Env().Undefined();
}

}  // namespace

void registerFusedLayerNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("layerNormForward", Napi::Function::New(env, LayerNormForward));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward));
}

}  // namespace cover
