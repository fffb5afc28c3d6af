#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <sodium.h>

namespace tuidang {

namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    dir_ = std::filesystem::temp_directory_path() /
           ("tuidang-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = SqliteStore::Open((dir_ / "t.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
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

  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace

TEST_F(SqliteStoreTest, CommitAssignsConsecutiveNumbersAndCounts) {
  std::vector<Submission> batch;
  batch.push_back(Make("王小明", kParty | kLeague));
  batch.push_back(Make("萬順", kLeague, {{"李华", true, kPioneers}}));
  batch.push_back(Make("held", kParty, {}, false));
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].number, 1);
  EXPECT_EQ(out[1].number, 2);
  EXPECT_FALSE(out[2].number);
  EXPECT_EQ(out[2].status, StatementStatus::kHeld);

  Totals t = *store_->GetTotals();
  EXPECT_EQ(t.statements, 2);
  EXPECT_EQ(t.persons, 3);
  EXPECT_EQ(t.party, 1);
  EXPECT_EQ(t.league, 2);
  EXPECT_EQ(t.pioneers, 1);
  EXPECT_EQ(t.Of(Today()).persons, 3);

  auto recount = store_->RecountTotals();
  ASSERT_TRUE(recount);
  EXPECT_EQ(recount->persons, t.persons);
  EXPECT_EQ(recount->statements, t.statements);
  EXPECT_EQ(recount->league, t.league);
}

TEST_F(SqliteStoreTest, ReadsBackAfterReopen) {
  std::vector<Submission> batch;
  batch.push_back(Make("萬順", kLeague, {{"李华", true, kPioneers}}));
  std::string code = batch[0].receipt_code;
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  Reopen();

  auto s = store_->GetPublished(1);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->has_value());
  ASSERT_EQ((*s)->persons.size(), 2u);
  EXPECT_EQ((*s)->persons[0].name, "萬順");
  EXPECT_TRUE((*s)->persons[1].real_name);
  EXPECT_EQ((*s)->text, "退");
  EXPECT_EQ(store_->GetTotals()->persons, 2);

  auto found = store_->SearchName("万顺", std::nullopt, 10);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].number, 1);
  EXPECT_EQ(store_->SearchName("万顺", Today() - 1, 10)->size(), 0u);

  auto r = store_->FindReceipt(HashReceiptCode(code));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->number, 1);
  EXPECT_FALSE(store_->FindReceipt(HashReceiptCode("0000000000000000"))->has_value());
  EXPECT_FALSE(store_->GetPublished(2)->has_value());

  std::vector<Submission> second;
  second.push_back(Make("next", kParty));
  ASSERT_TRUE(store_->CommitBatch(second, &out));
  EXPECT_EQ(out[0].number, 2);
}

TEST_F(SqliteStoreTest, ListDayNewestFirstWithCursor) {
  std::vector<Submission> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(Make("n" + std::to_string(i), kParty));
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  auto page = store_->ListDay(Today(), 0, 0, 4);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 4u);
  EXPECT_EQ((*page)[0].number, 10);
  auto next = store_->ListDay(Today(), *(*page)[3].number, 0, 4);
  EXPECT_EQ((*next)[0].number, 6);
  auto offset = store_->ListDay(Today(), 0, 8, 4);
  EXPECT_EQ(offset->size(), 2u);
}

TEST_F(SqliteStoreTest, ReceiptCollisionDrawsANewCode) {
  std::vector<Submission> batch;
  batch.push_back(Make("a", kParty));
  std::string code = batch[0].receipt_code;
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  std::vector<Submission> again;
  again.push_back(Make("b", kParty));
  again[0].receipt_code = code;
  ASSERT_TRUE(store_->CommitBatch(again, &out));
  EXPECT_NE(again[0].receipt_code, code);
  EXPECT_EQ((*store_->FindReceipt(HashReceiptCode(again[0].receipt_code)))->number, 2);
}

