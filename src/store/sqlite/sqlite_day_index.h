// The day lists' page index: which published number stands at a given rank of a day, in
// O(log n) whatever the rank, so that page 20,000 of a day costs what page 1 costs.
//
// For each day, `day_anchors` holds the number at every kAnchorEvery-th rank of that day's
// published statements in ascending number order (block b: rank b * kAnchorEvery). A rank
// is then one anchor look-up and a skip of fewer than kAnchorEvery index entries. The
// writer keeps the anchors in the transaction that publishes or withdraws: publication
// only ever appends to a day (a new number is larger than every number before it, so it
// takes the day's next ranks), and a withdrawal moves every anchor at or above the
// withdrawn number to its successor (docs/paging.md).
//
// A day listed in `day_index_pending` (a database upgraded from schema 3: its anchors are
// written after the server listens, sqlite_backfill.h) has only its first ranks anchored:
// the writer leaves its anchors to the backfill, and its pages are read by OFFSET until
// the backfill has reached its end (DayIndexed).
//
// Internal to store/sqlite. Not thread-safe: each function uses the connection it is given,
// from the thread that holds it; call them inside one transaction so that the ranks they
// read describe one state of the day.
#pragma once

#include <cstdint>
#include <optional>

#include "core/result.h"
#include "core/statement.h"
#include "store/sqlite/sqlite_db.h"

namespace tuidang::sqlite {

// Ranks between two anchors. Migration 4 (sqlite_schema.cc) writes the same number.
constexpr int64_t kAnchorEvery = 50;

// How many published statements of `day` have a number below `before` (0: no bound).
Result<int64_t> PublishedBelow(Db& db, Day day, int64_t before);
// The number of the published statement of `day` at ascending `rank` (0: the day's first);
// nullopt past the day's last.
Result<std::optional<int64_t>> NumberAtRank(Db& db, Day day, int64_t rank);

// False while `day` waits for the backfill of its anchors: NumberAtRank and PublishedBelow
// do not describe it yet.
Result<bool> DayIndexed(Db& db, Day day);

// Anchors the next ranks of the lowest day that waits for its anchors, at most `max_rows`
// statements of it, and takes the day off the list once its last statement is reached.
// Returns false when no day waits (nothing done).
// REQUIRES: inside a write transaction.
Result<bool> BackfillDayAnchors(Db& db, int64_t max_rows);

// Records that `count` statements numbered first, first + 1, ... were just published on
// `day` (their rows already written or not yet: only numbers below `first` are counted).
// Nothing for a day that waits for the backfill (it reads the new numbers when it gets there).
// REQUIRES: inside the publishing write transaction; first is above every number of `day`.
Status AnchorPublished(Db& db, Day day, int64_t first, int64_t count);
// Moves the anchors of `day` after the withdrawal of `number`. For a day that waits for the
// backfill, a withdrawal among the ranks it has anchored starts the day's backfill again.
// REQUIRES: inside the withdrawing write transaction, after the statement left status 1.
Status AnchorWithdrawn(Db& db, Day day, int64_t number);

}  // namespace tuidang::sqlite
