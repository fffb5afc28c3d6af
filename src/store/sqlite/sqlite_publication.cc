// SqliteStore's publication batches (PublicationStore), and the publication of held or
// accepted statements that approval shares (PublishFrom): numbers, leaves and totals in
// one durable transaction, the domain's part computed by core/publication.h.
#include "core/publication.h"
#include "store/sqlite/sqlite_day_index.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

Result<std::vector<int64_t>> SqliteStore::ListAccepted(int64_t limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  // The literal 4 (StatementStatus::kAccepted) lets SQLite use the partial index
  // statements_accepted instead of reading every statement.
  auto q = lease.get()->db.Prepare("SELECT id FROM statements WHERE status = 4 LIMIT ?");
  q.Bind(1, limit);
  std::vector<int64_t> ids;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) ids.push_back(q.Int(0));
  if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return ids;
}

Result<std::vector<int64_t>> SqliteStore::PublishAccepted(const std::vector<int64_t>& ids) {
  return PublishFrom(ids, StatementStatus::kAccepted);
}

Result<std::vector<int64_t>> SqliteStore::PublishFrom(const std::vector<int64_t>& ids,
                                                      StatementStatus from,
                                                      const AuditFor<std::vector<int64_t>>& audit) {
  const int64_t from_code = static_cast<int64_t>(from);
  std::vector<Statement> held;
  {
    auto lease = Lease();
    if (!lease.get()) return Error{lease.error()};
    Reader& r = *lease.get();
    auto q = r.db.Prepare("SELECT " + std::string(sqlite::kStatementColumns) +
                          " FROM statements WHERE id = ? AND status = ?");
    for (int64_t id : ids) {
      q.Reset();
      q.Bind(1, id).Bind(2, from_code);
      if (q.Step() == SQLITE_ROW) held.push_back(sqlite::ReadStatement(q));
    }
    if (Status s = sqlite::LoadPersons(r.persons, r.db, &held); !s) return Error{s.message()};
  }
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) -> Result<std::vector<int64_t>> {
    write_mu_.AssertHeld();  // run under the caller's lock
    return Error{what + ": " + writer_.LastError()};
  };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  // The statements were read before this transaction: another writer (tuidang withdraw, a
  // moderator, the declarant) may have changed one since. Only those still in `from` are
  // numbered, so the numbers stay consecutive.
  auto still = writer_.Prepare("SELECT 1 FROM statements WHERE id = ? AND status = ?");
  std::erase_if(held, [&](const Statement& st) {
    still.Reset();
    still.Bind(1, st.id).Bind(2, from_code);
    return still.Step() != SQLITE_ROW;
  });
  still.Reset();
  auto next = writer_.Prepare(
      "SELECT (SELECT COALESCE(MAX(number), 0) + 1 FROM statements),"
      " (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves)");
  if (next.Step() != SQLITE_ROW) return fail("read counters");
  const Day day = today_ ? today_() : Today();
  PublicationRun run(next.Int(0), static_cast<uint64_t>(next.Int(1)), day);
  next.Reset();
  std::vector<int64_t> numbers;
  auto publish = writer_.Prepare(
      "UPDATE statements SET status = 1, number = ?, day = ?, leaf_index = ?, salt = ?, "
      "record = ? WHERE id = ? AND status = ?");
  auto add_leaf = writer_.Prepare("INSERT INTO leaves(idx, entry) VALUES(?, ?)");
  // The persons carry the day and number too, for the name search's index.
  auto number_persons =
      writer_.Prepare("UPDATE persons SET day = ?, number = ? WHERE statement = ?");
  for (Statement& st : held) {
    Publication pub = run.Assign(&st);
    PublicationRun::Seal(st, &pub);
    publish.Reset();
    publish.Bind(1, pub.number)
        .Bind(2, static_cast<int64_t>(day))
        .Bind(3, static_cast<int64_t>(pub.leaf_index))
        .BindBlob(4, pub.salt.data(), pub.salt.size())
        .Bind(5, pub.record)
        .Bind(6, st.id)
        .Bind(7, from_code);
    if (publish.Step() != SQLITE_DONE || sqlite3_changes(writer_.raw()) != 1) {
      return fail("publish statement");
    }
    add_leaf.Reset();
    add_leaf.Bind(1, static_cast<int64_t>(pub.leaf_index))
        .BindBlob(2, pub.entry.data(), pub.entry.size());
    if (add_leaf.Step() != SQLITE_DONE) return fail("append leaf");
    number_persons.Reset();
    number_persons.Bind(1, static_cast<int64_t>(day)).Bind(2, pub.number).Bind(3, st.id);
    if (number_persons.Step() != SQLITE_DONE) return fail("number the persons");
    numbers.push_back(pub.number);
  }
  if (run.delta().statements > 0) {
    if (!sqlite::AddPublished(writer_, day, run.delta())) return fail("update the totals");
    if (Status s = sqlite::AnchorPublished(writer_, day, numbers.front(),
                                           static_cast<int64_t>(numbers.size()));
        !s) {
      return Error{s.message()};
    }
  }
  if (audit) {
    if (Status s = WriteAudit(audit(numbers)); !s) return fail(s.message());
  }
  if (Status s = tx.Commit(); !s) return fail("commit");
  if (Status s = LoadTotals(); !s) return Error{s.message()};
  return numbers;
}

}  // namespace tuidang
