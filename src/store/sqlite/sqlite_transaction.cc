#include "store/sqlite/sqlite_transaction.h"

#include <spdlog/spdlog.h>

namespace tuidang::sqlite {

Status Transaction::Start(std::string_view begin) {
  Status s = db_.Exec(begin);
  open_ = s.ok();
  return s;
}

Status Transaction::Commit() {
  Status s = db_.Exec("COMMIT");
  // A COMMIT that failed with SQLITE_BUSY leaves the transaction open: the destructor rolls
  // it back. Other failures may have rolled it back already (checked there).
  if (s) open_ = false;
  return s;
}

Transaction::~Transaction() {
  if (!open_) return;
  // SQLite rolls a transaction back by itself after some errors (SQLITE_FULL, SQLITE_IOERR,
  // SQLITE_NOMEM, ...); a ROLLBACK then would only fail with "no transaction is active".
  if (sqlite3_get_autocommit(db_.raw()) != 0) return;
  if (Status s = db_.Exec("ROLLBACK"); !s) {
    spdlog::error("sqlite: rollback failed, the connection may stay in a transaction: {}",
                  s.message());
  }
}

}  // namespace tuidang::sqlite
