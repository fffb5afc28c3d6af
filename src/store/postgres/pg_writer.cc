// PostgresStore's batch writer (BatchWriter): the sequencer's durable batches, and the
// operator's take-down of a published statement.
#include <algorithm>

#include <fmt/format.h>

#include "core/publication.h"
#include "core/text.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

// What CommitBatch decided for one submission before writing it.
struct PostgresStore::Material {
  bool duplicate = false;
  std::optional<Publication> published;
  ReceiptHash receipt;
};

Status PostgresStore::CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                                  const AuditFor<BatchOutcome>& audit) {
  out->clear();
  if (batch.empty()) return Status::Ok();
  // Historic days (`tuidang import --historic`) are numbered in runs of one day by the
  // SQLite store; this store does not do it yet (docs/postgres.md), and refuses the whole
  // batch rather than publish a historic record on today's day.
  if (std::any_of(batch.begin(), batch.end(), [](const Submission& s) { return s.day != 0; })) {
    return Status::Fail(
        "historic days (import --historic) are not supported on the PostgreSQL store yet: "
        "import the archive into SQLite and move it with a later tuidang");
  }
  const Day day = Now();
  Lease lease = Take();
  if (!lease.get()) return Status::Fail(lease.error());
  pg::Conn& c = *lease;
  auto fail = [&](std::string what) {
    out->clear();
    return Status::Fail(std::move(what));
  };
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return fail(s.message());
  // Only a batch that numbers statements queues on the coordination row: web statements
  // stored as accepted (the default) or held take no number and no leaf, so servers store
  // them side by side.
  const bool numbers = std::any_of(batch.begin(), batch.end(),
                                   [](const Submission& s) { return s.publish && !s.batched; });
  Coord coord;
  if (numbers) {
    auto locked = LockCoord(c);
    if (!locked) return fail(locked.error());
    coord = *locked;
  }
  PublicationRun run(coord.next_number, coord.next_leaf, day);
  const int64_t first_number = run.next_number();

  std::vector<Material> material(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    Submission& sub = batch[i];
    if (!sub.source_key.empty()) {
      auto seen =
          c.Exec("SELECT 1 FROM sources WHERE key = $1", pg::Params().Bytes(sub.source_key));
      if (!seen) return fail("look up source key: " + seen.error());
      if (!seen->empty()) {
        material[i].duplicate = true;
        continue;
      }
    }
    if (sub.publish && !sub.batched) material[i].published = run.Assign(&sub.statement);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Material& m = material[i];
    if (m.duplicate) continue;
    if (m.published) PublicationRun::Seal(batch[i].statement, &*m.published);
    m.receipt = HashReceiptCode(batch[i].receipt_code);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Committed done;
    done.day = day;
    if (material[i].duplicate) {
      done.duplicate = true;
      out->push_back(done);
      continue;
    }
    if (Status s = InsertSubmission(c, batch[i], material[i], day, &done); !s) {
      return fail(s.message());
    }
    out->push_back(done);
  }

  const Totals& delta = run.delta();
  if (delta.statements > 0) {
    if (Status s = pg::AddPublished(c, day, delta); !s) return fail(s.message());
    const int64_t count = run.next_number() - first_number;
    if (Status s = pg::AnchorPublished(c, day, first_number, count); !s) {
      return fail(s.message());
    }
    if (Status s = AdvanceCoord(c, coord, run.next_number(), run.next_leaf()); !s) {
      return fail(s.message());
    }
  }
  if (audit) {
    if (Status s = pg::WriteAudit(c, audit(BatchOutcome{batch, *out}), day); !s) {
      return fail(s.message());
    }
  }
  if (Status s = tx.Commit(); !s) return fail(s.message());
  if (delta.statements > 0) AfterCommit(coord.version, delta, day, run.next_leaf());
  return Status::Ok();
}

