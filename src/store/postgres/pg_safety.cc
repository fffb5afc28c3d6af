// PostgresStore's safety tables (ModerationStore): sealed private fields, and the hold
// reasons and flood groups of the moderation queue. The rows themselves are written with
// their statement by CommitBatch (pg_writer.cc).
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

Result<std::vector<std::pair<std::string, std::string>>> PostgresStore::ReadSealed(int64_t id) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec("SELECT field, box FROM sealed WHERE statement = $1 ORDER BY field",
                         pg::Params().Int(id));
  if (!q) return Error{q.error()};
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < q->size(); ++i) out.emplace_back(q->Text(i, 0), q->Bytes(i, 1));
  return out;
}

Result<std::vector<std::pair<int64_t, StatementStatus>>> PostgresStore::ListSealed(int limit) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(
      "SELECT s.id, s.status FROM statements s WHERE EXISTS"
      " (SELECT 1 FROM sealed x WHERE x.statement = s.id) ORDER BY s.id DESC LIMIT $1",
      pg::Params().Int(limit));
  if (!q) return Error{q.error()};
  std::vector<std::pair<int64_t, StatementStatus>> out;
  for (int i = 0; i < q->size(); ++i) {
    out.emplace_back(q->Int(i, 0), static_cast<StatementStatus>(q->Int(i, 1)));
  }
  return out;
}

Result<int64_t> PostgresStore::ForgetSealed(const ReceiptHash& receipt) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(
      "DELETE FROM sealed WHERE statement IN (SELECT id FROM statements WHERE receipt = $1"
      " AND status IN (2, 3))",
      pg::Params().Bytes(
          std::string_view(reinterpret_cast<const char*>(receipt.data()), receipt.size())));
  if (!q) return Error{q.error()};
  return q->Affected();
}

Result<std::vector<HeldGroup>> PostgresStore::ListHeldGroups() {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(
      "SELECT h.grp, MIN(h.reason), COUNT(*), MIN(s.day), MAX(s.day) FROM holds h"
      " JOIN statements s ON s.id = h.statement WHERE s.status = 0"
      " GROUP BY h.grp ORDER BY COUNT(*) DESC, h.grp");
  if (!q) return Error{q.error()};
  std::vector<HeldGroup> out;
  for (int i = 0; i < q->size(); ++i) {
    out.push_back(HeldGroup{q->Text(i, 0), q->Text(i, 1), q->Int(i, 2),
                            static_cast<Day>(q->Int(i, 3)), static_cast<Day>(q->Int(i, 4))});
  }
  return out;
}

Result<int64_t> PostgresStore::RejectHeldGroup(const std::string& group) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  // The statements still held in the group, locked, then their persons and sealed fields
  // and their text: nothing was ever published or counted.
  auto held = c.Exec(
      "SELECT s.id FROM holds h JOIN statements s ON s.id = h.statement"
      " WHERE h.grp = $1 AND s.status = 0 FOR UPDATE OF s",
      pg::Params().Text(group));
  if (!held) return Error{held.error()};
  std::vector<int64_t> ids;
  for (int i = 0; i < held->size(); ++i) ids.push_back(held->Int(i, 0));
  if (ids.empty()) return int64_t{0};
  if (Status s = pg::CountRejectedGroup(c, Now(), ids); !s) return Error{s.message()};
  for (std::string_view sql :
       {"DELETE FROM persons WHERE statement = ANY($1::bigint[])",
        "DELETE FROM sealed WHERE statement = ANY($1::bigint[])",
        "UPDATE statements SET status = 2, text = '' WHERE id = ANY($1::bigint[])"}) {
    auto r = c.Exec(sql, pg::Params().IntArray(ids));
    if (!r) return Error{r.error()};
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return static_cast<int64_t>(ids.size());
}

}  // namespace tuidang
