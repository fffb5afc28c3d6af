// The SQLite → PostgreSQL migration (pg_from_sqlite.h). What each SQLite table becomes is
// written out below, table by table, against both schemas (sqlite_schema.cc at schema 6,
// pg_schema.cc at schema 3): the same columns and meanings, BLOB → bytea, INTEGER → bigint
// or integer, with these differences:
// - checkpoint_sizes and meta's 'checkpoint' become `checkpoints(size, note)`: SQLite keeps
//   the signed note of the latest size only, so the older sizes get an empty note (the
//   PostgreSQL store reads the note of the latest size alone; the others only say that a
//   checkpoint of that size was published, for PublishedSizeIn).
// - meta keeps the witnesses' served checkpoint (two rows); 'schema_version' is the
//   target's own, and the backfill rows cannot exist (a pending backfill is refused).
// - operators lose failed_logins and locked_until (unused since sessions moved to memory,
//   sqlite_operators.cc).
// - day_index_pending has no counterpart: a store whose backfill is unfinished is refused.
// - log_coord (the next number and leaf) and the identity sequences are set from the copied
//   rows at the end, in the transaction that marks the migration finished.
#include "store/postgres/pg_from_sqlite.h"

#include <sqlite3.h>

#include <charconv>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "core/text.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_store.h"

namespace tuidang::pgmigrate {

namespace {

// The schemas this code was written against. A later schema on either side makes the
// migration refuse rather than silently leave out what it does not know.
constexpr int kSqliteSchema = 6;
constexpr int kPostgresSchema = 3;

// Held for the whole run, so that two runs on one target do not interleave. ("tdms")
constexpr int64_t kMigrationLock = 0x74646d73;

// COPY data is sent to the server in pieces of about this size.
constexpr size_t kCopyFlushBytes = 1 << 20;

enum class Kind { kInt, kText, kBytes };

struct Column {
  std::string_view target;  // the PostgreSQL column
  std::string_view source;  // the SQLite expression (usually the same column)
  Kind kind;
};

struct Table {
  std::string_view target;
  std::string_view from;   // the SQLite table
  std::string_view where;  // a filter on its rows, or ""
  int key_columns;         // the first key_columns columns are its primary key, in order
  std::vector<Column> columns;
};

Column C(std::string_view name, Kind kind) { return {name, name, kind}; }

// Parents before children: persons, sealed and holds check their statement at COMMIT.
const std::vector<Table>& Tables() {
  using K = Kind;
  static const std::vector<Table> tables = {
      {"statements",
       "statements",
       "",
       1,
       {C("id", K::kInt), C("number", K::kInt), C("receipt", K::kBytes), C("status", K::kInt),
        C("day", K::kInt), C("channel", K::kInt), C("language", K::kInt), C("region", K::kInt),
        C("occupation", K::kInt), C("persons_count", K::kInt), C("text", K::kText),
        C("leaf_index", K::kInt), C("salt", K::kBytes), C("record", K::kText),
        C("operator", K::kInt), C("consent", K::kText), C("place", K::kText)}},
      {"persons",
       "persons",
       "",
       2,
       {C("statement", K::kInt), C("position", K::kInt), C("name", K::kText),
        C("name_fold", K::kText), C("real_name", K::kInt), C("organisations", K::kInt),
        C("day", K::kInt), C("number", K::kInt)}},
      {"sources",
       "sources",
       "",
       1,
       {C("key", K::kBytes), C("statement", K::kInt), C("origin", K::kText)}},
      {"sealed",
       "sealed",
       "",
       2,
       {C("statement", K::kInt), C("field", K::kText), C("box", K::kBytes)}},
      {"holds",
       "holds",
       "",
       1,
       {C("statement", K::kInt), C("reason", K::kText), C("grp", K::kText)}},
      {"rejections", "rejections", "", 1, {C("statement", K::kInt), C("hour", K::kInt)}},
      {"leaves", "leaves", "", 1, {C("idx", K::kInt), C("entry", K::kBytes)}},
      {"tiles",
       "tiles",
       "",
       2,
       {C("level", K::kInt), C("idx", K::kInt), C("width", K::kInt), C("data", K::kBytes)}},
      {"checkpoints",
       "checkpoint_sizes",
       "",
       1,
       {C("size", K::kInt),
        {"note",
         "CASE WHEN size = (SELECT MAX(size) FROM checkpoint_sizes) THEN"
         " COALESCE((SELECT value FROM meta WHERE key = 'checkpoint'), '') ELSE '' END",
         K::kText}}},
      {"day_anchors",
       "day_anchors",
       "",
       2,
       {C("day", K::kInt), C("block", K::kInt), C("number", K::kInt)}},
      {"daily",
       "daily",
       "",
       1,
       {C("day", K::kInt), C("statements", K::kInt), C("persons", K::kInt), C("party", K::kInt),
        C("league", K::kInt), C("pioneers", K::kInt)}},
      {"categories",
       "categories",
       "",
       2,
       {C("dim", K::kInt), C("code", K::kInt), C("statements", K::kInt), C("persons", K::kInt)}},
      {"moderation_daily",
       "moderation_daily",
       "",
       3,
       {C("day", K::kInt), C("event", K::kInt), C("reason", K::kText), C("statements", K::kInt)}},
      {"operators",
       "operators",
       "",
       1,
       {C("id", K::kInt), C("name", K::kText), C("role", K::kInt), C("password_hash", K::kText),
        C("totp_secret", K::kBytes), C("setup_hash", K::kBytes), C("disabled", K::kInt)}},
      {"audit_trail",
       "audit_trail",
       "",
       1,
       {C("id", K::kInt), C("day", K::kInt), C("operator", K::kInt), C("action", K::kText),
        C("object", K::kText)}},
      {"meta",
       "meta",
       "key IN ('served_checkpoint', 'served_checkpoint_size')",
       1,
       {C("key", K::kText), C("value", K::kText)}},
  };
  return tables;
}

// The rows of `t` in the target that the migration wrote (all of them but meta's own).
std::string TargetCountSql(const Table& t) {
  if (t.target == "meta") {
    return "SELECT count(*) FROM meta WHERE key IN ('served_checkpoint', "
           "'served_checkpoint_size')";
  }
  return fmt::format("SELECT count(*) FROM {}", t.target);
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(v));
  }
  return out;
}

