// PostgresStore's moderation (ModerationStore): the queue's pages, approval, rejection, the
// declarant's own withdrawal and correction, and the purge of rejected statements. The
// sealed fields and flood groups are in pg_safety.cc.
#include <algorithm>
#include <chrono>
#include <limits>

#include "core/text.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

namespace {

int64_t HourNow() {
  return std::chrono::duration_cast<std::chrono::hours>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view ReceiptBytes(const ReceiptHash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// The held statements a HeldFilter selects: $1 channel (or NULL), $2 day (or NULL), and the
// literal status 0 that matches the partial index statements_held.
constexpr std::string_view kHeldWhere =
    "status = 0 AND ($1::integer IS NULL OR channel = $1) AND ($2::bigint IS NULL OR day = $2)";

pg::Params HeldParams(const HeldFilter& f) {
  pg::Params p;
  p.OptInt(f.channel ? std::optional<int64_t>(static_cast<int64_t>(*f.channel)) : std::nullopt)
      .OptInt(f.day ? std::optional<int64_t>(*f.day) : std::nullopt);
  return p;
}

}  // namespace

Result<int64_t> PostgresStore::CountHeld(const HeldFilter& filter, int64_t cap) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  static const std::string sql = "SELECT COUNT(*) FROM (SELECT 1 FROM statements WHERE " +
                                 std::string(kHeldWhere) + " LIMIT $3) AS held";
  auto q = (*lease).Exec(sql, HeldParams(filter).Int(cap));
  if (!q) return Error{q.error()};
  return q->Int(0, 0);
}

Result<std::vector<Statement>> PostgresStore::ListHeld(const HeldFilter& filter) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  // Keyset pages over statements_held: `limit` index entries past the bound.
  static const std::string head = "SELECT " + std::string(pg::kStatementColumns) +
                                  " FROM statements WHERE " + std::string(kHeldWhere) +
                                  " AND id > $3 AND ($4::bigint IS NULL OR id < $4)";
  static const std::string forward = head + " ORDER BY id LIMIT $5";
  static const std::string backward = head + " ORDER BY id DESC LIMIT $5";
  auto q =
      (*lease).Exec(filter.before ? backward : forward,
                    HeldParams(filter).Int(filter.after).OptInt(filter.before).Int(filter.limit));
  if (!q) return Error{q.error()};
  auto out = pg::ReadStatements(*q);
  if (filter.before) std::reverse(out.begin(), out.end());  // oldest first
  if (Status s = pg::LoadPersons(*lease, &out); !s) return Error{s.message()};
  return out;
}

Result<std::vector<int64_t>> PostgresStore::Approve(const std::vector<int64_t>& ids,
                                                    const AuditFor<std::vector<int64_t>>& audit) {
  return PublishFrom(ids, StatementStatus::kHeld, audit);
}

Result<int64_t> PostgresStore::Reject(const std::vector<int64_t>& ids,
                                      const AuditFor<int64_t>& audit) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  int64_t count = 0;
  for (int64_t id : ids) {
    auto r = c.Exec(
        "UPDATE statements SET status = 2, text = '', consent = '', place = ''"
        " WHERE id = $1 AND status = 0",
        pg::Params().Int(id));
    if (!r) return Error{r.error()};
    if (r->Affected() == 0) continue;
    ++count;
    if (Status s = pg::CountRejected(c, Now(), id); !s) return Error{s.message()};
    auto forget = c.Exec("DELETE FROM persons WHERE statement = $1", pg::Params().Int(id));
    if (!forget) return Error{forget.error()};
  }
  if (audit) {
    if (Status s = pg::WriteAudit(c, audit(count), Now()); !s) return Error{s.message()};
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return count;
}

