// Store: where statements live. SQLite (store/sqlite) is the embedded default; a PostgreSQL
// implementation of the same interface serves when one machine is not enough.
//
// Thread-safety: every method may be called from any thread. Writes (CommitBatch) are meant
// for one writer at a time, the sequencer (intake/sequencer.h), which batches many
// submissions into one durable transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/receipt.h"
#include "core/result.h"
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
};

// What CommitBatch assigned to one submission.
struct Committed {
  int64_t id = 0;
  std::optional<int64_t> number;
  StatementStatus status = StatementStatus::kHeld;
  Day day = 0;
};

struct ReceiptStatus {
  StatementStatus status;
  std::optional<int64_t> number;
  Day day;
};

struct DayCount {
  Day day;
  int64_t statements = 0;
  int64_t persons = 0;
};

// Totals over published statements. A person counts once in `persons` and once in each
// organisation they leave.
struct Totals {
  int64_t statements = 0;
  int64_t persons = 0;
  int64_t party = 0, league = 0, pioneers = 0;
  std::vector<DayCount> by_day;  // ascending by day, days with publications only
  DayCount Of(Day day) const;
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores every submission in one transaction that is durable when this returns OK
  // (fsync'd). Assigns ids, the day (today, CST) and, for published ones, consecutive
  // numbers; updates the totals in the same transaction. On error nothing is stored.
  virtual Status CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out) = 0;

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
};

}  // namespace tuidang
