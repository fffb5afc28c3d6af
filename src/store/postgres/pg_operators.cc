// PostgresStore's operators and their audit trail (OperatorStore), and the audited forms
// that write an operator's row and its audit entry in one transaction.
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

namespace {

constexpr std::string_view kOperatorColumns =
    "id, name, role, password_hash, totp_secret, setup_hash, disabled";

Operator ReadOperator(const pg::Rows& q, int row) {
  Operator op;
  op.id = q.Int(row, 0);
  op.name = q.Text(row, 1);
  op.role = static_cast<Role>(q.Int(row, 2));
  op.password_hash = q.Text(row, 3);
  op.totp_secret = q.Bytes(row, 4);
  op.setup_hash = q.Bytes(row, 5);
  op.disabled = q.Int(row, 6) != 0;
  return op;
}

// The operator's row: the id given, or an error (a name taken is said so).
Result<int64_t> InsertOperatorRow(pg::Conn& c, const Operator& op) {
  auto q = c.Exec(
      "INSERT INTO operators(name, role, password_hash, totp_secret, setup_hash)"
      " VALUES($1, $2, $3, $4, $5) RETURNING id",
      pg::Params()
          .Text(op.name)
          .Int(static_cast<int64_t>(op.role))
          .Text(op.password_hash)
          .Bytes(op.totp_secret)
          .Bytes(op.setup_hash));
  if (!q) {
    if (c.sqlstate() == pg::kUniqueViolation) {
      return Error{"an operator named '" + op.name + "' exists already"};
    }
    return Error{q.error()};
  }
  return q->Int(0, 0);
}

Status UpdateOperatorRow(pg::Conn& c, const Operator& op) {
  auto q = c.Exec(
      "UPDATE operators SET role = $1, password_hash = $2, totp_secret = $3, setup_hash = $4,"
      " disabled = $5 WHERE id = $6",
      pg::Params()
          .Int(static_cast<int64_t>(op.role))
          .Text(op.password_hash)
          .Bytes(op.totp_secret)
          .Bytes(op.setup_hash)
          .Int(op.disabled ? 1 : 0)
          .Int(op.id));
  if (!q) return Status::Fail(q.error());
  return Status::Ok();
}

}  // namespace

Result<int64_t> PostgresStore::AddOperator(const Operator& op) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  return InsertOperatorRow(*lease, op);
}

Result<std::optional<Operator>> PostgresStore::OneOperator(std::string_view sql,
                                                           const pg::Params& key) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(sql, key);
  if (!q) return Error{q.error()};
  std::optional<Operator> out;
  if (!q->empty()) out = ReadOperator(*q, 0);
  return out;
}

Result<std::optional<Operator>> PostgresStore::FindOperator(const std::string& name) {
  static const std::string sql =
      "SELECT " + std::string(kOperatorColumns) + " FROM operators WHERE name = $1";
  return OneOperator(sql, pg::Params().Text(name));
}

Result<std::optional<Operator>> PostgresStore::GetOperator(int64_t id) {
  static const std::string sql =
      "SELECT " + std::string(kOperatorColumns) + " FROM operators WHERE id = $1";
  return OneOperator(sql, pg::Params().Int(id));
}

Result<std::vector<Operator>> PostgresStore::ListOperators() {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  static const std::string sql =
      "SELECT " + std::string(kOperatorColumns) + " FROM operators ORDER BY name";
  auto q = (*lease).Exec(sql);
  if (!q) return Error{q.error()};
  std::vector<Operator> out;
  for (int i = 0; i < q->size(); ++i) out.push_back(ReadOperator(*q, i));
  return out;
}

Status PostgresStore::UpdateOperator(const Operator& op) {
  Lease lease = Take();
  if (!lease.get()) return Status::Fail(lease.error());
  return UpdateOperatorRow(*lease, op);
}

Result<int64_t> PostgresStore::AddOperatorAudited(const Operator& op, const AuditEntry& audit) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto id = InsertOperatorRow(c, op);
  if (!id) return id;
  if (Status s = pg::WriteAudit(c, {audit}, Now()); !s) return Error{s.message()};
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return id;
}

Status PostgresStore::UpdateOperatorAudited(const Operator& op, const AuditEntry& audit) {
  Lease lease = Take();
  if (!lease.get()) return Status::Fail(lease.error());
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return s;
  if (Status s = UpdateOperatorRow(c, op); !s) return s;
  if (Status s = pg::WriteAudit(c, {audit}, Now()); !s) return s;
  return tx.Commit();
}

Status PostgresStore::Audit(int64_t operator_id, std::string_view action, std::string_view object) {
  Lease lease = Take();
  if (!lease.get()) return Status::Fail(lease.error());
  return pg::WriteAudit(*lease, {{0, operator_id, "", std::string(action), std::string(object)}},
                        Now());
}

Result<std::vector<AuditEntry>> PostgresStore::AuditTrail(int limit) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(
      "SELECT a.day, a.operator, COALESCE(o.name, ''), a.action, a.object FROM audit_trail a"
      " LEFT JOIN operators o ON o.id = a.operator ORDER BY a.id DESC LIMIT $1",
      pg::Params().Int(limit));
  if (!q) return Error{q.error()};
  std::vector<AuditEntry> out;
  for (int i = 0; i < q->size(); ++i) {
    out.push_back(AuditEntry{static_cast<Day>(q->Int(i, 0)), q->Int(i, 1), q->Text(i, 2),
                             q->Text(i, 3), q->Text(i, 4)});
  }
  return out;
}

}  // namespace tuidang
