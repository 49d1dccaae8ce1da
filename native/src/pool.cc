// Spin briefly, then sleep on a condition variable: a kernel call is 10 µs–10 ms, and waking a sleeping thread costs
// ~50 µs. The pool is leaked on purpose: destroying a condition variable with waiting threads hangs process exit in glibc.
//
// Chunks are claimed, not assigned: the calling thread and the workers take chunk indices from one atomic word, so
// when a worker is descheduled (another process busy on a 2-core machine) the caller runs its chunk instead of
// spinning until the worker gets a time slice back. Waits spin with `pause` and yield the core now and then, so a
// spinning thread never holds a core that a descheduled peer needs.
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define COVER_PAUSE() _mm_pause()
#else
#define COVER_PAUSE() std::this_thread::yield()
#endif

namespace cover {
namespace {

constexpr int kSpin = 20000;
/** Pauses between two yields while spinning. */
constexpr int kYieldEvery = 256;

// The claim word: (generation << 32) | (chunks << 16) | next chunk to claim. One atomic word, so a late worker can
// never pair one call's generation with another call's chunk count or claim a chunk of a call it did not see start.
constexpr uint64_t gen(uint64_t w) { return w >> 32; }
constexpr int chunksOf(uint64_t w) { return static_cast<int>((w >> 16) & 0xffff); }
constexpr int nextOf(uint64_t w) { return static_cast<int>(w & 0xffff); }

inline void spinWait(int& spins) {
  COVER_PAUSE();
  if (++spins % kYieldEvery == 0) std::this_thread::yield();
}

struct Pool {
  std::mutex mu;
  std::condition_variable wake;
  std::atomic<uint64_t> claim{0};
  std::atomic<int> done{0};
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  int64_t chunk = 0;
  int threads = 1;
  std::vector<std::thread> workers;

  void runChunk(int i) {
    const int64_t begin = i * chunk;
    const int64_t end = std::min(n, begin + chunk);
    if (begin < end) (*fn)(begin, end);
  }

  /** Claims and runs chunks of generation g until none is left; the call's fields stay valid while a chunk is held. */
  void drain(uint64_t g) {
    uint64_t w = claim.load(std::memory_order_acquire);
    while (gen(w) == g && nextOf(w) < chunksOf(w)) {
      if (claim.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        runChunk(nextOf(w));
        done.fetch_add(1, std::memory_order_acq_rel);
        w = claim.load(std::memory_order_acquire);
      }
    }
  }

  void workerLoop(uint64_t seen) {
    for (;;) {
      uint64_t w = claim.load(std::memory_order_acquire);
      for (int s = 0; gen(w) == seen && s < kSpin;) {
        spinWait(s);
        w = claim.load(std::memory_order_acquire);
      }
      if (gen(w) == seen) {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return gen(claim.load(std::memory_order_acquire)) != seen; });
        w = claim.load(std::memory_order_acquire);
      }
      seen = gen(w);
      drain(seen);
    }
  }

  void ensureWorkers(int count) {
    while (static_cast<int>(workers.size()) < count - 1) {
      const uint64_t now = gen(claim.load(std::memory_order_acquire));
      workers.emplace_back([this, now] { workerLoop(now); });
      workers.back().detach();
    }
  }
};

Pool& pool() {
  static Pool* p = [] {
    auto* made = new Pool();
    int n = 2;
    if (const char* env = std::getenv("COVER_ACCEL_THREADS")) n = std::atoi(env);
    else n = std::min(2, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    made->threads = std::clamp(n, 1, 64);
    return made;
  }();
  return *p;
}

}  // namespace

int poolThreads() { return pool().threads; }

void setPoolThreads(int n) { pool().threads = std::clamp(n, 1, 64); }

void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  Pool& p = pool();
  const int64_t g = std::max<int64_t>(1, grain);
  const int chunks = static_cast<int>(std::min<int64_t>(p.threads, (n + g - 1) / g));
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  p.ensureWorkers(chunks);
  p.fn = &fn;
  p.n = n;
  p.chunk = (n + chunks - 1) / chunks;
  p.done.store(0, std::memory_order_relaxed);
  uint64_t g2;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    g2 = (gen(p.claim.load(std::memory_order_relaxed)) + 1) & 0xffffffffu;
    p.claim.store((g2 << 32) | (static_cast<uint64_t>(chunks) << 16), std::memory_order_release);
  }
  p.wake.notify_all();
  p.drain(g2);
  for (int s = 0; p.done.load(std::memory_order_acquire) != chunks;) spinWait(s);
  p.fn = nullptr;
}

}  // namespace cover
