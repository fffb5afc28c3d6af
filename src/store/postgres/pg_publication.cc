// PostgresStore's publication batches (PublicationStore), and the publication of held or
// accepted statements that approval shares (PublishFrom): numbers, leaves and totals in one
// durable transaction under the coordination row, the domain's part computed by
// core/publication.h.
#include <unordered_set>

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
  // stay consecutive. One query for all of them, in the order of `ids` (each once).
  pg::Column wanted(pg::Column::Type::kBigint);
  std::unordered_set<int64_t> once;
  for (int64_t id : ids) {
    if (once.insert(id).second) wanted.Int(id);
  }
  std::vector<Statement> todo;
  if (wanted.size() > 0) {
    auto rows = c.Exec(
        "SELECT s.id, s.number, s.status, s.day, s.channel, s.language, s.region, s.occupation,"
        " s.text, s.operator, s.consent, s.place"
        " FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord)"
        " JOIN statements s ON s.id = u.id WHERE s.status = $2 ORDER BY u.ord FOR UPDATE OF s",
        pg::Params().Array(wanted).Int(from_code));
    if (!rows) return Error{rows.error()};
    todo = pg::ReadStatements(*rows);
  }
  if (Status s = pg::LoadPersons(c, &todo); !s) return Error{s.message()};
  const Day day = Now();
  PublicationRun run(coord->next_number, coord->next_leaf, day);
  std::vector<int64_t> numbers;
  using Type = pg::Column::Type;
  pg::Column id(Type::kBigint), number(Type::kBigint), leaf(Type::kBigint), salt(Type::kBytea),
      record(Type::kText), entry(Type::kBytea);
  for (Statement& st : todo) {
    Publication pub = run.Assign(&st);
    PublicationRun::Seal(st, &pub);
    id.Int(st.id);
    number.Int(pub.number);
    leaf.Int(static_cast<int64_t>(pub.leaf_index));
    salt.Bytes(pub.salt);
    record.Text(pub.record);
    entry.Bytes(pub.entry);
    numbers.push_back(pub.number);
  }
  if (!todo.empty()) {
    auto r = c.Exec(
        "UPDATE statements SET status = 1, number = u.number, day = $1, leaf_index = u.leaf,"
        " salt = u.salt, record = u.record"
        " FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bytea[], $6::text[])"
        " AS u(id, number, leaf, salt, record) WHERE statements.id = u.id"
        " AND statements.status = $7",
        pg::Params().Int(day).Array(id).Array(number).Array(leaf).Array(salt).Array(record).Int(
            from_code));
    if (!r) return Error{"publish statements: " + r.error()};
    if (r->Affected() != static_cast<int64_t>(todo.size())) {
      return Error{"publish statements: one changed meanwhile"};
    }
    auto leaves =
        c.Exec("INSERT INTO leaves(idx, entry) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
               pg::Params().Array(leaf).Array(entry));
    if (!leaves) return Error{"append leaves: " + leaves.error()};
    // The persons carry the day and number too, for the name search's index.
    auto persons = c.Exec(
        "UPDATE persons SET day = $1, number = u.number"
        " FROM unnest($2::bigint[], $3::bigint[]) AS u(id, number) WHERE persons.statement = u.id",
        pg::Params().Int(day).Array(id).Array(number));
    if (!persons) return Error{"number the persons: " + persons.error()};
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
