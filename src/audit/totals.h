// The count, as an auditor recomputes it from the log's entries alone (docs/log-format.md,
// "The count"), and as the site publishes it at /api/v1/stats (docs/api.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/day.h"
#include "core/leaf.h"
#include "core/result.h"

namespace tuidang::audit {

struct DayTotals {
  uint64_t persons = 0;
  uint64_t statements = 0;
  bool operator==(const DayTotals&) const = default;
};

struct Totals {
  uint64_t statements = 0;  // statement leaves not withdrawn
  uint64_t persons = 0;     // the sum of their persons
  uint64_t party = 0, league = 0, pioneers = 0;
  std::map<Day, DayTotals> by_day;  // by publication day; only days with a statement

  bool operator==(const Totals&) const = default;
};

// Reads entry `index` of the log again (an earlier entry, already counted), or fails with a
// message that says what could not be read or proven. The auditor's reads it again from the
// log's files and proves it by an inclusion proof (audit/reread.h); tests read a vector.
using EarlierEntry = std::function<Result<std::string>(uint64_t index)>;

// Counts entries in log order, in memory that grows with the days and the withdrawals, never
// with the entries: a withdrawal's target is read again through `earlier` instead of every
// leaf's facts being kept (458M leaves would need 7 GB at 16 bytes each). Not thread-safe.
class Tally {
 public:
  // With `snapshot_size`, Snapshot() gives the totals of the first snapshot_size entries.
  // `earlier` must be callable for as long as entries are added.
  explicit Tally(EarlierEntry earlier, std::optional<uint64_t> snapshot_size = std::nullopt);

  // Counts entry number `index` (REQUIRES: entries come in order from 0). Fails, counting
  // nothing, when the entry is not a valid leaf, or withdraws a leaf that is not an earlier
  // statement leaf or that was already withdrawn, or when that leaf cannot be read again. The
  // message starts with "leaf <index>".
  Status Add(uint64_t index, std::string_view entry);

  const Totals& totals() const { return totals_; }
  uint64_t entries() const { return entries_; }
  uint64_t withdrawals() const { return withdrawals_; }
  // The totals at snapshot_size entries, once that many were added.
  const std::optional<Totals>& Snapshot() const { return snapshot_; }

  // The heap bytes this tally holds (its day maps and the withdrawn leaves), about: what the
  // bounded-memory test watches as the entries grow.
  size_t StateBytes() const;

 private:
  void Count(const StatementLeaf& s, int sign);
  void MaybeSnapshot();

  EarlierEntry earlier_;
  std::unordered_set<uint64_t> withdrawn_;  // statement leaves already withdrawn
  uint64_t entries_ = 0;
  Totals totals_;
  uint64_t withdrawals_ = 0;
  std::optional<uint64_t> snapshot_size_;
  std::optional<Totals> snapshot_;
};

// The counts published at /api/v1/stats.
struct PublishedStats {
  Totals totals;
  // The number of log entries the totals describe, when the site says so ("tree_size"):
  // then they are compared with the log's totals at that size, so that a site that
  // publishes a statement a moment before it logs it does not fail its audit.
  std::optional<uint64_t> tree_size;
  // "today": the counts of one day, which must agree with by_day.
  std::optional<std::pair<Day, DayTotals>> today;
};

// Parses the JSON of /api/v1/stats: total_persons, total_statements,
// persons_by_organisation.{party,league,pioneers}, by_day [{date, persons, statements}]
// (days in any order, each at most once; a day with zero counts is the same as no entry),
// and the optional today {date, persons, statements} and tree_size. Unknown members are
// ignored. Fails on invalid JSON, a missing member, a count that is not a non-negative
// integer, or a bad date, naming the member.
Result<PublishedStats> ParseStats(std::string_view json);

// OK when the site's published totals equal the log's. Otherwise the first difference:
// "total_persons: the stats say 7, the log counts 5", "by_day 2026-11-23 statements: ...".
Status CompareTotals(const Totals& log, const PublishedStats& stats);

}  // namespace tuidang::audit
