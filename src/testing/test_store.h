// A SqliteStore in a test's temporary folder (the schema created, as `tuidang init` does),
// for tests of what runs on top of the store. sodium_init() is called first (the store's
// salts and receipt hashes need it).
#pragma once

#include <memory>

#include "core/result.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/temp_dir.h"

namespace tuidang::test {

// Opens (creating it) `dir`/t.db. Returns the error when libsodium or the database fails.
// The store must be destroyed before `dir`.
Result<std::unique_ptr<SqliteStore>> OpenTestStore(const TempDir& dir);

}  // namespace tuidang::test