// ---- The source: a read-only SQLite connection holding one snapshot. ----

class Source {
 public:
  ~Source() {
    if (db_) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close_v2(db_);
    }
  }

  Status Open(const std::string& path) {
    path_ = path;
    // SQLITE_OPEN_READONLY without CREATE: a missing file is an error, never made.
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
      return Status::Fail(fmt::format("{}: cannot open the SQLite store: {}", path,
                                      db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
    }
    sqlite3_busy_timeout(db_, 10000);
    // One snapshot for the whole run: a server still writing does not tear the copy.
    if (Status s = Exec("BEGIN; SELECT 1 FROM sqlite_master LIMIT 1"); !s) {
      return Status::Fail(fmt::format("{}: not a SQLite database ({})", path, s.message()));
    }
    return Status::Ok();
  }

  Status Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Status::Fail(m);
    }
    return Status::Ok();
  }

  // The first column of the first row of `sql` as text ("" for none or NULL).
  Result<std::string> One(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      return Error{fmt::format("{}: {}", path_, sqlite3_errmsg(db_))};
    }
    std::string out;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      out.assign(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                 static_cast<size_t>(sqlite3_column_bytes(st, 0)));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return Error{fmt::format("{}: {}", path_, sqlite3_errmsg(db_))};
    }
    return out;
  }

  sqlite3* db() { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// Refuses what this migration cannot copy whole: not a tuidang store, another schema, an
// unfinished backfill (persons without their day and number, days without anchors).
Status CheckSource(Source& src) {
  auto has_meta = src.One("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (!has_meta) return Status::Fail(has_meta.error());
  if (has_meta->empty()) {
    return Status::Fail(src.path() + ": not a tuidang store (it has no meta table)");
  }
  auto version = src.One("SELECT value FROM meta WHERE key = 'schema_version'");
  if (!version) return Status::Fail(version.error());
  int number = 0;
  std::from_chars(version->data(), version->data() + version->size(), number);
  if (number != kSqliteSchema) {
    return Status::Fail(
        fmt::format("{}: the SQLite store has schema {}; migrate-store copies schema {}: {}",
                    src.path(), version->empty() ? "(none)" : *version, kSqliteSchema,
                    number < kSqliteSchema ? "upgrade it first with `tuidang migrate --data DIR`"
                                           : "use the tuidang that made it"));
  }
  auto pending = src.One(
      "SELECT (SELECT count(*) FROM day_index_pending) +"
      " (SELECT count(*) FROM meta WHERE key = 'backfill_persons_next')");
  if (!pending) return Status::Fail(pending.error());
  if (*pending != "0") {
    return Status::Fail(src.path() +
                        ": the SQLite store's background index backfill (after an upgrade) has "
                        "not finished: run `tuidang serve` on it until its log says the "
                        "backfill is done, then migrate (docs/paging.md)");
  }
  return Status::Ok();
}

// What identifies the source's state: a half-finished migration resumes only from the
// same. Counts and maxima of the tables a server changes (a new statement, a moderation
// act, a leaf, an operator's action), and the latest checkpoint.
Result<std::string> Fingerprint(Source& src) {
  return src.One(
      "SELECT (SELECT count(*) || '/' || COALESCE(max(id), 0) || '/' || COALESCE(sum(status), 0)"
      " FROM statements) || ';' || (SELECT COALESCE(max(idx), -1) FROM leaves) || ';' ||"
      " (SELECT COALESCE(max(id), 0) FROM audit_trail) || ';' || (SELECT count(*) FROM operators)"
      " || ';' || (SELECT count(*) FROM holds) || ';' || (SELECT count(*) FROM sealed) || ';' ||"
      " (SELECT count(*) FROM rejections) || ';' ||"
      " COALESCE((SELECT value FROM meta WHERE key = 'checkpoint'), '')");
}

std::string ColumnList(const Table& t) {
  std::string out;
  for (const Column& c : t.columns) {
    if (!out.empty()) out += ", ";
    out += c.target;
  }
  return out;
}

// The SQLite query that reads `t` in key order, after the key in ?1..?k when `after`.
std::string SourceSql(const Table& t, bool after) {
  std::string cols, keys, params;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) cols += ", ";
    cols += t.columns[i].source;
  }
  for (int i = 0; i < t.key_columns; ++i) {
    if (i) keys += ", ", params += ", ";
    keys += t.columns[i].source;
    params += fmt::format("?{}", i + 1);
  }
  std::string where(t.where);
  if (after) {
    if (!where.empty()) where += " AND ";
    where += fmt::format("({}) > ({})", keys, params);
  }
  return fmt::format("SELECT {} FROM {}{}{} ORDER BY {}", cols, t.from,
                     where.empty() ? "" : " WHERE ", where, keys);
}

