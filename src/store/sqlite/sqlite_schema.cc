// SqliteStore's database: the schema, its migrations, opening the store, and the pool of
// reader connections that every read role leases from.
#include <charconv>
#include <iterator>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

namespace {

// 3: the audit trail keeps days, not minutes.
// 4: day pages and name searches by index (day_anchors, persons' day and number).
// 5: the day index and the persons' day and number are filled in the background after
//    the server listens (sqlite_backfill.h), no longer inside the migration; imported
//    rows' keys name their row (sources.origin).
// 6: the per-day moderation counters (moderation_daily, docs/moderation-stats.md), empty:
//    days before the upgrade have no moderation figures (counting them would be a pass over
//    every statement, and their days of rejection and withdrawal were never kept).
constexpr int kSchemaVersion = 6;

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
-- The day lists (sqlite_day_index.h): published statements only, by day and number; the
-- status column makes it a covering index for the rank queries (SQLite 3.40 does not count
-- a partial index's own WHERE term as covered).
CREATE INDEX IF NOT EXISTS statements_published ON statements(day, number, status)
  WHERE status = 1;
-- The number at every kAnchorEvery-th rank of each day's published statements.
CREATE TABLE IF NOT EXISTS day_anchors(
  day INTEGER NOT NULL,
  block INTEGER NOT NULL,
  number INTEGER NOT NULL,
  PRIMARY KEY(day, block)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS day_anchors_by_number ON day_anchors(day, number);
-- Days whose anchors the background backfill has not finished (sqlite_backfill.h): their
-- first `next_rank` ranks, up to number `after`, are anchored; their pages are read by
-- OFFSET meanwhile. Empty in a database made at schema 5.
CREATE TABLE IF NOT EXISTS day_index_pending(
  day INTEGER PRIMARY KEY,
  next_rank INTEGER NOT NULL DEFAULT 0,
  after INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS persons(
  statement INTEGER NOT NULL REFERENCES statements(id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  name_fold TEXT NOT NULL,
  real_name INTEGER NOT NULL,
  organisations INTEGER NOT NULL,
  -- The statement's day and number once it is published (NULL before): the name search
  -- reads matches newest first from persons_published without touching the statements.
  day INTEGER,
  number INTEGER,
  PRIMARY KEY(statement, position)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS persons_published ON persons(name_fold, day, number)
  WHERE number IS NOT NULL;
-- Imported rows' keys (idempotent imports): apart, so that only imports pay for the index.
-- origin: the row the key was made for ("sheet.csv, line 12"; '' before schema 5), named
-- when a later row matches it.
CREATE TABLE IF NOT EXISTS sources(key BLOB PRIMARY KEY, statement INTEGER NOT NULL,
  origin TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
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
-- Moderation in the open (core/moderation.h): statements held, rejected and withdrawn per
-- day and reason, raised in the transaction of the act; /stats reads one range of days.
CREATE TABLE IF NOT EXISTS moderation_daily(
  day INTEGER NOT NULL,
  event INTEGER NOT NULL,
  reason TEXT NOT NULL,
  statements INTEGER NOT NULL,
  PRIMARY KEY(day, event, reason)) WITHOUT ROWID;
)sql";

// One step of the schema's history: the SQL that takes a database of schema `to - 1` to
// `to`, run in one transaction with the new version written in it, so that a step is
// applied whole or not at all and a crash between steps resumes at the next one.
struct Migration {
  int to;
  std::string_view sql;
  // The step rewrote values that must leave no older copy on disk: the WAL is truncated
  // after it (secure_delete already zeroes the freed pages).
  bool forget_old_pages;
};

constexpr Migration kMigrations[] = {
    // 3: the audit trail's minutes become CST days (the minute of an operator's action
    // bracketed the arrival of the web statements stored between two entries). The trail
    // is append-only, so its guard is lifted for this one rewrite.
    {3,
     "DROP TRIGGER IF EXISTS audit_trail_no_update;"
     "ALTER TABLE audit_trail RENAME COLUMN minute TO day;"
     "UPDATE audit_trail SET day = (day * 60 + 8 * 3600) / 86400;"
     "CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail"
     "  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
     true},
    // 4: the day lists and the name search read in index order (docs/paging.md). Only what
    // costs no pass over the persons: the new columns (NULL), the persons' new partial index
    // (empty, one read of the table), the statements' day index (one sort) and an empty
    // day_anchors. The persons' day and number are filled after the server listens
    // (sqlite_backfill.h, from backfill_persons_next to backfill_persons_end), and
    // persons_by_name stays for the name search until then; step 5 lists the days to anchor.
    {4,
     "ALTER TABLE persons ADD COLUMN day INTEGER;"
     "ALTER TABLE persons ADD COLUMN number INTEGER;"
     "CREATE INDEX persons_published ON persons(name_fold, day, number)"
     "  WHERE number IS NOT NULL;"
     "DROP INDEX IF EXISTS statements_by_day;"
     "CREATE INDEX statements_published ON statements(day, number, status) WHERE status = 1;"
     "CREATE TABLE day_anchors(day INTEGER NOT NULL, block INTEGER NOT NULL,"
     "  number INTEGER NOT NULL, PRIMARY KEY(day, block)) WITHOUT ROWID;"
     "CREATE UNIQUE INDEX day_anchors_by_number ON day_anchors(day, number);"
     "INSERT INTO meta(key, value) SELECT 'backfill_persons_next', COALESCE(MIN(id), 0)"
     "  FROM statements;"
     "INSERT INTO meta(key, value) SELECT 'backfill_persons_end', COALESCE(MAX(id), 0) + 1"
     "  FROM statements;",
     false},
    // 5: every day with no anchor yet is left to the backfill: all of them after step 4,
    // and none of a database that schema 4's own migration had indexed whole (a day that
    // has a published statement has its block 0). O(days).
    {5,
     "CREATE TABLE IF NOT EXISTS day_index_pending(day INTEGER PRIMARY KEY,"
     "  next_rank INTEGER NOT NULL DEFAULT 0, after INTEGER NOT NULL DEFAULT 0);"
     "INSERT OR IGNORE INTO day_index_pending(day) SELECT day FROM daily d"
     "  WHERE NOT EXISTS (SELECT 1 FROM day_anchors a WHERE a.day = d.day);"
     // And imported rows name the row they came from (a later duplicate says which).
     "CREATE TABLE IF NOT EXISTS sources(key BLOB PRIMARY KEY, statement INTEGER NOT NULL)"
     "  WITHOUT ROWID;"
     "ALTER TABLE sources ADD COLUMN origin TEXT NOT NULL DEFAULT '';",
     false},
    // 6: the moderation counters, from the upgrade on (kSchemaVersion's note).
    {6,
     "CREATE TABLE IF NOT EXISTS moderation_daily(day INTEGER NOT NULL, event INTEGER NOT NULL,"
     "  reason TEXT NOT NULL, statements INTEGER NOT NULL,"
     "  PRIMARY KEY(day, event, reason)) WITHOUT ROWID;",
     false},
};
constexpr int kOldestMigratable = 2;
static_assert(kMigrations[std::size(kMigrations) - 1].to == kSchemaVersion,
              "the last migration ends at the current schema");

// The database's schema version; nullopt for a new (empty) database.
Result<std::optional<int>> ReadSchemaVersion(sqlite::Db& db) {
  auto has_meta = db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  int rc = has_meta.Step();
  if (rc == SQLITE_DONE) return std::optional<int>();
  if (rc != SQLITE_ROW) return Error{db.LastError()};
  auto version = db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  rc = version.Step();
  if (rc == SQLITE_DONE) return std::optional<int>();
  if (rc != SQLITE_ROW) return Error{db.LastError()};
  const std::string text(version.Text(0));
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error{fmt::format("unreadable schema version '{}'", text)};
  }
  return std::optional<int>(number);
}

Status RunMigration(sqlite::Db& db, const Migration& m) {
  sqlite::Transaction tx(db);
  if (Status s = tx.Begin(); !s) return s;
  if (Status s = db.Exec(m.sql); !s) return s;
  auto set = db.Prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'");
  set.Bind(1, std::to_string(m.to));
  if (set.Step() != SQLITE_DONE) return Status::Fail(db.LastError());
  if (Status c = tx.Commit(); !c) return c;
  return m.forget_old_pages ? db.Exec("PRAGMA wal_checkpoint(TRUNCATE)") : Status::Ok();
}

// Brings a database of schema `version` to kSchemaVersion, step by step. Refuses a schema
// newer than this build knows (made by a later tuidang: running this one on it could
// corrupt what it does not understand) and one older than any migration.
Status Migrate(sqlite::Db& db, const std::string& path, int version) {
  if (version > kSchemaVersion) {
    return Status::Fail(fmt::format(
        "{}: this database has schema {}, made by a newer tuidang; this one knows schemas up "
        "to {}: install the newer tuidang (nothing was changed)",
        path, version, kSchemaVersion));
  }
  if (version < kOldestMigratable) {
    return Status::Fail(fmt::format("{}: schema version {} is too old to upgrade (oldest: {})",
                                    path, version, kOldestMigratable));
  }
  for (const Migration& m : kMigrations) {
    if (m.to <= version) continue;
    if (Status s = RunMigration(db, m); !s) {
      return Status::Fail(fmt::format("{}: upgrade to schema {}: {}", path, m.to, s.message()));
    }
  }
  return Status::Ok();
}

// A database made before the categories table: counts them once from the statements.
Status CountCategoriesOnce(sqlite::Db& db) {
  sqlite::Transaction tx(db);
  if (Status s = tx.Begin(); !s) return s;
  Status s = db.Exec(
      "INSERT INTO categories SELECT 1, channel, COUNT(*), SUM(persons_count) FROM statements"
      " WHERE status = 1 GROUP BY channel;"
      "INSERT INTO categories SELECT 2, region, COUNT(*), SUM(persons_count) FROM statements"
      " WHERE status = 1 GROUP BY region;"
      "INSERT INTO categories SELECT 3, occupation, COUNT(*), SUM(persons_count) FROM statements"
      " WHERE status = 1 GROUP BY occupation;");
  if (!s) return s;
  return tx.Commit();
}

}  // namespace

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
  // The version is read and the migrations run before the schema's CREATE ... IF NOT
  // EXISTS: a newer tuidang's database is refused before anything is written to it, and an
  // older one has the columns that the schema's indexes name (persons' day and number)
  // before they are created. Tables that a release added without a migration step are
  // created by the schema after.
  auto version = ReadSchemaVersion(writer_);
  if (!version) return Status::Fail(path_ + ": " + version.error());
  if (*version) {
    if (Status s = Migrate(writer_, path_, **version); !s) return s;
  }
  if (Status s = writer_.Exec(kSchema); !s) return Status::Fail("schema: " + s.message());
  if (!*version) {
    auto set = writer_.Prepare("INSERT INTO meta(key, value) VALUES('schema_version', ?)");
    set.Bind(1, std::to_string(kSchemaVersion));
    if (set.Step() != SQLITE_DONE) return Status::Fail(writer_.LastError());
  }
  auto has_categories =
      writer_.Prepare("SELECT EXISTS(SELECT 1 FROM categories), EXISTS(SELECT 1 FROM daily)");
  if (has_categories.Step() == SQLITE_ROW && has_categories.Int(0) == 0 &&
      has_categories.Int(1) != 0) {
    has_categories.Reset();
    if (Status s = CountCategoriesOnce(writer_); !s) {
      return Status::Fail("count categories: " + s.message());
    }
  }
  has_categories.Reset();
  // Remember the database's version now, so that a change by another process (an import,
  // tuidang withdraw) made before the first refresh is noticed too.
  ReloadIfChangedElsewhere();
  return LoadTotals();
}

Result<std::unique_ptr<SqliteStore::Reader>> SqliteStore::NewReader() {
  auto r = std::make_unique<Reader>();
  if (Status s = r->db.Open(path_, false); !s) return Error{s.message()};
  // A reader never writes: a bug that tried would fail here instead of racing the writer.
  if (Status s = r->db.Exec("PRAGMA query_only=ON"); !s) return Error{"query_only: " + s.message()};
  std::string cols(sqlite::kStatementColumns);
  r->by_number =
      r->db.Prepare("SELECT " + cols + " FROM statements WHERE number = ? AND status = 1");
  // The partial index statements_published serves both (the literal `status = 1`).
  r->day_page = r->db.Prepare("SELECT " + cols +
                              " FROM statements WHERE status = 1 AND day = ?"
                              " ORDER BY number DESC LIMIT ?");
  r->day_page_before = r->db.Prepare("SELECT " + cols +
                                     " FROM statements WHERE status = 1 AND day = ? AND number < ?"
                                     " ORDER BY number DESC LIMIT ?");
  r->persons = r->db.Prepare(sqlite::kPersonsOfStatement);
  // The name search reads persons_published (covering) in its order, newest first, and
  // stops at the page's end: no sort, no read of the matches after it. `(day, number) <
  // (?3, ?4)` is the keyset bound; ?2 the lowest day.
  r->name_matches = r->db.Prepare(
      "SELECT day, number FROM persons WHERE name_fold = ?1 AND number IS NOT NULL"
      " AND day >= ?2 AND (day, number) < (?3, ?4) ORDER BY day DESC, number DESC");
  // The same two while the persons' day and number are being backfilled
  // (sqlite_backfill.h): the same rows and order, through persons_by_name and the
  // statements (every match read and sorted, as before schema 4).
  r->name_matches_by_join = r->db.Prepare(
      "SELECT DISTINCT s.day, s.number FROM persons p JOIN statements s ON s.id = p.statement"
      " WHERE p.name_fold = ?1 AND s.status = 1 AND s.day >= ?2 AND (s.day, s.number) < (?3, ?4)"
      " ORDER BY s.day DESC, s.number DESC");
  r->name_count_by_join = r->db.Prepare(
      "SELECT COUNT(*) FROM (SELECT DISTINCT s.number FROM persons p JOIN statements s"
      " ON s.id = p.statement WHERE p.name_fold = ?1 AND s.status = 1 AND s.day >= ?2"
      " AND s.day <= ?3 LIMIT ?4)");
  r->name_count = r->db.Prepare(
      "SELECT COUNT(*) FROM (SELECT DISTINCT day, number FROM persons WHERE name_fold = ?1"
      " AND number IS NOT NULL AND day >= ?2 AND day <= ?3 LIMIT ?4)");
  // Withdrawn statements keep their number and day: a page's cursor stays valid.
  r->day_of_number =
      r->db.Prepare("SELECT day FROM statements WHERE number = ? AND number IS NOT NULL");
  r->receipt = r->db.Prepare(
      "SELECT s.status, s.number, s.day, s.leaf_index, l.entry, t.data FROM statements s"
      " LEFT JOIN leaves l ON l.idx = s.leaf_index"
      " LEFT JOIN tiles t ON t.level = 0 AND t.idx = s.leaf_index / 256 AND t.width = 256"
      " WHERE s.receipt = ?");
  r->opening = r->db.Prepare(
      "SELECT leaf_index, salt, record FROM statements WHERE number = ? AND status = 1"
      " AND leaf_index IS NOT NULL");
  r->leaves =
      r->db.Prepare("SELECT idx, entry FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx");
  r->tile = r->db.Prepare("SELECT width, data FROM tiles WHERE level = ? AND idx = ?");
  r->published_in =
      r->db.Prepare("SELECT 1 FROM checkpoint_sizes WHERE size >= ? AND size < ? LIMIT 1");
  r->checkpoint = r->db.Prepare(
      "SELECT (SELECT MAX(size) FROM checkpoint_sizes), value FROM meta WHERE key = 'checkpoint'");
  for (auto* s :
       {&r->by_number, &r->day_page, &r->day_page_before, &r->persons, &r->name_matches,
        &r->name_count, &r->name_matches_by_join, &r->name_count_by_join, &r->day_of_number,
        &r->receipt, &r->opening, &r->leaves, &r->tile, &r->published_in, &r->checkpoint}) {
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

}  // namespace tuidang
