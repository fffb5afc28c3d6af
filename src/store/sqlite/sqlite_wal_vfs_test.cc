#include "store/sqlite/sqlite_wal_vfs.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_db.h"

namespace tuidang::sqlite {
namespace {

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("tuidang-walvfs-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    Remove();
  }
  void TearDown() override { Remove(); }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  static void Create(Db& db) {
    ASSERT_TRUE(db.Exec("CREATE TABLE IF NOT EXISTS t(k BLOB PRIMARY KEY, v TEXT) WITHOUT ROWID"));
  }
  // `n` rows of random keys in one transaction.
  static void Insert(Db& db, int n) {
    ASSERT_TRUE(db.Exec("BEGIN IMMEDIATE"));
    auto ins = db.Prepare("INSERT INTO t VALUES(randomblob(16), printf('%.300c', 'x'))");
    for (int i = 0; i < n; ++i) {
      ins.Reset();
      ASSERT_EQ(ins.Step(), SQLITE_DONE) << db.LastError();
    }
    ASSERT_TRUE(db.Exec("COMMIT")) << db.LastError();
  }
  static std::pair<int64_t, int64_t> CountAndBytes(Db& db) {
    auto q = db.Prepare("SELECT count(*), coalesce(sum(length(v)), 0) FROM t");
    EXPECT_EQ(q.Step(), SQLITE_ROW);
    return {q.Int(0), q.Int(1)};
  }
  static std::string IntegrityCheck(Db& db) {
    auto q = db.Prepare("PRAGMA integrity_check");
    EXPECT_EQ(q.Step(), SQLITE_ROW);
    return std::string(q.Text(0));
  }

  std::string path_;
};

// What the layer is for: a commit's frames reach the file in a few writes, not two a frame.
TEST_F(WalVfsTest, ACommitIsAFewWrites) {
  Db db;
  ASSERT_TRUE(db.Open(path_, true));
  ASSERT_TRUE(InstallWalWriteCombining());  // installed by Db::Open already: still true
  Create(db);
  Insert(db, 2000);
  WalWriteCounts before = WalWriteCountsForTesting();
  for (int i = 0; i < 20; ++i) Insert(db, 100);
  WalWriteCounts after = WalWriteCountsForTesting();
  uint64_t asked = after.asked - before.asked, made = after.made - before.made;
  EXPECT_GE(asked, 20u * 2 * 50);  // two writes a frame, dozens of frames a commit
  EXPECT_LE(made, 20u * 8);
  EXPECT_EQ(CountAndBytes(db).first, 4000);
}

// Everything committed is in the file for other connections: another connection reads every
// row, including rows of a transaction too large for the cache (its pages spilled into the
// WAL before the commit, and read back from it).
TEST_F(WalVfsTest, OtherConnectionsReadEverythingCommitted) {
  Db db;
  ASSERT_TRUE(db.Open(path_, true));
  ASSERT_TRUE(db.Exec("PRAGMA cache_size=50"));
  Create(db);
  Insert(db, 30000);  // about 10 MB: more than the 4 MiB held back, and than the cache
  for (int i = 0; i < 10; ++i) Insert(db, 50);
  EXPECT_EQ(IntegrityCheck(db), "ok");
  Db other;
  ASSERT_TRUE(other.Open(path_, false));
  EXPECT_EQ(CountAndBytes(other), (std::pair<int64_t, int64_t>{30500, 30500 * 300}));
  EXPECT_EQ(IntegrityCheck(other), "ok");
}

// Nothing committed is lost when the process dies without closing anything (kill -9): a
// child commits and is killed; the parent then opens the database and finds every row.
TEST_F(WalVfsTest, CommittedRowsSurviveTheProcessBeingKilled) {
  {
    Db db;
    ASSERT_TRUE(db.Open(path_, true));
    Create(db);
  }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Db db;
    if (!db.Open(path_, false)) _exit(2);
    // No checkpoint (it would read the WAL, writing what was held back): the rows are in
    // the WAL only, as they are between a surge's checkpoints.
    if (!db.Exec("PRAGMA wal_autocheckpoint=0")) _exit(2);
    for (int i = 0; i < 30; ++i) {
      if (!db.Exec("BEGIN IMMEDIATE")) _exit(3);
      for (int j = 0; j < 100; ++j) {
        if (!db.Exec("INSERT INTO t VALUES(randomblob(16), printf('%.300c', 'x'))")) _exit(4);
      }
      if (!db.Exec("COMMIT")) _exit(5);
    }
    // Half a transaction more, never committed, then killed with everything open.
    IgnoreError(db.Exec("BEGIN IMMEDIATE"), "killed next");
    for (int j = 0; j < 100; ++j) {
      IgnoreError(db.Exec("INSERT INTO t VALUES(randomblob(16), 'uncommitted')"), "killed next");
    }
    kill(getpid(), SIGKILL);
    _exit(6);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  Db db;
  ASSERT_TRUE(db.Open(path_, false));
  EXPECT_EQ(CountAndBytes(db), (std::pair<int64_t, int64_t>{3000, 3000 * 300}));
  EXPECT_EQ(IntegrityCheck(db), "ok");
}

}  // namespace
}  // namespace tuidang::sqlite
