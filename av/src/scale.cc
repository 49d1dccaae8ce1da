#include "scale.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace coverav {
namespace {

constexpr int kBits = 11;
constexpr int kOne = 1 << kBits;

/** JS Math.round: the nearest integer, halves up. */
double jsRound(double x) {
  const double r = std::floor(x);
  return x - r >= 0.5 ? r + 1 : r;
}

/** Taps of an axis of n outputs over src inputs: i0, i1 and the weight of i1 out of kOne (resize.ts taps()). */
void taps(int n, int src, std::vector<int32_t>& i0, std::vector<int32_t>& i1, std::vector<int32_t>& w) {
  const double scale = static_cast<double>(src) / n;
  i0.resize(n);
  i1.resize(n);
  w.resize(n);
  for (int i = 0; i < n; i++) {
    // Two roundings, as JS does them: the product, then the difference (no fused multiply-add: -ffp-contract=off).
    const double p = (i + 0.5) * scale;
    const double s = std::min(std::max(p - 0.5, 0.0), static_cast<double>(src - 1));
    const double f = std::floor(s);
    i0[i] = static_cast<int32_t>(f);
    i1[i] = std::min(i0[i] + 1, src - 1);
    w[i] = static_cast<int32_t>(jsRound((s - f) * kOne));
  }
}

}  // namespace

void scaleRgb(const uint8_t* src, int frames, int sw, int sh, uint8_t* dst, int dw, int dh) {
  const size_t inFrame = static_cast<size_t>(sw) * sh * 3;
  const size_t outFrame = static_cast<size_t>(dw) * dh * 3;
  if (sw == dw && sh == dh) {
    std::memcpy(dst, src, inFrame * frames);
    return;
  }
  std::vector<int32_t> x0, x1, wx, y0, y1, wy;
  taps(dw, sw, x0, x1, wx);
  taps(dh, sh, y0, y1, wy);
  const int row = dw * 3;
  std::vector<int32_t> a(row), b(row), wa(row), wb(row);
  for (int x = 0; x < dw; x++) {
    for (int c = 0; c < 3; c++) {
      a[x * 3 + c] = x0[x] * 3 + c;
      b[x * 3 + c] = x1[x] * 3 + c;
      wa[x * 3 + c] = kOne - wx[x];
      wb[x * 3 + c] = wx[x];
    }
  }
  // Two source rows interpolated along x (up to 255 * kOne), kept while the next output row needs them.
  std::vector<int32_t> rowA(row), rowB(row);
  auto fill = [&](const uint8_t* line, int32_t* out) {
    for (int i = 0; i < row; i++) out[i] = line[a[i]] * wa[i] + line[b[i]] * wb[i];
  };
  const int32_t half = 1 << (2 * kBits - 1);
  for (int t = 0; t < frames; t++) {
    const uint8_t* frame = src + t * inFrame;
    int haveA = -1, haveB = -1;
    for (int y = 0; y < dh; y++) {
      if (y0[y] != haveA) {
        if (y0[y] == haveB) {
          std::swap(rowA, rowB);
          haveB = -1;
        } else {
          fill(frame + static_cast<size_t>(y0[y]) * sw * 3, rowA.data());
        }
        haveA = y0[y];
      }
      if (y1[y] != haveB) {
        fill(frame + static_cast<size_t>(y1[y]) * sw * 3, rowB.data());
        haveB = y1[y];
      }
      const int32_t fy = wy[y];
      const int32_t gy = kOne - fy;
      uint8_t* out = dst + t * outFrame + static_cast<size_t>(y) * row;
      // Up to 255 * kOne * kOne + half < 2^31.
      for (int i = 0; i < row; i++) out[i] = static_cast<uint8_t>((rowA[i] * gy + rowB[i] * fy + half) >> (2 * kBits));
    }
  }
}

}  // namespace coverav
