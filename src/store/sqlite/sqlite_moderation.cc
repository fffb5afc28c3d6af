// SqliteStore's console methods (issue 4): purging rejected statements after their
// retention, the held statements of a flood group, and a declarant's correction of a held
// statement. Kept apart from sqlite_store.cc, which holds the commit and publication paths.
#include <chrono>
#include <limits>

#include <fmt/format.h>

#include "core/text.h"
#include "store/sqlite/sqlite_store.h"

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
    write_mu_.AssertHeld();
    std::string error = writer_.LastError();
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return Error{what + ": " + error};
  };
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return Error{s.message()};
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
    write_mu_.AssertHeld();
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
  if (Status s = writer_.Exec("COMMIT"); !s) return fail("commit");
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
  auto q = writer_.Prepare(
      "SELECT id, day, channel, language, region, occupation, text, operator FROM statements"
      " WHERE receipt = ? AND status = 0");
  q.BindBlob(1, receipt.data(), receipt.size());
  int rc = q.Step();
  if (rc == SQLITE_DONE) return std::optional<Statement>();
  if (rc != SQLITE_ROW) return Error{writer_.LastError()};
  Statement s;
  s.id = q.Int(0);
  s.status = StatementStatus::kHeld;
  s.day = static_cast<Day>(q.Int(1));
  s.channel = static_cast<Channel>(q.Int(2));
  s.language = static_cast<Language>(q.Int(3));
  s.region = static_cast<Region>(q.Int(4));
  s.occupation = static_cast<Occupation>(q.Int(5));
  s.text = std::string(q.Text(6));
  s.operator_id = q.Int(7);
  q.Reset();
  auto p = writer_.Prepare(
      "SELECT name, real_name, organisations FROM persons WHERE statement = ? ORDER BY position");
  p.Bind(1, s.id);
  while ((rc = p.Step()) == SQLITE_ROW) {
    s.persons.push_back(Person{std::string(p.Text(0)), p.Int(1) != 0,
                               static_cast<uint8_t>(p.Int(2))});
  }
  if (rc != SQLITE_DONE) return Error{writer_.LastError()};
  return std::optional<Statement>(std::move(s));
}

Result<bool> SqliteStore::CorrectHeld(int64_t id, const Statement& corrected) {
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) -> Result<bool> {
    write_mu_.AssertHeld();
    std::string error = writer_.LastError();
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return Error{what + ": " + error};
  };
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return Error{s.message()};
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
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return false;  // published, rejected or withdrawn meanwhile
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
  if (Status s = writer_.Exec("COMMIT"); !s) return fail("commit");
  // The first version's names and text must not linger in the WAL.
  ForgetOldPages();
  return true;
}

}  // namespace tuidang
