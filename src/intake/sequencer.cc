#include "intake/sequencer.h"

#include <vector>

namespace tuidang {

Sequencer::Sequencer(Store* store, size_t queue_limit, size_t max_batch)
    : store_(store), queue_limit_(queue_limit), max_batch_(max_batch) {
  writer_ = std::thread([this] { Run(); });
  answerer_ = std::thread([this] { Answer(); });
}

Sequencer::~Sequencer() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  writer_.join();
  {
    MutexLock lock(&done_mu_);
    writer_stopped_ = true;
  }
  done_cv_.SignalAll();
  answerer_.join();
}

bool Sequencer::Submit(Submission sub, Done done) {
  {
    MutexLock lock(&mu_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(Pending{std::move(sub), std::move(done)});
  }
  cv_.Signal();
  return true;
}

uint64_t Sequencer::batches() const {
  MutexLock lock(&mu_);
  return batches_;
}

void Sequencer::Run() {
  for (;;) {
    Answers d;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) cv_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, and everything queued was committed
      size_t n = std::min(queue_.size(), max_batch_);
      d.pending.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        d.pending.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    d.batch.reserve(d.pending.size());
    for (auto& p : d.pending) d.batch.push_back(std::move(p.sub));
    d.status = store_->CommitBatch(d.batch, &d.committed);
    {
      MutexLock lock(&mu_);
      ++batches_;
    }
    {
      MutexLock lock(&done_mu_);
      done_.push_back(std::move(d));
    }
    done_cv_.Signal();
  }
}

void Sequencer::Answer() {
  for (;;) {
    Answers d;
    {
      MutexLock lock(&done_mu_);
      while (!writer_stopped_ && done_.empty()) done_cv_.Wait(&done_mu_);
      if (done_.empty()) return;  // the writer has stopped and everything was answered
      d = std::move(done_.front());
      done_.pop_front();
    }
    for (size_t i = 0; i < d.pending.size(); ++i) {
      d.pending[i].done(d.status, d.batch[i], d.status ? d.committed[i] : Committed{});
    }
  }
}

}  // namespace tuidang
