#include "store/sqlite/sqlite_pcache.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_db.h"

namespace tuidang::sqlite {
namespace {

class PageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("tuidang-pcache-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    Remove();
    ASSERT_TRUE(db_.Open(path_.string(), true));
    ASSERT_TRUE(db_.Exec("PRAGMA cache_size=-65536"));
    ASSERT_TRUE(db_.Exec("CREATE TABLE t(k BLOB PRIMARY KEY, v TEXT) WITHOUT ROWID"));
  }
  void TearDown() override { Remove(); }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_.string() + suffix);
    }
  }
  // `n` random keys in one transaction, each row big enough to split pages often.
  void Insert(int n, bool commit = true) {
    ASSERT_TRUE(db_.Exec("BEGIN IMMEDIATE"));
    auto ins = db_.Prepare("INSERT INTO t VALUES(randomblob(16), printf('%.300c', 'x'))");
    for (int i = 0; i < n; ++i) {
      ins.Reset();
      ASSERT_EQ(ins.Step(), SQLITE_DONE) << db_.LastError();
    }
    ASSERT_TRUE(db_.Exec(commit ? "COMMIT" : "ROLLBACK"));
  }
  int64_t Count() {
    auto q = db_.Prepare("SELECT count(*) FROM t");
    EXPECT_EQ(q.Step(), SQLITE_ROW);
    return q.Int(0);
  }
  std::string IntegrityCheck() {
    auto q = db_.Prepare("PRAGMA integrity_check");
    EXPECT_EQ(q.Step(), SQLITE_ROW);
    return std::string(q.Text(0));
  }

  std::filesystem::path path_;
  Db db_;
};

// The walk the wrapper exists to skip: commits of random keys (page splits park a page at
// the lock-byte page's number) no longer pass the truncation to SQLite's cache.
TEST_F(PageCacheTest, CommitsAfterPageSplitsSkipTheWalk) {
  ASSERT_TRUE(InstallPageCache());  // Db::Open installed it already: still true
  Insert(2000);                     // grows the tree: splits from here on
  PageCacheCounts before = PageCacheCountsForTesting();
  for (int i = 0; i < 50; ++i) Insert(100);
  PageCacheCounts after = PageCacheCountsForTesting();
  EXPECT_GE(after.skipped - before.skipped, 50u);
  EXPECT_EQ(after.truncations, before.truncations);
  EXPECT_EQ(Count(), 7000);
  EXPECT_EQ(IntegrityCheck(), "ok");
}

// A rolled-back transaction that grew the database leaves pages beyond its end in the cache:
// those truncations must reach SQLite's cache, or the next transaction would find stale
// pages where it allocates new ones.
TEST_F(PageCacheTest, RollbackOfGrowthStillTruncates) {
  Insert(1000);
  PageCacheCounts before = PageCacheCountsForTesting();
  Insert(3000, /*commit=*/false);
  PageCacheCounts after = PageCacheCountsForTesting();
  EXPECT_GT(after.truncations, before.truncations);
  EXPECT_EQ(Count(), 1000);
  for (int i = 0; i < 20; ++i) Insert(200);
  EXPECT_EQ(Count(), 5000);
  EXPECT_EQ(IntegrityCheck(), "ok");
  // And what was written is what another connection reads from the file.
  Db other;
  ASSERT_TRUE(other.Open(path_.string(), false));
  auto q = other.Prepare("SELECT count(*), sum(length(v)) FROM t");
  ASSERT_EQ(q.Step(), SQLITE_ROW);
  EXPECT_EQ(q.Int(0), 5000);
  EXPECT_EQ(q.Int(1), 5000 * 300);
}

}  // namespace
}  // namespace tuidang::sqlite
