// SqliteStore's safety tables (issue 5, ModerationStore): sealed private fields and the
// hold reasons and groups of the moderation queue. Rare operator reads go through the
// writer connection.
#include <fmt/format.h>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

Status SqliteStore::WriteSafetyRows(const Submission& sub, int64_t id) {
  if (!sub.sealed.empty()) {
    auto put = writer_.Prepare("INSERT INTO sealed(statement, field, box) VALUES(?,?,?)");
    for (const auto& [field, box] : sub.sealed) {
      put.Reset();
      put.Bind(1, id).Bind(2, field).BindBlob(3, box.data(), box.size());
      if (put.Step() != SQLITE_DONE) return Status::Fail("insert sealed field");
    }
  }
  if (!sub.publish && !sub.hold_reason.empty()) {
    auto hold = writer_.Prepare("INSERT INTO holds(statement, reason, grp) VALUES(?,?,?)");
    hold.Bind(1, id)
        .Bind(2, sub.hold_reason)
        .Bind(3, sub.hold_group.empty() ? sub.hold_reason : sub.hold_group);
    if (hold.Step() != SQLITE_DONE) return Status::Fail("insert hold");
  }
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStore::ReadSealed(int64_t id) {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare("SELECT field, box FROM sealed WHERE statement = ? ORDER BY field");
  q.Bind(1, id);
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.emplace_back(q.Text(0), q.Text(1));
  if (rc != SQLITE_DONE) return Error{writer_.LastError()};
  return out;
}

Result<std::vector<std::pair<int64_t, StatementStatus>>> SqliteStore::ListSealed(int limit) {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare(
      "SELECT DISTINCT s.id, s.status FROM sealed x JOIN statements s ON s.id = x.statement"
      " ORDER BY s.id DESC LIMIT ?");
  q.Bind(1, static_cast<int64_t>(limit));
  std::vector<std::pair<int64_t, StatementStatus>> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    out.emplace_back(q.Int(0), static_cast<StatementStatus>(q.Int(1)));
  }
  if (rc != SQLITE_DONE) return Error{writer_.LastError()};
  return out;
}

Result<std::vector<HeldGroup>> SqliteStore::ListHeldGroups() {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare(
      "SELECT h.grp, MIN(h.reason), COUNT(*), MIN(s.day), MAX(s.day) FROM holds h"
      " JOIN statements s ON s.id = h.statement WHERE s.status = 0"
      " GROUP BY h.grp ORDER BY COUNT(*) DESC, h.grp");
  std::vector<HeldGroup> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    out.push_back(HeldGroup{std::string(q.Text(0)), std::string(q.Text(1)), q.Int(2),
                            static_cast<Day>(q.Int(3)), static_cast<Day>(q.Int(4))});
  }
  if (rc != SQLITE_DONE) return Error{writer_.LastError()};
  return out;
}

Result<int64_t> SqliteStore::RejectHeldGroup(const std::string& group) {
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) -> Result<int64_t> {
    write_mu_.AssertHeld();  // run under the caller's lock
    return Error{what + ": " + writer_.LastError()};
  };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  constexpr std::string_view kHeldInGroup =
      "(SELECT h.statement FROM holds h JOIN statements s ON s.id = h.statement"
      " WHERE h.grp = ?1 AND s.status = 0)";
  auto run = [&](std::string_view sql) {
    write_mu_.AssertHeld();  // run under the caller's lock
    return RunOverIds(sql, kHeldInGroup, std::string_view(group));
  };
  if (Status s = CountRejectedGroup(group); !s) return Error{s.message()};
  // Persons and sealed fields go first, while the statements are still "held".
  if (!run("DELETE FROM persons WHERE statement IN {}")) return fail("delete persons");
  if (!run("DELETE FROM sealed WHERE statement IN {}")) return fail("delete sealed fields");
  if (!run("UPDATE statements SET status = 2, text = '' WHERE id IN {}")) return fail("reject");
  int64_t changed = sqlite3_changes(writer_.raw());
  if (Status s = tx.Commit(); !s) return fail("commit");
  return changed;
}

}  // namespace tuidang
