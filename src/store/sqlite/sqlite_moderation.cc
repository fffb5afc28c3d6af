// SqliteStore's moderation (ModerationStore, issue 4): purging rejected statements after
// their retention, the held statements of a flood group, a declarant's correction of a held
// statement, and the queue itself: its pages, approval, rejection and the declarant's own
// withdrawal. The sealed fields and flood groups are in sqlite_safety.cc.
#include <algorithm>
#include <chrono>
#include <limits>

#include <fmt/format.h>

#include "core/text.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

namespace {

int64_t HourNow() {
  return std::chrono::duration_cast<std::chrono::hours>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<int64_t> SqliteStore::PurgeRejected(int64_t retention_hours) {
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) -> Result<int64_t> {
    write_mu_.AssertHeld();  // run under the caller's lock
    return Error{what + ": " + writer_.LastError()};
  };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  const int64_t now = HourNow();
  // A rejection's clock starts at the first pass that sees it, dated to the end of that
  // hour (never early): the rejection itself (sqlite_store.cc, sqlite_safety.cc) writes no
  // time. Retention 0 takes every rejected statement, dated or not. A held statement its
  // declarant withdrew (status 3 without a number: never published) is purged the same
  // way; a withdrawn published one keeps its row, its number being public.
  auto stamp = writer_.Prepare(
      "INSERT OR IGNORE INTO rejections(statement, hour) SELECT id, ? FROM statements"
      " WHERE status = 2 OR (status = 3 AND number IS NULL)");
  stamp.Bind(1, now + 1);
  const int64_t cutoff =
      retention_hours == 0 ? std::numeric_limits<int64_t>::max() : now - retention_hours;
  if (stamp.Step() != SQLITE_DONE) return fail("date rejections");
  constexpr std::string_view kDue =
      "(SELECT r.statement FROM rejections r JOIN statements s ON s.id = r.statement"
      " WHERE (s.status = 2 OR (s.status = 3 AND s.number IS NULL)) AND r.hour <= ?1)";
  auto run = [&](std::string_view sql) {
    write_mu_.AssertHeld();  // run under the caller's lock
    return RunOverIds(sql, kDue, cutoff);
  };
  // Children first (foreign keys), the statement rows last.
  if (!run("DELETE FROM persons WHERE statement IN {}")) return fail("purge persons");
  if (!run("DELETE FROM sealed WHERE statement IN {}")) return fail("purge sealed fields");
  if (!run("DELETE FROM holds WHERE statement IN {}")) return fail("purge holds");
  // An imported row's idempotence key (a hash of its content) goes with it.
  if (!run("DELETE FROM sources WHERE statement IN {}")) return fail("purge sources");
  auto count = writer_.Prepare(fmt::format(fmt::runtime("SELECT COUNT(*) FROM {}"), kDue));
  count.Bind(1, cutoff);
  if (count.Step() != SQLITE_ROW) return fail("count rejections");
  int64_t purged = count.Int(0);
  count.Reset();
  if (!run("DELETE FROM statements WHERE id IN {}")) return fail("purge statements");
  // Rejections whose statement is gone (purged now) are dropped with it.
  if (!writer_.Exec("DELETE FROM rejections WHERE statement NOT IN (SELECT id FROM statements)")) {
    return fail("purge rejection dates");
  }
  if (Status s = tx.Commit(); !s) return fail("commit");
  if (purged > 0) ForgetOldPages();
  return purged;
}

Result<int64_t> SqliteStore::ForgetSealed(const ReceiptHash& receipt) {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare(
      "DELETE FROM sealed WHERE statement IN (SELECT id FROM statements WHERE receipt = ?"
      " AND status IN (2, 3))");
  q.BindBlob(1, receipt.data(), receipt.size());
  if (q.Step() != SQLITE_DONE) return Error{writer_.LastError()};
  int64_t n = sqlite3_changes(writer_.raw());
  if (n > 0) ForgetOldPages();
  return n;
}

Result<std::vector<HeldEntry>> SqliteStore::HeldInGroup(const std::string& group) {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare(
      "SELECT h.statement, s.operator FROM holds h JOIN statements s ON s.id = h.statement"
      " WHERE h.grp = ? AND s.status = 0 ORDER BY h.statement");
  q.Bind(1, group);
  std::vector<HeldEntry> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back({q.Int(0), q.Int(1)});
  if (rc != SQLITE_DONE) return Error{writer_.LastError()};
  return out;
}

Result<std::optional<Statement>> SqliteStore::FindHeldByReceipt(const ReceiptHash& receipt) {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare("SELECT " + std::string(sqlite::kStatementColumns) +
                           " FROM statements WHERE receipt = ? AND status = 0");
  q.BindBlob(1, receipt.data(), receipt.size());
  auto found = sqlite::CollectStatements(q, writer_);
  if (!found) return Error{found.error()};
  if (found->empty()) return std::optional<Statement>();
  auto persons = writer_.Prepare(sqlite::kPersonsOfStatement);
  if (Status s = sqlite::LoadPersons(persons, writer_, &*found); !s) return Error{s.message()};
  return std::optional<Statement>(std::move(found->front()));
}

Result<bool> SqliteStore::CorrectHeld(int64_t id, const Statement& corrected) {
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) -> Result<bool> {
    write_mu_.AssertHeld();  // run under the caller's lock
    return Error{what + ": " + writer_.LastError()};
  };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto update = writer_.Prepare(
      "UPDATE statements SET region = ?, occupation = ?, text = ?, persons_count = ?"
      " WHERE id = ? AND status = 0");
  update.Bind(1, static_cast<int64_t>(corrected.region))
      .Bind(2, static_cast<int64_t>(corrected.occupation))
      .Bind(3, corrected.text)
      .Bind(4, static_cast<int64_t>(corrected.persons.size()))
      .Bind(5, id);
  if (update.Step() != SQLITE_DONE) return fail("correct statement");
  if (sqlite3_changes(writer_.raw()) == 0) {
    return false;  // published, rejected or withdrawn meanwhile (tx rolls back)
  }
  auto forget = writer_.Prepare("DELETE FROM persons WHERE statement = ?");
  forget.Bind(1, id);
  if (forget.Step() != SQLITE_DONE) return fail("replace persons");
  auto person = writer_.Prepare(
      "INSERT INTO persons(statement, position, name, name_fold, real_name, organisations) "
      "VALUES(?,?,?,?,?,?)");
  for (size_t i = 0; i < corrected.persons.size(); ++i) {
    const Person& p = corrected.persons[i];
    person.Reset();
    person.Bind(1, id)
        .Bind(2, static_cast<int64_t>(i))
        .Bind(3, p.name)
        .Bind(4, FoldName(p.name))
        .Bind(5, static_cast<int64_t>(p.real_name))
        .Bind(6, static_cast<int64_t>(p.organisations));
    if (person.Step() != SQLITE_DONE) return fail("insert person");
  }
  if (Status s = tx.Commit(); !s) return fail("commit");
  // The first version's names and text must not linger in the WAL.
  ForgetOldPages();
  return true;
}

