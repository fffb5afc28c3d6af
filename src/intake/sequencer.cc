#include "intake/sequencer.h"

#include <vector>

#include <spdlog/spdlog.h>

namespace tuidang {

Sequencer::Sequencer(BatchWriter* store, size_t queue_limit, size_t max_batch)
    : Sequencer(Stores{store, nullptr, nullptr}, queue_limit, max_batch) {}

Sequencer::Sequencer(Stores stores, size_t queue_limit, size_t max_batch)
    : stores_(stores), queue_limit_(queue_limit), max_batch_(max_batch) {
  writer_ = std::thread([this] { Run(); });
  answerer_ = std::thread([this] { Answer(); });
}

Sequencer::~Sequencer() { Stop(); }

void Sequencer::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  // Once: a second call (the destructor's after the server's own) finds the threads joined.
  std::call_once(stopped_, [this] {
    writer_.join();
    {
      MutexLock lock(&done_mu_);
      writer_stopped_ = true;
    }
    done_cv_.SignalAll();
    answerer_.join();
  });
}

bool Sequencer::Enqueue(Item item, bool limited) {
  {
    MutexLock lock(&mu_);
    if (stopping_ || (limited && queue_.size() >= queue_limit_)) return false;
    queue_.push_back(std::move(item));
  }
  cv_.Signal();
  return true;
}

bool Sequencer::Submit(Submission sub, Done done, AuditFor<BatchOutcome> audit) {
  Item item;
  item.group.push_back(std::move(sub));
  item.done = std::move(done);
  item.audit = std::move(audit);
  return Enqueue(std::move(item), /*limited=*/true);
}

bool Sequencer::SubmitGroup(std::vector<Submission> group, GroupDone done,
                            AuditFor<BatchOutcome> audit) {
  Item item;
  item.group = std::move(group);
  item.group_done = std::move(done);
  item.audit = std::move(audit);
  return Enqueue(std::move(item), /*limited=*/true);
}

template <typename R>
bool Sequencer::Task(std::function<R()> write, Then<R> done) {
  Item item;
  item.task = [write = std::move(write), done = std::move(done)]() mutable {
    auto result = std::make_shared<R>(write());
    return std::function<void()>([done = std::move(done), result] { done(std::move(*result)); });
  };
  return Enqueue(std::move(item), /*limited=*/false);
}

bool Sequencer::Approve(std::vector<int64_t> ids, AuditFor<std::vector<int64_t>> audit,
                        Then<Result<std::vector<int64_t>>> done) {
  if (!stores_.moderation) return false;  // no store for it: refused
  ModerationStore* m = stores_.moderation;
  return Task<Result<std::vector<int64_t>>>(
      [m, ids = std::move(ids), audit = std::move(audit)] { return m->Approve(ids, audit); },
      std::move(done));
}

bool Sequencer::Reject(std::vector<int64_t> ids, AuditFor<int64_t> audit,
                       Then<Result<int64_t>> done) {
  if (!stores_.moderation) return false;  // no store for it: refused
  ModerationStore* m = stores_.moderation;
  return Task<Result<int64_t>>(
      [m, ids = std::move(ids), audit = std::move(audit)] { return m->Reject(ids, audit); },
      std::move(done));
}

bool Sequencer::Withdraw(int64_t number, WithdrawalReason reason, AuditFor<int64_t> audit,
                         Then<Status> done) {
  BatchWriter* s = stores_.store;
  return Task<Status>(
      [s, number, reason, audit = std::move(audit)] { return s->Withdraw(number, reason, audit); },
      std::move(done));
}

bool Sequencer::WithdrawByReceipt(ReceiptHash receipt, Then<Result<bool>> done) {
  if (!stores_.moderation) return false;  // no store for it: refused
  ModerationStore* m = stores_.moderation;
  return Task<Result<bool>>([m, receipt] { return m->WithdrawByReceipt(receipt); },
                            std::move(done));
}

bool Sequencer::ForgetSealed(ReceiptHash receipt, Then<Result<int64_t>> done) {
  if (!stores_.moderation) return false;  // no store for it: refused
  ModerationStore* m = stores_.moderation;
  return Task<Result<int64_t>>([m, receipt] { return m->ForgetSealed(receipt); }, std::move(done));
}

