// The PostgreSQL half of `tuidang backup` / `tuidang restore` (docs/backup.md): the database
// is dumped by PostgreSQL's own pg_dump (one repeatable-read snapshot, the custom format)
// into a file that backup.cc encrypts with the rest of the data folder, and restored by
// pg_restore in one transaction into an empty database. Debian's postgresql-client has
// both; they are run directly (no shell), with the connection settings passed in their
// environment so that a password never shows in a process list.
#pragma once

#include <string>

#include "core/result.h"

namespace tuidang::cli::pgbackup {

// The schema the store's tables are in for `conninfo` (its current_schema(): "public"
// unless the connection sets a search_path).
Result<std::string> CurrentSchema(const std::string& conninfo);

// pg_dump of `schema` (the whole database when it is "public", so that pg_restore into a
// new database does not try to create "public" again) to `out` (created, mode 0600). The
// child is killed with this process. An error says what pg_dump said went wrong.
Status Dump(const std::string& conninfo, const std::string& schema, const std::string& out);

// Restores `dump` (made by Dump of `schema`) into `conninfo`, in one transaction: refused,
// with nothing written, when that database already holds tables in `schema` (or, for
// another schema than public, the schema itself). An error says why.
Status Restore(const std::string& dump, const std::string& schema, const std::string& conninfo);

// `toml` with its top-level `database = ...` line set to `conninfo` (added at the top when
// there is none), as a restore onto another database server needs.
std::string WithDatabase(const std::string& toml, const std::string& conninfo);

}  // namespace tuidang::cli::pgbackup
