#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <tuple>

#include "core/text.h"

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

  // SQL that takes a database of the current schema (5) back to what schema 3 had: the
  // indexes on (day, number) and (name_fold, statement), no day anchors, persons without
  // day and number; its version then says 3.
  static constexpr std::string_view kBackToSchema3 =
      "DROP INDEX persons_published; ALTER TABLE persons DROP COLUMN day;"
      "ALTER TABLE persons DROP COLUMN number;"
      "CREATE INDEX persons_by_name ON persons(name_fold, statement);"
      "DROP INDEX statements_published;"
      "CREATE INDEX statements_by_day ON statements(day, number) WHERE number IS NOT NULL;"
      "DROP TABLE day_anchors; DROP TABLE day_index_pending;"
      "ALTER TABLE sources DROP COLUMN origin;"
      "UPDATE meta SET value = '3' WHERE key = 'schema_version';";

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

  auto found = store_->SearchName("万顺", std::nullopt, 0, 10);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].number, 1);
  EXPECT_EQ(store_->SearchName("万顺", Today() - 1, 0, 10)->size(), 0u);

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
  batch[0].source_row = "a.csv, line 2";
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
  EXPECT_EQ(out[0].duplicate_of, "a.csv, line 2") << "the row it matched";
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
    ASSERT_TRUE(db.Exec(kBackToSchema3));
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
  EXPECT_EQ(version.Text(0), "6");
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

