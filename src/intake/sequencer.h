// The sequencer: the one writer in front of the store. Request threads queue submissions;
// the writer thread takes everything queued (up to a batch limit), commits it with one
// durable transaction and then has every waiting request answered (group commit, as in
// LevelDB's DBImpl::Write). The answers are given by a second thread, in commit order,
// so that the writer starts on the next batch at once. The queue is bounded: when it is
// full, Submit refuses at once so the server can shed load (503) instead of queueing
// without bound.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "store/store.h"

namespace tuidang {

class Sequencer {
 public:
  // Called once per accepted submission, on the sequencer's answering thread, after its
  // transaction is durable (status OK) or failed (nothing of it stored). `sub` holds the
  // final receipt code.
  using Done = std::function<void(const Status& status, const Submission& sub,
                                  const Committed& committed)>;

  // `store` must outlive the sequencer. Starts the writer thread.
  Sequencer(Store* store, size_t queue_limit, size_t max_batch);
  // Commits what is queued, answers it, then stops both threads.
  ~Sequencer();
  Sequencer(const Sequencer&) = delete;
  Sequencer& operator=(const Sequencer&) = delete;

  // Queues `sub`. Returns false, without calling `done`, when the queue is full or stopping.
  // Thread-safe.
  bool Submit(Submission sub, Done done) EXCLUDES(mu_);

  // Batches committed so far (for metrics and benchmarks).
  uint64_t batches() const EXCLUDES(mu_);

 private:
  struct Pending {
    Submission sub;
    Done done;
  };
  // A committed batch waiting for its answers.
  struct Answers {
    Status status;
    std::vector<Pending> pending;
    std::vector<Submission> batch;
    std::vector<Committed> committed;
  };
  void Run();
  void Answer();

  Store* const store_;
  const size_t queue_limit_;
  const size_t max_batch_;

  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Pending> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  uint64_t batches_ GUARDED_BY(mu_) = 0;
  std::thread writer_;

  Mutex done_mu_;
  CondVar done_cv_;
  std::deque<Answers> done_ GUARDED_BY(done_mu_);
  bool writer_stopped_ GUARDED_BY(done_mu_) = false;
  std::thread answerer_;
};

}  // namespace tuidang
