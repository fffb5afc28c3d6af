// SqliteStore's operators and their audit trail (OperatorStore). Writes go through the
// writer connection, reads through a leased reader.
#include "store/sqlite/sqlite_store.h"

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
}  // namespace

Result<int64_t> SqliteStore::AddOperator(const Operator& op) {
  std::lock_guard lock(write_mu_);
  auto q = writer_.Prepare(
      "INSERT INTO operators(name, role, password_hash, totp_secret, setup_hash) "
      "VALUES(?,?,?,?,?)");
  q.Bind(1, op.name)
      .Bind(2, static_cast<int64_t>(op.role))
      .Bind(3, op.password_hash)
      .BindBlob(4, op.totp_secret.data(), op.totp_secret.size())
      .BindBlob(5, op.setup_hash.data(), op.setup_hash.size());
  int rc = q.Step();
  if (rc == SQLITE_CONSTRAINT) return Error{"an operator named '" + op.name + "' exists already"};
  if (rc != SQLITE_DONE) return Error{writer_.LastError()};
  return static_cast<int64_t>(sqlite3_last_insert_rowid(writer_.raw()));
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
  std::lock_guard lock(write_mu_);
  auto q = writer_.Prepare(
      "UPDATE operators SET role = ?, password_hash = ?, totp_secret = ?, setup_hash = ?, "
      "disabled = ?, failed_logins = 0, locked_until = 0 WHERE id = ?");
  // failed_logins and locked_until are no longer used (web/ops_auth.h counts failures in
  // memory); writing 0 clears what an older version kept there, a time to the second.
  q.Bind(1, static_cast<int64_t>(op.role))
      .Bind(2, op.password_hash)
      .BindBlob(3, op.totp_secret.data(), op.totp_secret.size())
      .BindBlob(4, op.setup_hash.data(), op.setup_hash.size())
      .Bind(5, static_cast<int64_t>(op.disabled))
      .Bind(6, op.id);
  if (q.Step() != SQLITE_DONE) return Status::Fail(writer_.LastError());
  return Status::Ok();
}

Status SqliteStore::Audit(int64_t operator_id, std::string_view action, std::string_view object) {
  std::lock_guard lock(write_mu_);
  auto q =
      writer_.Prepare("INSERT INTO audit_trail(day, operator, action, object) VALUES(?,?,?,?)");
  // The day only: with a finer time, the trail's entries ("entered statement 18") would
  // bracket when the web statements stored between them arrived.
  q.Bind(1, static_cast<int64_t>(today_ ? today_() : Today()))
      .Bind(2, operator_id)
      .Bind(3, action)
      .Bind(4, object);
  if (q.Step() != SQLITE_DONE) return Status::Fail(writer_.LastError());
  return Status::Ok();
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