Status PostgresStore::InsertSubmission(pg::Conn& c, Submission& sub, Material& m, Day day,
                                       Committed* out) {
  Statement& st = sub.statement;
  const Publication* pub = m.published ? &*m.published : nullptr;
  out->status = !sub.publish  ? StatementStatus::kHeld
                : sub.batched ? StatementStatus::kAccepted
                              : StatementStatus::kPublished;
  if (out->status == StatementStatus::kPublished) out->number = st.number;
  // A receipt code already stored (about ten times in 458 million) takes no row: a new code
  // is drawn and the client is given the one stored. ON CONFLICT keeps the transaction
  // alive where a unique violation would abort it.
  std::optional<int64_t> id;
  for (int attempt = 0; attempt < 4 && !id; ++attempt) {
    if (attempt > 0) {
      sub.receipt_code = NewReceiptCode();
      m.receipt = HashReceiptCode(sub.receipt_code);
    }
    pg::Params p;
    p.OptInt(out->number)
        .Bytes(std::string_view(reinterpret_cast<const char*>(m.receipt.data()), m.receipt.size()))
        .Int(static_cast<int64_t>(out->status))
        .Int(day)
        .Int(static_cast<int64_t>(st.channel))
        .Int(static_cast<int64_t>(st.language))
        .Int(static_cast<int64_t>(st.region))
        .Int(static_cast<int64_t>(st.occupation))
        .Int(PersonsCount(st))
        .Text(st.text);
    if (pub) {
      p.Int(static_cast<int64_t>(pub->leaf_index)).Bytes(pub->salt).Text(pub->record);
    } else {
      p.Null().Null().Null();
    }
    p.Int(st.operator_id).Text(st.consent).Text(st.place);
    auto r = c.Exec(
        "INSERT INTO statements(number, receipt, status, day, channel, language, region,"
        " occupation, persons_count, text, leaf_index, salt, record, operator, consent, place)"
        " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        " ON CONFLICT(receipt) DO NOTHING RETURNING id",
        p);
    if (!r) return Status::Fail("insert statement: " + r.error());
    if (!r->empty()) id = r->Int(0, 0);
  }
  if (!id) return Status::Fail("insert statement: no free receipt code after 4 draws");
  out->id = *id;
  if (!sub.source_key.empty()) {
    auto r = c.Exec("INSERT INTO sources(key, statement) VALUES($1, $2)",
                    pg::Params().Bytes(sub.source_key).Int(out->id));
    if (!r) return Status::Fail("remember the source key: " + r.error());
  }
  if (pub) {
    auto r = c.Exec("INSERT INTO leaves(idx, entry) VALUES($1, $2)",
                    pg::Params().Int(static_cast<int64_t>(pub->leaf_index)).Bytes(pub->entry));
    if (!r) return Status::Fail("insert leaf: " + r.error());
  }
  for (size_t i = 0; i < st.persons.size(); ++i) {
    const Person& person = st.persons[i];
    pg::Params p;
    p.Int(out->id)
        .Int(static_cast<int64_t>(i))
        .Text(person.name)
        .Text(i < sub.folded_names.size() ? sub.folded_names[i] : FoldName(person.name))
        .Int(person.real_name ? 1 : 0)
        .Int(person.organisations);
    if (out->number) p.Int(day).Int(*out->number);
    else p.Null().Null();
    auto r = c.Exec(
        "INSERT INTO persons(statement, position, name, name_fold, real_name, organisations,"
        " day, number) VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
        p);
    if (!r) return Status::Fail("insert person: " + r.error());
  }
  for (const auto& [field, box] : sub.sealed) {
    auto r = c.Exec("INSERT INTO sealed(statement, field, box) VALUES($1, $2, $3)",
                    pg::Params().Int(out->id).Text(field).Bytes(box));
    if (!r) return Status::Fail("insert sealed field: " + r.error());
  }
  if (!sub.publish && !sub.hold_reason.empty()) {
    auto r = c.Exec("INSERT INTO holds(statement, reason, grp) VALUES($1, $2, $3)",
                    pg::Params()
                        .Int(out->id)
                        .Text(sub.hold_reason)
                        .Text(sub.hold_group.empty() ? sub.hold_reason : sub.hold_group));
    if (!r) return Status::Fail("insert hold: " + r.error());
  }
  st.id = out->id;
  st.number = out->number;
  st.status = out->status;
  st.day = day;
  return Status::Ok();
}