namespace tuidang {

namespace {

// The day's page as the OFFSET query that ListDay replaced reads it: the reference.
std::vector<int64_t> OffsetPage(sqlite::Db& db, Day day, int64_t before, int64_t offset,
                                int limit) {
  auto q = db.Prepare(
      "SELECT number FROM statements WHERE day = ? AND number IS NOT NULL AND number < ?"
      " AND status = 1 ORDER BY number DESC LIMIT ? OFFSET ?");
  q.Bind(1, static_cast<int64_t>(day))
      .Bind(2, before > 0 ? before : std::numeric_limits<int64_t>::max())
      .Bind(3, static_cast<int64_t>(limit))
      .Bind(4, offset);
  std::vector<int64_t> numbers;
  while (q.Step() == SQLITE_ROW) numbers.push_back(q.Int(0));
  return numbers;
}

std::vector<int64_t> Numbers(const std::vector<Statement>& list) {
  std::vector<int64_t> numbers;
  for (const Statement& s : list) numbers.push_back(*s.number);
  return numbers;
}

}  // namespace

class DayPagingTest : public SqliteStoreTest {
 protected:
  // Publishes `n` statements on `day` (every 7th held instead when `some_held`); their
  // numbers.
  std::vector<int64_t> Publish(Day day, int n, std::string name = "n", bool some_held = false) {
    day_ = day;
    std::vector<Submission> batch;
    for (int i = 0; i < n; ++i) batch.push_back(Make(name, kParty, {}, !some_held || i % 7 != 0));
    std::vector<Committed> out;
    EXPECT_TRUE(store_->CommitBatch(batch, &out));
    std::vector<int64_t> numbers;
    for (const Committed& c : out) {
      if (c.number) numbers.push_back(*c.number);
    }
    return numbers;
  }
  // Every page of `day` that ListDay reads (each offset, limits 50 and 3, with and without a
  // keyset bound) equals the OFFSET query's.
  void ExpectPagesAsOffset(Day day, const char* when) {
    const int64_t n = store_->GetTotals()->Of(day).statements;
    auto all = OffsetPage(Ref(), day, 0, 0, 1 << 30);
    ASSERT_EQ(static_cast<int64_t>(all.size()), n) << when;
    std::vector<int64_t> bounds = {0};
    if (!all.empty()) bounds.push_back(all[all.size() / 3]);
    for (int64_t before : bounds) {
      for (int limit : {50, 3}) {
        for (int64_t offset = 0; offset <= n + 2; ++offset) {
          auto page = store_->ListDay(day, before, offset, limit);
          ASSERT_TRUE(page) << page.error();
          ASSERT_EQ(Numbers(*page), OffsetPage(Ref(), day, before, offset, limit))
              << when << ": day " << day << " before " << before << " offset " << offset
              << " limit " << limit;
        }
      }
    }
  }
  // A connection of its own for the reference queries.
  sqlite::Db& Ref() {
    if (!ref_) {
      ref_ = std::make_unique<sqlite::Db>();
      EXPECT_TRUE(ref_->Open((dir_ / "t.db").string(), false));
    }
    return *ref_;
  }
  void TearDown() override {
    ref_.reset();
    SqliteStoreTest::TearDown();
  }
  void SetUp() override {
    SqliteStoreTest::SetUp();
    store_->SetTodayForTesting([this] { return day_; });
  }
  Day day_ = Today() - 10;
  std::unique_ptr<sqlite::Db> ref_;
};

// A day published in several batches, with another day's statements numbered between its
// own (as an approval or a historic import makes them), then withdrawals everywhere: the
// anchors first and last, the day's first and last statements, runs of neighbours.
TEST_F(DayPagingTest, DeepPagesEqualTheOffsetResultThroughBatchesAndWithdrawals) {
  const Day a = Today() - 10, b = Today() - 9;
  std::vector<int64_t> of_a = Publish(a, 130);
  Publish(b, 75);
  for (int64_t n : Publish(a, 49, "n", true)) of_a.push_back(n);  // some held, published later
  for (int64_t n : Publish(a, 1)) of_a.push_back(n);
  for (int64_t n : Publish(a, 171)) of_a.push_back(n);
  ExpectPagesAsOffset(a, "published");
  ExpectPagesAsOffset(b, "published");
  for (size_t rank : {size_t{0}, size_t{50}, size_t{51}, size_t{99}, size_t{100}, size_t{101},
                      size_t{200}, of_a.size() - 1, of_a.size() - 2}) {
    ASSERT_TRUE(store_->Withdraw(of_a[rank], WithdrawalReason::kFake)) << rank;
  }
  ExpectPagesAsOffset(a, "after withdrawals");
  ExpectPagesAsOffset(b, "after withdrawals of the other day");
  // A whole block goes, then the whole day.
  std::vector<int64_t> left = OffsetPage(Ref(), a, 0, 0, 1 << 30);
  for (size_t i = 0; i < 60; ++i) ASSERT_TRUE(store_->Withdraw(left[i], WithdrawalReason::kFake));
  ExpectPagesAsOffset(a, "after a block");
  Reopen();
  store_->SetTodayForTesting([this] { return day_; });
  for (int64_t n : Publish(a, 55)) of_a.push_back(n);
  ExpectPagesAsOffset(a, "published again after withdrawals");
  for (int64_t n : OffsetPage(Ref(), a, 0, 0, 1 << 30)) {
    ASSERT_TRUE(store_->Withdraw(n, WithdrawalReason::kFake));
  }
  ExpectPagesAsOffset(a, "all withdrawn");
  EXPECT_TRUE(store_->ListDay(a, 0, 0, 50)->empty());
  ExpectPagesAsOffset(b, "the other day untouched");
}

// Held statements approved on a later day, and accepted ones published by a batch, take that
// day's next numbers and ranks.
TEST_F(DayPagingTest, ApprovalsAndPublicationBatchesAppendToTheirDay) {
  const Day a = Today() - 10, b = Today() - 9;
  Publish(a, 40, "n", true);  // 34 published (1-34), 6 held
  day_ = b;
  Publish(b, 30);
  auto held = store_->ListHeld({});
  ASSERT_TRUE(held);
  std::vector<int64_t> ids;
  for (const Statement& s : *held) ids.push_back(s.id);
  ASSERT_EQ(ids.size(), 6u);
  std::vector<Submission> accepted;
  for (int i = 0; i < 23; ++i) {
    accepted.push_back(Make("batched", kLeague));
    accepted.back().batched = true;
  }
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(accepted, &out));
  auto numbers = store_->Approve({ids[0], ids[1], ids[2]});
  ASSERT_TRUE(numbers) << numbers.error();
  auto waiting = store_->ListAccepted(100);
  ASSERT_TRUE(waiting);
  ASSERT_TRUE(store_->PublishAccepted(*waiting));
  ASSERT_TRUE(store_->Approve({ids[3], ids[4], ids[5]}));
  EXPECT_EQ(store_->GetTotals()->Of(b).statements, 30 + 6 + 23);
  ExpectPagesAsOffset(a, "the day they arrived");
  ExpectPagesAsOffset(b, "the day they were published");
  EXPECT_EQ(*store_->ListDay(b, 0, 0, 1)->front().number, 34 + 30 + 6 + 23);
}