// Totals by category are kept incrementally, per batch and day, and equal a recount from the
// statements after publications on several days, withdrawals and a reopening.
TEST_F(SqliteStoreTest, CategoryTotalsEqualRecount) {
  Day day = Today() - 3;
  store_->SetTodayForTesting([&day] { return day; });
  auto expect_recount = [&](const char* when) {
    auto recount = store_->RecountTotals();
    ASSERT_TRUE(recount) << recount.error();
    auto t = store_->GetTotals();
    EXPECT_EQ(t->statements, recount->statements) << when;
    EXPECT_EQ(t->persons, recount->persons) << when;
    EXPECT_EQ(t->party, recount->party) << when;
    EXPECT_EQ(t->by_channel, recount->by_channel) << when;
    EXPECT_EQ(t->by_region, recount->by_region) << when;
    EXPECT_EQ(t->by_occupation, recount->by_occupation) << when;
    ASSERT_EQ(t->by_day.size(), recount->by_day.size()) << when;
    for (size_t i = 0; i < t->by_day.size(); ++i) {
      EXPECT_EQ(t->by_day[i].day, recount->by_day[i].day) << when;
      EXPECT_EQ(t->by_day[i].persons, recount->by_day[i].persons) << when;
      EXPECT_EQ(t->by_day[i].statements, recount->by_day[i].statements) << when;
    }
  };
  std::vector<Committed> out;
  for (int round = 0; round < 3; ++round, ++day) {
    std::vector<Submission> batch;
    for (int i = 0; i < 20; ++i) {
      std::vector<Person> more;
      for (int k = 0; k < i % 3; ++k) more.push_back({"p", false, kLeague});
      batch.push_back(Make("n", kParty, more, i % 7 != 0));
      batch.back().statement.region = static_cast<Region>(i % 5);
      batch.back().statement.occupation = static_cast<Occupation>(i % 4);
    }
    ASSERT_TRUE(store_->CommitBatch(batch, &out));
  }
  EXPECT_EQ(store_->GetTotals()->by_day.size(), 3u);
  EXPECT_EQ(store_->GetTotals()->by_channel.at(static_cast<int>(Channel::kWeb)).statements,
            store_->GetTotals()->statements);
  expect_recount("after publishing");
  ASSERT_TRUE(store_->Withdraw(2, WithdrawalReason::kFake));
  ASSERT_TRUE(store_->Withdraw(30, WithdrawalReason::kDanger));
  expect_recount("after withdrawals");
  Reopen();
  expect_recount("after reopening");
  // A database whose categories table is empty (made before it existed) is counted at open.
  {
    auto db = sqlite::Db();
    ASSERT_TRUE(db.Open((dir_ / "t.db").string(), true));
    ASSERT_TRUE(db.Exec("DELETE FROM categories"));
  }
  Reopen();
  expect_recount("after migration");
}

}  // namespace tuidang

namespace tuidang {

TEST_F(SqliteStoreTest, SourceKeyMakesSubmissionsIdempotent) {
  std::vector<Submission> batch;
  batch.push_back(Make("甲", kParty));
  batch.push_back(Make("乙", kLeague));
  batch[0].source_key = "row-1";
  batch[1].source_key = "row-2";
  batch[1].statement.channel = Channel::kPhone;
  batch[1].statement.operator_id = 7;
  batch[1].statement.consent = "电话声明，同意以乙公布";
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  EXPECT_FALSE(out[0].duplicate);
  std::vector<Submission> again;
  again.push_back(Make("甲", kParty));
  again[0].source_key = "row-1";
  again.push_back(Make("丙", kParty));
  again[1].source_key = "row-3";
  ASSERT_TRUE(store_->CommitBatch(again, &out));
  EXPECT_TRUE(out[0].duplicate);
  EXPECT_FALSE(out[1].duplicate);
  EXPECT_EQ(out[1].number, 3);
  EXPECT_EQ(store_->GetTotals()->statements, 3);
  auto s = store_->GetPublished(2);
  ASSERT_TRUE(s && s->has_value());
  EXPECT_EQ((*s)->channel, Channel::kPhone);
  EXPECT_EQ((*s)->operator_id, 7);
  EXPECT_EQ((*s)->consent, "电话声明，同意以乙公布");
  auto opening = store_->GetOpening(2);
  EXPECT_NE((*opening)->record.find("\"consent\":\"电话声明，同意以乙公布\""), std::string::npos);
  EXPECT_EQ((*opening)->record.find("operator"), std::string::npos);
}

}  // namespace tuidang

