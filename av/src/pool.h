// The decode pool: worker threads of cover's own, sized by the caller to the machine (not libuv's 4 threads, which
// file reads share), each running one clip at a time from a FIFO queue. The feed bounds how many clips are queued
// (its concurrency), which is the back-pressure. One pool per process, shared by every Node environment that loads
// the addon (jest loads it once per test file); its threads are detached and end with the process.
#pragma once
#include <functional>

namespace coverav {

/** Sets the number of workers (at least 1); returns it. Extra workers end after their current job. */
int setWorkers(int n);
int workers();
/** Queues `job` to run on a worker. */
void submit(std::function<void()> job);

}  // namespace coverav
