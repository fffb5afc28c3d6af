#include "store/postgres/pg_rows.h"

#include <limits>
#include <map>
#include <string>
#include <utility>

namespace tuidang::pg {

Statement ReadStatement(const Rows& q, int row) {
  Statement s;
  s.id = q.Int(row, 0);
  s.number = q.OptInt(row, 1);
  s.status = static_cast<StatementStatus>(q.Int(row, 2));
  s.day = static_cast<Day>(q.Int(row, 3));
  s.channel = static_cast<Channel>(q.Int(row, 4));
  s.language = static_cast<Language>(q.Int(row, 5));
  s.region = static_cast<Region>(q.Int(row, 6));
  s.occupation = static_cast<Occupation>(q.Int(row, 7));
  s.text = q.Text(row, 8);
  s.operator_id = q.Int(row, 9);
  s.consent = q.Text(row, 10);
  s.place = q.Text(row, 11);
  return s;
}

std::vector<Statement> ReadStatements(const Rows& rows) {
  std::vector<Statement> out;
  out.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) out.push_back(ReadStatement(rows, i));
  return out;
}

Status LoadPersons(Conn& c, std::vector<Statement>* statements) {
  if (statements->empty()) return Status::Ok();
  std::vector<int64_t> ids;
  std::map<int64_t, size_t> where;
  for (size_t i = 0; i < statements->size(); ++i) {
    ids.push_back((*statements)[i].id);
    where[(*statements)[i].id] = i;
  }
  auto rows = c.Exec(
      "SELECT statement, name, real_name, organisations FROM persons"
      " WHERE statement = ANY($1::bigint[]) ORDER BY statement, position",
      Params().IntArray(ids));
  if (!rows) return Status::Fail("read persons: " + rows.error());
  for (int i = 0; i < rows->size(); ++i) {
    Statement& s = (*statements)[where[rows->Int(i, 0)]];
    s.persons.push_back(
        Person{rows->Text(i, 1), rows->Int(i, 2) != 0, static_cast<uint8_t>(rows->Int(i, 3))});
  }
  return Status::Ok();
}

Status StoreCategories(Conn& c, const Totals& delta) {
  // Every (dimension, code) of the delta in one statement: the pairs are distinct, so no
  // row is updated twice.
  Column dims(Column::Type::kBigint), codes(Column::Type::kBigint),
      statements(Column::Type::kBigint), persons(Column::Type::kBigint);
  for (int dim : {kDimChannel, kDimRegion, kDimOccupation}) {
    for (const auto& [code, n] : CategoryMap(delta, dim)) {
      dims.Int(dim);
      codes.Int(code);
      statements.Int(n.statements);
      persons.Int(n.persons);
    }
  }
  if (dims.size() == 0) return Status::Ok();
  auto r = c.Exec(
      "INSERT INTO categories(dim, code, statements, persons)"
      " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])"
      " ON CONFLICT(dim, code) DO UPDATE SET"
      " statements = categories.statements + EXCLUDED.statements,"
      " persons = categories.persons + EXCLUDED.persons",
      Params().Array(dims).Array(codes).Array(statements).Array(persons));
  if (!r) return Status::Fail("update the categories: " + r.error());
  return Status::Ok();
}

Status AddPublished(Conn& c, Day day, const Totals& delta) {
  auto r = c.Exec(
      "INSERT INTO daily(day, statements, persons, party, league, pioneers)"
      " VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(day) DO UPDATE SET"
      " statements = daily.statements + EXCLUDED.statements,"
      " persons = daily.persons + EXCLUDED.persons, party = daily.party + EXCLUDED.party,"
      " league = daily.league + EXCLUDED.league, pioneers = daily.pioneers + EXCLUDED.pioneers",
      Params()
          .Int(day)
          .Int(delta.statements)
          .Int(delta.persons)
          .Int(delta.party)
          .Int(delta.league)
          .Int(delta.pioneers));
  if (!r) return Status::Fail("update the totals: " + r.error());
  return StoreCategories(c, delta);
}

Status WriteAudit(Conn& c, const std::vector<AuditEntry>& entries, Day day) {
  if (entries.empty()) return Status::Ok();
  Column operators(Column::Type::kBigint), actions(Column::Type::kText),
      objects(Column::Type::kText);
  for (const AuditEntry& e : entries) {
    operators.Int(e.operator_id);
    actions.Text(e.action);
    objects.Text(e.object);
  }
  // The day only: a finer time would bracket when the web statements stored between two
  // entries arrived (DESIGN.md, privacy). The entries in their order (the trail's ids).
  auto r = c.Exec(
      "INSERT INTO audit_trail(day, operator, action, object)"
      " SELECT $1, u.operator, u.action, u.object"
      " FROM unnest($2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY"
      " AS u(operator, action, object, ord) ORDER BY u.ord",
      Params().Int(day).Array(operators).Array(actions).Array(objects));
  if (!r) return Status::Fail("audit trail: " + r.error());
  return Status::Ok();
}

