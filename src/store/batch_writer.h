// The batch writer: what the sequencer (intake/sequencer.h), the one writer, calls to make
// statements durable, and the operator's take-down that shares its transaction stream. It
// takes intake's submissions (intake/submission.h) and persists what core/publication.h
// computes for them; a store implements it.
//
// Thread-safety: every method may be called from any thread, but writes are meant for one
// writer at a time, which batches many submissions into one durable transaction.
#pragma once

#include <cstdint>
#include <vector>

#include "core/leaf.h"  // WithdrawalReason
#include "core/result.h"
#include "intake/submission.h"
#include "store/operator_store.h"

namespace tuidang {

class BatchWriter {
 public:
  virtual ~BatchWriter() = default;

  // Stores every submission in one transaction that is durable when this returns OK
  // (fsync'd). Assigns ids, the day (today, CST) and, for published ones, consecutive
  // numbers; updates the totals in the same transaction, and writes `audit`'s entries
  // (operator_store.h) before it commits. On error nothing is stored and `out` is empty.
  virtual Status CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                             const AuditFor<BatchOutcome>& audit = {}) = 0;

  // Takes a published statement down: deletes its names, text, record and salt, appends a
  // withdrawal leaf that cancels its leaf and lowers the totals, in one durable
  // transaction, with `audit`'s entries (called with `number`). Fails if `number` is not a
  // published statement.
  virtual Status Withdraw(int64_t number, WithdrawalReason reason,
                          const AuditFor<int64_t>& audit = {}) = 0;
};

}  // namespace tuidang
