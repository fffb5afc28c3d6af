// SqliteStore's audit entries written inside the transaction of the action they record
// (operator_store.h, AuditFor): an operator's action and its line in the trail are stored
// together or not at all.
#include "store/sqlite/sqlite_store.h"

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

}  // namespace tuidang
