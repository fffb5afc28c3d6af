#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <sodium.h>

#include "core/publication.h"
#include "core/random.h"
#include "core/text.h"

namespace tuidang {

namespace {

// 3: the audit trail keeps days, not minutes (Migrate2To3).
constexpr int kSchemaVersion = 3;

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
  text TEXT NOT NULL,
  leaf_index INTEGER,
  salt BLOB,
  record TEXT,
  operator INTEGER NOT NULL DEFAULT 0,
  consent TEXT NOT NULL DEFAULT '',
  place TEXT NOT NULL DEFAULT '');
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
-- Imported rows' keys (idempotent imports): apart, so that only imports pay for the index.
CREATE TABLE IF NOT EXISTS sources(key BLOB PRIMARY KEY, statement INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leaves(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tiles(
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  width INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoint_sizes(size INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS operators(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role INTEGER NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  totp_secret BLOB NOT NULL DEFAULT x'',
  setup_hash BLOB NOT NULL DEFAULT x'',
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS audit_trail(
  id INTEGER PRIMARY KEY,
  day INTEGER NOT NULL,
  operator INTEGER NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_trail_no_update BEFORE UPDATE ON audit_trail
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_trail_no_delete BEFORE DELETE ON audit_trail
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS daily(
  day INTEGER PRIMARY KEY,
  statements INTEGER NOT NULL,
  persons INTEGER NOT NULL,
  party INTEGER NOT NULL,
  league INTEGER NOT NULL,
  pioneers INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS categories(
  dim INTEGER NOT NULL,
  code INTEGER NOT NULL,
  statements INTEGER NOT NULL,
  persons INTEGER NOT NULL,
  PRIMARY KEY(dim, code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sealed(
  statement INTEGER NOT NULL REFERENCES statements(id),
  field TEXT NOT NULL,
  box BLOB NOT NULL,
  PRIMARY KEY(statement, field)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS holds(
  statement INTEGER PRIMARY KEY REFERENCES statements(id),
  reason TEXT NOT NULL,
  grp TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS holds_by_group ON holds(grp);
CREATE TABLE IF NOT EXISTS rejections(statement INTEGER PRIMARY KEY, hour INTEGER NOT NULL);
-- The moderation queue's keyset pages (ListHeld): held statements only, so it stays as small
-- as the queue.
CREATE INDEX IF NOT EXISTS statements_held ON statements(id) WHERE status = 0;
-- The publication batches' look-up (ListAccepted): only the statements waiting for one.
CREATE INDEX IF NOT EXISTS statements_accepted ON statements(id) WHERE status = 4;
)sql";

// Schema 2 -> 3: the audit trail's minutes become CST days (the minute of an operator's
// action bracketed the arrival of the web statements stored between two entries). The
// trail is append-only, so its guard is lifted for this one rewrite; secure_delete and the
// WAL truncation afterwards leave no old value on disk.
Status Migrate2To3(sqlite::Db& db) {
  Status s = db.Exec(
      "BEGIN IMMEDIATE;"
      "DROP TRIGGER IF EXISTS audit_trail_no_update;"
      "ALTER TABLE audit_trail RENAME COLUMN minute TO day;"
      "UPDATE audit_trail SET day = (day * 60 + 8 * 3600) / 86400;"
      "CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail"
      "  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
      "UPDATE meta SET value = '3' WHERE key = 'schema_version';"
      "COMMIT");
  if (!s) {
    IgnoreError(db.Exec("ROLLBACK"), "rolled back after the error returned");
    return s;
  }
  return db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

// Writes the categories of `delta` into the `categories` table (inside the caller's
// transaction). Returns false on a storage error.
bool StoreCategories(sqlite::Db& db, const Totals& delta) {
  auto up_cached = db.Cached(
      "INSERT INTO categories(dim, code, statements, persons) VALUES(?1,?2,?3,?4) "
      "ON CONFLICT(dim, code) DO UPDATE SET statements = statements + ?3, "
      "persons = persons + ?4");
  sqlite::Stmt& up = *up_cached;
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

constexpr std::string_view kStatementColumns =
    "id, number, status, day, channel, language, region, occupation, text, operator, consent, "
    "place";

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
  s.operator_id = q.Int(9);
  s.consent = std::string(q.Text(10));
  s.place = std::string(q.Text(11));
  return s;
}

// Adds what `delta` published on `day` to the daily and category totals, in the current
// transaction. Returns false on a database error.
bool AddPublished(sqlite::Db& db, Day day, const Totals& delta) {
  auto up = db.Cached(
      "INSERT INTO daily(day, statements, persons, party, league, pioneers) "
      "VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(day) DO UPDATE SET "
      "statements = statements + ?2, persons = persons + ?3, party = party + ?4, "
      "league = league + ?5, pioneers = pioneers + ?6");
  up->Bind(1, static_cast<int64_t>(day)).Bind(2, delta.statements).Bind(3, delta.persons)
      .Bind(4, delta.party).Bind(5, delta.league).Bind(6, delta.pioneers);
  return up->Step() == SQLITE_DONE && StoreCategories(db, delta);
}

// Runs fn(0..n-1), spread over the machine's cores when n is large enough to pay for the
// threads (a sheet's import), else on the calling thread (the web's small batches).
template <typename Fn>
void ParallelFor(size_t n, Fn fn) {
  constexpr size_t kPerThread = 2048;
  // Read once: hardware_concurrency() opens and reads a file in /sys on every call, which
  // was a system call or three on every batch of the writer.
  static const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  size_t threads = std::min<size_t>({cores, 8, n / kPerThread});
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::vector<std::thread> pool;
  size_t chunk = (n + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t * chunk; i < std::min(n, (t + 1) * chunk); ++i) fn(i);
    });
  }
  for (size_t i = 0; i < std::min(n, chunk); ++i) fn(i);
  for (auto& th : pool) th.join();
}

}  // namespace

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
  MutexLock lock(&write_mu_);
  if (Status s = writer_.Open(path_, true); !s) return s;
  // The writer's page cache (64 MiB, allocated as used): the random-keyed indexes (receipt
  // hashes, folded names) are updated in place rather than re-read through the kernel, and
  // a large import does not spill and rewrite the same pages in the WAL.
  if (Status s = writer_.Exec("PRAGMA cache_size=-65536"); !s) return s;
  // Checkpoint the WAL every 20,000 pages (80 MiB) rather than SQLite's 1,000: each random
  // index page a batch dirties (receipt hashes, folded names) is then copied into the
  // database once per checkpoint instead of once per few hundred statements. Under a surge
  // this cut the disk writes per statement by a fifth and raised durable submissions/s by
  // about 40 % (docs/performance.md); the WAL is still truncated after every deletion.
  if (Status s = writer_.Exec("PRAGMA wal_autocheckpoint=20000"); !s) return s;
  if (Status s = writer_.Exec(kSchema); !s) return Status::Fail("schema: " + s.message());
  auto version = writer_.Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  if (version.Step() == SQLITE_ROW && version.Text(0) == "2") {
    version.Reset();
    if (Status s = Migrate2To3(writer_); !s) return Status::Fail(path_ + ": upgrade to schema 3: " + s.message());
  }
  version.Reset();
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
  // A database made before the categories table: count them once from the statements.
  auto has_categories = writer_.Prepare(
      "SELECT EXISTS(SELECT 1 FROM categories), EXISTS(SELECT 1 FROM daily)");
  if (has_categories.Step() == SQLITE_ROW && has_categories.Int(0) == 0 &&
      has_categories.Int(1) != 0) {
    has_categories.Reset();
    Status s = writer_.Exec(
        "BEGIN IMMEDIATE;"
        "INSERT INTO categories SELECT 1, channel, COUNT(*), SUM(persons_count) FROM statements"
        " WHERE status = 1 GROUP BY channel;"
        "INSERT INTO categories SELECT 2, region, COUNT(*), SUM(persons_count) FROM statements"
        " WHERE status = 1 GROUP BY region;"
        "INSERT INTO categories SELECT 3, occupation, COUNT(*), SUM(persons_count) FROM statements"
        " WHERE status = 1 GROUP BY occupation;"
        "COMMIT");
    if (!s) {
      IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
      return Status::Fail("count categories: " + s.message());
    }
  }
  has_categories.Reset();
  // Remember the database's version now, so that a change by another process (an import,
  // tuidang withdraw) made before the first refresh is noticed too.
  ReloadIfChangedElsewhere();
  return LoadTotals();
}

// REQUIRES: write_mu_ is held.
Status SqliteStore::LoadTotals() {
  auto totals = std::make_shared<Totals>();
  // One read transaction: the tree size and the counts must describe the same commit.
  IgnoreError(writer_.Exec("BEGIN"), "without it the reads still succeed");
  auto leaves = writer_.Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves");
  if (leaves.Step() != SQLITE_ROW) {
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return Status::Fail(writer_.LastError());
  }
  totals->tree_size = static_cast<uint64_t>(leaves.Int(0));
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
  daily.Reset();
  auto categories = writer_.Prepare(
      "SELECT dim, code, statements, persons FROM categories"
      " WHERE statements != 0 OR persons != 0");
  while (categories.Step() == SQLITE_ROW) {
    (*CategoryMap(totals.get(), static_cast<int>(categories.Int(0))))[static_cast<int>(
        categories.Int(1))] = CategoryCount{categories.Int(2), categories.Int(3)};
  }
  categories.Reset();
  leaves.Reset();
  IgnoreError(writer_.Exec("COMMIT"), "ends a read-only transaction");
  MutexLock tl(&totals_mu_);
  totals_ = std::move(totals);
  return Status::Ok();
}

Result<std::unique_ptr<SqliteStore::Reader>> SqliteStore::NewReader() {
  auto r = std::make_unique<Reader>();
  if (Status s = r->db.Open(path_, false); !s) return Error{s.message()};
  IgnoreError(r->db.Exec("PRAGMA query_only=ON"), "a safeguard: readers never write");
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
                            "s.occupation, s.text, s.operator, s.consent, s.place";
  r->search = r->db.Prepare(
      "SELECT DISTINCT " + search_cols +
      " FROM persons p JOIN statements s ON s.id = p.statement"
      " WHERE p.name_fold = ? AND s.status = 1 ORDER BY s.number DESC LIMIT ?");
  r->search_day = r->db.Prepare(
      "SELECT DISTINCT " + search_cols +
      " FROM persons p JOIN statements s ON s.id = p.statement"
      " WHERE p.name_fold = ? AND s.status = 1 AND s.day = ? ORDER BY s.number DESC LIMIT ?");
  r->receipt =
      r->db.Prepare("SELECT status, number, day, leaf_index FROM statements WHERE receipt = ?");
  r->opening = r->db.Prepare(
      "SELECT leaf_index, salt, record FROM statements WHERE number = ? AND status = 1"
      " AND leaf_index IS NOT NULL");
  r->leaves = r->db.Prepare("SELECT idx, entry FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx");
  r->tile = r->db.Prepare("SELECT width, data FROM tiles WHERE level = ? AND idx = ?");
  r->published_in =
      r->db.Prepare("SELECT 1 FROM checkpoint_sizes WHERE size >= ? AND size < ? LIMIT 1");
  r->checkpoint = r->db.Prepare(
      "SELECT (SELECT MAX(size) FROM checkpoint_sizes), value FROM meta WHERE key = 'checkpoint'");
  for (auto* s : {&r->by_number, &r->day_page, &r->day_page_before, &r->persons, &r->search,
                  &r->search_day, &r->receipt, &r->opening, &r->leaves, &r->tile,
                  &r->published_in, &r->checkpoint}) {
    if (!s->ok()) return Error{"prepare: " + r->db.LastError()};
  }
  return r;
}

SqliteStore::ReaderLease SqliteStore::Lease() {
  {
    MutexLock lock(&readers_mu_);
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
  MutexLock lock(&readers_mu_);
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
  MutexLock lock(&write_mu_);
  out->clear();
  if (batch.empty()) return Status::Ok();
  ReloadIfChangedElsewhere();
  const Day day = today_ ? today_() : Today();
  // A sheet's import commits tens of thousands of statements at once: a 256 MiB page cache
  // for that one transaction keeps its dirty pages from spilling into the WAL and being
  // written twice (import_bench: about 45,000 → 55,000 rows/s); the web's batches keep the
  // usual 64 MiB, and the cache shrinks back when the batch is done.
  struct LargeCache {
    sqlite::Db* db;
    explicit LargeCache(sqlite::Db* d) : db(d) {
      if (db) IgnoreError(db->Exec("PRAGMA cache_size=-262144"), "slower, not wrong");
    }
    ~LargeCache() {
      if (db) IgnoreError(db->Exec("PRAGMA cache_size=-65536"), "slower, not wrong");
    }
  } large_cache(batch.size() >= 10000 ? &writer_ : nullptr);

  auto fail = [&](std::string what) {
    write_mu_.AssertHeld();
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    out->clear();
    return Status::Fail(what + ": " + writer_.LastError());
  };
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return s;
  // Read inside the transaction: another process (tuidang withdraw) may have appended.
  auto next_cached = writer_.Cached(
      "SELECT (SELECT COALESCE(MAX(number), 0) + 1 FROM statements),"
      " (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves)");
  sqlite::Stmt& next = *next_cached;
  if (next.Step() != SQLITE_ROW) return fail("read counters");
  PublicationRun run(next.Int(0), static_cast<uint64_t>(next.Int(1)), day);
  next.Reset();

  auto insert_cached = writer_.Cached(
      "INSERT INTO statements(number, receipt, status, day, channel, language, region, "
      "occupation, persons_count, text, leaf_index, salt, record, operator, consent, place) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  sqlite::Stmt& insert = *insert_cached;
  auto seen_cached = writer_.Cached("SELECT 1 FROM sources WHERE key = ?");
  sqlite::Stmt& seen = *seen_cached;
  auto remember_cached = writer_.Cached("INSERT INTO sources(key, statement) VALUES(?, ?)");
  sqlite::Stmt& remember = *remember_cached;
  auto insert_leaf_cached = writer_.Cached("INSERT INTO leaves(idx, entry) VALUES(?, ?)");
  sqlite::Stmt& insert_leaf = *insert_leaf_cached;
  if (!insert_leaf.ok()) return fail("prepare");
  auto person_cached = writer_.Cached(
      "INSERT INTO persons(statement, position, name, name_fold, real_name, organisations) "
      "VALUES(?,?,?,?,?,?)");
  sqlite::Stmt& person = *person_cached;
  if (!insert.ok() || !person.ok()) return fail("prepare");

  // First, in order: duplicates of stored rows, then numbers and leaf indexes.
  struct Material {
    bool duplicate = false;
    std::optional<Publication> published;
    ReceiptHash receipt;
  };
  std::vector<Material> material(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    Submission& sub = batch[i];
    if (!sub.source_key.empty()) {
      seen.Reset();
      seen.BindBlob(1, sub.source_key.data(), sub.source_key.size());
      int rc = seen.Step();
      seen.Reset();
      if (rc == SQLITE_ROW) {
        material[i].duplicate = true;
        continue;
      }
      if (rc != SQLITE_DONE) return fail("look up source key");
    }
    if (sub.publish && !sub.batched) material[i].published = run.Assign(&sub.statement);
  }
  // Then the records, log entries and receipt hashes: pure computations, spread over the
  // cores for a large batch (an import) while the write lock is held anyway.
  ParallelFor(batch.size(), [&](size_t i) {
    Material& m = material[i];
    if (m.duplicate) return;
    if (m.published) PublicationRun::Seal(batch[i].statement, &*m.published);
    m.receipt = HashReceiptCode(batch[i].receipt_code);
  });

  for (size_t i = 0; i < batch.size(); ++i) {
    Submission& sub = batch[i];
    Material& m = material[i];
    Statement& st = sub.statement;
    Committed c;
    c.day = day;
    if (m.duplicate) {
      c.duplicate = true;
      out->push_back(c);
      continue;
    }
    c.status = !sub.publish ? StatementStatus::kHeld
               : sub.batched ? StatementStatus::kAccepted
                             : StatementStatus::kPublished;
    if (c.status == StatementStatus::kPublished) c.number = st.number;
    int rc = SQLITE_CONSTRAINT;
    for (int attempt = 0; attempt < 4 && rc == SQLITE_CONSTRAINT; ++attempt) {
      if (attempt > 0) {  // the code was taken
        sub.receipt_code = NewReceiptCode();
        m.receipt = HashReceiptCode(sub.receipt_code);
      }
      insert.Reset();
      if (c.number) insert.Bind(1, *c.number);
      else insert.BindNull(1);
      insert.BindBlob(2, m.receipt.data(), m.receipt.size())
        .Bind(3, static_cast<int64_t>(c.status))
        .Bind(4, static_cast<int64_t>(day))
        .Bind(5, static_cast<int64_t>(st.channel))
        .Bind(6, static_cast<int64_t>(st.language))
        .Bind(7, static_cast<int64_t>(st.region))
        .Bind(8, static_cast<int64_t>(st.occupation))
        .Bind(9, PersonsCount(st))
        .Bind(10, st.text);
      if (const auto& pub = m.published) {
        insert.Bind(11, static_cast<int64_t>(pub->leaf_index))
            .BindBlob(12, pub->salt.data(), pub->salt.size())
            .Bind(13, pub->record);
      }
      insert.Bind(14, st.operator_id).Bind(15, st.consent).Bind(16, st.place);
      rc = insert.Step();
    }
    if (rc != SQLITE_DONE) return fail("insert statement");
    c.id = sqlite3_last_insert_rowid(writer_.raw());
    if (!sub.source_key.empty()) {
      remember.Reset();
      remember.BindBlob(1, sub.source_key.data(), sub.source_key.size()).Bind(2, c.id);
      if (remember.Step() != SQLITE_DONE) return fail("remember the source key");
    }
    if (const auto& pub = m.published) {
      insert_leaf.Reset();
      insert_leaf.Bind(1, static_cast<int64_t>(pub->leaf_index))
          .BindBlob(2, pub->entry.data(), pub->entry.size());
      if (insert_leaf.Step() != SQLITE_DONE) return fail("insert leaf");
    }
    for (size_t p_i = 0; p_i < st.persons.size(); ++p_i) {
      const Person& p = st.persons[p_i];
      person.Reset();
      person.Bind(1, c.id)
          .Bind(2, static_cast<int64_t>(p_i))
          .Bind(3, p.name)
          .Bind(4, p_i < sub.folded_names.size() ? sub.folded_names[p_i] : FoldName(p.name))
          .Bind(5, static_cast<int64_t>(p.real_name))
          .Bind(6, static_cast<int64_t>(p.organisations));
      if (person.Step() != SQLITE_DONE) return fail("insert person");
    }
    if (Status s = WriteSafetyRows(sub, c.id); !s) return fail(s.message());
    st.id = c.id;
    st.number = c.number;
    st.status = c.status;
    st.day = day;
    out->push_back(c);
  }

  const Totals& delta = run.delta();
  if (delta.statements > 0) {
    if (!AddPublished(writer_, day, delta)) return fail("update the totals");
  }
  if (Status s = writer_.Exec("COMMIT"); !s) return fail("commit");

  if (delta.statements > 0) {
    MutexLock tl(&totals_mu_);
    auto t = std::make_shared<Totals>(*totals_);
    t->Add(delta, day);
    t->tree_size = run.next_leaf();
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
                          static_cast<Day>(r.receipt.Int(2)), std::nullopt};
    if (!r.receipt.IsNull(1)) found->number = r.receipt.Int(1);
    if (!r.receipt.IsNull(3)) found->leaf_index = static_cast<uint64_t>(r.receipt.Int(3));
  } else if (rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.receipt.Reset();
  return found;
}

std::shared_ptr<const Totals> SqliteStore::GetTotals() {
  MutexLock tl(&totals_mu_);
  return totals_;
}

Result<Totals> SqliteStore::RecountTotals() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  auto q = r.db.Prepare(
      "SELECT s.day, s.id, p.organisations, s.channel, s.region, s.occupation"
      " FROM statements s JOIN persons p ON p.statement = s.id"
      " WHERE s.status = 1 ORDER BY s.day, s.id");
  Totals t;
  int64_t last_id = -1;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    Day day = static_cast<Day>(q.Int(0));
    if (t.by_day.empty() || t.by_day.back().day != day) t.by_day.push_back({day, 0, 0});
    int channel = static_cast<int>(q.Int(3)), region = static_cast<int>(q.Int(4)),
        occupation = static_cast<int>(q.Int(5));
    if (q.Int(1) != last_id) {
      last_id = q.Int(1);
      t.statements++;
      t.by_day.back().statements++;
      CountCategories(&t, channel, region, occupation, 0, 1);
    }
    for (auto [m, code] : {std::pair{&t.by_channel, channel}, std::pair{&t.by_region, region},
                           std::pair{&t.by_occupation, occupation}}) {
      (*m)[code].persons++;
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

template <typename Arg>
bool SqliteStore::RunOverIds(std::string_view sql, std::string_view ids, Arg arg) {
  auto q = writer_.Prepare(fmt::format(fmt::runtime(sql), ids));
  q.Bind(1, arg);
  return q.Step() == SQLITE_DONE;
}
template bool SqliteStore::RunOverIds(std::string_view, std::string_view, int64_t);
template bool SqliteStore::RunOverIds(std::string_view, std::string_view, std::string_view);

void SqliteStore::ForgetOldPages() {
  // Older versions of the pages that held deleted names and texts live on in the WAL until
  // it is checkpointed and truncated; secure_delete has zeroed them in the new versions.
  // Best effort: a reader still holding an old snapshot makes this a no-op until next time.
  IgnoreError(writer_.Exec("PRAGMA wal_checkpoint(TRUNCATE)"), "best effort (above)");
}

void SqliteStore::ReloadIfChangedElsewhere() {
  auto q = writer_.Cached("PRAGMA data_version");
  if (q->Step() != SQLITE_ROW) return;
  int64_t v = q->Int(0);
  if (v != data_version_) {
    if (data_version_ >= 0) IgnoreError(LoadTotals(), "old totals until next");
    data_version_ = v;
  }
}

void SqliteStore::Refresh() {
  MutexLock lock(&write_mu_);
  ReloadIfChangedElsewhere();
}

Status SqliteStore::Withdraw(int64_t number, WithdrawalReason reason) {
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) {
    write_mu_.AssertHeld();
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return Status::Fail(what);
  };
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return s;
  auto find = writer_.Prepare(
      "SELECT id, leaf_index, day, channel, region, occupation FROM statements"
      " WHERE number = ? AND status = 1");
  find.Bind(1, number);
  if (find.Step() != SQLITE_ROW || find.IsNull(1)) {
    return fail(fmt::format("statement {} is not a published statement", number));
  }
  int64_t id = find.Int(0), cancelled = find.Int(1);
  Day day = static_cast<Day>(find.Int(2));
  const int channel = static_cast<int>(find.Int(3)), region = static_cast<int>(find.Int(4)),
            occupation = static_cast<int>(find.Int(5));
  find.Reset();
  Totals delta;
  auto persons = writer_.Prepare("SELECT organisations FROM persons WHERE statement = ?");
  persons.Bind(1, id);
  while (persons.Step() == SQLITE_ROW) {
    uint8_t orgs = static_cast<uint8_t>(persons.Int(0));
    delta.persons++;
    delta.party += (orgs & kParty) != 0;
    delta.league += (orgs & kLeague) != 0;
    delta.pioneers += (orgs & kPioneers) != 0;
  }
  persons.Reset();
  auto next = writer_.Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves");
  if (next.Step() != SQLITE_ROW) return fail(writer_.LastError());
  int64_t leaf = next.Int(0);
  next.Reset();
  std::string entry = EncodeLeaf(
      WithdrawalLeaf{today_ ? today_() : Today(), reason, static_cast<uint64_t>(cancelled)});
  auto add = writer_.Prepare("INSERT INTO leaves(idx, entry) VALUES(?, ?)");
  add.Bind(1, leaf).BindBlob(2, entry.data(), entry.size());
  if (add.Step() != SQLITE_DONE) return fail(writer_.LastError());
  // The names, the text, the consent and place notes, the record and its salt go, and so
  // do the sealed fields (a declarant in danger leaves no contact behind, even sealed);
  // the leaf stays, cancelled.
  auto erase = writer_.Prepare(
      "UPDATE statements SET status = 3, text = '', consent = '', place = '', salt = NULL,"
      " record = NULL WHERE id = ?");
  erase.Bind(1, id);
  if (erase.Step() != SQLITE_DONE) return fail(writer_.LastError());
  for (std::string_view sql : {"DELETE FROM persons WHERE statement = ?",
                               "DELETE FROM sealed WHERE statement = ?"}) {
    auto forget = writer_.Prepare(sql);
    forget.Bind(1, id);
    if (forget.Step() != SQLITE_DONE) return fail(writer_.LastError());
  }
  auto down = writer_.Prepare(
      "UPDATE daily SET statements = statements - 1, persons = persons - ?, party = party - ?,"
      " league = league - ?, pioneers = pioneers - ? WHERE day = ?");
  down.Bind(1, delta.persons).Bind(2, delta.party).Bind(3, delta.league).Bind(4, delta.pioneers)
      .Bind(5, static_cast<int64_t>(day));
  if (down.Step() != SQLITE_DONE) return fail(writer_.LastError());
  Totals categories;
  CountCategories(&categories, channel, region, occupation, delta.persons, -1);
  if (!StoreCategories(writer_, categories)) return fail(writer_.LastError());
  if (Status s = writer_.Exec("COMMIT"); !s) return fail(s.message());
  ForgetOldPages();
  return LoadTotals();
}

Result<std::optional<Opening>> SqliteStore::GetOpening(int64_t number) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.opening.Reset();
  r.opening.Bind(1, number);
  std::optional<Opening> out;
  int rc = r.opening.Step();
  if (rc == SQLITE_ROW) {
    out = Opening{static_cast<uint64_t>(r.opening.Int(0)), std::string(r.opening.Text(1)),
                  std::string(r.opening.Text(2))};
  } else if (rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.opening.Reset();
  return out;
}

Result<uint64_t> SqliteStore::LeafCount() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves");
  if (q.Step() != SQLITE_ROW) return Error{lease.get()->db.LastError()};
  return static_cast<uint64_t>(q.Int(0));
}

Result<std::vector<std::string>> SqliteStore::ReadLeaves(uint64_t begin, uint64_t end) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.leaves.Reset();
  r.leaves.Bind(1, static_cast<int64_t>(begin)).Bind(2, static_cast<int64_t>(end));
  std::vector<std::string> out;
  out.reserve(end > begin ? end - begin : 0);
  int rc;
  while ((rc = r.leaves.Step()) == SQLITE_ROW) {
    if (static_cast<uint64_t>(r.leaves.Int(0)) != begin + out.size()) {
      r.leaves.Reset();
      return Error{fmt::format("leaf {} is missing", begin + out.size())};
    }
    out.emplace_back(r.leaves.Text(1));
  }
  r.leaves.Reset();
  if (rc != SQLITE_DONE) return Error{r.db.LastError()};
  if (out.size() != end - begin) return Error{fmt::format("leaves {}..{} are missing", begin + out.size(), end)};
  return out;
}

Status SqliteStore::SaveCheckpoint(const std::vector<StoredTile>& tiles, uint64_t size,
                                   const std::string& signed_checkpoint) {
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) {
    write_mu_.AssertHeld();
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return Status::Fail(what + ": " + writer_.LastError());
  };
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return s;
  auto put = writer_.Prepare(
      "INSERT INTO tiles(level, idx, width, data) VALUES(?1, ?2, ?3, ?4) "
      "ON CONFLICT(level, idx) DO UPDATE SET width = ?3, data = ?4 WHERE width < ?3");
  for (const StoredTile& t : tiles) {
    put.Reset();
    put.Bind(1, static_cast<int64_t>(t.level))
        .Bind(2, static_cast<int64_t>(t.index))
        .Bind(3, static_cast<int64_t>(t.width))
        .BindBlob(4, t.data.data(), t.data.size());
    if (put.Step() != SQLITE_DONE) return fail("store tile");
  }
  auto sz = writer_.Prepare("INSERT OR IGNORE INTO checkpoint_sizes(size) VALUES(?)");
  sz.Bind(1, static_cast<int64_t>(size));
  if (sz.Step() != SQLITE_DONE) return fail("store checkpoint size");
  auto cp = writer_.Prepare(
      "INSERT INTO meta(key, value) VALUES('checkpoint', ?1) "
      "ON CONFLICT(key) DO UPDATE SET value = ?1");
  cp.Bind(1, signed_checkpoint);
  if (cp.Step() != SQLITE_DONE) return fail("store checkpoint");
  if (Status s = writer_.Exec("COMMIT"); !s) return fail("commit");
  return Status::Ok();
}

Result<std::optional<std::pair<uint64_t, std::string>>> SqliteStore::LatestCheckpoint() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.checkpoint.Reset();
  std::optional<std::pair<uint64_t, std::string>> out;
  int rc = r.checkpoint.Step();
  if (rc == SQLITE_ROW && !r.checkpoint.IsNull(0)) {
    out.emplace(static_cast<uint64_t>(r.checkpoint.Int(0)), std::string(r.checkpoint.Text(1)));
  } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.checkpoint.Reset();
  return out;
}

Result<std::optional<StoredTile>> SqliteStore::ReadHashTile(int level, uint64_t index) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.tile.Reset();
  r.tile.Bind(1, static_cast<int64_t>(level)).Bind(2, static_cast<int64_t>(index));
  std::optional<StoredTile> out;
  int rc = r.tile.Step();
  if (rc == SQLITE_ROW) {
    out = StoredTile{level, index, static_cast<int>(r.tile.Int(0)), std::string(r.tile.Text(1))};
  } else if (rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.tile.Reset();
  return out;
}

Result<bool> SqliteStore::PublishedSizeIn(uint64_t lo, uint64_t hi) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.published_in.Reset();
  r.published_in.Bind(1, static_cast<int64_t>(lo)).Bind(2, static_cast<int64_t>(hi));
  int rc = r.published_in.Step();
  r.published_in.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error{r.db.LastError()};
  return rc == SQLITE_ROW;
}

std::string_view RoleCode(Role r) {
  switch (r) {
    case Role::kVolunteer: return "volunteer";
    case Role::kModerator: return "moderator";
    case Role::kAdmin: return "admin";
  }
  return "";
}

std::optional<Role> ParseRole(std::string_view code) {
  for (Role r : {Role::kVolunteer, Role::kModerator, Role::kAdmin}) {
    if (RoleCode(r) == code) return r;
  }
  return std::nullopt;
}

namespace {
constexpr std::string_view kOperatorColumns =
    "id, name, role, password_hash, totp_secret, setup_hash, disabled";
Operator ReadOperator(const sqlite::Stmt& q) {
  Operator op;
  op.id = q.Int(0);
  op.name = std::string(q.Text(1));
  op.role = static_cast<Role>(q.Int(2));
  op.password_hash = std::string(q.Text(3));
  op.totp_secret = std::string(q.Text(4));
  op.setup_hash = std::string(q.Text(5));
  op.disabled = q.Int(6) != 0;
  return op;
}
}  // namespace

Result<int64_t> SqliteStore::AddOperator(const Operator& op) {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare(
      "INSERT INTO operators(name, role, password_hash, totp_secret, setup_hash) "
      "VALUES(?,?,?,?,?)");
  q.Bind(1, op.name)
      .Bind(2, static_cast<int64_t>(op.role))
      .Bind(3, op.password_hash)
      .BindBlob(4, op.totp_secret.data(), op.totp_secret.size())
      .BindBlob(5, op.setup_hash.data(), op.setup_hash.size());
  int rc = q.Step();
  if (rc == SQLITE_CONSTRAINT) return Error{"an operator named '" + op.name + "' exists already"};
  if (rc != SQLITE_DONE) return Error{writer_.LastError()};
  return static_cast<int64_t>(sqlite3_last_insert_rowid(writer_.raw()));
}

// The operator matching `column` = `key` (a name or an id), if any.
template <typename Key>
Result<std::optional<Operator>> SqliteStore::OneOperator(std::string_view column, const Key& key) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare("SELECT " + std::string(kOperatorColumns) +
                                   " FROM operators WHERE " + std::string(column) + " = ?");
  q.Bind(1, key);
  std::optional<Operator> out;
  int rc = q.Step();
  if (rc == SQLITE_ROW) out = ReadOperator(q);
  else if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return out;
}

Result<std::optional<Operator>> SqliteStore::FindOperator(const std::string& name) {
  return OneOperator("name", std::string_view(name));
}

Result<std::optional<Operator>> SqliteStore::GetOperator(int64_t id) {
  return OneOperator("id", id);
}

Result<std::vector<Operator>> SqliteStore::ListOperators() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare("SELECT " + std::string(kOperatorColumns) +
                                   " FROM operators ORDER BY name");
  std::vector<Operator> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadOperator(q));
  if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return out;
}

Status SqliteStore::UpdateOperator(const Operator& op) {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare(
      "UPDATE operators SET role = ?, password_hash = ?, totp_secret = ?, setup_hash = ?, "
      "disabled = ?, failed_logins = 0, locked_until = 0 WHERE id = ?");
  // failed_logins and locked_until are no longer used (web/ops_auth.h counts failures in
  // memory); writing 0 clears what an older version kept there, a time to the second.
  q.Bind(1, static_cast<int64_t>(op.role))
      .Bind(2, op.password_hash)
      .BindBlob(3, op.totp_secret.data(), op.totp_secret.size())
      .BindBlob(4, op.setup_hash.data(), op.setup_hash.size())
      .Bind(5, static_cast<int64_t>(op.disabled))
      .Bind(6, op.id);
  if (q.Step() != SQLITE_DONE) return Status::Fail(writer_.LastError());
  return Status::Ok();
}

Status SqliteStore::Audit(int64_t operator_id, std::string_view action, std::string_view object) {
  MutexLock lock(&write_mu_);
  auto q = writer_.Prepare(
      "INSERT INTO audit_trail(day, operator, action, object) VALUES(?,?,?,?)");
  // The day only: with a finer time, the trail's entries ("entered statement 18") would
  // bracket when the web statements stored between them arrived.
  q.Bind(1, static_cast<int64_t>(today_ ? today_() : Today())).Bind(2, operator_id).Bind(3, action).Bind(4, object);
  if (q.Step() != SQLITE_DONE) return Status::Fail(writer_.LastError());
  return Status::Ok();
}

Result<std::vector<AuditEntry>> SqliteStore::AuditTrail(int limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare(
      "SELECT a.day, a.operator, COALESCE(o.name, ''), a.action, a.object FROM audit_trail a"
      " LEFT JOIN operators o ON o.id = a.operator ORDER BY a.id DESC LIMIT ?");
  q.Bind(1, static_cast<int64_t>(limit));
  std::vector<AuditEntry> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    out.push_back(AuditEntry{static_cast<Day>(q.Int(0)), q.Int(1), std::string(q.Text(2)), std::string(q.Text(3)),
                             std::string(q.Text(4))});
  }
  if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return out;
}

