// The day lists' page index (sqlite_day_index.h). Every query here names `status = 1` as a
// literal so that SQLite reads the partial index statements_published(day, number) alone,
// never the statement rows.
#include "store/sqlite/sqlite_day_index.h"

#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace tuidang::sqlite {

namespace {

Error Failed(Db& db, std::string_view what) {
  return Error{std::string(what) + ": " + db.LastError()};
}

// The backfill's progress on `day`: (next_rank, after), or nullopt when the day is indexed.
Result<std::optional<std::pair<int64_t, int64_t>>> Pending(Db& db, Day day) {
  auto q = db.Cached("SELECT next_rank, after FROM day_index_pending WHERE day = ?1");
  q->Bind(1, static_cast<int64_t>(day));
  int rc = q->Step();
  if (rc == SQLITE_DONE) return std::optional<std::pair<int64_t, int64_t>>();
  if (rc != SQLITE_ROW) return Failed(db, "read the day index's backfill");
  return std::optional<std::pair<int64_t, int64_t>>(std::pair{q->Int(0), q->Int(1)});
}

}  // namespace

Result<bool> DayIndexed(Db& db, Day day) {
  auto pending = Pending(db, day);
  if (!pending) return Error{pending.error()};
  return !pending->has_value();
}

Result<bool> BackfillDayAnchors(Db& db, int64_t max_rows) {
  auto first =
      db.Cached("SELECT day, next_rank, after FROM day_index_pending ORDER BY day LIMIT 1");
  int rc = first->Step();
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) return Failed(db, "read the day index's backfill");
  const int64_t day = first->Int(0);
  int64_t rank = first->Int(1), after = first->Int(2);
  first->Reset();
  auto rows = db.Cached(
      "SELECT number FROM statements WHERE status = 1 AND day = ?1 AND number > ?2"
      " ORDER BY number LIMIT ?3");
  rows->Bind(1, day).Bind(2, after).Bind(3, max_rows);
  auto insert = db.Cached("INSERT INTO day_anchors(day, block, number) VALUES(?1, ?2, ?3)");
  int64_t read = 0;
  while ((rc = rows->Step()) == SQLITE_ROW) {
    after = rows->Int(0);
    if (rank % kAnchorEvery == 0) {
      insert->Reset();
      insert->Bind(1, day).Bind(2, rank / kAnchorEvery).Bind(3, after);
      if (insert->Step() != SQLITE_DONE) return Failed(db, "anchor the day list");
    }
    ++rank;
    ++read;
  }
  if (rc != SQLITE_DONE) return Failed(db, "read the day's statements");
  rows->Reset();
  // Fewer than asked: the day's last statement was read, and from now on the writer keeps
  // its anchors (in this same transaction, so no publication falls between).
  auto done = db.Cached(read < max_rows ? "DELETE FROM day_index_pending WHERE day = ?1"
                                        : "UPDATE day_index_pending SET next_rank = ?2, after = ?3"
                                          " WHERE day = ?1");
  done->Bind(1, day);
  if (read >= max_rows) done->Bind(2, rank).Bind(3, after);
  if (done->Step() != SQLITE_DONE) return Failed(db, "record the day index's backfill");
  return true;
}

Result<int64_t> PublishedBelow(Db& db, Day day, int64_t before) {
  const int64_t bound = before > 0 ? before : std::numeric_limits<int64_t>::max();
  auto anchor = db.Cached(
      "SELECT block, number FROM day_anchors WHERE day = ?1 AND number < ?2"
      " ORDER BY number DESC LIMIT 1");
  anchor->Bind(1, static_cast<int64_t>(day)).Bind(2, bound);
  int rc = anchor->Step();
  if (rc == SQLITE_DONE) return int64_t{0};  // the day's first published number is >= bound
  if (rc != SQLITE_ROW) return Failed(db, "read the day's anchors");
  const int64_t block = anchor->Int(0), from = anchor->Int(1);
  // Fewer than kAnchorEvery entries: the next anchor, if any, is at or above `bound`.
  auto count = db.Cached(
      "SELECT COUNT(*) FROM statements WHERE status = 1 AND day = ?1 AND number >= ?2"
      " AND number < ?3");
  count->Bind(1, static_cast<int64_t>(day)).Bind(2, from).Bind(3, bound);
  if (count->Step() != SQLITE_ROW) return Failed(db, "count from the anchor");
  return block * kAnchorEvery + count->Int(0);
}

