// Intake's vocabulary: a statement on its way to the store (Submission) and what the one
// writer gave it (Committed). Every channel's intake (intake/intake.h) makes submissions;
// the sequencer batches them and hands them to a store's BatchWriter (store/batch_writer.h),
// the interface a store implements. Plain data: this header has no code and includes only
// core/, so that a store can take these types without depending on the rest of intake.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/day.h"
#include "core/statement.h"

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
  // A historic record's publication day (`tuidang import --historic`, docs/import.md): the
  // statement is published at once on that day instead of the day of the commit, numbered
  // and logged in the batch's order like any other. 0 (every other submission): the day of
  // the commit. CommitBatch refuses a day after today, a web statement and one not
  // published at once.
  Day day = 0;
  // Optional: makes the submission idempotent (an imported row's key); a submission whose
  // key is already stored is skipped (Committed::duplicate) and nothing of it is written.
  std::string source_key;
  // With source_key: the row it comes from ("sheet.csv, line 12"), kept beside the key so
  // that a later row with the same key can say which row it matched. Never published.
  std::string source_row;
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
  bool duplicate = false;    // its source_key was already stored: nothing written
  std::string duplicate_of;  // with duplicate: the stored row's source_row
};

// What CommitBatch did, for the audit entries written in its transaction (AuditFor): the
// batch (with the final receipt codes) and what each submission was given, index by index.
struct BatchOutcome {
  std::span<const Submission> batch;
  std::span<const Committed> committed;
};

}  // namespace tuidang
