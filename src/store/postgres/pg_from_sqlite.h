// Moving a center from its SQLite store to PostgreSQL (`tuidang migrate-store`,
// docs/postgres.md "Moving a center from SQLite"): every row that the PostgreSQL store keeps
// is copied from one read snapshot of the SQLite file, table by table, in chunks sent with
// COPY, each chunk committed together with the row of the target's migrate_store_progress
// table that says how far its table has come. A run killed half-way is run again and goes
// on from the last committed chunk; a run after completion changes nothing. The SQLite file
// is opened read-only.
//
// Thread-compatible: one call at a time per target (a session advisory lock on the target
// makes a second concurrent run wait for the first).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"

namespace tuidang::pgmigrate {

struct Options {
  std::string sqlite_path;  // the data folder's tuidang.db
  std::string conninfo;     // the target: a libpq connection string or postgresql:// URI
  int64_t chunk_rows = 50000;
  // Called after each committed chunk: the table, its rows copied so far, and its total.
  std::function<void(const std::string& table, int64_t copied, int64_t total)> on_chunk;
};

struct TableCount {
  std::string table;
  int64_t rows = 0;
};

struct Report {
  bool already_done = false;       // the target holds this migration, finished: nothing was done
  bool resumed = false;            // a half-finished migration was continued
  std::vector<TableCount> tables;  // the rows of each table migrated (empty if already_done)
  int64_t rows_copied = 0;         // by this run
  uint64_t tree_size = 0;          // the log's size (leaves) in the target
};

// Why a migration failed, for the command's exit code.
enum class Failure { kSource, kUnreachable, kRefused, kOther };

// Migrates opts.sqlite_path into opts.conninfo. Refuses (an error, nothing written): a
// SQLite file that is missing or not a tuidang store of the schema this build knows, one
// whose background index backfill has not finished, a target that cannot be reached or
// holds anything but an empty tuidang schema or this same migration half-finished, and a
// half-finished migration whose source changed since it began. Every error says why.
// On error *why (when given) says which kind.
Result<Report> MigrateSqliteToPostgres(const Options& opts, Failure* why = nullptr);

}  // namespace tuidang::pgmigrate
