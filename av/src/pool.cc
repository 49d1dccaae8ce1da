#include "pool.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace coverav {
namespace {

struct Pool {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  int wanted = 0;   // workers asked for
  int running = 0;  // workers alive

  void work() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return !queue.empty() || running > wanted; });
      if (running > wanted) {
        running--;
        cv.notify_one();  // the wake-up this worker took may have been for a job
        return;
      }
      std::function<void()> job = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed (see pool.h)
  return *p;
}

}  // namespace

int setWorkers(int n) {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  p.wanted = n < 1 ? 1 : n;
  while (p.running < p.wanted) {
    p.running++;
    std::thread([&p] { p.work(); }).detach();
  }
  p.cv.notify_all();
  return p.wanted;
}

int workers() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  return p.wanted;
}

void submit(std::function<void()> job) {
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.queue.push_back(std::move(job));
  }
  p.cv.notify_one();
}

}  // namespace coverav
