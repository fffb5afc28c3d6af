// The store contract tests' fixture: every test of StoreContract runs on both stores, the
// SQLite one (in a temporary folder) and the PostgreSQL one (in a fresh schema of the
// database TUIDANG_TEST_POSTGRES names, which `scripts/pg-cluster.sh run` sets). Without
// that variable the PostgreSQL cases fail: CI must not pass without PostgreSQL.
#pragma once

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sodium.h>

#include "core/receipt.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace tuidang::test {

// The database of TUIDANG_TEST_POSTGRES, or "" when unset.
inline std::string TestPostgresUrl() {
  const char* url = std::getenv("TUIDANG_TEST_POSTGRES");
  return url ? url : "";
}

// A schema of its own in the test database, dropped at the end: `conninfo()` opens a store
// whose tables live there (search_path), so tests never see each other's rows.
class PostgresSchema {
 public:
  PostgresSchema() {
    static int counter = 0;
    name_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    const std::string base = TestPostgresUrl();
    auto admin = pg::Conn::Connect(base);
    if (!admin) {
      error_ = admin.error();
      return;
    }
    if (Status s = (*admin)->Run("CREATE SCHEMA " + name_); !s) error_ = s.message();
    const bool uri = base.rfind("postgres", 0) == 0;
    conninfo_ = uri ? base + (base.find('?') == std::string::npos ? "?" : "&") +
                          "options=-csearch_path%3D" + name_
                    : base + " options='-csearch_path=" + name_ + "'";
  }
  ~PostgresSchema() {
    auto admin = pg::Conn::Connect(TestPostgresUrl());
    if (admin) IgnoreError((*admin)->Run("DROP SCHEMA " + name_ + " CASCADE"), "clean-up only");
  }
  const std::string& conninfo() const { return conninfo_; }
  const std::string& error() const { return error_; }

 private:
  std::string name_, conninfo_, error_;
};

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  // Also called again by a test for a fresh, empty store.
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    ++generation_;
    if (postgres()) {
      ASSERT_FALSE(TestPostgresUrl().empty())
          << "TUIDANG_TEST_POSTGRES is not set: run under scripts/pg-cluster.sh run";
      schema_ = std::make_unique<PostgresSchema>();
      ASSERT_TRUE(schema_->error().empty()) << schema_->error();
    }
    Reopen();
  }
  void TearDown() override { store_.reset(); }

  bool postgres() const { return GetParam() == "postgres"; }

  // Closes and opens the store again (as a restarted server would).
  void Reopen() {
    store_.reset();
    if (postgres()) {
      auto s = PostgresStore::Open(schema_->conninfo());
      ASSERT_TRUE(s) << s.error();
      if (today_) (*s)->SetTodayForTesting(today_);
      store_ = std::move(*s);
    } else {
      auto s = SqliteStore::Open(SqlitePath());
      ASSERT_TRUE(s) << s.error();
      if (today_) (*s)->SetTodayForTesting(today_);
      store_ = std::move(*s);
    }
  }
  // Dates the commits from now on with `today` (reopens the store).
  void SetToday(std::function<Day()> today) {
    today_ = std::move(today);
    Reopen();
  }
  // A second store on the same database (another server, or another process).
  Result<std::unique_ptr<Store>> OpenAnother() {
    if (postgres()) {
      auto s = PostgresStore::Open(schema_->conninfo());
      if (!s) return Error{s.error()};
      return std::unique_ptr<Store>(std::move(*s));
    }
    auto s = SqliteStore::Open(SqlitePath());
    if (!s) return Error{s.error()};
    return std::unique_ptr<Store>(std::move(*s));
  }

  static Submission Make(std::string name, uint8_t orgs, std::vector<Person> more = {},
                         bool publish = true) {
    Submission sub;
    sub.statement.persons.push_back({std::move(name), false, orgs});
    for (auto& p : more) sub.statement.persons.push_back(p);
    sub.statement.text = "退";
    sub.receipt_code = NewReceiptCode();
    sub.publish = publish;
    return sub;
  }
  // Commits `batch`; fails the test on error.
  std::vector<Committed> Commit(std::vector<Submission> batch) {
    std::vector<Committed> out;
    Status s = store_->CommitBatch(batch, &out);
    EXPECT_TRUE(s) << s.message();
    return out;
  }

  std::string SqlitePath() const { return dir_.File("t" + std::to_string(generation_) + ".db"); }

  TempDir dir_;  // before store_: the store closes first
  int generation_ = 0;
  std::unique_ptr<PostgresSchema> schema_;
  std::function<Day()> today_;
  std::unique_ptr<Store> store_;
};

}  // namespace tuidang::test
