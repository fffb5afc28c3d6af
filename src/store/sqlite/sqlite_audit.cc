// SqliteStore's audit entries written inside the transaction of the action they record
// (operator_store.h, AuditFor): an operator's action and its line in the trail are stored
// together or not at all.
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

Status SqliteStore::WriteAudit(const std::vector<AuditEntry>& entries) {
  if (entries.empty()) return Status::Ok();
  auto q = writer_.Cached("INSERT INTO audit_trail(day, operator, action, object) VALUES(?,?,?,?)");
  // The day only, as Audit: a finer time would bracket when the web statements stored
  // between two entries arrived.
  const int64_t day = static_cast<int64_t>(today_ ? today_() : Today());
  for (const AuditEntry& e : entries) {
    q->Reset();
    q->Bind(1, day).Bind(2, e.operator_id).Bind(3, e.action).Bind(4, e.object);
    if (q->Step() != SQLITE_DONE) return Status::Fail("audit trail: " + writer_.LastError());
  }
  return Status::Ok();
}

Result<int64_t> SqliteStore::AddOperatorAudited(const Operator& op, const AuditEntry& audit) {
  std::lock_guard lock(write_mu_);
  auto fail = [](std::string error) -> Result<int64_t> { return Error{std::move(error)}; };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto q = writer_.Prepare(
      "INSERT INTO operators(name, role, password_hash, totp_secret, setup_hash) "
      "VALUES(?,?,?,?,?)");
  q.Bind(1, op.name)
      .Bind(2, static_cast<int64_t>(op.role))
      .Bind(3, op.password_hash)
      .BindBlob(4, op.totp_secret.data(), op.totp_secret.size())
      .BindBlob(5, op.setup_hash.data(), op.setup_hash.size());
  int rc = q.Step();
  if (rc == SQLITE_CONSTRAINT) return fail("an operator named '" + op.name + "' exists already");
  if (rc != SQLITE_DONE) return fail(writer_.LastError());
  const int64_t id = sqlite3_last_insert_rowid(writer_.raw());
  q.Reset();
  if (Status s = WriteAudit({audit}); !s) return fail(s.message());
  if (Status s = tx.Commit(); !s) return fail(s.message());
  return id;
}

Status SqliteStore::UpdateOperatorAudited(const Operator& op, const AuditEntry& audit) {
  std::lock_guard lock(write_mu_);
  auto fail = [](std::string error) { return Status::Fail(std::move(error)); };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return s;
  // As UpdateOperator (sqlite_operators.cc): failed_logins and locked_until are cleared.
  auto q = writer_.Prepare(
      "UPDATE operators SET role = ?, password_hash = ?, totp_secret = ?, setup_hash = ?, "
      "disabled = ?, failed_logins = 0, locked_until = 0 WHERE id = ?");
  q.Bind(1, static_cast<int64_t>(op.role))
      .Bind(2, op.password_hash)
      .BindBlob(3, op.totp_secret.data(), op.totp_secret.size())
      .BindBlob(4, op.setup_hash.data(), op.setup_hash.size())
      .Bind(5, static_cast<int64_t>(op.disabled))
      .Bind(6, op.id);
  if (q.Step() != SQLITE_DONE) return fail(writer_.LastError());
  q.Reset();
  if (Status s = WriteAudit({audit}); !s) return fail(s.message());
  return tx.Commit();
}

}  // namespace tuidang
