// sqlite::Transaction: rolled back unless committed, never rolling back what it did not
// begin, and a failed COMMIT leaves nothing behind.
#include "store/sqlite/sqlite_transaction.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace tuidang::sqlite {

namespace {

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tuidang-transaction-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(db_.Open(path(), true));
    ASSERT_TRUE(db_.Exec(
        "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
        "CREATE TABLE child(p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "t.db").string(); }
  int64_t Count(Db& db, std::string_view table) {
    auto q = db.Prepare("SELECT COUNT(*) FROM " + std::string(table));
    EXPECT_EQ(q.Step(), SQLITE_ROW) << db.LastError();
    return q.Int(0);
  }
  bool InTransaction() { return sqlite3_get_autocommit(db_.raw()) == 0; }

  std::filesystem::path dir_;
  Db db_;
};

}  // namespace

TEST_F(TransactionTest, RolledBackUnlessCommitted) {
  {
    Transaction tx(db_);
    ASSERT_TRUE(tx.Begin());
    ASSERT_TRUE(db_.Exec("INSERT INTO parent VALUES(1)"));
    EXPECT_TRUE(InTransaction());
  }  // an early return: nothing stays
  EXPECT_FALSE(InTransaction());
  EXPECT_EQ(Count(db_, "parent"), 0);
  {
    Transaction tx(db_);
    ASSERT_TRUE(tx.Begin());
    ASSERT_TRUE(db_.Exec("INSERT INTO parent VALUES(2)"));
    ASSERT_TRUE(tx.Commit());
  }
  EXPECT_FALSE(InTransaction());
  Db other;
  ASSERT_TRUE(other.Open(path(), false));
  EXPECT_EQ(Count(other, "parent"), 1) << "committed, seen by another connection";
}

TEST_F(TransactionTest, AFailedBeginRollsBackNothing) {
  Transaction outer(db_);
  ASSERT_TRUE(outer.Begin());
  ASSERT_TRUE(db_.Exec("INSERT INTO parent VALUES(1)"));
  {
    Transaction inner(db_);
    EXPECT_FALSE(inner.Begin()) << "no nested transactions";
  }  // inner never began: the outer one is untouched
  EXPECT_TRUE(InTransaction());
  ASSERT_TRUE(outer.Commit());
  EXPECT_EQ(Count(db_, "parent"), 1);

  // Another connection holding the write lock: BEGIN IMMEDIATE fails (busy) at once.
  Db other;
  ASSERT_TRUE(other.Open(path(), false));
  sqlite3_busy_timeout(other.raw(), 0);
  Transaction holder(db_);
  ASSERT_TRUE(holder.Begin());
  {
    Transaction busy(other);
    EXPECT_FALSE(busy.Begin());
  }
  EXPECT_TRUE(InTransaction()) << "the holder's transaction is not the other's to end";
}

TEST_F(TransactionTest, AFailedCommitLeavesNothing) {
  {
    Transaction tx(db_);
    ASSERT_TRUE(tx.Begin());
    ASSERT_TRUE(db_.Exec("INSERT INTO child VALUES(7)"));  // no parent 7: fails at COMMIT
    Status s = tx.Commit();
    EXPECT_FALSE(s);
    EXPECT_NE(s.message().find("FOREIGN KEY"), std::string::npos) << s.message();
    EXPECT_TRUE(InTransaction()) << "SQLite keeps it open after a deferred constraint";
  }
  EXPECT_FALSE(InTransaction()) << "rolled back when the transaction went";
  EXPECT_EQ(Count(db_, "child"), 0);
  Transaction next(db_);
  EXPECT_TRUE(next.Begin()) << "the connection is usable again";
}

TEST_F(TransactionTest, AReadTransactionIsOneSnapshot) {
  Db other;
  ASSERT_TRUE(other.Open(path(), false));
  Transaction read(db_);
  ASSERT_TRUE(read.BeginRead());
  EXPECT_EQ(Count(db_, "parent"), 0);
  ASSERT_TRUE(other.Exec("INSERT INTO parent VALUES(1)")) << "a read takes no write lock";
  EXPECT_EQ(Count(db_, "parent"), 0) << "the snapshot of the first read";
  ASSERT_TRUE(read.Commit());
  EXPECT_EQ(Count(db_, "parent"), 1);
}

}  // namespace tuidang::sqlite
