#include "store/sqlite/sqlite_rows.h"

#include <string>

namespace tuidang::sqlite {

Statement ReadStatement(const Stmt& q) {
  Statement s;
  s.id = q.Int(0);
  if (!q.IsNull(1)) s.number = q.Int(1);
  s.status = static_cast<StatementStatus>(q.Int(2));
  s.day = static_cast<Day>(q.Int(3));
  s.channel = static_cast<Channel>(q.Int(4));
  s.language = static_cast<Language>(q.Int(5));
  s.region = static_cast<Region>(q.Int(6));
  s.occupation = static_cast<Occupation>(q.Int(7));
  s.text = std::string(q.Text(8));
  s.operator_id = q.Int(9);
  s.consent = std::string(q.Text(10));
  s.place = std::string(q.Text(11));
  return s;
}

Result<std::vector<Statement>> CollectStatements(Stmt& q, Db& db) {
  std::vector<Statement> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadStatement(q));
  q.Reset();
  if (rc != SQLITE_DONE) return Error{db.LastError()};
  return out;
}

Status LoadPersons(Stmt& persons, Db& db, std::vector<Statement>* statements) {
  for (auto& s : *statements) {
    persons.Reset();
    persons.Bind(1, s.id);
    int rc;
    while ((rc = persons.Step()) == SQLITE_ROW) {
      s.persons.push_back(Person{std::string(persons.Text(0)), persons.Int(1) != 0,
                                 static_cast<uint8_t>(persons.Int(2))});
    }
    if (rc != SQLITE_DONE) return Status::Fail(db.LastError());
  }
  return Status::Ok();
}

bool StoreCategories(Db& db, const Totals& delta) {
  auto up_cached = db.Cached(
      "INSERT INTO categories(dim, code, statements, persons) VALUES(?1,?2,?3,?4) "
      "ON CONFLICT(dim, code) DO UPDATE SET statements = statements + ?3, "
      "persons = persons + ?4");
  Stmt& up = *up_cached;
  if (!up.ok()) return false;
  for (int dim : {kDimChannel, kDimRegion, kDimOccupation}) {
    for (const auto& [code, c] : CategoryMap(delta, dim)) {
      up.Reset();
      up.Bind(1, static_cast<int64_t>(dim))
          .Bind(2, static_cast<int64_t>(code))
          .Bind(3, c.statements)
          .Bind(4, c.persons);
      if (up.Step() != SQLITE_DONE) return false;
    }
  }
  return true;
}

bool AddPublished(Db& db, Day day, const Totals& delta) {
  auto up = db.Cached(
      "INSERT INTO daily(day, statements, persons, party, league, pioneers) "
      "VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(day) DO UPDATE SET "
      "statements = statements + ?2, persons = persons + ?3, party = party + ?4, "
      "league = league + ?5, pioneers = pioneers + ?6");
  up->Bind(1, static_cast<int64_t>(day))
      .Bind(2, delta.statements)
      .Bind(3, delta.persons)
      .Bind(4, delta.party)
      .Bind(5, delta.league)
      .Bind(6, delta.pioneers);
  return up->Step() == SQLITE_DONE && StoreCategories(db, delta);
}

}  // namespace tuidang::sqlite