// A row's key as stored in the progress table: each value tagged with its SQLite type
// (i: integer, t: text, b: blob; text and blobs in hex), so that it binds back as the same
// type and compares as in the ORDER BY.
std::string EncodeKey(sqlite3_stmt* st, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i) out += ',';
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER: out += 'i' + std::to_string(sqlite3_column_int64(st, i)); break;
      case SQLITE_BLOB:
        out +=
            'b' + HexEncode(std::string_view(static_cast<const char*>(sqlite3_column_blob(st, i)),
                                             static_cast<size_t>(sqlite3_column_bytes(st, i))));
        break;
      default:
        out += 't' +
               HexEncode(std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(st, i)),
                                          static_cast<size_t>(sqlite3_column_bytes(st, i))));
    }
  }
  return out;
}

Status BindKey(sqlite3_stmt* st, const std::string& key, int n) {
  size_t pos = 0;
  for (int i = 1; i <= n; ++i) {
    size_t end = key.find(',', pos);
    if (end == std::string::npos) end = key.size();
    std::string_view v(key.data() + pos, end - pos);
    pos = end + 1;
    if (v.empty()) return Status::Fail("unreadable progress key '" + key + "'");
    const std::string_view body = v.substr(1);
    if (v[0] == 'i') {
      int64_t x = 0;
      auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), x);
      if (ec != std::errc() || p != body.data() + body.size()) {
        return Status::Fail("unreadable progress key '" + key + "'");
      }
      sqlite3_bind_int64(st, i, x);
      continue;
    }
    auto bytes = Unhex(body);
    if (!bytes || (v[0] != 'b' && v[0] != 't')) {
      return Status::Fail("unreadable progress key '" + key + "'");
    }
    if (v[0] == 'b') {
      sqlite3_bind_blob(st, i, bytes->data(), static_cast<int>(bytes->size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_text(st, i, bytes->data(), static_cast<int>(bytes->size()), SQLITE_TRANSIENT);
    }
  }
  return Status::Ok();
}