Status PostgresStore::Withdraw(int64_t number, WithdrawalReason reason,
                               const AuditFor<int64_t>& audit) {
  Lease lease = Take();
  if (!lease.get()) return Status::Fail(lease.error());
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return s;
  // The coordination row first, as every numbering transaction: one lock order, no deadlock.
  auto coord = LockCoord(c);
  if (!coord) return Status::Fail(coord.error());
  auto find = c.Exec(
      "SELECT id, leaf_index, day, channel, region, occupation FROM statements"
      " WHERE number = $1 AND status = 1 FOR UPDATE",
      pg::Params().Int(number));
  if (!find) return Status::Fail(find.error());
  if (find->empty() || find->IsNull(0, 1)) {
    return Status::Fail(fmt::format("statement {} is not a published statement", number));
  }
  const int64_t id = find->Int(0, 0), cancelled = find->Int(0, 1);
  const Day day = static_cast<Day>(find->Int(0, 2));
  const int channel = static_cast<int>(find->Int(0, 3)), region = static_cast<int>(find->Int(0, 4)),
            occupation = static_cast<int>(find->Int(0, 5));
  auto persons =
      c.Exec("SELECT organisations FROM persons WHERE statement = $1", pg::Params().Int(id));
  if (!persons) return Status::Fail(persons.error());
  Totals delta;
  delta.statements = -1;
  for (int i = 0; i < persons->size(); ++i) {
    const auto orgs = static_cast<uint8_t>(persons->Int(i, 0));
    delta.persons--;
    delta.party -= (orgs & kParty) != 0;
    delta.league -= (orgs & kLeague) != 0;
    delta.pioneers -= (orgs & kPioneers) != 0;
  }
  const std::string entry =
      EncodeLeaf(WithdrawalLeaf{Now(), reason, static_cast<uint64_t>(cancelled)});
  auto add = c.Exec("INSERT INTO leaves(idx, entry) VALUES($1, $2)",
                    pg::Params().Int(static_cast<int64_t>(coord->next_leaf)).Bytes(entry));
  if (!add) return Status::Fail("append the withdrawal leaf: " + add.error());
  // The names, the text, the notes, the record and its salt go, and so do the sealed
  // fields (a declarant in danger leaves no contact behind, even sealed); the leaf stays,
  // cancelled.
  auto erase = c.Exec(
      "UPDATE statements SET status = 3, text = '', consent = '', place = '', salt = NULL,"
      " record = NULL WHERE id = $1",
      pg::Params().Int(id));
  if (!erase) return Status::Fail(erase.error());
  if (Status s = pg::AnchorWithdrawn(c, day, number); !s) return s;
  for (std::string_view sql :
       {"DELETE FROM persons WHERE statement = $1", "DELETE FROM sealed WHERE statement = $1"}) {
    auto forget = c.Exec(sql, pg::Params().Int(id));
    if (!forget) return Status::Fail(forget.error());
  }
  // The daily row only (AddPublished would also add to the categories, counted below with
  // this statement's own three).
  auto down = c.Exec(
      "UPDATE daily SET statements = statements - 1, persons = persons + $1,"
      " party = party + $2, league = league + $3, pioneers = pioneers + $4 WHERE day = $5",
      pg::Params()
          .Int(delta.persons)
          .Int(delta.party)
          .Int(delta.league)
          .Int(delta.pioneers)
          .Int(day));
  if (!down) return Status::Fail(down.error());
  Totals categories;
  CountCategories(&categories, channel, region, occupation, -delta.persons, -1);
  if (Status s = pg::StoreCategories(c, categories); !s) return s;
  if (Status s = AdvanceCoord(c, *coord, coord->next_number, coord->next_leaf + 1); !s) return s;
  if (audit) {
    if (Status s = pg::WriteAudit(c, audit(number), Now()); !s) return s;
  }
  if (Status s = tx.Commit(); !s) return s;
  return LoadTotals();
}

}  // namespace tuidang
