// PostgresStore's publication batches (PublicationStore), and the publication of held or
// accepted statements that approval shares (PublishFrom): numbers, leaves and totals in one
// durable transaction under the coordination row, the domain's part computed by
// core/publication.h.
#include "core/publication.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

Result<std::vector<int64_t>> PostgresStore::ListAccepted(int64_t limit) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  // The literal 4 (StatementStatus::kAccepted) matches the partial index
  // statements_accepted.
  auto q =
      (*lease).Exec("SELECT id FROM statements WHERE status = 4 LIMIT $1", pg::Params().Int(limit));
  if (!q) return Error{q.error()};
  std::vector<int64_t> ids;
  for (int i = 0; i < q->size(); ++i) ids.push_back(q->Int(i, 0));
  return ids;
}

Result<std::vector<int64_t>> PostgresStore::PublishAccepted(const std::vector<int64_t>& ids) {
  return PublishFrom(ids, StatementStatus::kAccepted);
}

Result<std::vector<int64_t>> PostgresStore::PublishFrom(
    const std::vector<int64_t>& ids, StatementStatus from,
    const AuditFor<std::vector<int64_t>>& audit) {
  const int64_t from_code = static_cast<int64_t>(from);
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  auto coord = LockCoord(c);
  if (!coord) return Error{coord.error()};
  // Read and locked under the coordination row: a statement another writer (a moderator,
  // the declarant, another server) moved out of `from` is skipped, so the numbers given
  // stay consecutive.
  std::vector<Statement> todo;
  for (int64_t id : ids) {
    auto rows = c.Exec(
        "SELECT id, number, status, day, channel, language, region, occupation, text,"
        " operator, consent, place FROM statements WHERE id = $1 AND status = $2 FOR UPDATE",
        pg::Params().Int(id).Int(from_code));
    if (!rows) return Error{rows.error()};
    if (!rows->empty()) todo.push_back(pg::ReadStatement(*rows, 0));
  }
  if (Status s = pg::LoadPersons(c, &todo); !s) return Error{s.message()};
  const Day day = Now();
  PublicationRun run(coord->next_number, coord->next_leaf, day);
  std::vector<int64_t> numbers;
  for (Statement& st : todo) {
    Publication pub = run.Assign(&st);
    PublicationRun::Seal(st, &pub);
    auto r = c.Exec(
        "UPDATE statements SET status = 1, number = $1, day = $2, leaf_index = $3, salt = $4,"
        " record = $5 WHERE id = $6 AND status = $7",
        pg::Params()
            .Int(pub.number)
            .Int(day)
            .Int(static_cast<int64_t>(pub.leaf_index))
            .Bytes(pub.salt)
            .Text(pub.record)
            .Int(st.id)
            .Int(from_code));
    if (!r) return Error{"publish statement: " + r.error()};
    if (r->Affected() != 1) return Error{"publish statement: it changed meanwhile"};
    auto leaf = c.Exec("INSERT INTO leaves(idx, entry) VALUES($1, $2)",
                       pg::Params().Int(static_cast<int64_t>(pub.leaf_index)).Bytes(pub.entry));
    if (!leaf) return Error{"append leaf: " + leaf.error()};
    // The persons carry the day and number too, for the name search's index.
    auto persons = c.Exec("UPDATE persons SET day = $1, number = $2 WHERE statement = $3",
                          pg::Params().Int(day).Int(pub.number).Int(st.id));
    if (!persons) return Error{"number the persons: " + persons.error()};
    numbers.push_back(pub.number);
  }
  if (run.delta().statements > 0) {
    if (Status s = pg::AddPublished(c, day, run.delta()); !s) return Error{s.message()};
    if (Status s =
            pg::AnchorPublished(c, day, numbers.front(), static_cast<int64_t>(numbers.size()));
        !s) {
      return Error{s.message()};
    }
    if (Status s = AdvanceCoord(c, *coord, run.next_number(), run.next_leaf()); !s) {
      return Error{s.message()};
    }
  }
  if (audit) {
    if (Status s = pg::WriteAudit(c, audit(numbers), day); !s) return Error{s.message()};
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  if (run.delta().statements > 0) AfterCommit(coord->version, run.delta(), day, run.next_leaf());
  return numbers;
}

}  // namespace tuidang
