// SqliteStore's operators and their audit trail (OperatorStore). Writes go through the
// writer connection, reads through a leased reader.
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

std::string_view RoleCode(Role r) {
  switch (r) {
    case Role::kVolunteer: return "volunteer";
    case Role::kModerator: return "moderator";
    case Role::kAdmin: return "admin";
  }
  return "";
}

std::optional<Role> ParseRole(std::string_view code) {
  for (Role r : {Role::kVolunteer, Role::kModerator, Role::kAdmin}) {
    if (RoleCode(r) == code) return r;
  }
  return std::nullopt;
}

namespace {
constexpr std::string_view kOperatorColumns =
    "id, name, role, password_hash, totp_secret, setup_hash, disabled";
Operator ReadOperator(const sqlite::Stmt& q) {
  Operator op;
  op.id = q.Int(0);
  op.name = std::string(q.Text(1));
  op.role = static_cast<Role>(q.Int(2));
  op.password_hash = std::string(q.Text(3));
  op.totp_secret = std::string(q.Text(4));
  op.setup_hash = std::string(q.Text(5));
  op.disabled = q.Int(6) != 0;
  return op;
}
// The operator's row, written on the writer connection `db` (whose lock the caller holds):
// the id given, or an error (a name taken is said so).
Result<int64_t> InsertOperatorRow(sqlite::Db& db, const Operator& op) {
  auto q = db.Prepare(
      "INSERT INTO operators(name, role, password_hash, totp_secret, setup_hash) "
      "VALUES(?,?,?,?,?)");
  q.Bind(1, op.name)
      .Bind(2, static_cast<int64_t>(op.role))
      .Bind(3, op.password_hash)
      .BindBlob(4, op.totp_secret.data(), op.totp_secret.size())
      .BindBlob(5, op.setup_hash.data(), op.setup_hash.size());
  int rc = q.Step();
  if (rc == SQLITE_CONSTRAINT) return Error{"an operator named '" + op.name + "' exists already"};
  if (rc != SQLITE_DONE) return Error{db.LastError()};
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db.raw()));
}

// Every field of `op` (found by id). failed_logins and locked_until are no longer used
// (web/ops_auth.h counts failures in memory); writing 0 clears what an older version kept
// there, a time to the second.
Status UpdateOperatorRow(sqlite::Db& db, const Operator& op) {
  auto q = db.Prepare(
      "UPDATE operators SET role = ?, password_hash = ?, totp_secret = ?, setup_hash = ?, "
      "disabled = ?, failed_logins = 0, locked_until = 0 WHERE id = ?");
  q.Bind(1, static_cast<int64_t>(op.role))
      .Bind(2, op.password_hash)
      .BindBlob(3, op.totp_secret.data(), op.totp_secret.size())
      .BindBlob(4, op.setup_hash.data(), op.setup_hash.size())
      .Bind(5, static_cast<int64_t>(op.disabled))
      .Bind(6, op.id);
  if (q.Step() != SQLITE_DONE) return Status::Fail(db.LastError());
  return Status::Ok();
}
}  // namespace

Result<int64_t> SqliteStore::AddOperator(const Operator& op) {
  MutexLock lock(&write_mu_);
  return InsertOperatorRow(writer_, op);
}

// The operator matching `column` = `key` (a name or an id), if any.
template <typename Key>
Result<std::optional<Operator>> SqliteStore::OneOperator(std::string_view column, const Key& key) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare("SELECT " + std::string(kOperatorColumns) +
                                   " FROM operators WHERE " + std::string(column) + " = ?");
  q.Bind(1, key);
  std::optional<Operator> out;
  int rc = q.Step();
  if (rc == SQLITE_ROW) out = ReadOperator(q);
  else if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return out;
}

Result<std::optional<Operator>> SqliteStore::FindOperator(const std::string& name) {
  return OneOperator("name", std::string_view(name));
}

Result<std::optional<Operator>> SqliteStore::GetOperator(int64_t id) {
  return OneOperator("id", id);
}

Result<std::vector<Operator>> SqliteStore::ListOperators() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare("SELECT " + std::string(kOperatorColumns) +
                                   " FROM operators ORDER BY name");
  std::vector<Operator> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadOperator(q));
  if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return out;
}

Status SqliteStore::UpdateOperator(const Operator& op) {
  MutexLock lock(&write_mu_);
  return UpdateOperatorRow(writer_, op);
}

// The audited forms: the row and its audit entry in one transaction (operator_store.h).
Result<int64_t> SqliteStore::AddOperatorAudited(const Operator& op, const AuditEntry& audit) {
  MutexLock lock(&write_mu_);
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto id = InsertOperatorRow(writer_, op);
  if (!id) return id;
  if (Status s = WriteAudit({audit}); !s) return Error{s.message()};
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return id;
}

Status SqliteStore::UpdateOperatorAudited(const Operator& op, const AuditEntry& audit) {
  MutexLock lock(&write_mu_);
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return s;
  if (Status s = UpdateOperatorRow(writer_, op); !s) return s;
  if (Status s = WriteAudit({audit}); !s) return s;
  return tx.Commit();
}

Status SqliteStore::Audit(int64_t operator_id, std::string_view action, std::string_view object) {
  MutexLock lock(&write_mu_);
  return WriteAudit({{0, operator_id, "", std::string(action), std::string(object)}});
}

Result<std::vector<AuditEntry>> SqliteStore::AuditTrail(int limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare(
      "SELECT a.day, a.operator, COALESCE(o.name, ''), a.action, a.object FROM audit_trail a"
      " LEFT JOIN operators o ON o.id = a.operator ORDER BY a.id DESC LIMIT ?");
  q.Bind(1, static_cast<int64_t>(limit));
  std::vector<AuditEntry> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    out.push_back(AuditEntry{static_cast<Day>(q.Int(0)), q.Int(1), std::string(q.Text(2)),
                             std::string(q.Text(3)), std::string(q.Text(4))});
  }
  if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return out;
}

}  // namespace tuidang
