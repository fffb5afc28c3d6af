// One SQLite transaction on a connection, rolled back unless committed (RAII), so that no
// error path can leave the writer connection inside a transaction that the next BEGIN would
// trip over.
//
//   sqlite::Transaction tx(writer_);
//   if (Status s = tx.Begin(); !s) return s;
//   ... statements; an early return rolls back ...
//   if (Status s = tx.Commit(); !s) return s;  // durable (synchronous=FULL) when OK
//
// Not thread-safe: used by the one thread that holds the connection (the writer's mutex).
#pragma once

#include <string_view>

#include "core/result.h"
#include "store/sqlite/sqlite_db.h"

namespace tuidang::sqlite {

class Transaction {
 public:
  // `db` must outlive the transaction. Begins nothing yet.
  explicit Transaction(Db& db) : db_(db) {}
  // Rolls back if begun and not committed. A failed ROLLBACK is logged (the connection
  // may then still be inside the transaction, and the next Begin says so).
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // BEGIN IMMEDIATE: takes the database's write lock now (waiting up to the busy timeout),
  // so that what is read inside describes the state the writes apply to.
  Status Begin() { return Start("BEGIN IMMEDIATE"); }
  // BEGIN (deferred): one read snapshot for several queries; takes no write lock.
  Status BeginRead() { return Start("BEGIN"); }
  // COMMIT. On error the transaction is rolled back (now or by SQLite itself) and nothing
  // of it is stored. REQUIRES: begun, not yet committed.
  Status Commit();

 private:
  Status Start(std::string_view begin);

  Db& db_;
  bool open_ = false;
};

}  // namespace tuidang::sqlite
