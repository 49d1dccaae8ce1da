// The addon's own thread pool (docs/notes/native-probe.md "Mode matters"): persistent workers that split one kernel's
// work, with the BLAS pinned to 1 thread so that it never spawns threads of its own under ours.
#pragma once
#include <cstdint>
#include <functional>

namespace cover {

/** Threads parallelFor uses (>= 1; the calling thread is one of them). */
int poolThreads();

/** Sets the thread count (clamped to 1..64); takes effect on the next parallelFor. */
void setPoolThreads(int n);

/**
 * Runs fn(begin, end) over [0, n), split into at most poolThreads() contiguous chunks of at least `grain` items each.
 * The calling thread and the workers claim chunks as they get to them (a busy or descheduled worker's chunk runs on the
 * caller), so which thread runs which chunk varies. Blocks until every chunk is done. Not reentrant: never call it from
 * inside fn.
 */
void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace cover