Result<int64_t> PublishedBelow(Conn& c, Day day, int64_t before) {
  const int64_t bound = before > 0 ? before : std::numeric_limits<int64_t>::max();
  auto anchor = c.Exec(
      "SELECT block, number FROM day_anchors WHERE day = $1 AND number < $2"
      " ORDER BY number DESC LIMIT 1",
      Params().Int(day).Int(bound));
  if (!anchor) return Error{"read the day's anchors: " + anchor.error()};
  if (anchor->empty()) return int64_t{0};  // the day's first published number is >= bound
  const int64_t block = anchor->Int(0, 0), from = anchor->Int(0, 1);
  // Fewer than kAnchorEvery entries: the next anchor, if any, is at or above `bound`.
  auto count = c.Exec(
      "SELECT COUNT(*) FROM statements WHERE status = 1 AND day = $1 AND number >= $2"
      " AND number < $3",
      Params().Int(day).Int(from).Int(bound));
  if (!count) return Error{"count from the anchor: " + count.error()};
  return block * kAnchorEvery + count->Int(0, 0);
}

Result<std::optional<int64_t>> NumberAtRank(Conn& c, Day day, int64_t rank) {
  if (rank < 0) return std::optional<int64_t>();
  auto anchor = c.Exec("SELECT number FROM day_anchors WHERE day = $1 AND block = $2",
                       Params().Int(day).Int(rank / kAnchorEvery));
  if (!anchor) return Error{"read the day's anchors: " + anchor.error()};
  if (anchor->empty()) return std::optional<int64_t>();
  auto at = c.Exec(
      "SELECT number FROM statements WHERE status = 1 AND day = $1 AND number >= $2"
      " ORDER BY number LIMIT 1 OFFSET $3",
      Params().Int(day).Int(anchor->Int(0, 0)).Int(rank % kAnchorEvery));
  if (!at) return Error{"skip from the anchor: " + at.error()};
  if (at->empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(at->Int(0, 0));
}

Status AnchorPublished(Conn& c, Day day, int64_t first, int64_t count) {
  auto below = PublishedBelow(c, day, first);
  if (!below) return Status::Fail(below.error());
  const int64_t had = *below;
  // The first rank of a block among had, had + 1, ..., had + count - 1.
  Column blocks(Column::Type::kBigint), numbers(Column::Type::kBigint);
  for (int64_t rank = (had + kAnchorEvery - 1) / kAnchorEvery * kAnchorEvery; rank < had + count;
       rank += kAnchorEvery) {
    blocks.Int(rank / kAnchorEvery);
    numbers.Int(first + (rank - had));
  }
  if (blocks.size() == 0) return Status::Ok();
  auto r = c.Exec(
      "INSERT INTO day_anchors(day, block, number)"
      " SELECT $1, u.block, u.number FROM unnest($2::bigint[], $3::bigint[]) AS u(block, number)",
      Params().Int(day).Array(blocks).Array(numbers));
  if (!r) return Status::Fail("anchor the day list: " + r.error());
  return Status::Ok();
}

Status AnchorWithdrawn(Conn& c, Day day, int64_t number) {
  auto moved = c.Exec(
      "SELECT block, number FROM day_anchors WHERE day = $1 AND number >= $2"
      " ORDER BY number DESC",
      Params().Int(day).Int(number));
  if (!moved) return Status::Fail("read the day's anchors: " + moved.error());
  // Each anchor at or above the withdrawn number lost one rank below it (or is the
  // withdrawn one): the rank it marks now belongs to its successor. Highest first, so that
  // no anchor moves onto a number another still holds.
  for (int i = 0; i < moved->size(); ++i) {
    const int64_t block = moved->Int(i, 0), old = moved->Int(i, 1);
    auto next = c.Exec(
        "SELECT number FROM statements WHERE status = 1 AND day = $1 AND number > $2"
        " ORDER BY number LIMIT 1",
        Params().Int(day).Int(old));
    if (!next) return Status::Fail("find the next anchor: " + next.error());
    auto r = next->empty()  // none left: the day's last block is empty
                 ? c.Exec("DELETE FROM day_anchors WHERE day = $1 AND block = $2",
                          Params().Int(day).Int(block))
                 : c.Exec("UPDATE day_anchors SET number = $3 WHERE day = $1 AND block = $2",
                          Params().Int(day).Int(block).Int(next->Int(0, 0)));
    if (!r) return Status::Fail("move an anchor: " + r.error());
  }
  return Status::Ok();
}

}  // namespace tuidang::pg