namespace {

// The held statements `filter` selects by channel and day (its bounds apart).
std::string HeldWhere(const HeldFilter& filter) {
  std::string where = "status = 0";
  if (filter.channel) where += " AND channel = " + std::to_string(static_cast<int>(*filter.channel));
  if (filter.day) where += " AND day = " + std::to_string(*filter.day);
  return where;
}

}  // namespace

Result<int64_t> SqliteStore::CountHeld(const HeldFilter& filter, int64_t cap) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  auto q = r.db.Prepare("SELECT COUNT(*) FROM (SELECT 1 FROM statements INDEXED BY statements_held WHERE " +
                        HeldWhere(filter) + " LIMIT " + std::to_string(cap) + ")");
  if (q.Step() != SQLITE_ROW) return Error{r.db.LastError()};
  return q.Int(0);
}

Result<std::vector<Statement>> SqliteStore::ListHeld(const HeldFilter& filter) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  // Keyset paging over the index of held statements (statements_held): a page reads
  // `limit` index entries past its bound, whatever the size of the table or of the queue.
  std::string sql = "SELECT " + std::string(kStatementColumns) +
                    " FROM statements INDEXED BY statements_held WHERE " + HeldWhere(filter) +
                    " AND id > " + std::to_string(filter.after);
  if (filter.before) sql += " AND id < " + std::to_string(*filter.before);
  sql += filter.before ? " ORDER BY id DESC" : " ORDER BY id";
  sql += " LIMIT " + std::to_string(filter.limit);
  auto q = r.db.Prepare(sql);
  auto out = Collect(q, r.db);
  if (!out) return out;
  if (filter.before) std::reverse(out->begin(), out->end());  // oldest first
  if (Status s = LoadPersons(r, &*out); !s) return Error{s.message()};
  return out;
}

