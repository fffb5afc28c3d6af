// SqliteStore's read side for the public pages, the API and the export (StatementReader):
// published statements, name searches, receipts and openings, each on a leased reader
// connection with its prepared statements (sqlite_schema.cc).
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"

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
  sqlite::Stmt& q = before > 0 ? r.day_page_before : r.day_page;
  q.Reset();
  int i = 1;
  q.Bind(i++, static_cast<int64_t>(day));
  if (before > 0) q.Bind(i++, before);
  q.Bind(i, static_cast<int64_t>(limit));
  q.Bind(i + 1, offset);
  auto out = sqlite::CollectStatements(q, r.db);
  if (!out) return out;
  if (Status s = sqlite::LoadPersons(r.persons, r.db, &*out); !s) return Error{s.message()};
  return out;
}

Result<std::vector<Statement>> SqliteStore::SearchName(const std::string& folded,
                                                       std::optional<Day> day, int limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  sqlite::Stmt& q = day ? r.search_day : r.search;
  q.Reset();
  q.Bind(1, folded);
  if (day) q.Bind(2, static_cast<int64_t>(*day)).Bind(3, static_cast<int64_t>(limit));
  else q.Bind(2, static_cast<int64_t>(limit));
  auto out = sqlite::CollectStatements(q, r.db);
  if (!out) return out;
  if (Status s = sqlite::LoadPersons(r.persons, r.db, &*out); !s) return Error{s.message()};
  return out;
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
    found = ReceiptStatus{static_cast<StatementStatus>(r.receipt.Int(0)), std::nullopt,
                          static_cast<Day>(r.receipt.Int(2)), std::nullopt};
    if (!r.receipt.IsNull(1)) found->number = r.receipt.Int(1);
    if (!r.receipt.IsNull(3)) found->leaf_index = static_cast<uint64_t>(r.receipt.Int(3));
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