// Appends column `i` of the current row to `out` in COPY's text format.
Status AppendValue(sqlite3_stmt* st, int i, const Table& t, std::string* out) {
  const Column& col = t.columns[static_cast<size_t>(i)];
  const int type = sqlite3_column_type(st, i);
  if (type == SQLITE_NULL) {
    out->append("\\N");
    return Status::Ok();
  }
  switch (col.kind) {
    case Kind::kInt:
      if (type != SQLITE_INTEGER) {
        return Status::Fail(
            fmt::format("{}.{} holds a value that is not an integer", t.from, col.target));
      }
      out->append(std::to_string(sqlite3_column_int64(st, i)));
      return Status::Ok();
    case Kind::kBytes: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
      out->append("\\\\x");
      out->append(HexEncode(
          std::string_view(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i)))));
      return Status::Ok();
    }
    case Kind::kText: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
      std::string_view v(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i)));
      for (char c : v) {
        switch (c) {
          case '\\': out->append("\\\\"); break;
          case '\n': out->append("\\n"); break;
          case '\r': out->append("\\r"); break;
          case '\t': out->append("\\t"); break;
          case '\0':
            return Status::Fail(fmt::format(
                "{}.{} holds a NUL byte, which a PostgreSQL text cannot hold", t.from, col.target));
          default: out->push_back(c);
        }
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// ---- The target. ----

class Target {
 public:
  explicit Target(std::unique_ptr<pg::Conn> c) : c_(std::move(c)) {}
  pg::Conn& conn() { return *c_; }

  // COPY of one chunk: StartCopy, Send (any number), EndCopy.
  Status StartCopy(const Table& t) {
    PGresult* r =
        PQexec(c_->raw(), fmt::format("COPY {}({}) FROM STDIN", t.target, ColumnList(t)).c_str());
    const bool ok = PQresultStatus(r) == PGRES_COPY_IN;
    std::string m = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    if (!ok) return Status::Fail(fmt::format("COPY {}: {}", t.target, Trim(m)));
    return Status::Ok();
  }
  Status Send(std::string* buf) {
    if (buf->empty()) return Status::Ok();
    if (PQputCopyData(c_->raw(), buf->data(), static_cast<int>(buf->size())) != 1) {
      return Status::Fail("COPY: " + Trim(PQerrorMessage(c_->raw())));
    }
    buf->clear();
    return Status::Ok();
  }
  Status EndCopy(const Table& t) {
    if (PQputCopyEnd(c_->raw(), nullptr) != 1) {
      return Status::Fail("COPY: " + Trim(PQerrorMessage(c_->raw())));
    }
    std::string m;
    while (PGresult* r = PQgetResult(c_->raw())) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK && m.empty()) m = PQresultErrorMessage(r);
      PQclear(r);
    }
    if (!m.empty()) return Status::Fail(fmt::format("COPY {}: {}", t.target, Trim(m)));
    return Status::Ok();
  }

  Status SetProgress(const std::string& key, const std::string& value) {
    auto r = c_->Exec(
        "INSERT INTO migrate_store_progress(key, value) VALUES($1, $2)"
        " ON CONFLICT(key) DO UPDATE SET value = EXCLUDED.value",
        pg::Params().Text(key).Text(value));
    if (!r) return Status::Fail("record the progress: " + r.error());
    return Status::Ok();
  }

  Result<std::map<std::string, std::string>> Progress() {
    auto r = c_->Exec("SELECT key, value FROM migrate_store_progress");
    if (!r) return Error{r.error()};
    std::map<std::string, std::string> out;
    for (int i = 0; i < r->size(); ++i) out[r->Text(i, 0)] = r->Text(i, 1);
    return out;
  }

  Result<int64_t> Count(const std::string& sql) {
    auto r = c_->Exec(sql);
    if (!r) return Error{r.error()};
    return r->Int(0, 0);
  }

 private:
  static std::string Trim(std::string m) {
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
  }
  std::unique_ptr<pg::Conn> c_;
};

