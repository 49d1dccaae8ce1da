// exp and tanh written so that a loop over them vectorizes (no branches, no libm calls): glibc's expf/tanhf are scalar
// calls, and tanh/exp/sigmoid/softmax are among the costliest elementwise kernels of a training step. Accuracy: within
// 2 ulp of the correctly rounded result over the whole float range (checked against double precision in
// test/accel/native_api.test.ts), with IEEE results at the edges: exp(-inf) = 0, exp(+inf) = inf, NaN stays NaN.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace cover {

/** 2^n for an integer-valued n in [-64, 64] (a normal float), from its exponent bits. */
inline float pow2i(int n) {
  const int32_t bits = (n + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/**
 * e^x: x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two for an exact n ln2), e^r from the degree-6 minimax
 * polynomial of Cephes' expf (Moshier), then two exact power-of-two scalings so that results down to the denormals
 * and up to FLT_MAX need no special case.
 */
inline float fastExp(float x) {
  // Beyond these the result is 0 (below e^-104 < 2^-149) or inf (above ln(FLT_MAX) = 88.72).
  const float xc = x < -104.f ? -104.f : (x > 88.8f ? 88.8f : x);  // NaN passes through both comparisons
  // n = round(x / ln2) with the 1.5 * 2^23 trick (round to nearest, SSE2-vectorizable; |x / ln2| < 2^22).
  const float t = xc * 1.44269504088896341f + 12582912.f;
  const float n = t - 12582912.f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.f;
  const int ni = static_cast<int>(n == n ? n : 0.f);
  const int n1 = ni / 2, n2 = ni - ni / 2;
  const float e = y * pow2i(n1) * pow2i(n2);
  return x < -104.f ? 0.f : e;
}

/**
 * tanh x: for |x| < 0.625 the odd polynomial x + x^3 P(x^2) of Cephes' tanhf (no cancellation near 0); beyond,
 * 1 - 2 / (e^{2|x|} + 1) with the sign of x (exact to 1 at |x| > 9, where e^{2|x|} + 1 rounds to e^{2|x|}).
 */
inline float fastTanh(float x) {
  const float ax = std::fabs(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float big = 1.f - 2.f / (fastExp(2.f * ax) + 1.f);
  return std::copysign(ax < 0.625f ? small : big, x);  // copysign also keeps tanh(-0) = -0
}

}  // namespace cover
