#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/text.h"

namespace tuidang {

namespace {

constexpr int kSchemaVersion = 1;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS statements(
  id INTEGER PRIMARY KEY,
  number INTEGER UNIQUE,
  receipt BLOB NOT NULL UNIQUE,
  status INTEGER NOT NULL,
  day INTEGER NOT NULL,
  channel INTEGER NOT NULL,
  language INTEGER NOT NULL,
  region INTEGER NOT NULL,
  occupation INTEGER NOT NULL,
  persons_count INTEGER NOT NULL,
  text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS statements_by_day ON statements(day, number) WHERE number IS NOT NULL;
CREATE TABLE IF NOT EXISTS persons(
  statement INTEGER NOT NULL REFERENCES statements(id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  name_fold TEXT NOT NULL,
  real_name INTEGER NOT NULL,
  organisations INTEGER NOT NULL,
  PRIMARY KEY(statement, position)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS persons_by_name ON persons(name_fold, statement);
CREATE TABLE IF NOT EXISTS daily(
  day INTEGER PRIMARY KEY,
  statements INTEGER NOT NULL,
  persons INTEGER NOT NULL,
  party INTEGER NOT NULL,
  league INTEGER NOT NULL,
  pioneers INTEGER NOT NULL);
)sql";

constexpr std::string_view kStatementColumns =
    "id, number, status, day, channel, language, region, occupation, text";

Statement ReadStatement(const sqlite::Stmt& q) {
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
  return s;
}

// Adds one statement's persons to a totals delta.
void Count(const Statement& s, Totals* t) {
  t->statements += 1;
  for (const auto& p : s.persons) {
    t->persons += 1;
    t->party += (p.organisations & kParty) != 0;
    t->league += (p.organisations & kLeague) != 0;
    t->pioneers += (p.organisations & kPioneers) != 0;
  }
}

}  // namespace

DayCount Totals::Of(Day day) const {
  auto it = std::lower_bound(by_day.begin(), by_day.end(), day,
                             [](const DayCount& c, Day d) { return c.day < d; });
  if (it != by_day.end() && it->day == day) return *it;
  return DayCount{day, 0, 0};
}

class SqliteStore::ReaderLease {
 public:
  ReaderLease(SqliteStore* store, std::unique_ptr<Reader> r, std::string error)
      : store_(store), r_(std::move(r)), error_(std::move(error)) {}
  ~ReaderLease() {
    if (r_) store_->Release(std::move(r_));
  }
  ReaderLease(ReaderLease&&) = default;
  Reader* get() { return r_.get(); }
  const std::string& error() const { return error_; }

 private:
  SqliteStore* store_;
  std::unique_ptr<Reader> r_;
  std::string error_;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(path));
  if (Status s = store->Init(); !s) return Error{s.message()};
  return store;
}

SqliteStore::~SqliteStore() = default;

Status SqliteStore::Init() {
  std::lock_guard lock(write_mu_);
  if (Status s = writer_.Open(path_, true); !s) return s;
  if (Status s = writer_.Exec(kSchema); !s) return Status::Fail("schema: " + s.message());
  auto version = writer_.Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  if (version.Step() == SQLITE_ROW) {
    if (version.Text(0) != std::to_string(kSchemaVersion)) {
      return Status::Fail(fmt::format("{}: schema version {} is not {}", path_, version.Text(0),
                                      kSchemaVersion));
    }
  } else {
    auto set = writer_.Prepare("INSERT INTO meta(key, value) VALUES('schema_version', ?)");
    set.Bind(1, std::to_string(kSchemaVersion));
    if (set.Step() != SQLITE_DONE) return Status::Fail(writer_.LastError());
  }
  auto max = writer_.Prepare("SELECT COALESCE(MAX(number), 0) FROM statements");
  if (max.Step() != SQLITE_ROW) return Status::Fail(writer_.LastError());
  next_number_ = max.Int(0) + 1;

  auto totals = std::make_shared<Totals>();
  auto daily = writer_.Prepare(
      "SELECT day, statements, persons, party, league, pioneers FROM daily ORDER BY day");
  while (daily.Step() == SQLITE_ROW) {
    DayCount d{static_cast<Day>(daily.Int(0)), daily.Int(1), daily.Int(2)};
    totals->statements += d.statements;
    totals->persons += d.persons;
    totals->party += daily.Int(3);
    totals->league += daily.Int(4);
    totals->pioneers += daily.Int(5);
    totals->by_day.push_back(d);
  }
  std::lock_guard tl(totals_mu_);
  totals_ = std::move(totals);
  return Status::Ok();
}

Result<std::unique_ptr<SqliteStore::Reader>> SqliteStore::NewReader() {
  auto r = std::make_unique<Reader>();
  if (Status s = r->db.Open(path_, false); !s) return Error{s.message()};
  r->db.Exec("PRAGMA query_only=ON");
  std::string cols(kStatementColumns);
  r->by_number = r->db.Prepare("SELECT " + cols + " FROM statements WHERE number = ? AND status = 1");
  r->day_page = r->db.Prepare("SELECT " + cols +
                              " FROM statements WHERE day = ? AND number IS NOT NULL AND status = 1"
                              " ORDER BY number DESC LIMIT ? OFFSET ?");
  r->day_page_before = r->db.Prepare(
      "SELECT " + cols +
      " FROM statements WHERE day = ? AND number IS NOT NULL AND number < ? AND status = 1"
      " ORDER BY number DESC LIMIT ? OFFSET ?");
  r->persons = r->db.Prepare(
      "SELECT name, real_name, organisations FROM persons WHERE statement = ? ORDER BY position");
  std::string search_cols = "s.id, s.number, s.status, s.day, s.channel, s.language, s.region, "
                            "s.occupation, s.text";
  r->search = r->db.Prepare(
      "SELECT DISTINCT " + search_cols +
      " FROM persons p JOIN statements s ON s.id = p.statement"
      " WHERE p.name_fold = ? AND s.status = 1 ORDER BY s.number DESC LIMIT ?");
  r->search_day = r->db.Prepare(
      "SELECT DISTINCT " + search_cols +
      " FROM persons p JOIN statements s ON s.id = p.statement"
      " WHERE p.name_fold = ? AND s.status = 1 AND s.day = ? ORDER BY s.number DESC LIMIT ?");
  r->receipt = r->db.Prepare("SELECT status, number, day FROM statements WHERE receipt = ?");
  for (auto* s : {&r->by_number, &r->day_page, &r->day_page_before, &r->persons, &r->search,
                  &r->search_day, &r->receipt}) {
    if (!s->ok()) return Error{"prepare: " + r->db.LastError()};
  }
  return r;
}

SqliteStore::ReaderLease SqliteStore::Lease() {
  {
    std::lock_guard lock(readers_mu_);
    if (!idle_readers_.empty()) {
      auto r = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(this, std::move(r), "");
    }
  }
  auto r = NewReader();
  if (!r) return ReaderLease(this, nullptr, r.error());
  return ReaderLease(this, std::move(*r), "");
}

void SqliteStore::Release(std::unique_ptr<Reader> r) {
  std::lock_guard lock(readers_mu_);
  idle_readers_.push_back(std::move(r));
}

Status SqliteStore::LoadPersons(Reader& r, std::vector<Statement>* statements) {
  for (auto& s : *statements) {
    r.persons.Reset();
    r.persons.Bind(1, s.id);
    int rc;
    while ((rc = r.persons.Step()) == SQLITE_ROW) {
      s.persons.push_back(Person{std::string(r.persons.Text(0)), r.persons.Int(1) != 0,
                                 static_cast<uint8_t>(r.persons.Int(2))});
    }
    if (rc != SQLITE_DONE) return Status::Fail(r.db.LastError());
  }
  return Status::Ok();
}

Status SqliteStore::CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out) {
  std::lock_guard lock(write_mu_);
  out->clear();
  if (batch.empty()) return Status::Ok();
  const Day day = Today();
  const int64_t first_number = next_number_;
  int64_t number = first_number;
  Totals delta;

  auto fail = [&](std::string what) {
    writer_.Exec("ROLLBACK");
    out->clear();
    return Status::Fail(what + ": " + writer_.LastError());
  };
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return s;

  auto insert = writer_.Prepare(
      "INSERT INTO statements(number, receipt, status, day, channel, language, region, "
      "occupation, persons_count, text) VALUES(?,?,?,?,?,?,?,?,?,?)");
  auto person = writer_.Prepare(
      "INSERT INTO persons(statement, position, name, name_fold, real_name, organisations) "
      "VALUES(?,?,?,?,?,?)");
  if (!insert.ok() || !person.ok()) return fail("prepare");

  for (auto& sub : batch) {
    Statement& st = sub.statement;
    Committed c;
    c.day = day;
    c.status = sub.publish ? StatementStatus::kPublished : StatementStatus::kHeld;
    if (sub.publish) c.number = number++;
    int rc = SQLITE_CONSTRAINT;
    for (int attempt = 0; attempt < 4 && rc == SQLITE_CONSTRAINT; ++attempt) {
      if (attempt > 0) sub.receipt_code = NewReceiptCode();  // the code was taken
      ReceiptHash receipt = HashReceiptCode(sub.receipt_code);
      insert.Reset();
      if (c.number) insert.Bind(1, *c.number);
      else insert.BindNull(1);
      insert.BindBlob(2, receipt.data(), receipt.size())
        .Bind(3, static_cast<int64_t>(c.status))
        .Bind(4, static_cast<int64_t>(day))
        .Bind(5, static_cast<int64_t>(st.channel))
        .Bind(6, static_cast<int64_t>(st.language))
        .Bind(7, static_cast<int64_t>(st.region))
        .Bind(8, static_cast<int64_t>(st.occupation))
        .Bind(9, PersonsCount(st))
        .Bind(10, st.text);
      rc = insert.Step();
    }
    if (rc != SQLITE_DONE) return fail("insert statement");
    c.id = sqlite3_last_insert_rowid(writer_.raw());
    for (size_t i = 0; i < st.persons.size(); ++i) {
      const Person& p = st.persons[i];
      person.Reset();
      person.Bind(1, c.id)
          .Bind(2, static_cast<int64_t>(i))
          .Bind(3, p.name)
          .Bind(4, i < sub.folded_names.size() ? sub.folded_names[i] : FoldName(p.name))
          .Bind(5, static_cast<int64_t>(p.real_name))
          .Bind(6, static_cast<int64_t>(p.organisations));
      if (person.Step() != SQLITE_DONE) return fail("insert person");
    }
    if (sub.publish) Count(st, &delta);
    st.id = c.id;
    st.number = c.number;
    st.status = c.status;
    st.day = day;
    out->push_back(c);
  }

  if (delta.statements > 0) {
    auto up = writer_.Prepare(
        "INSERT INTO daily(day, statements, persons, party, league, pioneers) "
        "VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(day) DO UPDATE SET "
        "statements = statements + ?2, persons = persons + ?3, party = party + ?4, "
        "league = league + ?5, pioneers = pioneers + ?6");
    up.Bind(1, static_cast<int64_t>(day))
        .Bind(2, delta.statements)
        .Bind(3, delta.persons)
        .Bind(4, delta.party)
        .Bind(5, delta.league)
        .Bind(6, delta.pioneers);
    if (up.Step() != SQLITE_DONE) return fail("update daily totals");
  }
  if (Status s = writer_.Exec("COMMIT"); !s) {
    next_number_ = first_number;
    return fail("commit");
  }
  next_number_ = number;

  if (delta.statements > 0) {
    std::lock_guard tl(totals_mu_);
    auto t = std::make_shared<Totals>(*totals_);
    t->statements += delta.statements;
    t->persons += delta.persons;
    t->party += delta.party;
    t->league += delta.league;
    t->pioneers += delta.pioneers;
    if (t->by_day.empty() || t->by_day.back().day < day) t->by_day.push_back({day, 0, 0});
    auto it = std::lower_bound(t->by_day.begin(), t->by_day.end(), day,
                               [](const DayCount& c, Day d) { return c.day < d; });
    it->statements += delta.statements;
    it->persons += delta.persons;
    totals_ = std::move(t);
  }
  return Status::Ok();
}

Result<std::optional<Statement>> SqliteStore::GetPublished(int64_t number) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.by_number.Reset();
  r.by_number.Bind(1, number);
  std::vector<Statement> found;
  int rc = r.by_number.Step();
  if (rc == SQLITE_ROW) found.push_back(ReadStatement(r.by_number));
  else if (rc != SQLITE_DONE) return Error{r.db.LastError()};
  r.by_number.Reset();
  if (found.empty()) return std::optional<Statement>();
  if (Status s = LoadPersons(r, &found); !s) return Error{s.message()};
  return std::optional<Statement>(std::move(found[0]));
}

