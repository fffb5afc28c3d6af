#include "intake/publisher.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <numeric>

#include <gtest/gtest.h>
#include <sodium.h>

#include "store/sqlite/sqlite_store.h"
#include "testing/test_store.h"

namespace tuidang {
namespace {

using std::chrono::milliseconds;

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::OpenTestStore(dir_);
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
    store_->SetTodayForTesting([this] { return today_; });
  }
  // Commits `n` batched web statements; returns their receipt codes in arrival order.
  std::vector<std::string> Accept(int n, uint8_t orgs = kParty) {
    std::vector<Submission> batch;
    for (int i = 0; i < n; ++i) {
      Submission sub;
      sub.statement.persons.push_back({"王" + std::to_string(i), false, orgs});
      sub.statement.text = "退";
      sub.receipt_code = NewReceiptCode();
      sub.publish = true;
      sub.batched = true;
      batch.push_back(std::move(sub));
    }
    std::vector<Committed> out;
    EXPECT_TRUE(store_->CommitBatch(batch, &out));
    std::vector<std::string> codes;
    for (size_t i = 0; i < batch.size(); ++i) {
      EXPECT_EQ(out[i].status, StatementStatus::kAccepted);
      EXPECT_FALSE(out[i].number);
      codes.push_back(batch[i].receipt_code);
    }
    return codes;
  }
  ReceiptStatus Status(const std::string& code) {
    auto r = store_->FindReceipt(HashReceiptCode(code));
    EXPECT_TRUE(r && r->has_value());
    return **r;
  }

  Day today_ = 20000;
  test::TempDir dir_;  // before store_: the store closes first
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(PublisherTest, AcceptedStatementsAreNeitherPublicNorCounted) {
  auto codes = Accept(3);
  EXPECT_EQ(Status(codes[0]).status, StatementStatus::kAccepted);
  EXPECT_FALSE(Status(codes[0]).number);
  EXPECT_EQ(store_->GetTotals()->statements, 0);
  EXPECT_EQ(*store_->LeafCount(), 0u);
  auto listed = store_->ListDay(today_, 0, 0, 100);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
}

TEST_F(PublisherTest, BatchNumbersInTheShuffledOrderDatedOnThePublicationDay) {
  auto codes = Accept(5, kParty | kLeague);
  today_ = 20001;  // accepted yesterday, published today
  // A "random" source that always draws 0: Fisher-Yates then rotates the list by one.
  Publisher publisher(store_.get(), PublisherOptions{}, [](uint32_t) { return 0u; });
  auto n = publisher.PublishBatch();
  ASSERT_TRUE(n) << n.error();
  EXPECT_EQ(*n, 5);
  std::vector<int64_t> numbers;
  for (const auto& c : codes) {
    ReceiptStatus r = Status(c);
    EXPECT_EQ(r.status, StatementStatus::kPublished);
    EXPECT_EQ(r.day, 20001);
    ASSERT_TRUE(r.number);
    numbers.push_back(*r.number);
  }
  // Swapping element i with 0 for i = 4..1 turns [a b c d e] into [b c d e a]: the first
  // to arrive is published last.
  EXPECT_EQ(numbers, (std::vector<int64_t>{5, 1, 2, 3, 4}));
  auto totals = store_->GetTotals();
  EXPECT_EQ(totals->statements, 5);
  EXPECT_EQ(totals->persons, 5);
  EXPECT_EQ(totals->league, 5);
  EXPECT_EQ(totals->Of(20001).statements, 5);
  EXPECT_EQ(totals->Of(20000).statements, 0);
  EXPECT_EQ(*store_->LeafCount(), 5u);
  auto again = publisher.PublishBatch();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);  // nothing left accepted
}

TEST_F(PublisherTest, ThroughTheWriterTheBatchIsOrderedWithTheIntake) {
  auto codes = Accept(3);
  Sequencer writer({store_.get(), store_.get(), store_.get()}, 8, 8);
  // A web statement queued just before the batch is written before it (it is accepted, and
  // the batch it misses is the next one); the batch publishes the three accepted before.
  Submission late;
  late.statement.persons.push_back({"李", false, kParty});
  late.receipt_code = NewReceiptCode();
  late.batched = true;
  std::promise<void> stored;
  ASSERT_TRUE(writer.Submit(std::move(late),
                            [&](const tuidang::Status& s, const Submission&, const Committed&) {
                              EXPECT_TRUE(s);
                              stored.set_value();
                            }));
  Publisher publisher(
      store_.get(), PublisherOptions{}, [](uint32_t) { return 0u; }, &writer);
  auto n = publisher.PublishBatch();
  ASSERT_TRUE(n) << n.error();
  stored.get_future().wait();
  // ListAccepted ran before the queued statement was written, or after: 3 or 4, never a
  // number given twice.
  EXPECT_GE(*n, 3);
  for (const auto& c : codes) EXPECT_EQ(Status(c).status, StatementStatus::kPublished);
  EXPECT_EQ(store_->GetTotals()->statements, *n);
  EXPECT_EQ(*store_->LeafCount(), static_cast<uint64_t>(*n));
}