Result<std::vector<int64_t>> SqliteStore::Approve(const std::vector<int64_t>& ids) {
  return PublishFrom(ids, StatementStatus::kHeld);
}

Result<std::vector<int64_t>> SqliteStore::ListAccepted(int64_t limit) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  // The literal 4 (StatementStatus::kAccepted) lets SQLite use the partial index
  // statements_accepted instead of reading every statement.
  auto q = lease.get()->db.Prepare("SELECT id FROM statements WHERE status = 4 LIMIT ?");
  q.Bind(1, limit);
  std::vector<int64_t> ids;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) ids.push_back(q.Int(0));
  if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return ids;
}

Result<std::vector<int64_t>> SqliteStore::PublishAccepted(const std::vector<int64_t>& ids) {
  return PublishFrom(ids, StatementStatus::kAccepted);
}

Result<std::vector<int64_t>> SqliteStore::PublishFrom(const std::vector<int64_t>& ids,
                                                      StatementStatus from) {
  const int64_t from_code = static_cast<int64_t>(from);
  std::vector<Statement> held;
  {
    auto lease = Lease();
    if (!lease.get()) return Error{lease.error()};
    Reader& r = *lease.get();
    auto q = r.db.Prepare("SELECT " + std::string(kStatementColumns) +
                          " FROM statements WHERE id = ? AND status = ?");
    for (int64_t id : ids) {
      q.Reset();
      q.Bind(1, id).Bind(2, from_code);
      if (q.Step() == SQLITE_ROW) held.push_back(ReadStatement(q));
    }
    if (Status s = LoadPersons(r, &held); !s) return Error{s.message()};
  }
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) -> Result<std::vector<int64_t>> {
    write_mu_.AssertHeld();
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return Error{what + ": " + writer_.LastError()};
  };
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return Error{s.message()};
  // The statements were read before this transaction: another writer (tuidang withdraw, a
  // moderator, the declarant) may have changed one since. Only those still in `from` are
  // numbered, so the numbers stay consecutive.
  auto still = writer_.Prepare("SELECT 1 FROM statements WHERE id = ? AND status = ?");
  std::erase_if(held, [&](const Statement& st) {
    still.Reset();
    still.Bind(1, st.id).Bind(2, from_code);
    return still.Step() != SQLITE_ROW;
  });
  still.Reset();
  auto next = writer_.Prepare(
      "SELECT (SELECT COALESCE(MAX(number), 0) + 1 FROM statements),"
      " (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves)");
  if (next.Step() != SQLITE_ROW) return fail("read counters");
  const Day day = today_ ? today_() : Today();
  PublicationRun run(next.Int(0), static_cast<uint64_t>(next.Int(1)), day);
  next.Reset();
  std::vector<int64_t> numbers;
  auto publish = writer_.Prepare(
      "UPDATE statements SET status = 1, number = ?, day = ?, leaf_index = ?, salt = ?, "
      "record = ? WHERE id = ? AND status = ?");
  auto add_leaf = writer_.Prepare("INSERT INTO leaves(idx, entry) VALUES(?, ?)");
  for (Statement& st : held) {
    Publication pub = run.Assign(&st);
    PublicationRun::Seal(st, &pub);
    publish.Reset();
    publish.Bind(1, pub.number).Bind(2, static_cast<int64_t>(day))
        .Bind(3, static_cast<int64_t>(pub.leaf_index))
        .BindBlob(4, pub.salt.data(), pub.salt.size()).Bind(5, pub.record).Bind(6, st.id)
        .Bind(7, from_code);
    if (publish.Step() != SQLITE_DONE || sqlite3_changes(writer_.raw()) != 1) {
      return fail("publish statement");
    }
    add_leaf.Reset();
    add_leaf.Bind(1, static_cast<int64_t>(pub.leaf_index))
        .BindBlob(2, pub.entry.data(), pub.entry.size());
    if (add_leaf.Step() != SQLITE_DONE) return fail("append leaf");
    numbers.push_back(pub.number);
  }
  if (run.delta().statements > 0) {
    if (!AddPublished(writer_, day, run.delta())) return fail("update the totals");
  }
  if (Status s = writer_.Exec("COMMIT"); !s) return fail("commit");
  if (Status s = LoadTotals(); !s) return Error{s.message()};
  return numbers;
}

