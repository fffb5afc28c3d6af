// SqliteStore's console methods (sqlite_moderation.cc).
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <sodium.h>

#include "store/sqlite/sqlite_store.h"
#include "testing/test_store.h"

namespace tuidang {

namespace {

class ModerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::OpenTestStore(dir_);
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
  }
  // Commits one statement; returns its id and the receipt code given.
  std::pair<int64_t, std::string> Commit(std::string name, bool publish, std::string group = {}) {
    std::vector<Submission> batch(1);
    Submission& sub = batch[0];
    sub.statement.persons.push_back({std::move(name), false, kParty});
    sub.statement.text = "退";
    sub.receipt_code = NewReceiptCode();
    sub.publish = publish;
    sub.sealed.emplace_back("contact", "sealed-box-bytes");
    if (!group.empty()) sub.hold_reason = "flood", sub.hold_group = group;
    std::vector<Committed> out;
    EXPECT_TRUE(store_->CommitBatch(batch, &out));
    return {out.at(0).id, batch[0].receipt_code};
  }
  test::TempDir dir_;  // before store_: the store closes first
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace

TEST_F(ModerationTest, PurgeKeepsRejectedRowsForTheirRetentionThenDeletesThem) {
  auto [id, code] = Commit("被拒", false, "g1");
  auto [kept, kept_code] = Commit("仍在审核", false);
  ASSERT_EQ(*store_->Reject({id}), 1);
  EXPECT_EQ(*store_->PurgeRejected(720), 0);
  auto receipt = store_->FindReceipt(HashReceiptCode(code));
  ASSERT_TRUE(receipt && receipt->has_value());
  EXPECT_EQ((*receipt)->status, StatementStatus::kRejected);
  EXPECT_EQ(store_->ReadSealed(id)->size(), 1u);
  EXPECT_EQ(*store_->PurgeRejected(0), 1);
  EXPECT_FALSE(store_->FindReceipt(HashReceiptCode(code))->has_value());
  EXPECT_TRUE(store_->ReadSealed(id)->empty());
  EXPECT_TRUE(store_->ListHeldGroups()->empty());
  // Held and published statements are never purged.
  EXPECT_EQ(*store_->PurgeRejected(0), 0);
  EXPECT_TRUE(store_->FindHeldByReceipt(HashReceiptCode(kept_code))->has_value());
}

TEST_F(ModerationTest, CorrectsOnlyWhatIsStillHeld) {
  auto [id, code] = Commit("原名", false);
  auto held = store_->FindHeldByReceipt(HashReceiptCode(code));
  ASSERT_TRUE(held && held->has_value());
  EXPECT_EQ((*held)->persons.at(0).name, "原名");
  Statement corrected = **held;
  corrected.persons = {{"新名", true, kLeague}, {"家人", false, kPioneers}};
  corrected.text = "改过";
  ASSERT_TRUE(*store_->CorrectHeld(id, corrected));
  held = store_->FindHeldByReceipt(HashReceiptCode(code));
  ASSERT_EQ((*held)->persons.size(), 2u);
  EXPECT_EQ((*held)->persons[0].name, "新名");
  EXPECT_EQ((*held)->text, "改过");
  auto numbers = store_->Approve({id});
  ASSERT_TRUE(numbers);
  ASSERT_EQ(numbers->size(), 1u);
  auto published = store_->GetPublished(numbers->at(0));
  ASSERT_TRUE(published && published->has_value());
  EXPECT_EQ((*published)->persons.size(), 2u);
  EXPECT_EQ(store_->GetTotals()->persons, 2);
  EXPECT_FALSE(*store_->CorrectHeld(id, corrected));
  EXPECT_FALSE(store_->FindHeldByReceipt(HashReceiptCode(code))->has_value());
}

TEST_F(ModerationTest, GroupsAndForgottenSealedFields) {
  auto [a, code_a] = Commit("甲", false, "same-text");
  auto [b, code_b] = Commit("乙", false, "same-text");
  Commit("丙", false, "other");
  auto ids = [&](const std::string& group) {
    std::vector<int64_t> out;
    auto held = store_->HeldInGroup(group);
    if (!held) return out;
    for (const HeldEntry& h : held.value()) out.push_back(h.id);
    return out;
  };
  EXPECT_EQ(ids("same-text"), (std::vector<int64_t>{a, b}));
  // Sealed fields go only once the statement is withdrawn or rejected; the declarant's
  // withdrawal takes them in its own transaction.
  EXPECT_EQ(*store_->ForgetSealed(HashReceiptCode(code_a)), 0);
  EXPECT_EQ(store_->ReadSealed(a)->size(), 1u);
  ASSERT_TRUE(*store_->WithdrawByReceipt(HashReceiptCode(code_a)));
  EXPECT_TRUE(store_->ReadSealed(a)->empty());
  EXPECT_EQ(*store_->ForgetSealed(HashReceiptCode(code_a)), 0);
  EXPECT_EQ(store_->ReadSealed(b)->size(), 1u);
  EXPECT_EQ(ids("same-text"), (std::vector<int64_t>{b}));
}

// A published statement withdrawn by an operator or `tuidang withdraw` (e.g. because its
// declarant is in danger) keeps nothing of its declarant: neither names, text, consent and
// place notes nor the sealed fields.
TEST_F(ModerationTest, WithdrawalForgetsNotesAndSealedFields) {
  std::vector<Submission> batch(1);
  Submission& sub = batch[0];
  sub.statement.persons.push_back({"电话声明人", false, kParty});
  sub.statement.channel = Channel::kPhone;
  sub.statement.consent = "consents to publication under 电话声明人";
  sub.statement.place = "西单";
  sub.receipt_code = NewReceiptCode();
  sub.publish = true;
  sub.sealed.emplace_back("contact", "sealed-box-bytes");
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  int64_t id = out.at(0).id;
  ASSERT_EQ(store_->ReadSealed(id)->size(), 1u);
  ASSERT_TRUE(store_->Withdraw(*out.at(0).number, WithdrawalReason::kDanger));
  EXPECT_TRUE(store_->ReadSealed(id)->empty());
  store_.reset();
  std::string bytes;
  for (const auto& f : std::filesystem::directory_iterator(dir_.path())) {
    std::ifstream in(f.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), {});
  }
  for (std::string_view secret : {"电话声明人", "西单", "sealed-box-bytes"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  }
}

}  // namespace tuidang