TEST_F(PublisherTest, RealShuffleDoesNotKeepArrivalOrder) {
  auto codes = Accept(30);
  Publisher publisher(store_.get(), PublisherOptions{});
  ASSERT_EQ(*publisher.PublishBatch(), 30);
  std::vector<int64_t> numbers;
  for (const auto& c : codes) numbers.push_back(*Status(c).number);
  std::vector<int64_t> sorted = numbers;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(30);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(sorted, expected);  // consecutive, each once
  // In arrival order with probability 1/30!.
  EXPECT_FALSE(std::is_sorted(numbers.begin(), numbers.end()));
}

TEST_F(PublisherTest, SmallBatchWaitsForMoreOrForMaxWait) {
  PublisherOptions o;
  o.min_batch = 10;
  o.max_wait = milliseconds(3000);
  Publisher publisher(store_.get(), o);
  EXPECT_EQ(*publisher.Tick(milliseconds(1000)), 0);  // nothing accepted
  Accept(4);
  EXPECT_EQ(*publisher.Tick(milliseconds(1000)), 0);  // 4 < 10: waits (1 s)
  EXPECT_EQ(*publisher.Tick(milliseconds(1000)), 0);  // 2 s
  Accept(6);
  EXPECT_EQ(*publisher.Tick(milliseconds(1000)), 10);  // 10 now
  Accept(2);
  EXPECT_EQ(*publisher.Tick(milliseconds(1500)), 0);
  EXPECT_EQ(*publisher.Tick(milliseconds(1500)), 0);
  EXPECT_EQ(*publisher.Tick(milliseconds(1500)), 2);  // waited 3 s: published however few
  EXPECT_EQ(store_->GetTotals()->statements, 12);
}

TEST_F(PublisherTest, PublishAcceptedSkipsWhatIsNoLongerAccepted) {
  auto codes = Accept(2);
  std::vector<Submission> held(1);
  held[0].statement.persons.push_back({"held", false, kParty});
  held[0].receipt_code = NewReceiptCode();
  held[0].publish = false;
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(held, &out));
  auto ids = store_->ListAccepted(100);
  ASSERT_TRUE(ids);
  ASSERT_EQ(ids->size(), 2u);
  std::vector<int64_t> with_held = *ids;
  with_held.push_back(out[0].id);
  auto numbers = store_->PublishAccepted(with_held);
  ASSERT_TRUE(numbers);
  EXPECT_EQ(numbers->size(), 2u);
  EXPECT_EQ(Status(held[0].receipt_code).status, StatementStatus::kHeld);
  EXPECT_EQ(store_->GetTotals()->statements, 2);
}

TEST_F(PublisherTest, IntervalsAreDrawnAroundTheSetting) {
  PublisherOptions o;
  o.interval = milliseconds(1000);
  Publisher low(store_.get(), o, [](uint32_t) { return 0u; });
  EXPECT_EQ(low.NextInterval(), milliseconds(500));
  Publisher high(store_.get(), o, [](uint32_t bound) { return bound - 1; });
  EXPECT_EQ(high.NextInterval(), milliseconds(1500));
  Publisher real(store_.get(), o);
  for (int i = 0; i < 100; ++i) {
    auto t = real.NextInterval();
    EXPECT_GE(t, milliseconds(500));
    EXPECT_LE(t, milliseconds(1500));
  }
}

TEST_F(PublisherTest, BackgroundThreadPublishes) {
  auto codes = Accept(3);
  PublisherOptions o;
  o.interval = milliseconds(20);
  o.min_batch = 1;
  {
    Publisher publisher(store_.get(), o);
    publisher.StartBackground();
    for (int i = 0; i < 500 && Status(codes[2]).status != StatementStatus::kPublished; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  EXPECT_EQ(Status(codes[2]).status, StatementStatus::kPublished);
}

}  // namespace
}  // namespace tuidang
