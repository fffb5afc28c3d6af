#include "intake/sequencer.h"

#include <atomic>
#include <filesystem>
#include <future>
#include <set>

#include <gtest/gtest.h>
#include <sodium.h>

#include "store/sqlite/sqlite_store.h"

namespace tuidang {

namespace {

// A batch writer that blocks its first commit until released, to fill the queue
// deterministically.
class GateStore : public BatchWriter {
 public:
  explicit GateStore(BatchWriter* inner) : inner_(inner) {}
  Status CommitBatch(std::vector<Submission>& b, std::vector<Committed>* out) override {
    entered = true;
    gate_.wait();
    batch_sizes.push_back(b.size());
    return inner_->CommitBatch(b, out);
  }
  Status Withdraw(int64_t n, WithdrawalReason r) override { return inner_->Withdraw(n, r); }

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

}  // namespace tuidang