namespace {
Result<std::vector<Statement>> Collect(sqlite::Stmt& q, sqlite::Db& db) {
  std::vector<Statement> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadStatement(q));
  q.Reset();
  if (rc != SQLITE_DONE) return Error{db.LastError()};
  return out;
}
}  // namespace

Result<std::vector<Statement>> SqliteStore::ListDay(Day day, int64_t before, int64_t offset,
                                                    int limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  sqlite::Stmt& q = before > 0 ? r.day_page_before : r.day_page;
  q.Reset();
  int i = 1;
  q.Bind(i++, static_cast<int64_t>(day));
  if (before > 0) q.Bind(i++, before);
  q.Bind(i, static_cast<int64_t>(limit));
  q.Bind(i + 1, offset);
  auto out = Collect(q, r.db);
  if (!out) return out;
  if (Status s = LoadPersons(r, &*out); !s) return Error{s.message()};
  return out;
}

Result<std::vector<Statement>> SqliteStore::SearchName(const std::string& folded,
                                                       std::optional<Day> day, int limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  sqlite::Stmt& q = day ? r.search_day : r.search;
  q.Reset();
  q.Bind(1, folded);
  if (day) q.Bind(2, static_cast<int64_t>(*day)).Bind(3, static_cast<int64_t>(limit));
  else q.Bind(2, static_cast<int64_t>(limit));
  auto out = Collect(q, r.db);
  if (!out) return out;
  if (Status s = LoadPersons(r, &*out); !s) return Error{s.message()};
  return out;
}