namespace tuidang {

TEST_F(SqliteStoreTest, OperatorsAndAnAppendOnlyAuditTrail) {
  Operator alice;
  alice.name = "alice";
  alice.role = Role::kModerator;
  auto id = store_->AddOperator(alice);
  ASSERT_TRUE(id) << id.error();
  EXPECT_FALSE(store_->AddOperator(alice)) << "names are unique";
  auto found = store_->FindOperator("alice");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->role, Role::kModerator);
  (*found)->disabled = true;
  ASSERT_TRUE(store_->UpdateOperator(**found));
  EXPECT_TRUE((*store_->GetOperator(*id))->disabled);
  ASSERT_TRUE(store_->Audit(*id, "approved", "statement 1"));
  ASSERT_TRUE(store_->Audit(*id, "rejected", "statement 2"));
  auto trail = store_->AuditTrail(10);
  ASSERT_TRUE(trail);
  ASSERT_EQ(trail->size(), 2u);
  EXPECT_EQ((*trail)[0].action, "rejected");
  EXPECT_EQ((*trail)[0].operator_name, "alice");
  // Not even a direct SQL statement can change or remove an entry.
  sqlite::Db db;
  ASSERT_TRUE(db.Open((dir_ / "t.db").string(), false));
  EXPECT_FALSE(db.Exec("UPDATE audit_trail SET action = 'nothing'"));
  EXPECT_FALSE(db.Exec("DELETE FROM audit_trail"));
}

TEST_F(SqliteStoreTest, AuditTrailKeepsDaysAndApprovalUsesTheTestClock) {
  store_->SetTodayForTesting([] { return Day{20100}; });
  Operator alice;
  alice.name = "alice";
  alice.role = Role::kModerator;
  auto id = store_->AddOperator(alice);
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->Audit(*id, "approved", "statement 1"));
  EXPECT_EQ((*store_->AuditTrail(1))[0].day, 20100);
  // Approval dates with the same clock as the batches (it used Today() before).
  std::vector<Submission> batch;
  batch.push_back(Make("held", kParty, {}, false));
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  ASSERT_TRUE(store_->Approve({out[0].id}));
  EXPECT_EQ((*store_->FindReceipt(HashReceiptCode(batch[0].receipt_code)))->day, 20100);
}

TEST_F(SqliteStoreTest, AuditTrailUpgradedFromMinutesToDays) {
  Operator alice;
  alice.name = "alice";
  alice.role = Role::kAdmin;
  auto id = store_->AddOperator(alice);
  ASSERT_TRUE(id);
  store_.reset();
  {
    // Make the database what schema 2 wrote: minutes since the epoch in `minute`.
    sqlite::Db db;
    ASSERT_TRUE(db.Open((dir_ / "t.db").string(), false));
    ASSERT_TRUE(db.Exec(
        "DROP TRIGGER audit_trail_no_update;"
        "ALTER TABLE audit_trail RENAME COLUMN day TO minute;"
        "INSERT INTO audit_trail(minute, operator, action, object) VALUES"
        " (29439120, 1, 'entered', 'statement 1'),"   // 2025-12-21 20:00 UTC = 12-22 04:00 CST
        " (29438520, 1, 'approved', 'statement 1');"  // 2025-12-21 10:00 UTC = 12-21 18:00 CST
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'"));
  }
  Reopen();
  auto trail = store_->AuditTrail(10);
  ASSERT_TRUE(trail) << trail.error();
  ASSERT_EQ(trail->size(), 2u);
  EXPECT_EQ(FormatDay((*trail)[0].day), "2025-12-21");
  EXPECT_EQ(FormatDay((*trail)[1].day), "2025-12-22");
  sqlite::Db db;
  ASSERT_TRUE(db.Open((dir_ / "t.db").string(), false));
  EXPECT_FALSE(db.Exec("UPDATE audit_trail SET action = 'nothing'")) << "append-only again";
  auto version = db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  ASSERT_EQ(version.Step(), SQLITE_ROW);
  EXPECT_EQ(version.Text(0), "3");
}

TEST_F(SqliteStoreTest, ANewerSchemaIsRefusedAndLeftAsItWas) {
  store_.reset();
  {
    sqlite::Db db;
    ASSERT_TRUE(db.Open((dir_ / "t.db").string(), false));
    ASSERT_TRUE(
        db.Exec("UPDATE meta SET value = '99' WHERE key = 'schema_version';"
                "DROP INDEX statements_accepted;"));
  }
  auto refused = SqliteStore::Open((dir_ / "t.db").string());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("schema 99, made by a newer tuidang"), std::string::npos)
      << refused.error();
  sqlite::Db db;
  ASSERT_TRUE(db.Open((dir_ / "t.db").string(), false));
  auto index = db.Prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'statements_accepted'");
  ASSERT_EQ(index.Step(), SQLITE_ROW);
  EXPECT_EQ(index.Int(0), 0) << "the schema's CREATE ... IF NOT EXISTS ran on a newer database";
  auto version = db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  ASSERT_EQ(version.Step(), SQLITE_ROW);
  EXPECT_EQ(version.Text(0), "99");
}

}  // namespace tuidang