// A database of schema 3 (no anchors, no numbered persons) is migrated at open: its existing
// days page as the OFFSET query pages them, and its names are found.
TEST_F(DayPagingTest, ASchema3DatabaseIsMigratedAndItsDaysPage) {
  const Day a = Today() - 10, b = Today() - 9;
  Publish(a, 120, "王先生");
  Publish(b, 20, "李女士");
  Publish(a, 33, "王先生", true);
  ASSERT_TRUE(store_->Withdraw(51, WithdrawalReason::kDanger));
  ASSERT_TRUE(store_->Withdraw(1, WithdrawalReason::kDanger));
  auto anchors = [&] {
    sqlite::Db db;
    EXPECT_TRUE(db.Open((dir_ / "t.db").string(), false));
    auto q = db.Prepare("SELECT day, block, number FROM day_anchors ORDER BY day, block");
    std::vector<std::tuple<int64_t, int64_t, int64_t>> rows;
    while (q.Step() == SQLITE_ROW) rows.emplace_back(q.Int(0), q.Int(1), q.Int(2));
    return rows;
  };
  const auto kept = anchors();
  ASSERT_EQ(kept.size(), 3u + 1u);  // 146 published of day a, 20 of day b
  store_.reset();
  {
    sqlite::Db db;
    ASSERT_TRUE(db.Open((dir_ / "t.db").string(), false));
    ASSERT_TRUE(db.Exec(kBackToSchema3));
  }
  Reopen();
  store_->SetTodayForTesting([this] { return day_; });
  // The upgrade itself writes no anchor and numbers no person: both are left to the
  // backfill, and meanwhile the pages (by OFFSET) and the search (by persons_by_name) are
  // those of the indexes.
  EXPECT_TRUE(anchors().empty());
  auto check = [&](const char* when, int64_t wang) {
    ExpectPagesAsOffset(a, when);
    ExpectPagesAsOffset(b, when);
    EXPECT_EQ(*store_->CountName(FoldName("王先生"), std::nullopt, 1000), wang) << when;
    EXPECT_EQ(*store_->CountName(FoldName("李女士"), b, 1000), 20) << when;
    auto found = store_->SearchName(FoldName("王先生"), std::nullopt, 0, 1000);
    ASSERT_TRUE(found) << found.error();
    ASSERT_EQ(static_cast<int64_t>(found->size()), wang) << when;
    for (size_t i = 1; i < found->size(); ++i) {
      EXPECT_GT((*found)[i - 1].number, (*found)[i].number) << when;
    }
  };
  check("migrated, before the backfill", 120 + 28 - 2);
  // The backfill in small steps (30 ranks, 10 statement ids), with a publication on the
  // day being anchored and a withdrawal among its anchored ranks between two steps.
  auto step = [&] {
    auto did = store_->BackfillStep(30, 10);
    EXPECT_TRUE(did) << did.error();
    return did && *did;
  };
  ASSERT_TRUE(step());
  ASSERT_TRUE(step());
  Publish(a, 12, "王先生");
  ASSERT_TRUE(store_->Withdraw(3, WithdrawalReason::kFake));  // rank 1 of day a
  check("during the backfill", 120 + 28 - 2 + 12 - 1);
  int steps = 0;
  while (step()) ASSERT_LT(++steps, 200);
  check("after the backfill", 120 + 28 - 2 + 12 - 1);
  auto expected = [&] {
    sqlite::Db db;
    EXPECT_TRUE(db.Open((dir_ / "t.db").string(), false));
    auto q = db.Prepare(
        "SELECT day, (rank - 1) / 50, number FROM (SELECT day, number, ROW_NUMBER() OVER"
        " (PARTITION BY day ORDER BY number) AS rank FROM statements WHERE status = 1)"
        " WHERE (rank - 1) % 50 = 0 ORDER BY day, number");
    std::vector<std::tuple<int64_t, int64_t, int64_t>> rows;
    while (q.Step() == SQLITE_ROW) rows.emplace_back(q.Int(0), q.Int(1), q.Int(2));
    return rows;
  };
  EXPECT_EQ(anchors(), expected());
  sqlite::Db db;
  ASSERT_TRUE(db.Open((dir_ / "t.db").string(), false));
  auto version = db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  ASSERT_EQ(version.Step(), SQLITE_ROW);
  EXPECT_EQ(version.Text(0), "6");
  version.Reset();
  auto old_index = db.Prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'persons_by_name'");
  ASSERT_EQ(old_index.Step(), SQLITE_ROW);
  EXPECT_EQ(old_index.Int(0), 0) << "dropped once every person is numbered";
  old_index.Reset();
  // And it goes on growing from there, kept by the writer.
  Publish(a, 70);
  ExpectPagesAsOffset(a, "published after the backfill");
  EXPECT_EQ(anchors(), expected());
  auto did = store_->BackfillStep();
  ASSERT_TRUE(did);
  EXPECT_FALSE(*did) << "nothing left";
}

