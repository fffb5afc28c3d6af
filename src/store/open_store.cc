#include "store/open_store.h"

#include <libpq-fe.h>

#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"

namespace tuidang {

namespace {

// The schema version of the SQLite database at `path` (0: none yet, or no file).
Result<int> SqliteSchemaVersion(const std::string& path) {
  if (!std::filesystem::exists(path)) return 0;
  sqlite::Db db;
  if (Status s = db.Open(path, false); !s) return Error{s.message()};
  auto has_meta = db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (has_meta.Step() != SQLITE_ROW) return 0;
  auto q = db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  if (q.Step() != SQLITE_ROW) return 0;
  const std::string_view text = q.Text(0);
  int v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

bool UsesPostgres(const StoreLocation& loc) { return !loc.database.empty(); }

Status CheckDatabaseSetting(const std::string& database) {
  if (database.empty()) return Status::Ok();
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(database.c_str(), &error);
  if (!options) {
    std::string m = error ? error : "out of memory";
    if (error) PQfreemem(error);
    while (!m.empty() && m.back() == '\n') m.pop_back();
    return Status::Fail("database: not a PostgreSQL connection string or URI: " + m);
  }
  PQconninfoFree(options);
  return Status::Ok();
}

Status CheckReadDatabaseSetting(const StoreLocation& loc) {
  if (loc.read_database.empty()) return Status::Ok();
  if (!UsesPostgres(loc)) {
    return Status::Fail(
        "read_database names a replica of a PostgreSQL database, but database is unset "
        "(SQLite): set database too, or leave read_database out");
  }
  if (Status s = CheckDatabaseSetting(loc.read_database); !s)
    return Status::Fail("read_" + s.message());
  return Status::Ok();
}

namespace {

// "PostgreSQL database D on H:P" for a connection string, without what else it holds.
std::string DescribePostgres(const std::string& conninfo) {
  std::string host, port, dbname;
  if (PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr)) {
    for (PQconninfoOption* o = options; o->keyword; ++o) {
      if (!o->val) continue;
      std::string_view k = o->keyword;
      if (k == "host") host = o->val;
      else if (k == "port") port = o->val;
      else if (k == "dbname") dbname = o->val;
    }
    PQconninfoFree(options);
  }
  return fmt::format("PostgreSQL database {} on {}{}", dbname.empty() ? "(default)" : dbname,
                     host.empty() ? "(default host)" : host, port.empty() ? "" : ":" + port);
}

}  // namespace

std::string DescribeStore(const StoreLocation& loc) {
  if (!UsesPostgres(loc)) return loc.sqlite_path;
  std::string out = DescribePostgres(loc.database);
  if (!loc.read_database.empty()) {
    out += ", public pages read from its replica " + DescribePostgres(loc.read_database);
  }
  return out;
}

Result<std::unique_ptr<Store>> OpenStore(const StoreLocation& loc) {
  if (UsesPostgres(loc)) {
    if (Status s = CheckDatabaseSetting(loc.database); !s) return Error{s.message()};
    if (Status s = CheckReadDatabaseSetting(loc); !s) return Error{s.message()};
    auto store = PostgresStore::Open(loc.database, loc.read_database);
    if (!store) return Error{store.error()};
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (Status s = CheckReadDatabaseSetting(loc); !s) return Error{s.message()};
  auto store = SqliteStore::Open(loc.sqlite_path);
  if (!store) return Error{store.error()};
  return std::unique_ptr<Store>(std::move(*store));
}

Result<MigrationReport> MigrateStore(const StoreLocation& loc) {
  if (UsesPostgres(loc)) {
    if (Status s = CheckDatabaseSetting(loc.database); !s) return Error{s.message()};
    auto done = PostgresStore::Migrate(loc.database);
    if (!done) return Error{done.error()};
    return MigrationReport{done->first, done->second};
  }
  // SQLite migrates when it opens (sqlite_schema.cc); the versions are read around that.
  auto before = SqliteSchemaVersion(loc.sqlite_path);
  if (!before) return Error{before.error()};
  {
    auto store = SqliteStore::Open(loc.sqlite_path);
    if (!store) return Error{store.error()};
  }
  auto after = SqliteSchemaVersion(loc.sqlite_path);
  if (!after) return Error{after.error()};
  return MigrationReport{*before, *after};
}

}  // namespace tuidang
