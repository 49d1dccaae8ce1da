// Helpers shared by the fused kernels (fused_*.cc): work split into numbered chunks (so a chunk can own a slice of a
// partial-sums buffer) and one flat index space over many arrays, so that a step over ~100 small and large parameters
// splits evenly across the pool. Arguments are read and sizes checked through napi_args.h, the addon's one argument
// header.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "napi_args.h"
#include "pool.h"

namespace cover {

/** How many chunks parallelChunks makes for n items of at least `grain` each. */
inline int chunkCount(int64_t n, int64_t grain) {
  if (n <= 0) return 0;
  const int64_t g = std::max<int64_t>(1, grain);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(poolThreads(), (n + g - 1) / g)));
}

/**
 * Runs fn(chunk, begin, end) for chunk < chunks (chunks = chunkCount(n, grain)), the chunks covering [0, n) in order.
 * Unlike parallelFor, the chunk index is known, so chunk c may write partial results to slot c of a buffer.
 */
inline void parallelChunks(int64_t n, int chunks, const std::function<void(int, int64_t, int64_t)>& fn) {
  if (chunks <= 0) return;
  parallelFor(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) fn(static_cast<int>(c), n * c / chunks, n * (c + 1) / chunks);
  });
}

/**
 * Many arrays seen as one index space [0, total): forRange(begin, end, fn) calls fn(array, i0, i1) for each array's
 * part of [begin, end), with i0/i1 indices inside that array.
 */
class FlatIndex {
 public:
  explicit FlatIndex(const std::vector<size_t>& lengths) : starts_(lengths.size() + 1, 0) {
    for (size_t k = 0; k < lengths.size(); k++) starts_[k + 1] = starts_[k] + static_cast<int64_t>(lengths[k]);
  }

  int64_t total() const { return starts_.back(); }

  void forRange(int64_t begin, int64_t end, const std::function<void(size_t, int64_t, int64_t)>& fn) const {
    // The array holding `begin`: the last start <= begin (empty arrays are skipped by the i0 < i1 test).
    size_t k = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), begin) - starts_.begin()) - 1;
    for (; k + 1 < starts_.size() && starts_[k] < end; k++) {
      const int64_t i0 = std::max(begin, starts_[k]) - starts_[k];
      const int64_t i1 = std::min(end, starts_[k + 1]) - starts_[k];
      if (i0 < i1) fn(k, i0, i1);
    }
  }

 private:
  std::vector<int64_t> starts_;
};

/** Elementwise kernels split into chunks of at least this many elements (smaller ones are not worth a thread wake-up). */
constexpr int64_t kElementGrain = 16384;

}  // namespace cover
