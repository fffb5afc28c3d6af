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

// A store that blocks its first commit until released, to fill the queue deterministically.
class GateStore : public Store {
 public:
  explicit GateStore(Store* inner) : inner_(inner) {}
  Status CommitBatch(std::vector<Submission>& b, std::vector<Committed>* out,
                     const AuditFor<BatchOutcome>& audit) override {
    entered = true;
    gate_.wait();
    batch_sizes.push_back(b.size());
    return inner_->CommitBatch(b, out, audit);
  }
  Result<std::optional<Statement>> GetPublished(int64_t n) override { return inner_->GetPublished(n); }
  Result<std::vector<Statement>> ListDay(Day d, int64_t b, int64_t o, int l) override {
    return inner_->ListDay(d, b, o, l);
  }
  Result<std::vector<Statement>> SearchName(const std::string& f, std::optional<Day> d,
                                            int l) override {
    return inner_->SearchName(f, d, l);
  }
  Result<std::optional<ReceiptStatus>> FindReceipt(const ReceiptHash& h) override {
    return inner_->FindReceipt(h);
  }
  std::shared_ptr<const Totals> GetTotals() override { return inner_->GetTotals(); }
  Result<Totals> RecountTotals() override { return inner_->RecountTotals(); }
  void Refresh() override { inner_->Refresh(); }
  Status Withdraw(int64_t n, WithdrawalReason r, const AuditFor<int64_t>& audit) override {
    return inner_->Withdraw(n, r, audit);
  }
  Result<std::optional<Opening>> GetOpening(int64_t n) override { return inner_->GetOpening(n); }
  Result<uint64_t> LeafCount() override { return inner_->LeafCount(); }
  Result<std::vector<std::string>> ReadLeaves(uint64_t b, uint64_t e) override {
    return inner_->ReadLeaves(b, e);
  }
  Status SaveCheckpoint(const std::vector<StoredTile>& t, uint64_t size,
                        const std::string& c) override {
    return inner_->SaveCheckpoint(t, size, c);
  }
  Result<std::optional<std::pair<uint64_t, std::string>>> LatestCheckpoint() override {
    return inner_->LatestCheckpoint();
  }
  Result<std::optional<StoredTile>> ReadHashTile(int l, uint64_t i) override {
    return inner_->ReadHashTile(l, i);
  }
  Result<bool> PublishedSizeIn(uint64_t lo, uint64_t hi) override {
    return inner_->PublishedSizeIn(lo, hi);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ReadSealed(int64_t id) override {
    return inner_->ReadSealed(id);
  }
  Result<std::vector<std::pair<int64_t, StatementStatus>>> ListSealed(int limit) override {
    return inner_->ListSealed(limit);
  }
  Result<std::vector<HeldGroup>> ListHeldGroups() override { return inner_->ListHeldGroups(); }
  Result<int64_t> RejectHeldGroup(const std::string& group) override {
    return inner_->RejectHeldGroup(group);
  }

  std::promise<void> open;
  std::shared_future<void> gate_ = open.get_future().share();
  std::vector<size_t> batch_sizes;  // written by the writer thread only
  std::atomic<bool> entered{false};

 private:
  Store* inner_;
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
