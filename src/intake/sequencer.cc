#include "intake/sequencer.h"

#include <vector>

namespace tuidang {

Sequencer::Sequencer(BatchWriter* store, size_t queue_limit, size_t max_batch)
    : store_(store), queue_limit_(queue_limit), max_batch_(max_batch) {
  writer_ = std::thread([this] { Run(); });
  answerer_ = std::thread([this] { Answer(); });
}

Sequencer::~Sequencer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
  {
    std::lock_guard lock(done_mu_);
    writer_stopped_ = true;
  }
  done_cv_.notify_all();
  answerer_.join();
}

bool Sequencer::Submit(Submission sub, Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(Pending{std::move(sub), std::move(done)});
  }
  cv_.notify_one();
  return true;
}

uint64_t Sequencer::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

void Sequencer::Run() {
  for (;;) {
    Answers d;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
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
      std::lock_guard lock(mu_);
      ++batches_;
    }
    {
      std::lock_guard lock(done_mu_);
      done_.push_back(std::move(d));
    }
    done_cv_.notify_one();
  }
}

void Sequencer::Answer() {
  for (;;) {
    Answers d;
    {
      std::unique_lock lock(done_mu_);
      done_cv_.wait(lock, [this] { return writer_stopped_ || !done_.empty(); });
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
