// The store factory: SQLite in the data folder, or PostgreSQL when `database` (tuidang.toml
// or --database) names one. Every command that opens the store goes through it, so each
// works on either store.
//
// `database` is a libpq connection string ("host=db dbname=tuidang") or URI
// ("postgresql://tuidang@db.example.org/tuidang"); whatever it leaves out comes from the PG*
// environment variables and ~/.pgpass, as for psql ("postgresql://" alone takes them all).
// Empty: the SQLite database at `sqlite_path`, exactly as before PostgreSQL existed.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace tuidang {

struct StoreLocation {
  std::string database;     // empty: SQLite
  std::string sqlite_path;  // the data folder's tuidang.db
  // A streaming replica of `database` for the public reads (`read_database`, serve only);
  // empty: everything reads `database`. Needs `database` to name PostgreSQL.
  std::string read_database;
};

// True when `loc` names a PostgreSQL database.
bool UsesPostgres(const StoreLocation& loc);
// Checks the syntax of a PostgreSQL `database` setting without connecting; the error says
// what libpq found wrong. OK for an empty setting (SQLite).
Status CheckDatabaseSetting(const std::string& database);
// What the logs may say about the store: the SQLite path, or the PostgreSQL server and
// database named (never a password), and the replica's when reads go to one.
std::string DescribeStore(const StoreLocation& loc);
// Checks `read_database` against `database` without connecting: its syntax, and that it
// is only set beside a PostgreSQL `database`. OK when unset.
Status CheckReadDatabaseSetting(const StoreLocation& loc);

// Opens the store (applying its schema migrations, as SqliteStore::Open and
// PostgresStore::Open do), reading from `read_database` when set. Returns an error, and no
// store, when it (or the replica) cannot be reached, has a newer schema than this build
// knows, or `read_database` is set without a PostgreSQL `database`. The caller owns the
// store.
Result<std::unique_ptr<Store>> OpenStore(const StoreLocation& loc);

// What `tuidang migrate` did: the schema version before (0: a new database) and after.
struct MigrationReport {
  int from = 0;
  int to = 0;
};
Result<MigrationReport> MigrateStore(const StoreLocation& loc);

}  // namespace tuidang
