#include "witness/state.h"

#include <fmt/format.h>

#include "store/sqlite/sqlite_transaction.h"

namespace tuidang::witness {

namespace {

constexpr int kSchemaVersion = 1;

// Sizes are unsigned 64-bit in the spec; SQLite keeps signed 64-bit integers, so sizes
// from 2^63 on are stored as their two's-complement bit pattern and read back the same.
int64_t ToColumn(uint64_t size) { return static_cast<int64_t>(size); }
uint64_t FromColumn(int64_t value) { return static_cast<uint64_t>(value); }

}  // namespace

Result<std::unique_ptr<WitnessState>> WitnessState::Open(const std::string& path) {
  std::unique_ptr<WitnessState> state(new WitnessState());
  MutexLock lock(&state->mu_);
  if (Status s = state->db_.Open(path, /*create=*/true); !s) return Error{s.message()};
  sqlite::Stmt version = state->db_.Prepare("PRAGMA user_version");
  if (!version.ok() || version.Step() != SQLITE_ROW) {
    return Error{fmt::format("{}: not a database: {}", path, state->db_.LastError())};
  }
  const int64_t found = version.Int(0);
  version = sqlite::Stmt();
  if (found == 0) {
    if (Status s =
            state->db_.Exec(fmt::format("BEGIN IMMEDIATE;"
                                        "CREATE TABLE IF NOT EXISTS witnessed_log ("
                                        "  origin TEXT PRIMARY KEY,"
                                        "  size INTEGER NOT NULL,"
                                        "  root TEXT NOT NULL,"  // base64, as in the checkpoint
                                        "  checkpoint TEXT NOT NULL);"
                                        "PRAGMA user_version = {};"
                                        "COMMIT;",
                                        kSchemaVersion));
        !s) {
      IgnoreError(state->db_.Exec("ROLLBACK"), "the schema error is returned");
      return Error{fmt::format("{}: cannot create the schema: {}", path, s.message())};
    }
  } else if (found != kSchemaVersion) {
    return Error{fmt::format("{}: schema version {} is not {} (another tuidang version?)", path,
                             found, kSchemaVersion)};
  }
  return state;
}

Result<std::optional<CosignedHead>> WitnessState::Read(std::string_view origin) {
  sqlite::CachedStmt q =
      db_.Cached("SELECT size, root, checkpoint FROM witnessed_log WHERE origin = ?");
  if (!q->ok()) return Error{"witness state: " + db_.LastError()};
  q->Bind(1, origin);
  const int rc = q->Step();
  if (rc == SQLITE_DONE) return std::optional<CosignedHead>();
  if (rc != SQLITE_ROW) return Error{"witness state: " + db_.LastError()};
  CosignedHead head;
  head.size = FromColumn(q->Int(0));
  Result<tlog::Hash> root = tlog::HashFromBase64(q->Text(1));
  if (!root) return Error{fmt::format("witness state: bad root stored for {:?}", origin)};
  head.root = *root;
  head.checkpoint = std::string(q->Text(2));
  return std::optional<CosignedHead>(std::move(head));
}

Result<std::optional<CosignedHead>> WitnessState::Latest(std::string_view origin) {
  MutexLock lock(&mu_);
  return Read(origin);
}

Status WitnessState::Advance(std::string_view origin, const Decide& decide) {
  MutexLock lock(&mu_);
  sqlite::Transaction tx(db_);
  if (Status s = tx.Begin(); !s) return s;
  Result<std::optional<CosignedHead>> current = Read(origin);
  if (!current) return Error{current.error()};
  std::optional<CosignedHead> next = decide(*current);
  if (!next) return Status::Ok();  // nothing to store; the transaction rolls back
  sqlite::CachedStmt put = db_.Cached(
      "INSERT INTO witnessed_log (origin, size, root, checkpoint) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
      "checkpoint = excluded.checkpoint");
  if (!put->ok()) return Status::Fail("witness state: " + db_.LastError());
  put->Bind(1, origin).Bind(2, ToColumn(next->size)).Bind(3, tlog::HashToBase64(next->root));
  put->Bind(4, next->checkpoint);
  if (put->Step() != SQLITE_DONE) return Status::Fail("witness state: " + db_.LastError());
  return tx.Commit();
}

}  // namespace tuidang::witness