Result<std::optional<ReceiptStatus>> SqliteStore::FindReceipt(const ReceiptHash& hash) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.receipt.Reset();
  r.receipt.BindBlob(1, hash.data(), hash.size());
  int rc = r.receipt.Step();
  std::optional<ReceiptStatus> found;
  if (rc == SQLITE_ROW) {
    found = ReceiptStatus{static_cast<StatementStatus>(r.receipt.Int(0)), std::nullopt,
                          static_cast<Day>(r.receipt.Int(2))};
    if (!r.receipt.IsNull(1)) found->number = r.receipt.Int(1);
  } else if (rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.receipt.Reset();
  return found;
}

std::shared_ptr<const Totals> SqliteStore::GetTotals() {
  std::lock_guard tl(totals_mu_);
  return totals_;
}

Result<Totals> SqliteStore::RecountTotals() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  auto q = r.db.Prepare(
      "SELECT s.day, s.id, p.organisations FROM statements s JOIN persons p ON p.statement = s.id"
      " WHERE s.status = 1 ORDER BY s.day, s.id");
  Totals t;
  int64_t last_id = -1;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    Day day = static_cast<Day>(q.Int(0));
    if (t.by_day.empty() || t.by_day.back().day != day) t.by_day.push_back({day, 0, 0});
    if (q.Int(1) != last_id) {
      last_id = q.Int(1);
      t.statements++;
      t.by_day.back().statements++;
    }
    uint8_t orgs = static_cast<uint8_t>(q.Int(2));
    t.persons++;
    t.by_day.back().persons++;
    t.party += (orgs & kParty) != 0;
    t.league += (orgs & kLeague) != 0;
    t.pioneers += (orgs & kPioneers) != 0;
  }
  if (rc != SQLITE_DONE) return Error{r.db.LastError()};
  return t;
}

}  // namespace tuidang