namespace {

// The held statements `filter` selects by channel and day (its bounds apart).
std::string HeldWhere(const HeldFilter& filter) {
  std::string where = "status = 0";
  if (filter.channel)
    where += " AND channel = " + std::to_string(static_cast<int>(*filter.channel));
  if (filter.day) where += " AND day = " + std::to_string(*filter.day);
  return where;
}

}  // namespace

Result<int64_t> SqliteStore::CountHeld(const HeldFilter& filter, int64_t cap) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  auto q = r.db.Prepare(
      "SELECT COUNT(*) FROM (SELECT 1 FROM statements INDEXED BY statements_held WHERE " +
      HeldWhere(filter) + " LIMIT " + std::to_string(cap) + ")");
  if (q.Step() != SQLITE_ROW) return Error{r.db.LastError()};
  return q.Int(0);
}

Result<std::vector<Statement>> SqliteStore::ListHeld(const HeldFilter& filter) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  // Keyset paging over the index of held statements (statements_held): a page reads
  // `limit` index entries past its bound, whatever the size of the table or of the queue.
  std::string sql = "SELECT " + std::string(sqlite::kStatementColumns) +
                    " FROM statements INDEXED BY statements_held WHERE " + HeldWhere(filter) +
                    " AND id > " + std::to_string(filter.after);
  if (filter.before) sql += " AND id < " + std::to_string(*filter.before);
  sql += filter.before ? " ORDER BY id DESC" : " ORDER BY id";
  sql += " LIMIT " + std::to_string(filter.limit);
  auto q = r.db.Prepare(sql);
  auto out = sqlite::CollectStatements(q, r.db);
  if (!out) return out;
  if (filter.before) std::reverse(out->begin(), out->end());  // oldest first
  if (Status s = sqlite::LoadPersons(r.persons, r.db, &*out); !s) return Error{s.message()};
  return out;
}

