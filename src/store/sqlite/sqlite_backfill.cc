// The background backfill of the indexes migration 4 leaves empty (sqlite_backfill.h).
#include "store/sqlite/sqlite_backfill.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>

#include "store/sqlite/sqlite_day_index.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

namespace sqlite {

namespace {

Result<std::optional<int64_t>> MetaNumber(Db& db, const char* key) {
  auto q = db.Cached("SELECT value FROM meta WHERE key = ?1");
  q->Bind(1, std::string_view(key));
  int rc = q->Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return Error{"read the backfill's progress: " + db.LastError()};
  const std::string text(q->Text(0));
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error{"unreadable backfill progress '" + text + "'"};
  }
  return std::optional<int64_t>(n);
}

}  // namespace

Result<bool> PersonsNumbered(Db& db) {
  auto q = db.Cached("SELECT 1 FROM meta WHERE key = 'backfill_persons_next'");
  int rc = q->Step();
  if (rc == SQLITE_DONE) return true;
  if (rc != SQLITE_ROW) return Error{"read the backfill's progress: " + db.LastError()};
  return false;
}

Result<bool> BackfillPersons(Db& db, int64_t max_ids) {
  auto next = MetaNumber(db, "backfill_persons_next");
  if (!next) return Error{next.error()};
  if (!*next) return false;
  auto end = MetaNumber(db, "backfill_persons_end");
  if (!end) return Error{end.error()};
  const int64_t from = **next, to = std::min(end->value_or(from), from + max_ids);
  // Statements published after the upgrade already carry them (the writer sets them).
  auto fill = db.Cached(
      "UPDATE persons SET day = s.day, number = s.number FROM statements s"
      " WHERE s.id = persons.statement AND s.status = 1 AND persons.statement >= ?1"
      " AND persons.statement < ?2");
  fill->Bind(1, from).Bind(2, to);
  if (fill->Step() != SQLITE_DONE) return Error{"number the persons: " + db.LastError()};
  if (to < end->value_or(from)) {
    auto save = db.Cached("UPDATE meta SET value = ?1 WHERE key = 'backfill_persons_next'");
    save->Bind(1, std::to_string(to));
    if (save->Step() != SQLITE_DONE) return Error{"record the backfill: " + db.LastError()};
    return true;
  }
  if (Status s = db.Exec(
          "DROP INDEX IF EXISTS persons_by_name;"
          "DELETE FROM meta WHERE key IN ('backfill_persons_next', 'backfill_persons_end');");
      !s) {
    return Error{"finish the persons' backfill: " + s.message()};
  }
  return true;
}

}  // namespace sqlite

Result<bool> SqliteStore::BackfillStep(int64_t anchor_rows, int64_t person_ids) {
  MutexLock lock(&write_mu_);
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  // The anchors first: they are the smaller part, and deep day pages the costlier fallback.
  auto did = sqlite::BackfillDayAnchors(writer_, anchor_rows);
  if (!did) return Error{did.error()};
  if (!*did) {
    did = sqlite::BackfillPersons(writer_, person_ids);
    if (!did) return Error{did.error()};
  }
  if (!*did) return false;
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return true;
}

BackfillRunner::BackfillRunner(SqliteStore* store) : thread_([this, store] { Run(store); }) {}

BackfillRunner::~BackfillRunner() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

void BackfillRunner::Run(SqliteStore* store) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  int64_t steps = 0;
  MutexLock lock(&mu_);
  while (!stop_) {
    lock.Unlock();
    const auto before = Clock::now();
    auto did = store->BackfillStep();
    const auto took = Clock::now() - before;
    lock.Lock();
    if (!did) {
      // Tried again later: a busy database (another process writing) is not fatal.
      spdlog::warn("store: index backfill: {}", did.error());
    } else if (!*did) {
      if (steps > 0) {
        spdlog::info("store: index backfill done ({} steps, {:.1f} s)", steps,
                     std::chrono::duration<double>(Clock::now() - started).count());
      }
      return;
    } else if (steps++ == 0) {
      spdlog::info("store: filling the day and name indexes in the background");
    }
    const Clock::duration pause =
        did ? std::max<Clock::duration>(took, std::chrono::milliseconds(1))
            : std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(5));
    const auto deadline = Clock::now() + pause;
    while (!stop_ && cv_.WaitUntil(&mu_, deadline)) {
    }
  }
}

}  // namespace tuidang
