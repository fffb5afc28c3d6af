// SqliteStore's read side for the public pages, the API and the export (StatementReader):
// published statements, day pages (by the day's anchors, sqlite_day_index.h), name
// searches (by persons_published), receipts and openings, each on a leased reader
// connection with its prepared statements (sqlite_schema.cc).
#include <algorithm>
#include <limits>
#include <utility>

#include "store/sqlite/sqlite_backfill.h"
#include "store/sqlite/sqlite_day_index.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

Result<std::optional<Statement>> SqliteStore::GetPublished(int64_t number) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.by_number.Reset();
  r.by_number.Bind(1, number);
  std::vector<Statement> found;
  int rc = r.by_number.Step();
  if (rc == SQLITE_ROW) found.push_back(sqlite::ReadStatement(r.by_number));
  else if (rc != SQLITE_DONE) return Error{r.db.LastError()};
  r.by_number.Reset();
  if (found.empty()) return std::optional<Statement>();
  if (Status s = sqlite::LoadPersons(r.persons, r.db, &found); !s) return Error{s.message()};
  return std::optional<Statement>(std::move(found[0]));
}

Result<std::vector<Statement>> SqliteStore::ListDay(Day day, int64_t before, int64_t offset,
                                                    int limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  // One snapshot for the ranks and the rows: a batch published in between would shift them.
  sqlite::Transaction read(r.db);
  if (offset > 0) {
    if (Status s = read.BeginRead(); !s) return Error{s.message()};
    auto indexed = sqlite::DayIndexed(r.db, day);
    if (!indexed) return Error{indexed.error()};
    if (!*indexed) {
      // The day's anchors are still being written (sqlite_backfill.h): the page by OFFSET,
      // as before the index, until the backfill has reached the day's end.
      auto q = r.db.Cached("SELECT " + std::string(sqlite::kStatementColumns) +
                           " FROM statements WHERE status = 1 AND day = ?1 AND number < ?2"
                           " ORDER BY number DESC LIMIT ?3 OFFSET ?4");
      q->Bind(1, static_cast<int64_t>(day))
          .Bind(2, before > 0 ? before : std::numeric_limits<int64_t>::max())
          .Bind(3, static_cast<int64_t>(limit))
          .Bind(4, offset);
      auto out = sqlite::CollectStatements(*q, r.db);
      if (!out) return out;
      if (Status s = sqlite::LoadPersons(r.persons, r.db, &*out); !s) return Error{s.message()};
      if (Status s = read.Commit(); !s) return Error{s.message()};
      return out;
    }
    // The page's newest statement is the one `offset` ranks below the newest under `before`:
    // its number found by the day's anchors, the page read from it as a keyset page.
    auto below = sqlite::PublishedBelow(r.db, day, before);
    if (!below) return Error{below.error()};
    auto top = sqlite::NumberAtRank(r.db, day, *below - 1 - offset);
    if (!top) return Error{top.error()};
    if (!*top) return std::vector<Statement>();  // past the day's oldest
    before = **top + 1;
  }
  sqlite::Stmt& q = before > 0 ? r.day_page_before : r.day_page;
  q.Reset();
  int i = 1;
  q.Bind(i++, static_cast<int64_t>(day));
  if (before > 0) q.Bind(i++, before);
  q.Bind(i, static_cast<int64_t>(limit));
  auto out = sqlite::CollectStatements(q, r.db);
  if (!out) return out;
  if (Status s = sqlite::LoadPersons(r.persons, r.db, &*out); !s) return Error{s.message()};
  if (offset > 0) {
    if (Status s = read.Commit(); !s) return Error{s.message()};
  }
  return out;
}

namespace {

// The days a name search covers: one, or all.
std::pair<int64_t, int64_t> DayRange(std::optional<Day> day) {
  if (day) return {static_cast<int64_t>(*day), static_cast<int64_t>(*day)};
  return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
}

}  // namespace