// What the target holds, before anything is written.
enum class TargetState { kEmpty, kOurs, kFinished };

Result<TargetState> InspectTarget(Target& t, const std::string& fingerprint) {
  auto tables = t.conn().Exec(
      "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"
      " AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname");
  if (!tables) return Error{"list the target's tables: " + tables.error()};
  bool progress = false, meta = false;
  for (int i = 0; i < tables->size(); ++i) {
    progress |= tables->Text(i, 0) == "migrate_store_progress";
    meta |= tables->Text(i, 0) == "meta";
  }
  if (progress) {
    auto p = t.Progress();
    if (!p) return Error{"read the migration's progress: " + p.error()};
    const bool same = (*p)["source"] == fingerprint;
    if (p->count("finished")) {
      if (same) return TargetState::kFinished;
      return Error{
          "the target holds the finished migration of another SQLite store (or of this one "
          "before it changed): it is a center of its own; nothing was written"};
    }
    if (!same) {
      return Error{
          "the target holds a half-finished migration of another SQLite store, or of this one "
          "before it changed (was its server running?): drop the target's tables (or use "
          "another database) and migrate again; nothing was written"};
    }
    return TargetState::kOurs;
  }
  if (tables->empty()) return TargetState::kEmpty;
  if (!meta) {
    return Error{fmt::format(
        "the target holds {} tables that are not tuidang's (the first: {}): migrate-store "
        "writes only into an empty database or schema; nothing was written",
        tables->size(), tables->Text(0, 0))};
  }
  // A tuidang schema (made by `tuidang migrate`, or by a run stopped before its first
  // chunk): empty unless it holds a row of any table the migration fills.
  auto schema = t.conn().Exec("SELECT value FROM meta WHERE key = 'schema_version'");
  if (!schema) return Error{schema.error()};
  if (schema->empty() || schema->Text(0, 0) != std::to_string(PostgresStore::SchemaVersion())) {
    return Error{fmt::format(
        "the target holds a tuidang schema of version {}, not {}: migrate-store writes only "
        "into an empty database or schema; nothing was written",
        schema->empty() ? "(none)" : schema->Text(0, 0), PostgresStore::SchemaVersion())};
  }
  int64_t rows = 0;
  std::string which;
  for (const Table& tb : Tables()) {
    auto n = t.Count(TargetCountSql(tb));
    if (!n) return Error{n.error()};
    if (*n > 0 && which.empty()) which = fmt::format("{} rows in {}", *n, tb.target);
    rows += *n;
  }
  if (rows > 0) {
    return Error{"the target already holds a center (" + which +
                 "): migrate-store writes only into an empty database or schema; nothing "
                 "was written"};
  }
  return TargetState::kEmpty;
}

