// A bounded pool of worker threads at a lower CPU priority: the console's password hashing
// (ops_auth.h) and the public pages' reads (app.h, "the read lane"). Work that may take a
// core for a while runs here, so that a flood of it (logins, a crawler) queues behind its
// own few threads instead of the I/O threads, and when the cores are busy the kernel serves
// the I/O threads and the writer first (the workers' nice value). Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "core/mutex.h"

namespace tuidang::web {

class WorkerPool {
 public:
  // `threads` workers at nice value `nice` (Linux: per thread; best effort); at most
  // `queue_limit` jobs wait while they are all busy.
  WorkerPool(size_t threads, size_t queue_limit, int nice);
  // Stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; returns false, and drops it unrun, when the queue is full or the pool is
  // stopping.
  bool TryPost(std::function<void()> job);
  // Refuses new jobs, runs the ones still queued, joins the workers. Idempotent; call it
  // while what the jobs answer to (the server's connections) is still alive.
  void Stop();

 private:
  void Work();
  const size_t queue_limit_;
  const int nice_;
  Mutex mu_;
  CondVar wake_;
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace tuidang::web
