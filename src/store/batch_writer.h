// The batch writer: what the sequencer (intake/sequencer.h), the one writer, calls to make
// statements durable, and the operator's take-down that shares its transaction stream.
//
// Thread-safety: every method may be called from any thread, but writes are meant for one
// writer at a time, which batches many submissions into one durable transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/leaf.h"
#include "core/result.h"
#include "core/statement.h"
#include "store/operator_store.h"

namespace tuidang {

// A statement waiting to be stored, with the receipt code to hand out for it. Only the
// code's hash is written; should it collide with a stored one (expected about ten times in
// 458 million statements), CommitBatch draws a new code into `receipt_code`.
struct Submission {
  Statement statement;  // persons, region, occupation, text, channel, language set
  std::string receipt_code;
  // FoldName() of each person's name, computed before queueing so the single writer does
  // not spend its time on it; computed by CommitBatch when empty.
  std::vector<std::string> folded_names;
  bool publish = true;  // publish at once, or hold for moderation
  // With publish: store it as accepted (StatementStatus::kAccepted), to be numbered and
  // published by the next publication batch (intake/publisher.h) instead of at once.
  bool batched = false;
  // Optional: makes the submission idempotent (an imported row's key); a submission whose
  // key is already stored is skipped (Committed::duplicate) and nothing of it is written.
  std::string source_key;
  // Private fields (contact for follow-up, ...) already sealed to the office key
  // (safety/seal.h): (field name, sealed box). Stored beside the statement, never in clear.
  std::vector<std::pair<std::string, std::string>> sealed;
  // For a held submission: why (the abuse gate's reason) and the moderation group it is
  // filed under, so that a moderator can reject a whole flood at once.
  std::string hold_reason, hold_group;
};

// What CommitBatch assigned to one submission.
struct Committed {
  int64_t id = 0;
  std::optional<int64_t> number;
  StatementStatus status = StatementStatus::kHeld;
  Day day = 0;
  bool duplicate = false;  // its source_key was already stored: nothing written
};

// What CommitBatch did, for the audit entries written in its transaction (AuditFor): the
// batch (with the final receipt codes) and what each submission was given, index by index.
struct BatchOutcome {
  std::span<const Submission> batch;
  std::span<const Committed> committed;
};

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