// Copies `tb` from where its progress says, committing every opts.chunk_rows rows with the
// progress. Adds the rows sent to *copied.
Status CopyTable(Source& src, Target& dst, const Table& tb, const std::string& progress,
                 int64_t source_rows, const Options& opts, int64_t* copied) {
  const std::string key_name = fmt::format("table:{}", tb.target);
  if (progress.rfind("done;", 0) == 0) return Status::Ok();
  // "<rows copied>;<key of the last row>", "done;<rows copied>" once whole, or "" before the
  // first chunk.
  int64_t done = 0;
  std::string last_key;
  if (!progress.empty()) {
    const size_t semi = progress.find(';');
    if (semi == std::string::npos) return Status::Fail("unreadable progress '" + progress + "'");
    std::from_chars(progress.data(), progress.data() + semi, done);
    last_key = progress.substr(semi + 1);
  }
  sqlite3_stmt* st = nullptr;
  const std::string sql = SourceSql(tb, !last_key.empty());
  if (sqlite3_prepare_v2(src.db(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    return Status::Fail(
        fmt::format("{}: read {}: {}", src.path(), tb.from, sqlite3_errmsg(src.db())));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(st, sqlite3_finalize);
  if (!last_key.empty()) {
    if (Status s = BindKey(st, last_key, tb.key_columns); !s) return s;
  }
  const int ncols = static_cast<int>(tb.columns.size());
  std::string buf;
  bool more = true;
  while (more) {
    pg::Transaction tx(dst.conn());
    if (Status s = tx.Begin(); !s) return s;
    if (Status s = dst.StartCopy(tb); !s) return s;
    int64_t rows = 0;
    int rc = SQLITE_ROW;
    while (rows < opts.chunk_rows && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      for (int i = 0; i < ncols; ++i) {
        if (i) buf.push_back('\t');
        if (Status s = AppendValue(st, i, tb, &buf); !s) return s;
      }
      buf.push_back('\n');
      ++rows;
      if (buf.size() >= kCopyFlushBytes) {
        if (Status s = dst.Send(&buf); !s) return s;
      }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return Status::Fail(
          fmt::format("{}: read {}: {}", src.path(), tb.from, sqlite3_errmsg(src.db())));
    }
    more = rows == opts.chunk_rows;
    if (more) last_key = EncodeKey(st, tb.key_columns);  // the row just read is the last
    if (Status s = dst.Send(&buf); !s) return s;
    if (Status s = dst.EndCopy(tb); !s) return s;
    done += rows;
    if (Status s = dst.SetProgress(
            key_name, more ? fmt::format("{};{}", done, last_key) : fmt::format("done;{}", done));
        !s) {
      return s;
    }
    if (Status s = tx.Commit(); !s) return Status::Fail("commit: " + s.message());
    *copied += rows;
    if (opts.on_chunk) opts.on_chunk(std::string(tb.target), done, source_rows);
  }
  return Status::Ok();
}

// The last step, in one transaction: every table's rows committed (as its progress row
// counts them, committed with them: no scan of the new tables, whose first read would
// rewrite every page for its hint bits) checked against the source's count, the
// coordination row and the identity sequences set from the copied rows (by their indexes),
// and the migration marked finished.
Status Finish(Target& dst, const std::map<std::string, int64_t>& source_counts,
              std::vector<TableCount>* counts) {
  pg::Conn& c = dst.conn();
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return s;
  auto progress = dst.Progress();
  if (!progress) return Status::Fail(progress.error());
  for (const Table& tb : Tables()) {
    const std::string name(tb.target);
    const std::string& p = (*progress)["table:" + name];
    int64_t n = -1;
    if (p.rfind("done;", 0) == 0) std::from_chars(p.data() + 5, p.data() + p.size(), n);
    const int64_t want = source_counts.at(name);
    if (n != want) {
      return Status::Fail(
          fmt::format("{}: {} rows copied, {} in SQLite: the copy is incomplete", name, n, want));
    }
    counts->push_back({name, n});
  }
  auto leaves = c.Exec("SELECT COALESCE(max(idx) + 1, 0) FROM leaves");
  if (!leaves) return Status::Fail(leaves.error());
  if (leaves->Int(0, 0) != source_counts.at("leaves")) {
    return Status::Fail("the log's leaves are not consecutive in the SQLite store");
  }
  Status s = c.Run(
      "UPDATE log_coord SET next_number = (SELECT COALESCE(max(number), 0) + 1 FROM statements),"
      " next_leaf = (SELECT COALESCE(max(idx) + 1, 0) FROM leaves), version = version + 1"
      " WHERE id = 1;"
      "SELECT setval(pg_get_serial_sequence('statements', 'id'),"
      " (SELECT COALESCE(max(id), 0) + 1 FROM statements), false);"
      "SELECT setval(pg_get_serial_sequence('operators', 'id'),"
      " (SELECT COALESCE(max(id), 0) + 1 FROM operators), false);"
      "SELECT setval(pg_get_serial_sequence('audit_trail', 'id'),"
      " (SELECT COALESCE(max(id), 0) + 1 FROM audit_trail), false);");
  if (!s) return Status::Fail("set the coordination row: " + s.message());
  if (Status p = dst.SetProgress("finished", "yes"); !p) return p;
  // No ANALYZE: autovacuum analyzes (and vacuums) the new tables within its naptime.
  if (Status cm = tx.Commit(); !cm) return Status::Fail("commit: " + cm.message());
  return Status::Ok();
}

}  // namespace

Result<Report> MigrateSqliteToPostgres(const Options& opts, Failure* why) {
  Failure ignored;
  if (!why) why = &ignored;
  *why = Failure::kOther;
  if (opts.chunk_rows < 1) return Error{"the chunk size must be at least one row"};
  *why = Failure::kSource;
  Source src;
  if (Status s = src.Open(opts.sqlite_path); !s) return Error{s.message()};
  if (Status s = CheckSource(src); !s) return Error{s.message()};
  auto fingerprint = Fingerprint(src);
  if (!fingerprint) return Error{fingerprint.error()};
  *why = Failure::kOther;
  if (PostgresStore::SchemaVersion() != kPostgresSchema) {
    return Error{fmt::format(
        "migrate-store copies into PostgreSQL schema {}, this tuidang's is {}: it must learn "
        "the new tables first (pg_from_sqlite.cc)",
        kPostgresSchema, PostgresStore::SchemaVersion())};
  }

  *why = Failure::kUnreachable;
  auto conn = pg::Conn::Connect(opts.conninfo);
  if (!conn) return Error{conn.error()};
  *why = Failure::kOther;
  Target dst(std::move(*conn));
  auto locked = dst.conn().Exec("SELECT pg_advisory_lock($1)", pg::Params().Int(kMigrationLock));
  if (!locked) return Error{"lock the target: " + locked.error()};

  Report report;
  auto state = InspectTarget(dst, *fingerprint);
  if (!state) {
    *why = Failure::kRefused;
    return Error{state.error()};
  }
  if (*state == TargetState::kFinished) {
    report.already_done = true;
    auto leaves = dst.Count("SELECT next_leaf FROM log_coord WHERE id = 1");
    if (!leaves) return Error{leaves.error()};
    report.tree_size = static_cast<uint64_t>(*leaves);
    return report;
  }
  report.resumed = *state == TargetState::kOurs;
  if (*state == TargetState::kEmpty) {
    // The schema (idempotent), then the progress table with the source's fingerprint, in
    // the transaction that checks again that nothing else wrote meanwhile.
    auto migrated = PostgresStore::Migrate(opts.conninfo);
    if (!migrated) return Error{"create the schema: " + migrated.error()};
    pg::Transaction tx(dst.conn());
    if (Status s = tx.Begin(); !s) return Error{s.message()};
    if (Status s = dst.conn().Run(
            "CREATE TABLE migrate_store_progress(key text PRIMARY KEY, value text NOT NULL)");
        !s) {
      return Error{"create the progress table: " + s.message()};
    }
    if (Status s = dst.SetProgress("source", *fingerprint); !s) return Error{s.message()};
    if (Status s = tx.Commit(); !s) return Error{s.message()};
  }
  auto progress = dst.Progress();
  if (!progress) return Error{progress.error()};

  std::map<std::string, int64_t> source_counts;
  for (const Table& tb : Tables()) {
    auto n = src.One(fmt::format("SELECT count(*) FROM {}{}{}", tb.from,
                                 tb.where.empty() ? "" : " WHERE ", tb.where));
    if (!n) return Error{n.error()};
    source_counts[std::string(tb.target)] = std::stoll(*n);
  }
  for (const Table& tb : Tables()) {
    const std::string name(tb.target);
    auto it = progress->find("table:" + name);
    if (Status s = CopyTable(src, dst, tb, it == progress->end() ? "" : it->second,
                             source_counts[name], opts, &report.rows_copied);
        !s) {
      return Error{name + ": " + s.message()};
    }
  }
  if (Status s = Finish(dst, source_counts, &report.tables); !s) return Error{s.message()};
  auto leaves = dst.Count("SELECT next_leaf FROM log_coord WHERE id = 1");
  if (!leaves) return Error{leaves.error()};
  report.tree_size = static_cast<uint64_t>(*leaves);
  return report;
}

}  // namespace tuidang::pgmigrate
