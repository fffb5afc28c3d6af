#include "intake/sequencer.h"

#include <atomic>
#include <filesystem>
#include <future>
#include <set>

#include <gtest/gtest.h>
#include <sodium.h>

#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"

namespace tuidang {

namespace {

// A batch writer that blocks its first commit until released, to fill the queue
// deterministically.
class GateStore : public BatchWriter {
 public:
  explicit GateStore(BatchWriter* inner) : inner_(inner) {}
  Status CommitBatch(std::vector<Submission>& b, std::vector<Committed>* out,
                     const AuditFor<BatchOutcome>& audit) override {
    entered = true;
    gate_.wait();
    batch_sizes.push_back(b.size());
    return inner_->CommitBatch(b, out, audit);
  }
  Status Withdraw(int64_t n, WithdrawalReason r, const AuditFor<int64_t>& audit) override {
    return inner_->Withdraw(n, r, audit);
  }

  std::promise<void> open;
  std::shared_future<void> gate_ = open.get_future().share();
  std::vector<size_t> batch_sizes;  // written by the writer thread only
  std::atomic<bool> entered{false};

 private:
  BatchWriter* inner_;
};

Submission Make(int i) {
  Submission s;
  s.statement.persons.push_back({"p" + std::to_string(i), false, kParty});
  s.receipt_code = NewReceiptCode();
  return s;
}

}  // namespace

TEST(Sequencer, GroupsQueuedSubmissionsAndRefusesWhenFull) {
  ASSERT_GE(sodium_init(), 0);
  auto dir = std::filesystem::temp_directory_path() / ("tuidang-seq-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto inner = SqliteStore::Open((dir / "t.db").string());
  ASSERT_TRUE(inner);
  GateStore gate(inner->get());
  std::atomic<int> ok{0};
  std::set<int64_t> numbers;
  std::mutex mu;
  {
    Sequencer seq(&gate, /*queue_limit=*/100, /*max_batch=*/1000);
    auto done = [&](const Status& st, const Submission&, const Committed& c) {
      ASSERT_TRUE(st) << st.message();
      std::lock_guard l(mu);
      numbers.insert(*c.number);
      ok++;
    };
    // The first submission is taken by the writer, which then blocks in the gate.
    ASSERT_TRUE(seq.Submit(Make(0), done));
    for (int spin = 0; spin < 10000 && !gate.entered; ++spin) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(gate.entered);
    for (int i = 1; i <= 100; ++i) ASSERT_TRUE(seq.Submit(Make(i), done)) << i;
    EXPECT_FALSE(seq.Submit(Make(101), done)) << "queue over its limit must refuse";
    gate.open.set_value();
  }  // the destructor commits what is queued
  EXPECT_EQ(ok.load(), 101);
  EXPECT_EQ(numbers.size(), 101u);
  EXPECT_EQ(*numbers.rbegin(), 101);
  ASSERT_EQ(gate.batch_sizes.size(), 2u);
  EXPECT_EQ(gate.batch_sizes[0], 1u);
  EXPECT_EQ(gate.batch_sizes[1], 100u);
  std::filesystem::remove_all(dir);
}

namespace {

// A fresh SQLite store in a folder of its own, removed afterwards.
class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    dir_ = std::filesystem::temp_directory_path() /
           ("tuidang-writer-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = SqliteStore::Open(path());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string path() const { return (dir_ / "t.db").string(); }
  // Commits one statement (held unless `publish`) and returns its id and receipt code.
  std::pair<int64_t, std::string> Commit(bool publish) {
    std::vector<Submission> batch{Make(1)};
    batch[0].publish = publish;
    std::vector<Committed> out;
    EXPECT_TRUE(store_->CommitBatch(batch, &out));
    return {out.at(0).id, batch[0].receipt_code};
  }
  StatementStatus StatusOf(const std::string& code) {
    auto r = store_->FindReceipt(HashReceiptCode(code));
    EXPECT_TRUE(r && r->has_value());
    return r && r->has_value() ? (*r)->status : StatementStatus::kRejected;
  }
  // Makes every write to the audit trail fail, as a full disk or a damaged table would.
  void BreakAuditTrail() {
    sqlite::Db db;
    ASSERT_TRUE(db.Open(path(), false));
    ASSERT_TRUE(
        db.Exec("CREATE TRIGGER audit_broken BEFORE INSERT ON audit_trail "
                "BEGIN SELECT RAISE(ABORT, 'audit trail unavailable'); END"));
  }
  Sequencer::Stores Stores() { return {store_.get(), store_.get(), store_.get()}; }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

std::vector<AuditEntry> Entry(std::string action, std::string object) {
  return {AuditEntry{0, 5, "", std::move(action), std::move(object)}};
}

}  // namespace

TEST_F(WriterTest, AWithdrawalQueuedAfterASubmissionIsWrittenAfterIt) {
  Sequencer seq(Stores(), 8, 8);
  Submission sub = Make(1);
  std::string code = sub.receipt_code;
  // Neither waits for the other: the queue orders them.
  ASSERT_TRUE(seq.Submit(std::move(sub), [](const Status& s, const Submission&, const Committed&) {
    EXPECT_TRUE(s) << s.message();
  }));
  Status withdrawn = AwaitWrite<Status>(
      [&](Sequencer::Then<Status> then) {
        return seq.Withdraw(1, WithdrawalReason::kDanger, {}, std::move(then));
      },
      Status::Fail("refused"));
  ASSERT_TRUE(withdrawn) << withdrawn.message();
  EXPECT_EQ(StatusOf(code), StatementStatus::kWithdrawn);
  EXPECT_EQ(store_->GetTotals()->statements, 0);
}

TEST_F(WriterTest, ModerationRunsOnTheWriterWithItsAuditEntries) {
  const auto held_commit = Commit(false);
  const int64_t held = held_commit.first;
  const std::string held_code = held_commit.second;
  const auto other_commit = Commit(false);
  const int64_t other = other_commit.first;
  const std::string other_code = other_commit.second;
  Sequencer seq(Stores(), 8, 8);
  auto numbers = AwaitWrite<Result<std::vector<int64_t>>>(
      [&](auto then) {
        return seq.Approve(
            {held},
            [](const std::vector<int64_t>& n) {
              return Entry("approved", "statement " + std::to_string(n.at(0)));
            },
            std::move(then));
      },
      Error{"refused"});
  ASSERT_TRUE(numbers) << numbers.error();
  ASSERT_EQ(numbers->size(), 1u);
  auto rejected = AwaitWrite<Result<int64_t>>(
      [&, other = other](auto then) {
        return seq.Reject(
            {other},
            [other](int64_t) {
              return Entry("rejected", "held statement " + std::to_string(other));
            },
            std::move(then));
      },
      Error{"refused"});
  ASSERT_TRUE(rejected);
  EXPECT_EQ(*rejected, 1);
  EXPECT_EQ(StatusOf(held_code), StatementStatus::kPublished);
  EXPECT_EQ(StatusOf(other_code), StatementStatus::kRejected);
  auto trail = store_->AuditTrail(10);
  ASSERT_TRUE(trail);
  ASSERT_EQ(trail->size(), 2u);  // newest first
  EXPECT_EQ((*trail)[0].action, "rejected");
  EXPECT_EQ((*trail)[1].object, "statement " + std::to_string(numbers->at(0)));
  auto purged = AwaitWrite<Result<int64_t>>(
      [&](auto then) { return seq.PurgeRejected(0, std::move(then)); }, Error{"refused"});
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
}

TEST_F(WriterTest, AnActionWhoseAuditEntryCannotBeWrittenDoesNotHappen) {
  const auto held_commit = Commit(false);
  const int64_t held = held_commit.first;
  const std::string held_code = held_commit.second;
  const std::string published_code = Commit(true).second;
  Operator alice;
  alice.name = "alice";
  auto alice_id = store_->AddOperator(alice);
  ASSERT_TRUE(alice_id);
  alice.id = *alice_id;
  BreakAuditTrail();
  const int64_t leaves = static_cast<int64_t>(*store_->LeafCount());
  {
    Sequencer seq(Stores(), 8, 8);
    auto approved = AwaitWrite<Result<std::vector<int64_t>>>(
        [&, held = held](auto then) {
          return seq.Approve(
              {held}, [](const std::vector<int64_t>&) { return Entry("approved", "statement"); },
              std::move(then));
        },
        Error{"refused"});
    EXPECT_FALSE(approved);
    auto rejected = AwaitWrite<Result<int64_t>>(
        [&, held = held](auto then) {
          return seq.Reject(
              {held}, [](int64_t) { return Entry("rejected", "held"); }, std::move(then));
        },
        Error{"refused"});
    EXPECT_FALSE(rejected);
    Status withdrawn = AwaitWrite<Status>(
        [&](Sequencer::Then<Status> then) {
          return seq.Withdraw(
              1, WithdrawalReason::kFake,
              [](int64_t n) { return Entry("withdrew", std::to_string(n)); }, std::move(then));
        },
        Status::Fail("refused"));
    EXPECT_FALSE(withdrawn);
    std::promise<Status> entered;
    ASSERT_TRUE(seq.Submit(
        Make(2),
        [&](const Status& s, const Submission&, const Committed&) { entered.set_value(s); },
        [](const BatchOutcome&) { return Entry("entered", "statement"); }));
    EXPECT_FALSE(entered.get_future().get());
  }
  // Nothing of the four happened: the held one is still held, the published one still
  // published and counted, no statement was added, and no leaf appended.
  EXPECT_EQ(StatusOf(held_code), StatementStatus::kHeld);
  EXPECT_EQ(StatusOf(published_code), StatementStatus::kPublished);
  EXPECT_EQ(store_->GetTotals()->statements, 1);
  EXPECT_EQ(store_->RecountTotals()->statements, 1);
  EXPECT_EQ(static_cast<int64_t>(*store_->LeafCount()), leaves);
  // Nor do an operator's account changes.
  Operator bob;
  bob.name = "bob";
  EXPECT_FALSE(store_->AddOperatorAudited(bob, Entry("added operator", "bob")[0]));
  EXPECT_FALSE(store_->FindOperator("bob")->has_value());
  alice.disabled = true;
  EXPECT_FALSE(store_->UpdateOperatorAudited(alice, Entry("disabled operator", "alice")[0]));
  EXPECT_FALSE((*store_->FindOperator("alice"))->disabled);
}

TEST_F(WriterTest, AGroupRejectedAfterItsSubmissionsIsRejectedWhole) {
  Sequencer seq(Stores(), 8, 8);
  std::vector<std::string> codes;
  for (int i = 0; i < 3; ++i) {
    Submission sub = Make(1);
    sub.publish = false;
    sub.hold_reason = "flood";
    sub.hold_group = "g1";
    codes.push_back(sub.receipt_code);
    // Not waited for: the rejection queued after them must still find all three held.
    ASSERT_TRUE(seq.Submit(std::move(sub), [](const Status& s, const Submission&,
                                              const Committed&) { EXPECT_TRUE(s); }));
  }
  auto rejected = AwaitWrite<Result<int64_t>>(
      [&](auto then) { return seq.RejectHeldGroup("g1", std::move(then)); }, Error{"refused"});
  ASSERT_TRUE(rejected) << rejected.error();
  EXPECT_EQ(*rejected, 3);
  for (const auto& code : codes) EXPECT_EQ(StatusOf(code), StatementStatus::kRejected);
  Sequencer batches_only(store_.get(), 8, 8);
  EXPECT_FALSE(batches_only.RejectHeldGroup("g1", [](Result<int64_t>) { FAIL(); }));
}

TEST_F(WriterTest, WritesNeedingAStoreItWasNotGivenAreRefused) {
  Sequencer seq(store_.get(), 8, 8);
  EXPECT_FALSE(seq.Approve({1}, {}, [](Result<std::vector<int64_t>>) { FAIL(); }));
  EXPECT_FALSE(seq.PublishAccepted({1}, [](Result<std::vector<int64_t>>) { FAIL(); }));
}

}  // namespace tuidang