Result<std::vector<Statement>> SqliteStore::SearchName(const std::string& folded,
                                                       std::optional<Day> day, int64_t before,
                                                       int limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  sqlite::Transaction read(r.db);
  if (Status s = read.BeginRead(); !s) return Error{s.message()};
  const auto [low_day, high_day] = DayRange(day);
  // The keyset bound: (day, number) of the cursor's statement, or past everything.
  int64_t bound_day = high_day, bound_number = std::numeric_limits<int64_t>::max();
  if (before > 0) {
    r.day_of_number.Reset();
    r.day_of_number.Bind(1, before);
    int rc = r.day_of_number.Step();
    if (rc == SQLITE_DONE) return std::vector<Statement>();
    if (rc != SQLITE_ROW) return Error{r.db.LastError()};
    bound_day = std::min(bound_day, r.day_of_number.Int(0));
    bound_number = before;
    r.day_of_number.Reset();
  }
  // The numbers, in the index's order; a statement naming the same person twice appears
  // twice in a row and is taken once.
  std::vector<int64_t> numbers;
  auto filled = sqlite::PersonsNumbered(r.db);
  if (!filled) return Error{filled.error()};
  // Until the backfill has given every person its statement's day and number, the matches
  // come from persons_by_name and the statements (read whole and sorted, as before).
  sqlite::Stmt& m = *filled ? r.name_matches : r.name_matches_by_join;
  m.Reset();
  m.Bind(1, folded).Bind(2, low_day).Bind(3, bound_day).Bind(4, bound_number);
  int rc = SQLITE_DONE;
  while (static_cast<int>(numbers.size()) < limit && (rc = m.Step()) == SQLITE_ROW) {
    if (numbers.empty() || numbers.back() != m.Int(1)) numbers.push_back(m.Int(1));
  }
  if (static_cast<int>(numbers.size()) < limit && rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  m.Reset();
  std::vector<Statement> out;
  out.reserve(numbers.size());
  for (int64_t number : numbers) {
    r.by_number.Reset();
    r.by_number.Bind(1, number);
    rc = r.by_number.Step();
    if (rc == SQLITE_ROW) out.push_back(sqlite::ReadStatement(r.by_number));
    else if (rc != SQLITE_DONE) return Error{r.db.LastError()};
  }
  r.by_number.Reset();
  if (Status s = sqlite::LoadPersons(r.persons, r.db, &out); !s) return Error{s.message()};
  if (Status s = read.Commit(); !s) return Error{s.message()};
  return out;
}

Result<int64_t> SqliteStore::CountName(const std::string& folded, std::optional<Day> day,
                                       int64_t cap) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  const auto [low_day, high_day] = DayRange(day);
  auto filled = sqlite::PersonsNumbered(r.db);
  if (!filled) return Error{filled.error()};
  sqlite::Stmt& q = *filled ? r.name_count : r.name_count_by_join;
  q.Reset();
  q.Bind(1, folded).Bind(2, low_day).Bind(3, high_day).Bind(4, cap + 1);
  if (q.Step() != SQLITE_ROW) return Error{r.db.LastError()};
  int64_t count = q.Int(0);
  q.Reset();
  return count;
}

Result<std::optional<ReceiptStatus>> SqliteStore::FindReceipt(const ReceiptHash& hash) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.receipt.Reset();
  r.receipt.BindBlob(1, hash.data(), hash.size());
  int rc = r.receipt.Step();
  std::optional<ReceiptStatus> found;
  if (rc == SQLITE_ROW) {
    found = ReceiptStatus{static_cast<StatementStatus>(r.receipt.Int(0)),
                          std::nullopt,
                          static_cast<Day>(r.receipt.Int(2)),
                          std::nullopt,
                          {},
                          {}};
    if (!r.receipt.IsNull(1)) found->number = r.receipt.Int(1);
    if (!r.receipt.IsNull(3)) found->leaf_index = static_cast<uint64_t>(r.receipt.Int(3));
    if (!r.receipt.IsNull(4)) found->leaf_entry = std::string(r.receipt.Text(4));
    if (!r.receipt.IsNull(5)) found->leaf_tile = std::string(r.receipt.Text(5));
  } else if (rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.receipt.Reset();
  return found;
}

Result<std::optional<Opening>> SqliteStore::GetOpening(int64_t number) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.opening.Reset();
  r.opening.Bind(1, number);
  std::optional<Opening> out;
  int rc = r.opening.Step();
  if (rc == SQLITE_ROW) {
    out = Opening{static_cast<uint64_t>(r.opening.Int(0)), std::string(r.opening.Text(1)),
                  std::string(r.opening.Text(2))};
  } else if (rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.opening.Reset();
  return out;
}

}  // namespace tuidang