Result<bool> PostgresStore::WithdrawByReceipt(const ReceiptHash& receipt) {
  // Twice at most: a held statement approved between the look-up and the withdrawal is
  // then withdrawn as the published statement it has become.
  for (int attempt = 0; attempt < 2; ++attempt) {
    int64_t id = 0, number = 0;
    int status = -1;
    {
      Lease lease = Take();
      if (!lease.get()) return Error{lease.error()};
      auto q =
          (*lease).Exec("SELECT id, COALESCE(number, 0), status FROM statements WHERE receipt = $1",
                        pg::Params().Bytes(ReceiptBytes(receipt)));
      if (!q) return Error{q.error()};
      if (q->empty()) return false;
      id = q->Int(0, 0);
      number = q->Int(0, 1);
      status = static_cast<int>(q->Int(0, 2));
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

Result<bool> PostgresStore::WithdrawUnpublished(int64_t id, StatementStatus from) {
  // Withdrawn (status 3), not rejected: the receipt says what the declarant did. Nothing was
  // published or counted; the names, text, notes and sealed fields go in this transaction.
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto r = c.Exec(
      "UPDATE statements SET status = 3, text = '', consent = '', place = ''"
      " WHERE id = $1 AND status = $2",
      pg::Params().Int(id).Int(static_cast<int64_t>(from)));
  if (!r) return Error{r.error()};
  if (r->Affected() == 0) return false;  // approved, published or rejected meanwhile
  if (Status s = pg::CountModeration(c, Now(), ModerationEvent::kWithdrawn, kUnpublishedReason, 1);
      !s) {
    return Error{s.message()};
  }
  for (std::string_view sql :
       {"DELETE FROM persons WHERE statement = $1", "DELETE FROM sealed WHERE statement = $1"}) {
    auto forget = c.Exec(sql, pg::Params().Int(id));
    if (!forget) return Error{forget.error()};
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return true;
}

Result<int64_t> PostgresStore::PurgeRejected(int64_t retention_hours) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  const int64_t now = HourNow();
  // A rejection's clock starts at the first pass that sees it, dated to the end of that
  // hour (never early). A held statement its declarant withdrew (status 3 without a
  // number) is purged the same way; a withdrawn published one keeps its row.
  auto stamp = c.Exec(
      "INSERT INTO rejections(statement, hour) SELECT id, $1 FROM statements"
      " WHERE status = 2 OR (status = 3 AND number IS NULL) ON CONFLICT(statement) DO NOTHING",
      pg::Params().Int(now + 1));
  if (!stamp) return Error{"date rejections: " + stamp.error()};
  const int64_t cutoff =
      retention_hours == 0 ? std::numeric_limits<int64_t>::max() : now - retention_hours;
  // The statements due, gathered once under a row lock: the deletions below name them.
  auto due = c.Exec(
      "SELECT s.id FROM rejections r JOIN statements s ON s.id = r.statement"
      " WHERE (s.status = 2 OR (s.status = 3 AND s.number IS NULL)) AND r.hour <= $1"
      " FOR UPDATE OF s",
      pg::Params().Int(cutoff));
  if (!due) return Error{"find rejections: " + due.error()};
  std::vector<int64_t> ids;
  for (int i = 0; i < due->size(); ++i) ids.push_back(due->Int(i, 0));
  if (!ids.empty()) {
    // Children first, the statement rows last; an imported row's key goes with it.
    for (std::string_view sql : {"DELETE FROM persons WHERE statement = ANY($1::bigint[])",
                                 "DELETE FROM sealed WHERE statement = ANY($1::bigint[])",
                                 "DELETE FROM holds WHERE statement = ANY($1::bigint[])",
                                 "DELETE FROM sources WHERE statement = ANY($1::bigint[])",
                                 "DELETE FROM rejections WHERE statement = ANY($1::bigint[])",
                                 "DELETE FROM statements WHERE id = ANY($1::bigint[])"}) {
      auto r = c.Exec(sql, pg::Params().IntArray(ids));
      if (!r) return Error{"purge: " + r.error()};
    }
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return static_cast<int64_t>(ids.size());
}

Result<std::vector<HeldEntry>> PostgresStore::HeldInGroup(const std::string& group) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(
      "SELECT h.statement, s.operator FROM holds h JOIN statements s ON s.id = h.statement"
      " WHERE h.grp = $1 AND s.status = 0 ORDER BY h.statement",
      pg::Params().Text(group));
  if (!q) return Error{q.error()};
  std::vector<HeldEntry> out;
  for (int i = 0; i < q->size(); ++i) out.push_back({q->Int(i, 0), q->Int(i, 1)});
  return out;
}

Result<std::optional<Statement>> PostgresStore::FindHeldByReceipt(const ReceiptHash& receipt) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  static const std::string sql = "SELECT " + std::string(pg::kStatementColumns) +
                                 " FROM statements WHERE receipt = $1 AND status = 0";
  auto q = (*lease).Exec(sql, pg::Params().Bytes(ReceiptBytes(receipt)));
  if (!q) return Error{q.error()};
  auto found = pg::ReadStatements(*q);
  if (found.empty()) return std::optional<Statement>();
  if (Status s = pg::LoadPersons(*lease, &found); !s) return Error{s.message()};
  return std::optional<Statement>(std::move(found.front()));
}

Result<bool> PostgresStore::CorrectHeld(int64_t id, const Statement& corrected) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto update = c.Exec(
      "UPDATE statements SET region = $1, occupation = $2, text = $3, persons_count = $4"
      " WHERE id = $5 AND status = 0",
      pg::Params()
          .Int(static_cast<int64_t>(corrected.region))
          .Int(static_cast<int64_t>(corrected.occupation))
          .Text(corrected.text)
          .Int(static_cast<int64_t>(corrected.persons.size()))
          .Int(id));
  if (!update) return Error{"correct statement: " + update.error()};
  if (update->Affected() == 0) return false;  // published, rejected or withdrawn meanwhile
  auto forget = c.Exec("DELETE FROM persons WHERE statement = $1", pg::Params().Int(id));
  if (!forget) return Error{"replace persons: " + forget.error()};
  for (size_t i = 0; i < corrected.persons.size(); ++i) {
    const Person& p = corrected.persons[i];
    auto r = c.Exec(
        "INSERT INTO persons(statement, position, name, name_fold, real_name, organisations)"
        " VALUES($1, $2, $3, $4, $5, $6)",
        pg::Params()
            .Int(id)
            .Int(static_cast<int64_t>(i))
            .Text(p.name)
            .Text(FoldName(p.name))
            .Int(p.real_name ? 1 : 0)
            .Int(p.organisations));
    if (!r) return Error{"insert person: " + r.error()};
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return true;
}

}  // namespace tuidang
