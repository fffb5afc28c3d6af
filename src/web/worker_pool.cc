#include "web/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

namespace tuidang::web {

WorkerPool::WorkerPool(size_t threads, size_t queue_limit, int nice)
    : queue_limit_(queue_limit), nice_(nice) {
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.SignalAll();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
}

bool WorkerPool::TryPost(std::function<void()> job) {
  {
    MutexLock lock(&mu_);
    if (stopping_ || jobs_.size() >= queue_limit_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.Signal();
  return true;
}

void WorkerPool::Work() {
  // Best effort: a thread that cannot lower its priority still works.
  if (nice_ != 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice_);
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && jobs_.empty()) wake_.Wait(&mu_);
      if (jobs_.empty()) return;  // stopping, and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace tuidang::web
