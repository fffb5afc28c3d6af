// SqliteStore's CommitBatch with historic days (Submission::day): the archive's import.
#include <gtest/gtest.h>

#include "core/leaf.h"
#include "core/receipt.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/test_store.h"

namespace tuidang {

namespace {

class HistoricDayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::OpenTestStore(dir_);
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
  }
  static Submission Make(std::string name, uint8_t orgs) {
    Submission sub;
    sub.statement.persons.push_back({std::move(name), false, orgs});
    sub.statement.text = "退";
    sub.receipt_code = NewReceiptCode();
    return sub;
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace

// A historic record is published at once on its own day (an import of the archive), in the
// batch's order: numbers and leaves run on across days, each day's totals, pages and leaves
// get their own statements. A day after today, a web statement and a held one are refused
// whole.
TEST_F(HistoricDayTest, HistoricDaysArePublishedOnTheirDayInTheBatchsOrder) {
  const Day old_a = ParseDay("2004-12-03").value(), old_b = ParseDay("2010-05-01").value();
  std::vector<Submission> batch;
  for (Day d : {old_a, old_a, old_b, Day{0}, old_a}) {
    batch.push_back(Make("古", kParty));
    batch.back().statement.channel = Channel::kSheet;
    batch.back().day = d;
  }
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  const Day today = Today();
  const std::vector<Day> days = {old_a, old_a, old_b, today, old_a};
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].number, static_cast<int64_t>(i + 1));
    EXPECT_EQ(out[i].day, days[i]);
  }
  auto leaves = store_->ReadLeaves(0, 5);
  ASSERT_TRUE(leaves);
  for (size_t i = 0; i < 5; ++i) {
    auto leaf = DecodeLeaf((*leaves)[i]);
    ASSERT_TRUE(leaf && leaf->statement);
    EXPECT_EQ(leaf->statement->day, days[i]) << i;
  }
  auto totals = store_->GetTotals();
  EXPECT_EQ(totals->Of(old_a).statements, 3);
  EXPECT_EQ(totals->Of(old_b).statements, 1);
  EXPECT_EQ(totals->Of(today).statements, 1);
  EXPECT_EQ(totals->tree_size, 5u);
  auto recount = store_->RecountTotals();
  ASSERT_TRUE(recount);
  EXPECT_EQ(recount->Of(old_a).statements, 3);
  auto page = store_->ListDay(old_a, 0, 1, 50);  // by the anchors: ranks 1 and 0
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].number, 2);
  EXPECT_EQ((*page)[1].number, 1);

  for (int bad = 0; bad < 3; ++bad) {
    std::vector<Submission> refused;
    refused.push_back(Make("新", kParty));
    refused.back().statement.channel = bad == 1 ? Channel::kWeb : Channel::kSheet;
    refused.back().day = bad == 0 ? today + 1 : old_a;
    refused.back().publish = bad != 2;
    EXPECT_FALSE(store_->CommitBatch(refused, &out)) << bad;
  }
  EXPECT_EQ(store_->GetTotals()->statements, 5);
}

}  // namespace tuidang
