// A thin RAII layer over the SQLite C API: a connection and prepared statements with
// typed binding. Not thread-safe: one thread uses a connection at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <sqlite3.h>

#include "core/result.h"

namespace tuidang::sqlite {

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql);  // on error, ok() is false and error() says why
  ~Stmt();
  Stmt(Stmt&& o) noexcept;
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, std::string_view v);  // text; the bytes are copied
  Stmt& BindBlob(int i, const void* data, size_t n);
  Stmt& BindNull(int i);
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step();
  void Reset();
  int64_t Int(int col) const;
  bool IsNull(int col) const;
  std::string_view Text(int col) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// A statement from a connection's cache (Db::Cached), reset when it goes out of scope so
// that none keeps a transaction busy between uses.
class CachedStmt {
 public:
  explicit CachedStmt(Stmt* s) : s_(s) {}
  ~CachedStmt() {
    if (s_) s_->Reset();
  }
  CachedStmt(CachedStmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  CachedStmt(const CachedStmt&) = delete;
  CachedStmt& operator=(const CachedStmt&) = delete;
  Stmt& operator*() const { return *s_; }
  Stmt* operator->() const { return s_; }

 private:
  Stmt* s_;
};

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Opens (creating if asked) the database at `path` in WAL mode with synchronous=FULL.
  Status Open(const std::string& path, bool create);
  // Runs semicolon-separated SQL without results.
  Status Exec(std::string_view sql);
  Stmt Prepare(std::string_view sql) { return Stmt(db_, sql); }
  // A prepared statement kept for the connection's lifetime, for the statements run on
  // every batch (preparing them was several microseconds per statement on the writer).
  // Handed out reset, with no bindings. A statement that fails to prepare is not kept: its
  // ok() is false.
  CachedStmt Cached(std::string_view sql);
  std::string LastError() const { return db_ ? sqlite3_errmsg(db_) : "not open"; }
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
  Stmt none_;  // handed out for a statement that did not prepare: ok() is false
};

}  // namespace tuidang::sqlite
