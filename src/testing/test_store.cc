#include "testing/test_store.h"

#include <sodium.h>

namespace tuidang::test {

Result<std::unique_ptr<SqliteStore>> OpenTestStore(const TempDir& dir) {
  if (sodium_init() < 0) return Error{"sodium_init failed"};
  return SqliteStore::Open(dir.File("t.db"));
}

}  // namespace tuidang::test