Result<std::optional<int64_t>> NumberAtRank(Db& db, Day day, int64_t rank) {
  if (rank < 0) return std::optional<int64_t>();
  auto anchor = db.Cached("SELECT number FROM day_anchors WHERE day = ?1 AND block = ?2");
  anchor->Bind(1, static_cast<int64_t>(day)).Bind(2, rank / kAnchorEvery);
  int rc = anchor->Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return Failed(db, "read the day's anchors");
  const int64_t from = anchor->Int(0);
  auto at = db.Cached(
      "SELECT number FROM statements WHERE status = 1 AND day = ?1 AND number >= ?2"
      " ORDER BY number LIMIT 1 OFFSET ?3");
  at->Bind(1, static_cast<int64_t>(day)).Bind(2, from).Bind(3, rank % kAnchorEvery);
  rc = at->Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return Failed(db, "skip from the anchor");
  return std::optional<int64_t>(at->Int(0));
}

Status AnchorPublished(Db& db, Day day, int64_t first, int64_t count) {
  auto pending = Pending(db, day);
  if (!pending) return Status::Fail(pending.error());
  if (*pending) return Status::Ok();  // the backfill reads them when it gets there
  auto below = PublishedBelow(db, day, first);
  if (!below) return Status::Fail(below.error());
  const int64_t had = *below;
  auto insert = db.Cached("INSERT INTO day_anchors(day, block, number) VALUES(?1, ?2, ?3)");
  // The first rank of a block among had, had + 1, ..., had + count - 1.
  for (int64_t rank = (had + kAnchorEvery - 1) / kAnchorEvery * kAnchorEvery; rank < had + count;
       rank += kAnchorEvery) {
    insert->Reset();
    insert->Bind(1, static_cast<int64_t>(day))
        .Bind(2, rank / kAnchorEvery)
        .Bind(3, first + (rank - had));
    if (insert->Step() != SQLITE_DONE)
      return Status::Fail("anchor the day list: " + db.LastError());
  }
  return Status::Ok();
}

Status AnchorWithdrawn(Db& db, Day day, int64_t number) {
  auto pending = Pending(db, day);
  if (!pending) return Status::Fail(pending.error());
  if (*pending) {
    if (number > (*pending)->second) return Status::Ok();  // not yet anchored: nothing moves
    // Every rank the backfill anchored at or above `number` shifted: anchor the day again.
    for (const char* sql :
         {"DELETE FROM day_anchors WHERE day = ?1",
          "UPDATE day_index_pending SET next_rank = 0, after = 0 WHERE day = ?1"}) {
      auto q = db.Cached(sql);
      q->Bind(1, static_cast<int64_t>(day));
      if (q->Step() != SQLITE_DONE)
        return Status::Fail("restart the day's backfill: " + db.LastError());
    }
    return Status::Ok();
  }
  std::vector<std::pair<int64_t, int64_t>> moved;  // (block, number), highest first
  {
    auto q = db.Cached(
        "SELECT block, number FROM day_anchors WHERE day = ?1 AND number >= ?2"
        " ORDER BY number DESC");
    q->Bind(1, static_cast<int64_t>(day)).Bind(2, number);
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) moved.emplace_back(q->Int(0), q->Int(1));
    if (rc != SQLITE_DONE) return Status::Fail("read the day's anchors: " + db.LastError());
  }
  // Each anchor at or above the withdrawn number lost one rank below it (or is the
  // withdrawn one): the rank it marks now belongs to its successor. Highest first, so that
  // no anchor moves onto a number another still holds.
  auto next = db.Cached(
      "SELECT number FROM statements WHERE status = 1 AND day = ?1 AND number > ?2"
      " ORDER BY number LIMIT 1");
  auto update = db.Cached("UPDATE day_anchors SET number = ?3 WHERE day = ?1 AND block = ?2");
  auto drop = db.Cached("DELETE FROM day_anchors WHERE day = ?1 AND block = ?2");
  for (const auto& [block, old] : moved) {
    next->Reset();
    next->Bind(1, static_cast<int64_t>(day)).Bind(2, old);
    int rc = next->Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return Status::Fail("find the next anchor: " + db.LastError());
    }
    Stmt& q = rc == SQLITE_ROW ? *update : *drop;  // none left: the day's last block is empty
    q.Reset();
    q.Bind(1, static_cast<int64_t>(day)).Bind(2, block);
    if (rc == SQLITE_ROW) q.Bind(3, next->Int(0));
    if (q.Step() != SQLITE_DONE) return Status::Fail("move an anchor: " + db.LastError());
  }
  return Status::Ok();
}

}  // namespace tuidang::sqlite
