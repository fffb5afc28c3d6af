// PostgresStore's batch writer (BatchWriter): the sequencer's durable batches, and the
// operator's take-down of a published statement.
#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/publication.h"
#include "core/text.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

// What CommitBatch decided for one submission before writing it.
struct PostgresStore::Material {
  bool duplicate = false;
  std::string duplicate_of;  // the stored row's origin
  std::optional<Publication> published;
  ReceiptHash receipt;
};

Status PostgresStore::CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                                  const AuditFor<BatchOutcome>& audit) {
  out->clear();
  if (batch.empty()) return Status::Ok();
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
  // What the batch publishes, in runs of one day (the commit's, or historic records' own).
  DayRuns runs(coord.next_number, coord.next_leaf);

  std::vector<Material> material(batch.size());
  // The source keys already stored, in one query for the batch.
  std::vector<size_t> keyed;
  pg::Column keys(pg::Column::Type::kBytea);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].source_key.empty()) continue;
    keyed.push_back(i);
    keys.Bytes(batch[i].source_key);
  }
  if (!keyed.empty()) {
    auto seen = c.Exec("SELECT key, origin FROM sources WHERE key = ANY($1::bytea[])",
                       pg::Params().Array(keys));
    if (!seen) return fail("look up source keys: " + seen.error());
    std::unordered_map<std::string, std::string> stored;  // key → origin
    for (int r = 0; r < seen->size(); ++r) stored.emplace(seen->Bytes(r, 0), seen->Text(r, 1));
    for (size_t i : keyed) {
      auto it = stored.find(batch[i].source_key);
      if (it == stored.end()) continue;
      material[i].duplicate = true;
      material[i].duplicate_of = it->second;
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Submission& sub = batch[i];
    if (Status s =
            CheckHistoricDay(sub.day, day, sub.publish && !sub.batched, sub.statement.channel);
        !s) {
      return fail(s.message());
    }
    if (material[i].duplicate) continue;
    if (sub.publish && !sub.batched) {
      material[i].published = runs.On(sub.day != 0 ? sub.day : day).Assign(&sub.statement);
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Material& m = material[i];
    if (m.duplicate) continue;
    if (m.published) PublicationRun::Seal(batch[i].statement, &*m.published);
    m.receipt = HashReceiptCode(batch[i].receipt_code);
  }
  if (Status s = InsertBatch(c, batch, material, day, out); !s) return fail(s.message());

  // In the runs' order: a later run of the same day counts the earlier one's statements.
  for (const DayRuns::Run& r : runs.runs()) {
    if (Status s = pg::AddPublished(c, r.run.day(), r.run.delta()); !s) return fail(s.message());
    const int64_t count = r.run.next_number() - r.first_number;
    if (Status s = pg::AnchorPublished(c, r.run.day(), r.first_number, count); !s) {
      return fail(s.message());
    }
  }
  if (!runs.runs().empty()) {
    if (Status s = AdvanceCoord(c, coord, runs.next_number(), runs.next_leaf()); !s) {
      return fail(s.message());
    }
  }
  if (audit) {
    if (Status s = pg::WriteAudit(c, audit(BatchOutcome{batch, *out}), day); !s) {
      return fail(s.message());
    }
  }
  if (Status s = tx.Commit(); !s) return fail(s.message());
  if (!runs.runs().empty()) {
    std::vector<std::pair<Totals, Day>> deltas;
    for (const DayRuns::Run& r : runs.runs()) deltas.emplace_back(r.run.delta(), r.run.day());
    AfterCommit(coord.version, deltas, runs.next_leaf());
  }
  return Status::Ok();
}

namespace {

std::string_view AsBytes(const ReceiptHash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

// Each table's rows of the batch in one statement (INSERT ... SELECT FROM unnest of one
// array parameter per column), so that a batch costs a round trip per table, not per row.
// The statements get their ids in the batch's order (ORDER BY the arrays' ordinality), as
// when they were inserted one by one.
Status PostgresStore::InsertBatch(pg::Conn& c, std::vector<Submission>& batch,
                                  std::vector<Material>& material, Day day,
                                  std::vector<Committed>* out) {
  using Type = pg::Column::Type;
  std::vector<size_t> rows;  // the submissions written (not duplicates), in batch order
  for (size_t i = 0; i < batch.size(); ++i) {
    Committed done;
    done.day = material[i].published ? material[i].published->day : day;
    if (material[i].duplicate) {
      done.duplicate = true;
      done.duplicate_of = std::move(material[i].duplicate_of);
    } else {
      const Submission& sub = batch[i];
      done.status = !sub.publish  ? StatementStatus::kHeld
                    : sub.batched ? StatementStatus::kAccepted
                                  : StatementStatus::kPublished;
      if (done.status == StatementStatus::kPublished) done.number = sub.statement.number;
      rows.push_back(i);
    }
    out->push_back(done);
  }
  if (rows.empty()) return Status::Ok();

  // A receipt code already stored (about ten times in 458 million) takes no row: a new code
  // is drawn and the client is given the one stored. ON CONFLICT keeps the transaction
  // alive where a unique violation would abort it. Two equal codes within the batch are
  // told apart before sending (the statement would not say which row it skipped).
  std::unordered_set<std::string_view> drawn;
  for (size_t i : rows) {
    while (!drawn.insert(AsBytes(material[i].receipt)).second) {
      batch[i].receipt_code = NewReceiptCode();
      material[i].receipt = HashReceiptCode(batch[i].receipt_code);
    }
  }
  std::vector<size_t> pending = rows;
  for (int attempt = 0; attempt < 4 && !pending.empty(); ++attempt) {
    if (attempt > 0) {
      for (size_t i : pending) {
        batch[i].receipt_code = NewReceiptCode();
        material[i].receipt = HashReceiptCode(batch[i].receipt_code);
      }
    }
    pg::Column number(Type::kBigint), receipt(Type::kBytea), status(Type::kBigint),
        channel(Type::kBigint), language(Type::kBigint), region(Type::kBigint),
        occupation(Type::kBigint), persons(Type::kBigint), text(Type::kText), leaf(Type::kBigint),
        salt(Type::kBytea), record(Type::kText), op(Type::kBigint), consent(Type::kText),
        place(Type::kText), days(Type::kBigint);
    for (size_t i : pending) {
      const Statement& st = batch[i].statement;
      days.Int((*out)[i].day);
      const Publication* pub = material[i].published ? &*material[i].published : nullptr;
      number.OptInt((*out)[i].number);
      receipt.Bytes(AsBytes(material[i].receipt));
      status.Int(static_cast<int64_t>((*out)[i].status));
      channel.Int(static_cast<int64_t>(st.channel));
      language.Int(static_cast<int64_t>(st.language));
      region.Int(static_cast<int64_t>(st.region));
      occupation.Int(static_cast<int64_t>(st.occupation));
      persons.Int(PersonsCount(st));
      text.Text(st.text);
      if (pub) {
        leaf.Int(static_cast<int64_t>(pub->leaf_index));
        salt.Bytes(pub->salt);
        record.Text(pub->record);
      } else {
        leaf.Null();
        salt.Null();
        record.Null();
      }
      op.Int(st.operator_id);
      consent.Text(st.consent);
      place.Text(st.place);
    }
    pg::Params p;
    p.Array(number)
        .Array(receipt)
        .Array(status)
        .Array(channel)
        .Array(language)
        .Array(region)
        .Array(occupation)
        .Array(persons)
        .Array(text)
        .Array(leaf)
        .Array(salt)
        .Array(record)
        .Array(op)
        .Array(consent)
        .Array(place)
        .Array(days);
    auto r = c.Exec(
        "INSERT INTO statements(number, receipt, status, day, channel, language, region,"
        " occupation, persons_count, text, leaf_index, salt, record, operator, consent, place)"
        " SELECT u.number, u.receipt, u.status, u.day, u.channel, u.language, u.region,"
        " u.occupation, u.persons_count, u.text, u.leaf_index, u.salt, u.record, u.operator,"
        " u.consent, u.place FROM unnest($1::bigint[], $2::bytea[], $3::bigint[],"
        " $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[],"
        " $10::bigint[], $11::bytea[], $12::text[], $13::bigint[], $14::text[], $15::text[],"
        " $16::bigint[])"
        " WITH ORDINALITY AS u(number, receipt, status, channel, language, region, occupation,"
        " persons_count, text, leaf_index, salt, record, operator, consent, place, day, ord)"
        " ORDER BY u.ord ON CONFLICT(receipt) DO NOTHING RETURNING id, receipt",
        p);
    if (!r) return Status::Fail("insert statements: " + r.error());
    std::unordered_map<std::string, int64_t> ids;
    for (int k = 0; k < r->size(); ++k) ids.emplace(r->Bytes(k, 1), r->Int(k, 0));
    std::vector<size_t> again;
    for (size_t i : pending) {
      auto it = ids.find(std::string(AsBytes(material[i].receipt)));
      if (it == ids.end()) again.push_back(i);
      else (*out)[i].id = it->second;
    }
    pending = std::move(again);
  }
  if (!pending.empty()) return Status::Fail("insert statement: no free receipt code after 4 draws");

  pg::Column key(Type::kBytea), key_of(Type::kBigint), key_origin(Type::kText);
  pg::Column leaf_idx(Type::kBigint), leaf_entry(Type::kBytea);
  pg::Column p_statement(Type::kBigint), p_position(Type::kBigint), p_name(Type::kText),
      p_fold(Type::kText), p_real(Type::kBigint), p_orgs(Type::kBigint), p_day(Type::kBigint),
      p_number(Type::kBigint);
  pg::Column s_statement(Type::kBigint), s_field(Type::kText), s_box(Type::kBytea);
  pg::Column h_statement(Type::kBigint), h_reason(Type::kText), h_group(Type::kText);
  std::map<std::string_view, int64_t> held;  // moderation counter reason → statements
  for (size_t i : rows) {
    Submission& sub = batch[i];
    const Committed& done = (*out)[i];
    if (!sub.source_key.empty()) {
      key.Bytes(sub.source_key);
      key_of.Int(done.id);
      key_origin.Text(sub.source_row);
    }
    if (material[i].published) {
      leaf_idx.Int(static_cast<int64_t>(material[i].published->leaf_index));
      leaf_entry.Bytes(material[i].published->entry);
    }
    const Statement& st = sub.statement;
    for (size_t k = 0; k < st.persons.size(); ++k) {
      const Person& person = st.persons[k];
      p_statement.Int(done.id);
      p_position.Int(static_cast<int64_t>(k));
      p_name.Text(person.name);
      if (k < sub.folded_names.size()) p_fold.Text(sub.folded_names[k]);
      else p_fold.Text(FoldName(person.name));
      p_real.Int(person.real_name ? 1 : 0);
      p_orgs.Int(person.organisations);
      if (done.number) {
        p_day.Int(done.day);
        p_number.Int(*done.number);
      } else {
        p_day.Null();
        p_number.Null();
      }
    }
    for (const auto& [field, box] : sub.sealed) {
      s_statement.Int(done.id);
      s_field.Text(field);
      s_box.Bytes(box);
    }
    if (!sub.publish && !sub.hold_reason.empty()) {
      h_statement.Int(done.id);
      h_reason.Text(sub.hold_reason);
      h_group.Text(sub.hold_group.empty() ? sub.hold_reason : sub.hold_group);
    }
    if (done.status == StatementStatus::kHeld) held[HeldReason(sub.hold_reason)]++;
  }
  struct Insert {
    const char* what;
    const char* sql;
    std::vector<const pg::Column*> columns;
  };
  const Insert inserts[] = {
      {"remember the source keys",
       "INSERT INTO sources(key, statement, origin)"
       " SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::text[])",
       {&key, &key_of, &key_origin}},
      {"insert leaves",
       "INSERT INTO leaves(idx, entry) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
       {&leaf_idx, &leaf_entry}},
      {"insert persons",
       "INSERT INTO persons(statement, position, name, name_fold, real_name, organisations,"
       " day, number) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],"
       " $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])",
       {&p_statement, &p_position, &p_name, &p_fold, &p_real, &p_orgs, &p_day, &p_number}},
      {"insert sealed fields",
       "INSERT INTO sealed(statement, field, box)"
       " SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[])",
       {&s_statement, &s_field, &s_box}},
      {"insert holds",
       "INSERT INTO holds(statement, reason, grp)"
       " SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
       {&h_statement, &h_reason, &h_group}},
  };
  for (const Insert& insert : inserts) {
    if (insert.columns.front()->size() == 0) continue;
    pg::Params p;
    for (const pg::Column* column : insert.columns) p.Array(*column);
    auto r = c.Exec(insert.sql, p);
    if (!r) return Status::Fail(std::string(insert.what) + ": " + r.error());
  }
  for (const auto& [reason, n] : held) {
    if (Status s = pg::CountModeration(c, day, ModerationEvent::kHeld, reason, n); !s) return s;
  }
  for (size_t i : rows) {
    Statement& st = batch[i].statement;
    st.id = (*out)[i].id;
    st.number = (*out)[i].number;
    st.status = (*out)[i].status;
    st.day = (*out)[i].day;
  }
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
  if (Status s = pg::CountModeration(c, Now(), ModerationEvent::kWithdrawn,
                                     WithdrawalReasonCode(reason), 1);
      !s) {
    return s;
  }
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