namespace tuidang {

TEST_F(SqliteStoreTest, HeldStatementsAreApprovedRejectedOrWithdrawn) {
  std::vector<Submission> batch;
  for (int i = 0; i < 4; ++i) batch.push_back(Make("held" + std::to_string(i), kParty, {}, false));
  std::vector<std::string> codes;
  for (auto& b : batch) codes.push_back(b.receipt_code);
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  EXPECT_EQ(store_->GetTotals()->statements, 0);
  auto held = store_->ListHeld({});
  ASSERT_TRUE(held);
  ASSERT_EQ(held->size(), 4u);
  EXPECT_EQ((*held)[0].persons[0].name, "held0");

  auto numbers = store_->Approve({(*held)[0].id, (*held)[1].id});
  ASSERT_TRUE(numbers) << numbers.error();
  EXPECT_EQ(*numbers, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(store_->GetTotals()->statements, 2);
  EXPECT_EQ(store_->GetTotals()->tree_size, 2u);
  EXPECT_TRUE(store_->GetOpening(2)->has_value());
  EXPECT_EQ(*store_->Reject({(*held)[2].id, (*held)[0].id}), 1) << "only held ones";
  EXPECT_EQ((*store_->FindReceipt(HashReceiptCode(codes[2])))->status, StatementStatus::kRejected);

  EXPECT_TRUE(*store_->WithdrawByReceipt(HashReceiptCode(codes[3])));  // held
  EXPECT_TRUE(*store_->WithdrawByReceipt(HashReceiptCode(codes[1])));  // published
  EXPECT_FALSE(*store_->WithdrawByReceipt(HashReceiptCode(codes[1])));
  EXPECT_FALSE(*store_->WithdrawByReceipt(HashReceiptCode(codes[3])));
  // Both say what their declarant did; the held one had no number and never counted.
  auto held_one = *store_->FindReceipt(HashReceiptCode(codes[3]));
  EXPECT_EQ(held_one->status, StatementStatus::kWithdrawn);
  EXPECT_FALSE(held_one->number.has_value());
  EXPECT_EQ((*store_->FindReceipt(HashReceiptCode(codes[1])))->status, StatementStatus::kWithdrawn);
  EXPECT_EQ(store_->GetTotals()->statements, 1);
  EXPECT_EQ(store_->ListHeld({})->size(), 0u);
  EXPECT_EQ(*store_->LeafCount(), 3u) << "two statements and one withdrawal";
  // The purge takes the rejected and the withdrawn held rows, never a published one.
  EXPECT_EQ(*store_->PurgeRejected(0), 2);
  EXPECT_FALSE(store_->FindReceipt(HashReceiptCode(codes[3]))->has_value());
  EXPECT_TRUE(store_->FindReceipt(HashReceiptCode(codes[1]))->has_value());
}

TEST_F(SqliteStoreTest, HeldStatementsArePagedByKeyset) {
  std::vector<Submission> batch;
  for (int i = 0; i < 25; ++i) {
    batch.push_back(Make("page" + std::to_string(i), kParty, {}, i % 5 == 0));  // 5 published
  }
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(batch, &out));
  HeldFilter f;
  f.limit = 7;
  std::vector<int64_t> seen;
  while (true) {
    auto page = store_->ListHeld(f);
    ASSERT_TRUE(page) << page.error();
    ASSERT_LE(page->size(), 7u);
    if (page->empty()) break;
    for (const auto& st : *page) seen.push_back(st.id);
    f.after = page->back().id;
  }
  ASSERT_EQ(seen.size(), 20u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "each once";
  // Backwards: the last 7 below an id, still oldest first.
  HeldFilter back;
  back.limit = 7;
  back.before = seen[10];
  auto page = store_->ListHeld(back);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 7u);
  EXPECT_EQ(page->front().id, seen[3]);
  EXPECT_EQ(page->back().id, seen[9]);
  EXPECT_EQ(*store_->CountHeld({}, 1000), 20);
  EXPECT_EQ(*store_->CountHeld({}, 8), 8) << "counting stops at the cap";
}

}  // namespace tuidang
