// The read side of the store: what the public pages, the API and the export read. Nothing
// here writes (Refresh only reloads a cache).
//
// Thread-safety: every method may be called from any thread, concurrently with the writer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/moderation.h"
#include "core/receipt.h"
#include "core/result.h"
#include "core/statement.h"
#include "core/totals.h"

namespace tuidang {

struct ReceiptStatus {
  StatementStatus status;
  std::optional<int64_t> number;
  Day day;
  std::optional<uint64_t> leaf_index;  // set once published
  // With leaf_index: that leaf's entry (docs/log-format.md), read with the receipt so that a
  // proof needs no read of its own for it.
  std::string leaf_entry;
  // With leaf_index: the full level-0 tile holding that leaf (256 hashes) once the
  // integrator stored it, read with the receipt so that its proof reads no tile of its own
  // at level 0; empty before (the leaf is on the log's open right edge) and for logs
  // integrated before level-0 tiles were stored.
  std::string leaf_tile;
};

// What anyone needs to check a published statement against its leaf (docs/log-format.md).
struct Opening {
  uint64_t leaf_index = 0;
  std::string salt;    // kSaltSize bytes
  std::string record;  // the canonical record, exactly as committed
};

class StatementReader {
 public:
  virtual ~StatementReader() = default;

  // Published statement by public number; nullopt if none (or not published).
  virtual Result<std::optional<Statement>> GetPublished(int64_t number) = 0;
  // Published statements of `day` with number < `before` (0: no bound), newest first,
  // without the first `offset` of them. O(log n + limit) whatever the offset: page 20,000 of
  // a day costs what page 1 costs (docs/paging.md).
  virtual Result<std::vector<Statement>> ListDay(Day day, int64_t before, int64_t offset,
                                                 int limit) = 0;
  // Published statements with a person whose FoldName(name) equals `folded`, optionally
  // only of one day, newest day first and newest number first within a day; with
  // `before` > 0, only those after the statement numbered `before` in that order (the last
  // of the page before; none when there is no such statement). O(log n + limit).
  virtual Result<std::vector<Statement>> SearchName(const std::string& folded,
                                                    std::optional<Day> day, int64_t before,
                                                    int limit) = 0;
  // How many statements SearchName(folded, day, 0, ...) would list in all, counting no
  // further than cap + 1: a result above `cap` means "more than cap". O(log n + cap).
  virtual Result<int64_t> CountName(const std::string& folded, std::optional<Day> day,
                                    int64_t cap) = 0;
  virtual Result<std::optional<ReceiptStatus>> FindReceipt(const ReceiptHash& hash) = 0;
  // The opening of a published statement; nullopt if there is none.
  virtual Result<std::optional<Opening>> GetOpening(int64_t number) = 0;
  // The moderation counters of days `first`..`last` (inclusive), ascending by day, event and
  // reason, only those above zero. O(rows returned): one range of the per-day counter table,
  // never a pass over the statements. Which days may be shown is the caller's rule
  // (LastPublicModerationDay).
  virtual Result<std::vector<ModerationCount>> ModerationCounts(Day first, Day last) = 0;

  // Totals as of the last committed batch (kept incrementally, never recounted per call).
  // Never null.
  virtual std::shared_ptr<const Totals> GetTotals() = 0;
  // Recounts the totals from the statements themselves (for audits and tests).
  virtual Result<Totals> RecountTotals() = 0;
  // Picks up changes another process made (tuidang withdraw): reloads the totals.
  virtual void Refresh() = 0;
};

}  // namespace tuidang