// A database that schema 4's own migration indexed whole is not backfilled again.
TEST_F(DayPagingTest, ASchema4DatabaseKeepsItsAnchors) {
  const Day a = Today() - 10;
  Publish(a, 120);
  store_.reset();
  {
    sqlite::Db db;
    ASSERT_TRUE(db.Open((dir_ / "t.db").string(), false));
    ASSERT_TRUE(
        db.Exec("DROP TABLE day_index_pending; ALTER TABLE sources DROP COLUMN origin;"
                "UPDATE meta SET value = '4' WHERE key = 'schema_version';"));
  }
  Reopen();
  auto did = store_->BackfillStep();
  ASSERT_TRUE(did) << did.error();
  EXPECT_FALSE(*did);
  ExpectPagesAsOffset(a, "schema 4 upgraded");
}

// The name search: newest day first, newest number first within a day, each statement once
// (also one that names the person twice), paged by keyset through every match; withdrawn and
// unpublished statements are not found; the count stops at its cap.
TEST_F(DayPagingTest, SearchIsNewestFirstAndPagedByKeyset) {
  const Day a = Today() - 10, b = Today() - 9, c = Today() - 8;
  const std::string name = "王先生", folded = FoldName(name);
  std::vector<int64_t> expected;  // (day, number) descending, built below
  std::vector<std::pair<int64_t, int64_t>> matches;
  auto note = [&](Day day, const std::vector<int64_t>& numbers) {
    for (int64_t n : numbers) matches.emplace_back(day, n);
  };
  note(b, Publish(b, 40, name));
  Publish(b, 10, "李女士");
  note(a, Publish(a, 25, name, true));  // a past day, numbered after day b's: still after them
  note(c, Publish(c, 30, name));
  {
    day_ = c;
    std::vector<Submission> family;
    family.push_back(Make(name, kParty, {{"王先生", false, kLeague}}));  // twice in one
    std::vector<Committed> out;
    ASSERT_TRUE(store_->CommitBatch(family, &out));
    matches.emplace_back(c, *out[0].number);
  }
  const int64_t withdrawn = matches[5].second;
  ASSERT_TRUE(store_->Withdraw(withdrawn, WithdrawalReason::kFake));
  std::erase(matches, matches[5]);
  std::sort(matches.rbegin(), matches.rend());
  for (const auto& m : matches) expected.push_back(m.second);

  std::vector<int64_t> seen;
  for (int64_t before = 0;;) {
    auto page = store_->SearchName(folded, std::nullopt, before, 7);
    ASSERT_TRUE(page) << page.error();
    ASSERT_LE(page->size(), 7u);
    for (const Statement& s : *page) {
      EXPECT_TRUE(s.persons[0].name == name) << s.persons[0].name;
      seen.push_back(*s.number);
    }
    if (page->size() < 7u) break;
    before = seen.back();
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(*store_->CountName(folded, std::nullopt, 1000), static_cast<int64_t>(expected.size()));
  EXPECT_EQ(*store_->CountName(folded, std::nullopt, 10), 11) << "counting stops past the cap";
  EXPECT_EQ(*store_->CountName(folded, c, 1000), 31);
  // One day, and a cursor that names a withdrawn statement (its number and day are kept).
  auto day_b = store_->SearchName(folded, b, 0, 100);
  ASSERT_TRUE(day_b);
  EXPECT_EQ(day_b->size(), 39u);
  for (const Statement& s : *day_b) EXPECT_EQ(s.day, b);
  auto after_withdrawn = store_->SearchName(folded, b, withdrawn, 100);
  ASSERT_TRUE(after_withdrawn);
  EXPECT_EQ(withdrawn, 6);
  EXPECT_EQ(Numbers(*after_withdrawn), (std::vector<int64_t>{5, 4, 3, 2, 1}));
  EXPECT_TRUE(store_->SearchName(folded, std::nullopt, 999999, 10)->empty()) << "no such cursor";
  EXPECT_TRUE(store_->SearchName(FoldName("李女士"), a, 0, 10)->empty());
  // Held ones appear once approved, on the day of their approval.
  auto held = store_->ListHeld({});
  ASSERT_TRUE(held);
  ASSERT_EQ(held->size(), 4u);
  day_ = c + 1;
  auto approved = store_->Approve({(*held)[0].id});
  ASSERT_TRUE(approved);
  auto newest = store_->SearchName(folded, std::nullopt, 0, 1);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ(newest->front().number, approved->front());
  EXPECT_EQ(newest->front().day, c + 1);
}

}  // namespace tuidang
