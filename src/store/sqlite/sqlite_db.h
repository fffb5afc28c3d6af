// A thin RAII layer over the SQLite C API: a connection and prepared statements with
// typed binding. Not thread-safe: one thread uses a connection at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
  std::string LastError() const { return db_ ? sqlite3_errmsg(db_) : "not open"; }
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace tuidang::sqlite
