// The sequencer: the one writer in front of the store. Request threads queue submissions;
// the writer thread takes everything queued (up to a batch limit), commits it with one
// durable transaction and then has every waiting request answered (group commit, as in
// LevelDB's DBImpl::Write). The answers are given by a second thread, in commit order,
// so that the writer starts on the next batch at once. The queue is bounded: when it is
// full, Submit refuses at once so the server can shed load (503) instead of queueing
// without bound.
//
// Every other write of the server goes through the same queue and runs on the same writer
// thread, one at a time between two batches: a moderator's approval or rejection, a
// withdrawal, a declarant's correction, the purge of rejected statements, a publication
// batch. So each is ordered with the batches that share its transaction stream, and the
// store sees one writer. The sequencer only calls the store interfaces (store/*.h); a
// PostgreSQL store implements the same methods.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "store/batch_writer.h"
#include "store/moderation_store.h"
#include "store/publication_store.h"

namespace tuidang {

class Sequencer {
 public:
  // Called once per accepted submission, on the sequencer's answering thread, after its
  // transaction is durable (status OK) or failed (nothing of it stored). `sub` holds the
  // final receipt code.
  using Done =
      std::function<void(const Status& status, const Submission& sub, const Committed& committed)>;
  // The same for a group (SubmitGroup): its submissions and, when status is OK, what each
  // was given (index by index; empty on failure).
  using GroupDone = std::function<void(const Status& status, std::span<const Submission> group,
                                       std::span<const Committed> committed)>;
  // The answer to one of the other writes (Approve, Withdraw, ...), on the answering thread.
  template <typename R>
  using Then = std::function<void(R result)>;

  // The store interfaces the writes go to; not owned, they must outlive the sequencer.
  // Without `moderation` or `publication` the writes that need them are refused.
  struct Stores {
    BatchWriter* store = nullptr;
    ModerationStore* moderation = nullptr;
    PublicationStore* publication = nullptr;
  };

  // Starts the writer and answering threads. `store` must outlive the sequencer.
  Sequencer(BatchWriter* store, size_t queue_limit, size_t max_batch);
  Sequencer(Stores stores, size_t queue_limit, size_t max_batch);
  // Stop(), if not called yet.
  ~Sequencer();
  Sequencer(const Sequencer&) = delete;
  Sequencer& operator=(const Sequencer&) = delete;

  // Refuses new writes, commits what is queued, answers it, then stops both threads.
  // A server calls it before its connections' io_context goes (the answers drop the last
  // references to connections, whose timers need that io_context). Idempotent; thread-safe.
  void Stop() EXCLUDES(mu_);

  // Queues `sub`, with the audit entries to write in its transaction (`audit`, given the
  // one submission and what it was given; empty: none). Returns false, without calling
  // `done`, when the queue is full or stopping. Thread-safe.
  bool Submit(Submission sub, Done done, AuditFor<BatchOutcome> audit = {});
  // Writes waiting for the writer thread (a submission, a group or another write each count
  // one, as queue_limit does). Thread-safe.
  size_t queued() const EXCLUDES(mu_);
  // Queues `group` to be stored whole in one transaction, never split across batches (a
  // sheet's import): with other queued submissions while the batch stays within max_batch,
  // alone when the group is larger. `audit` is given the group's slice of the batch.
  // Counts as one against the queue limit. Returns false, without calling `done`, when the
  // queue is full or stopping. Thread-safe.
  bool SubmitGroup(std::vector<Submission> group, GroupDone done,
                   AuditFor<BatchOutcome> audit = {});

  // The other writes: each runs the store method of the same name on the writer thread,
  // after every batch queued before it and before any queued after it, and hands its
  // result to `done` on the answering thread. They are not held to the queue limit (their
  // callers are limited already: an operator's actions per minute, the receipt guard, one
  // timer each), so a flood of web statements never refuses a withdrawal. Each returns
  // false, without calling `done`, when stopping or when the sequencer has no store for it.
  // Thread-safe.
  bool Approve(std::vector<int64_t> ids, AuditFor<std::vector<int64_t>> audit,
               Then<Result<std::vector<int64_t>>> done);
  bool Reject(std::vector<int64_t> ids, AuditFor<int64_t> audit, Then<Result<int64_t>> done);
  bool Withdraw(int64_t number, WithdrawalReason reason, AuditFor<int64_t> audit,
                Then<Status> done);
  bool WithdrawByReceipt(ReceiptHash receipt, Then<Result<bool>> done);
  bool ForgetSealed(ReceiptHash receipt, Then<Result<int64_t>> done);
  bool CorrectHeld(int64_t id, Statement corrected, Then<Result<bool>> done);
  bool RejectHeldGroup(std::string group, Then<Result<int64_t>> done);
  bool PurgeRejected(int64_t retention_hours, Then<Result<int64_t>> done);
  bool PublishAccepted(std::vector<int64_t> ids, Then<Result<std::vector<int64_t>>> done);

  // Batches of submissions committed so far (for metrics and benchmarks).
  uint64_t batches() const;

 private:
  // One queued unit: a group of submissions (one for Submit), or another write (`task`,
  // whose result is the answer to run on the answering thread).
  struct Item {
    std::vector<Submission> group;
    Done done;             // Submit's
    GroupDone group_done;  // SubmitGroup's
    AuditFor<BatchOutcome> audit;
    std::function<std::function<void()>()> task;
  };
  // A committed batch (or a task's answer) waiting to be answered.
  struct Answers {
    Status status;
    std::vector<Item> items;
    std::vector<Submission> batch;
    std::vector<Committed> committed;
    std::function<void()> task_answer;
  };
  bool Enqueue(Item item, bool limited);
  // Queues `write` (run on the writer thread) whose result goes to `done`.
  template <typename R>
  bool Task(std::function<R()> write, Then<R> done);
  void Run();
  void Answer();
  // Commits the groups in d->items as one batch (on the writer thread).
  void Commit(Answers* d);

  const Stores stores_;
  const size_t queue_limit_;
  const size_t max_batch_;

  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Item> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  uint64_t batches_ GUARDED_BY(mu_) = 0;
  // Batches failed in a row (the writer thread's own): the log says when storing starts
  // failing and when it works again, two lines per episode, never a line per batch
  // (journald would stamp each with the time).
  uint64_t failed_in_a_row_ = 0;
  std::thread writer_;

  Mutex done_mu_;
  CondVar done_cv_;
  std::deque<Answers> done_ GUARDED_BY(done_mu_);
  bool writer_stopped_ GUARDED_BY(done_mu_) = false;
  std::thread answerer_;
  std::once_flag stopped_;  // Stop()'s joins
};

// Queues a write with `queue` (a call of one of Sequencer's writes, given the callback) and
// waits for its result: for callers that answer synchronously (a console page, a command,
// the publisher's timer). Returns `refused` when the write was not queued.
// REQUIRES: not called on the sequencer's answering thread (it would wait for itself), so
// never from a Done callback.
template <typename R, typename Queue>
R AwaitWrite(Queue&& queue, R refused) {
  // Shared: the answering thread may still be inside set_value when the waiter returns.
  auto promise = std::make_shared<std::promise<R>>();
  std::future<R> result = promise->get_future();
  if (!queue([promise](R r) { promise->set_value(std::move(r)); })) return refused;
  return result.get();
}

}  // namespace tuidang
