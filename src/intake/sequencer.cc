#include "intake/sequencer.h"

#include <vector>

namespace tuidang {

Sequencer::Sequencer(Store* store, size_t queue_limit, size_t max_batch)
    : store_(store), queue_limit_(queue_limit), max_batch_(max_batch) {
  writer_ = std::thread([this] { Run(); });
}

Sequencer::~Sequencer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
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
  std::vector<Pending> pending;
  std::vector<Submission> batch;
  std::vector<Committed> committed;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued was committed
      size_t n = std::min(queue_.size(), max_batch_);
      for (size_t i = 0; i < n; ++i) {
        pending.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    batch.clear();
    for (auto& p : pending) batch.push_back(std::move(p.sub));
    Status status = store_->CommitBatch(batch, &committed);
    {
      std::lock_guard lock(mu_);
      ++batches_;
    }
    for (size_t i = 0; i < pending.size(); ++i) {
      pending[i].done(status, batch[i], status ? committed[i] : Committed{});
    }
    pending.clear();
  }
}

}  // namespace tuidang