Result<int64_t> SqliteStore::Reject(const std::vector<int64_t>& ids) {
  MutexLock lock(&write_mu_);
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return Error{s.message()};
  auto reject = writer_.Prepare(
      "UPDATE statements SET status = 2, text = '', consent = '', place = '' "
      "WHERE id = ? AND status = 0");
  auto forget = writer_.Prepare("DELETE FROM persons WHERE statement = ?");
  int64_t count = 0;
  for (int64_t id : ids) {
    reject.Reset();
    reject.Bind(1, id);
    if (reject.Step() != SQLITE_DONE) {
      IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
      return Error{writer_.LastError()};
    }
    if (sqlite3_changes(writer_.raw()) == 0) continue;
    ++count;
    forget.Reset();
    forget.Bind(1, id);
    if (forget.Step() != SQLITE_DONE) {
      IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
      return Error{writer_.LastError()};
    }
  }
  if (Status s = writer_.Exec("COMMIT"); !s) {
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return Error{s.message()};
  }
  if (count > 0) ForgetOldPages();
  return count;
}

Result<bool> SqliteStore::WithdrawByReceipt(const ReceiptHash& receipt) {
  // Twice at most: a held statement approved between the look-up and the withdrawal is
  // then withdrawn as the published statement it has become.
  for (int attempt = 0; attempt < 2; ++attempt) {
    int64_t id = 0, number = 0;
    int status = -1;
    {
      auto lease = Lease();
      if (!lease.get()) return Error{lease.error()};
      auto q = lease.get()->db.Prepare(
          "SELECT id, COALESCE(number, 0), status FROM statements WHERE receipt = ?");
      q.BindBlob(1, receipt.data(), receipt.size());
      if (q.Step() != SQLITE_ROW) return false;
      id = q.Int(0);
      number = q.Int(1);
      status = static_cast<int>(q.Int(2));
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

Result<bool> SqliteStore::WithdrawUnpublished(int64_t id, StatementStatus from) {
  // Withdrawn (status 3), not rejected: the receipt says what the declarant did. Nothing
  // was published or counted, so there is no leaf to cancel and no total to lower; the
  // names, text, notes and sealed fields (a contact) go in this one transaction. The row
  // (no number) is purged like a rejected one (PurgeRejected, docs/console.md).
  MutexLock lock(&write_mu_);
  auto fail = [&]() -> Result<bool> {
    write_mu_.AssertHeld();
    std::string error = writer_.LastError();
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return Error{error};
  };
  if (Status s = writer_.Exec("BEGIN IMMEDIATE"); !s) return Error{s.message()};
  auto withdraw = writer_.Prepare(
      "UPDATE statements SET status = 3, text = '', consent = '', place = '' "
      "WHERE id = ? AND status = ?");
  withdraw.Bind(1, id).Bind(2, static_cast<int64_t>(from));
  if (withdraw.Step() != SQLITE_DONE) return fail();
  if (sqlite3_changes(writer_.raw()) == 0) {
    IgnoreError(writer_.Exec("ROLLBACK"), "rolled back after the error returned");
    return false;  // approved, published by a batch or rejected meanwhile
  }
  for (std::string_view sql : {"DELETE FROM persons WHERE statement = ?",
                               "DELETE FROM sealed WHERE statement = ?"}) {
    auto forget = writer_.Prepare(sql);
    forget.Bind(1, id);
    if (forget.Step() != SQLITE_DONE) return fail();
  }
  if (Status s = writer_.Exec("COMMIT"); !s) return fail();
  ForgetOldPages();
  return true;
}

}  // namespace tuidang