bool Sequencer::CorrectHeld(int64_t id, Statement corrected, Then<Result<bool>> done) {
  if (!stores_.moderation) return false;  // no store for it: refused
  ModerationStore* m = stores_.moderation;
  return Task<Result<bool>>(
      [m, id, corrected = std::move(corrected)] { return m->CorrectHeld(id, corrected); },
      std::move(done));
}

bool Sequencer::RejectHeldGroup(std::string group, Then<Result<int64_t>> done) {
  if (!stores_.moderation) return false;  // no store for it: refused
  ModerationStore* m = stores_.moderation;
  return Task<Result<int64_t>>([m, group = std::move(group)] { return m->RejectHeldGroup(group); },
                               std::move(done));
}

bool Sequencer::PurgeRejected(int64_t retention_hours, Then<Result<int64_t>> done) {
  if (!stores_.moderation) return false;  // no store for it: refused
  ModerationStore* m = stores_.moderation;
  return Task<Result<int64_t>>([m, retention_hours] { return m->PurgeRejected(retention_hours); },
                               std::move(done));
}

bool Sequencer::PublishAccepted(std::vector<int64_t> ids, Then<Result<std::vector<int64_t>>> done) {
  if (!stores_.publication) return false;  // no store for it: refused
  PublicationStore* p = stores_.publication;
  return Task<Result<std::vector<int64_t>>>(
      [p, ids = std::move(ids)] { return p->PublishAccepted(ids); }, std::move(done));
}

uint64_t Sequencer::batches() const {
  MutexLock lock(&mu_);
  return batches_;
}

void Sequencer::Run() {
  for (;;) {
    Answers d;
    std::function<std::function<void()>()> task;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) cv_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, and everything queued was written
      if (queue_.front().task) {
        // Another write: alone, between two batches (run below, without the lock).
        task = std::move(queue_.front().task);
        queue_.pop_front();
      } else {
        // Whole groups, up to max_batch submissions (the first group always, however large).
        size_t n = 0;
        while (!queue_.empty() && !queue_.front().task &&
               (d.items.empty() || n + queue_.front().group.size() <= max_batch_)) {
          n += queue_.front().group.size();
          d.items.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    if (task) {
      d.task_answer = task();
    } else {
      Commit(&d);
    }
    {
      MutexLock lock(&done_mu_);
      done_.push_back(std::move(d));
    }
    done_cv_.Signal();
  }
}

size_t Sequencer::queued() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

void Sequencer::Commit(Answers* d) {
  size_t n = 0;
  bool audited = false;
  for (const Item& item : d->items) {
    n += item.group.size();
    audited = audited || static_cast<bool>(item.audit);
  }
  d->batch.reserve(n);
  for (Item& item : d->items) {
    for (Submission& sub : item.group) d->batch.push_back(std::move(sub));
  }
  AuditFor<BatchOutcome> audit;
  if (audited) {
    // Each group's entries, from its own slice of the batch.
    audit = [d](const BatchOutcome& all) {
      std::vector<AuditEntry> entries;
      size_t offset = 0;
      for (const Item& item : d->items) {
        size_t size = item.group.size();
        if (item.audit) {
          auto more = item.audit(
              BatchOutcome{all.batch.subspan(offset, size), all.committed.subspan(offset, size)});
          entries.insert(entries.end(), more.begin(), more.end());
        }
        offset += size;
      }
      return entries;
    };
  }
  d->status = stores_.store->CommitBatch(d->batch, &d->committed, audit);
  if (!d->status) {
    if (failed_in_a_row_++ == 0) {
      spdlog::error("storing failed ({}); submissions are answered 503 until a batch commits",
                    d->status.message());
    }
  } else if (failed_in_a_row_ > 0) {
    spdlog::info("storing works again after {} failed batches", failed_in_a_row_);
    failed_in_a_row_ = 0;
  }
  MutexLock lock(&mu_);
  ++batches_;
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
    if (d.task_answer) {
      d.task_answer();
      continue;
    }
    std::span<const Submission> batch(d.batch);
    std::span<const Committed> committed(d.committed);
    size_t offset = 0;
    for (Item& item : d.items) {
      size_t size = item.group.size();
      if (item.done) {
        item.done(d.status, d.batch[offset], d.status ? d.committed[offset] : Committed{});
      } else if (item.group_done) {
        item.group_done(d.status, batch.subspan(offset, size),
                        d.status ? committed.subspan(offset, size) : std::span<const Committed>());
      }
      offset += size;
    }
  }
}

}  // namespace tuidang