Result<std::vector<int64_t>> SqliteStore::Approve(const std::vector<int64_t>& ids,
                                                  const AuditFor<std::vector<int64_t>>& audit) {
  return PublishFrom(ids, StatementStatus::kHeld, audit);
}

Result<int64_t> SqliteStore::Reject(const std::vector<int64_t>& ids,
                                    const AuditFor<int64_t>& audit) {
  MutexLock lock(&write_mu_);
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto reject = writer_.Prepare(
      "UPDATE statements SET status = 2, text = '', consent = '', place = '' "
      "WHERE id = ? AND status = 0");
  auto forget = writer_.Prepare("DELETE FROM persons WHERE statement = ?");
  int64_t count = 0;
  for (int64_t id : ids) {
    reject.Reset();
    reject.Bind(1, id);
    if (reject.Step() != SQLITE_DONE) {
      return Error{writer_.LastError()};
    }
    if (sqlite3_changes(writer_.raw()) == 0) continue;
    ++count;
    if (Status s = CountRejected(id); !s) return Error{s.message()};
    forget.Reset();
    forget.Bind(1, id);
    if (forget.Step() != SQLITE_DONE) {
      return Error{writer_.LastError()};
    }
  }
  if (audit) {
    if (Status s = WriteAudit(audit(count)); !s) return Error{s.message()};
  }
  if (Status s = tx.Commit(); !s) {
    return Error{s.message()};
  }
  if (count > 0) ForgetOldPages();
  return count;
}

Result<bool> SqliteStore::WithdrawByReceipt(const ReceiptHash& receipt) {
  // Twice at most: a held statement approved between the look-up and the withdrawal is
  // then withdrawn as the published statement it has become.
  for (int attempt = 0; attempt < 2; ++attempt) {
    int64_t id = 0, number = 0;
    int status = -1;
    {
      auto lease = Lease();
      if (!lease.get()) return Error{lease.error()};
      auto q = lease.get()->db.Prepare(
          "SELECT id, COALESCE(number, 0), status FROM statements WHERE receipt = ?");
      q.BindBlob(1, receipt.data(), receipt.size());
      if (q.Step() != SQLITE_ROW) return false;
      id = q.Int(0);
      number = q.Int(1);
      status = static_cast<int>(q.Int(2));
    }
    if (status == static_cast<int>(StatementStatus::kPublished)) {
      if (Status s = Withdraw(number, WithdrawalReason::kDeclarantRequest); !s) {
        return Error{s.message()};
      }
      return true;
    }
    // Held, or accepted for the next publication batch: never published.
    if (status != static_cast<int>(StatementStatus::kHeld) &&
        status != static_cast<int>(StatementStatus::kAccepted)) {
      return false;
    }
    auto withdrawn = WithdrawUnpublished(id, static_cast<StatementStatus>(status));
    if (!withdrawn) return Error{withdrawn.error()};
    if (*withdrawn) return true;
  }
  return false;
}

Result<bool> SqliteStore::WithdrawUnpublished(int64_t id, StatementStatus from) {
  // Withdrawn (status 3), not rejected: the receipt says what the declarant did. Nothing
  // was published or counted, so there is no leaf to cancel and no total to lower; the
  // names, text, notes and sealed fields (a contact) go in this one transaction. The row
  // (no number) is purged like a rejected one (PurgeRejected, docs/console.md).
  MutexLock lock(&write_mu_);
  auto fail = [&]() -> Result<bool> {
    write_mu_.AssertHeld();  // run under the caller's lock
    return Error{writer_.LastError()};
  };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto withdraw = writer_.Prepare(
      "UPDATE statements SET status = 3, text = '', consent = '', place = '' "
      "WHERE id = ? AND status = ?");
  withdraw.Bind(1, id).Bind(2, static_cast<int64_t>(from));
  if (withdraw.Step() != SQLITE_DONE) return fail();
  if (sqlite3_changes(writer_.raw()) == 0) {
    return false;  // approved, published by a batch or rejected meanwhile (tx rolls back)
  }
  if (Status s = CountModeration(today_ ? today_() : Today(), ModerationEvent::kWithdrawn,
                                 kUnpublishedReason, 1);
      !s) {
    return Error{s.message()};
  }
  for (std::string_view sql :
       {"DELETE FROM persons WHERE statement = ?", "DELETE FROM sealed WHERE statement = ?"}) {
    auto forget = writer_.Prepare(sql);
    forget.Bind(1, id);
    if (forget.Step() != SQLITE_DONE) return fail();
  }
  if (Status s = tx.Commit(); !s) return fail();
  ForgetOldPages();
  return true;
}

}  // namespace tuidang
