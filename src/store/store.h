// Store: where statements live. SQLite (store/sqlite) is the embedded default; a PostgreSQL
// implementation of the same interface serves when one machine is not enough.
//
// Thread-safety: every method may be called from any thread. Writes (CommitBatch) are meant
// for one writer at a time, the sequencer (intake/sequencer.h), which batches many
// submissions into one durable transaction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/leaf.h"
#include "core/receipt.h"
#include "core/result.h"
#include "core/statement.h"
#include "core/totals.h"
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

// A group of held statements that share a flood signature (safety/flood.h).
struct HeldGroup {
  std::string group;
  std::string reason;
  int64_t statements = 0;
  Day first_day = 0, last_day = 0;
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

struct ReceiptStatus {
  StatementStatus status;
  std::optional<int64_t> number;
  Day day;
  std::optional<uint64_t> leaf_index;  // set once published
};

// What anyone needs to check a published statement against its leaf (docs/log-format.md).
struct Opening {
  uint64_t leaf_index = 0;
  std::string salt;    // kSaltSize bytes
  std::string record;  // the canonical record, exactly as committed
};

// A stored tile or entry bundle of the log; `level` -1 is an entry bundle.
struct StoredTile {
  int level = 0;
  uint64_t index = 0;
  int width = 0;
  std::string data;
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores every submission in one transaction that is durable when this returns OK
  // (fsync'd). Assigns ids, the day (today, CST) and, for published ones, consecutive
  // numbers; updates the totals in the same transaction, and writes `audit`'s entries
  // (operator_store.h) before it commits. On error nothing is stored.
  virtual Status CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                             const AuditFor<BatchOutcome>& audit = {}) = 0;

  // Published statement by public number; nullopt if none (or not published).
  virtual Result<std::optional<Statement>> GetPublished(int64_t number) = 0;
  // Published statements of `day` with number < `before` (0: no bound), newest first.
  virtual Result<std::vector<Statement>> ListDay(Day day, int64_t before, int64_t offset,
                                                 int limit) = 0;
  // Published statements with a person whose FoldName(name) equals `folded`, newest first,
  // optionally only of one day.
  virtual Result<std::vector<Statement>> SearchName(const std::string& folded,
                                                    std::optional<Day> day, int limit) = 0;
  virtual Result<std::optional<ReceiptStatus>> FindReceipt(const ReceiptHash& hash) = 0;
  // Totals as of the last committed batch (kept incrementally, never recounted per call).
  virtual std::shared_ptr<const Totals> GetTotals() = 0;
  // Recounts the totals from the statements themselves (for audits and tests).
  virtual Result<Totals> RecountTotals() = 0;

  // Picks up changes another process made (tuidang withdraw): reloads the totals.
  virtual void Refresh() = 0;

  // Takes a published statement down: deletes its names, text, record and salt, appends a
  // withdrawal leaf that cancels its leaf and lowers the totals, in one durable
  // transaction, with `audit`'s entries (called with `number`). Fails if `number` is not a
  // published statement.
  virtual Status Withdraw(int64_t number, WithdrawalReason reason,
                          const AuditFor<int64_t>& audit = {}) = 0;
  // The opening of a published statement; nullopt if there is none.
  virtual Result<std::optional<Opening>> GetOpening(int64_t number) = 0;

  // The log. Leaves are appended by CommitBatch and Withdraw; the integrator turns them into
  // tiles and checkpoints.
  // Number of leaves appended so far.
  virtual Result<uint64_t> LeafCount() = 0;
  // Entries of leaves [begin, end), in order.
  virtual Result<std::vector<std::string>> ReadLeaves(uint64_t begin, uint64_t end) = 0;
  // Stores the tiles that tree size `size` adds (keeping the widest version of each) and
  // the signed checkpoint for it, in one durable transaction.
  virtual Status SaveCheckpoint(const std::vector<StoredTile>& tiles, uint64_t size,
                                const std::string& signed_checkpoint) = 0;
  // The latest signed checkpoint and its size; nullopt before the first.
  virtual Result<std::optional<std::pair<uint64_t, std::string>>> LatestCheckpoint() = 0;
  // The stored (widest) version of hash tile (level, index); nullopt if none.
  virtual Result<std::optional<StoredTile>> ReadHashTile(int level, uint64_t index) = 0;
  // True if some checkpoint was published for a size in [lo, hi).
  virtual Result<bool> PublishedSizeIn(uint64_t lo, uint64_t hi) = 0;

  // Safety (issue 5). The defaults fail, for stores that have no such tables.
  // The sealed private fields of statement `id` (internal id), as stored.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ReadSealed(int64_t id) {
    return Error{"this store keeps no sealed fields"};
  }
  // Internal ids of statements with sealed fields, newest first, with their status.
  virtual Result<std::vector<std::pair<int64_t, StatementStatus>>> ListSealed(int limit) {
    return Error{"this store keeps no sealed fields"};
  }
  // Held statements grouped by flood group, largest first.
  virtual Result<std::vector<HeldGroup>> ListHeldGroups() {
    return Error{"this store keeps no hold groups"};
  }
  // Rejects every statement still held in `group` in one transaction: their names, text
  // and sealed fields are deleted (nothing was ever published or counted). Returns how many.
  virtual Result<int64_t> RejectHeldGroup(const std::string& group) {
    return Error{"this store keeps no hold groups"};
  }
};

}  // namespace tuidang
