// The store contract (store.h), run on SQLite and on PostgreSQL: what every caller of a
// Store relies on, whatever keeps the statements.
#include "store/store_contract.h"

#include <algorithm>

#include "core/text.h"

namespace tuidang::test {

namespace {

std::vector<int64_t> Numbers(const std::vector<Statement>& list) {
  std::vector<int64_t> out;
  for (const auto& s : list) out.push_back(s.number.value_or(-1));
  return out;
}

void ExpectTotalsEqualRecount(Store& store, const char* when) {
  auto recount = store.RecountTotals();
  ASSERT_TRUE(recount) << recount.error();
  auto t = store.GetTotals();
  EXPECT_EQ(t->statements, recount->statements) << when;
  EXPECT_EQ(t->persons, recount->persons) << when;
  EXPECT_EQ(t->party, recount->party) << when;
  EXPECT_EQ(t->league, recount->league) << when;
  EXPECT_EQ(t->pioneers, recount->pioneers) << when;
  EXPECT_EQ(t->by_channel, recount->by_channel) << when;
  EXPECT_EQ(t->by_region, recount->by_region) << when;
  EXPECT_EQ(t->by_occupation, recount->by_occupation) << when;
  std::vector<DayCount> days;  // days whose statements were all withdrawn keep a zero row
  for (const DayCount& d : t->by_day) {
    if (d.statements != 0 || d.persons != 0) days.push_back(d);
  }
  ASSERT_EQ(days.size(), recount->by_day.size()) << when;
  for (size_t i = 0; i < days.size(); ++i) {
    EXPECT_EQ(days[i].day, recount->by_day[i].day) << when;
    EXPECT_EQ(days[i].persons, recount->by_day[i].persons) << when;
    EXPECT_EQ(days[i].statements, recount->by_day[i].statements) << when;
  }
}

}  // namespace

TEST_P(StoreContract, CommitAssignsConsecutiveNumbersAndCounts) {
  std::vector<Submission> batch;
  batch.push_back(Make("王小明", kParty | kLeague));
  batch.push_back(Make("萬順", kLeague, {{"李华", true, kPioneers}}));
  batch.push_back(Make("held", kParty, {}, false));
  auto out = Commit(std::move(batch));
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
  EXPECT_EQ(t.tree_size, 2u);
  EXPECT_EQ(t.Of(Today()).persons, 3);
  EXPECT_EQ(*store_->LeafCount(), 2u);
  ExpectTotalsEqualRecount(*store_, "after a batch");
}

TEST_P(StoreContract, ReadsBackAfterReopen) {
  std::vector<Submission> batch;
  batch.push_back(Make("萬順", kLeague, {{"李华", true, kPioneers}}));
  batch[0].statement.region = 3;
  batch[0].statement.text = "第一行\n第二行";
  const std::string code = batch[0].receipt_code;
  Commit(std::move(batch));
  Reopen();
  auto s = store_->GetPublished(1);
  ASSERT_TRUE(s && s->has_value());
  ASSERT_EQ((*s)->persons.size(), 2u);
  EXPECT_EQ((*s)->persons[0].name, "萬順");
  EXPECT_TRUE((*s)->persons[1].real_name);
  EXPECT_EQ((*s)->persons[1].organisations, kPioneers);
  EXPECT_EQ((*s)->text, "第一行\n第二行");
  EXPECT_EQ((*s)->region, 3);
  EXPECT_EQ((*s)->day, Today());
  EXPECT_EQ(store_->GetTotals()->persons, 2);

  auto found = store_->SearchName("万顺", std::nullopt, 0, 10);
  ASSERT_TRUE(found) << found.error();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].number, 1);
  EXPECT_EQ((*found)[0].persons.size(), 2u);
  EXPECT_EQ(store_->SearchName("万顺", Today() - 1, 0, 10)->size(), 0u);
  EXPECT_EQ(*store_->CountName("万顺", std::nullopt, 10), 1);

  auto r = store_->FindReceipt(HashReceiptCode(code));
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->number, 1);
  EXPECT_EQ((*r)->status, StatementStatus::kPublished);
  EXPECT_EQ((*r)->leaf_index, 0u);
  EXPECT_EQ((*r)->leaf_entry, (*store_->ReadLeaves(0, 1))[0]) << "the entry read with it";
  EXPECT_FALSE(store_->FindReceipt(HashReceiptCode("0000000000000000"))->has_value());
  EXPECT_FALSE(store_->GetPublished(2)->has_value());
  auto opening = store_->GetOpening(1);
  ASSERT_TRUE(opening && opening->has_value());
  EXPECT_EQ((*opening)->leaf_index, 0u);
  EXPECT_EQ((*opening)->salt.size(), kSaltSize);
  EXPECT_NE((*opening)->record.find("萬順"), std::string::npos);

  std::vector<Submission> second;
  second.push_back(Make("next", kParty));
  EXPECT_EQ(Commit(std::move(second))[0].number, 2);
}

TEST_P(StoreContract, ReceiptCollisionDrawsANewCode) {
  std::vector<Submission> batch;
  batch.push_back(Make("a", kParty));
  const std::string code = batch[0].receipt_code;
  Commit(std::move(batch));
  std::vector<Submission> again;
  again.push_back(Make("b", kParty));
  again[0].receipt_code = code;
  std::vector<Committed> out;
  ASSERT_TRUE(store_->CommitBatch(again, &out));
  EXPECT_NE(again[0].receipt_code, code);
  EXPECT_EQ((*store_->FindReceipt(HashReceiptCode(again[0].receipt_code)))->number, 2);
  EXPECT_EQ((*store_->FindReceipt(HashReceiptCode(code)))->number, 1);
}

TEST_P(StoreContract, SourceKeyMakesSubmissionsIdempotent) {
  std::vector<Submission> batch;
  batch.push_back(Make("甲", kParty));
  batch.push_back(Make("乙", kLeague));
  batch[0].source_key = std::string("row-1\0\xff", 7);
  batch[1].source_key = "row-2";
  batch[1].statement.channel = Channel::kPhone;
  batch[1].statement.operator_id = 7;
  batch[1].statement.consent = "电话声明，同意以乙公布";
  auto out = Commit(std::move(batch));
  EXPECT_FALSE(out[0].duplicate);
  std::vector<Submission> again;
  again.push_back(Make("甲", kParty));
  again[0].source_key = std::string("row-1\0\xff", 7);
  again.push_back(Make("丙", kParty));
  again[1].source_key = "row-3";
  out = Commit(std::move(again));
  EXPECT_TRUE(out[0].duplicate);
  EXPECT_FALSE(out[1].duplicate);
  EXPECT_EQ(out[1].number, 3);
  EXPECT_EQ(store_->GetTotals()->statements, 3);
  auto s = store_->GetPublished(2);
  ASSERT_TRUE(s && s->has_value());
  EXPECT_EQ((*s)->channel, Channel::kPhone);
  EXPECT_EQ((*s)->operator_id, 7);
  EXPECT_EQ((*s)->consent, "电话声明，同意以乙公布");
}

// Totals by category are kept incrementally and equal a recount from the statements after
// publications on several days, withdrawals and a reopening.
TEST_P(StoreContract, TotalsEqualRecountThroughDaysAndWithdrawals) {
  Day day = Today() - 3;
  SetToday([&day] { return day; });
  for (int round = 0; round < 3; ++round, ++day) {
    std::vector<Submission> batch;
    for (int i = 0; i < 20; ++i) {
      std::vector<Person> more;
      for (int k = 0; k < i % 3; ++k) more.push_back({"p", false, kLeague});
      batch.push_back(Make("n", kParty, more, i % 7 != 0));
      batch.back().statement.region = static_cast<Region>(i % 5);
      batch.back().statement.occupation = static_cast<Occupation>(i % 4);
    }
    Commit(std::move(batch));
  }
  EXPECT_EQ(store_->GetTotals()->by_day.size(), 3u);
  ExpectTotalsEqualRecount(*store_, "after publishing");
  const uint64_t leaves = store_->GetTotals()->tree_size;
  ASSERT_TRUE(store_->Withdraw(2, WithdrawalReason::kFake));
  ASSERT_TRUE(store_->Withdraw(30, WithdrawalReason::kDanger));
  EXPECT_FALSE(store_->Withdraw(30, WithdrawalReason::kDanger)) << "withdrawn already";
  EXPECT_FALSE(store_->Withdraw(9999, WithdrawalReason::kDanger)) << "no such statement";
  EXPECT_EQ(store_->GetTotals()->tree_size, leaves + 2);
  EXPECT_FALSE(store_->GetPublished(2)->has_value());
  EXPECT_FALSE(store_->GetOpening(2)->has_value());
  ExpectTotalsEqualRecount(*store_, "after withdrawals");
  Reopen();
  ExpectTotalsEqualRecount(*store_, "after reopening");
}

TEST_P(StoreContract, DayPagesByCursorAndDeepOffsetThroughWithdrawals) {
  std::vector<Submission> batch;
  for (int i = 0; i < 130; ++i) batch.push_back(Make("n" + std::to_string(i), kParty));
  Commit(std::move(batch));
  std::vector<int64_t> expected;  // newest first
  for (int64_t n = 130; n >= 1; --n) expected.push_back(n);
  auto check = [&](const char* when) {
    for (int64_t offset : {0, 1, 49, 50, 51, 99, 100, 127}) {
      auto page = store_->ListDay(Today(), 0, offset, 10);
      ASSERT_TRUE(page) << page.error();
      std::vector<int64_t> want(expected.begin() + std::min<int64_t>(offset, expected.size()),
                                expected.begin() + std::min<int64_t>(offset + 10, expected.size()));
      EXPECT_EQ(Numbers(*page), want) << when << " offset " << offset;
    }
    auto first = store_->ListDay(Today(), 0, 0, 4);
    auto next = store_->ListDay(Today(), *first->back().number, 0, 4);
    EXPECT_EQ(Numbers(*next), std::vector<int64_t>(expected.begin() + 4, expected.begin() + 8))
        << when;
  };
  check("after publishing");
  for (int64_t n : {130, 100, 51, 50, 1}) {
    ASSERT_TRUE(store_->Withdraw(n, WithdrawalReason::kDuplicate));
    std::erase(expected, n);
  }
  check("after withdrawals");
  std::vector<Submission> more;
  for (int i = 0; i < 7; ++i) more.push_back(Make("m", kParty));
  Commit(std::move(more));
  for (int64_t n = 137; n >= 131; --n) expected.insert(expected.begin() + (137 - n), n);
  check("after another batch");
  EXPECT_TRUE(store_->ListDay(Today() - 1, 0, 0, 10)->empty());
}

// Historic records (`tuidang import --historic`) keep their own days: the batch's numbers
// and leaves stay consecutive in its order, each day counts and lists its own, and a day
// that is not allowed (after today, held, batched, a web statement) refuses the batch whole.
TEST_P(StoreContract, HistoricDaysAreRunsOfTheirOwnDays) {
  const Day a = Today() - 7000, b = Today() - 400;
  auto historic = [](std::string name, Day day) {
    Submission sub = Make(std::move(name), kParty);
    sub.statement.channel = Channel::kSheet;
    sub.day = day;
    return sub;
  };
  std::vector<Submission> batch;
  batch.push_back(Make("今一", kParty));
  batch.push_back(historic("古一", a));
  batch.push_back(historic("古二", a));
  batch.push_back(historic("古三", b));
  batch.push_back(Make("今二", kLeague));
  batch.push_back(historic("古四", a));
  auto out = Commit(std::move(batch));
  ASSERT_EQ(out.size(), 6u);
  const Day want_days[] = {Today(), a, a, b, Today(), a};
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].number, static_cast<int64_t>(i + 1)) << i;
    EXPECT_EQ(out[i].day, want_days[i]) << i;
  }
  Totals t = *store_->GetTotals();
  EXPECT_EQ(t.statements, 6);
  EXPECT_EQ(t.tree_size, 6u);
  EXPECT_EQ(t.Of(a).statements, 3);
  EXPECT_EQ(t.Of(b).statements, 1);
  EXPECT_EQ(t.Of(Today()).statements, 2);
  EXPECT_EQ(Numbers(*store_->ListDay(a, 0, 0, 10)), (std::vector<int64_t>{6, 3, 2}));
  EXPECT_EQ(Numbers(*store_->ListDay(b, 0, 0, 10)), (std::vector<int64_t>{4}));
  EXPECT_EQ(Numbers(*store_->ListDay(Today(), 0, 0, 10)), (std::vector<int64_t>{5, 1}));
  EXPECT_EQ(Numbers(*store_->ListDay(a, 6, 0, 10)), (std::vector<int64_t>{3, 2}));
  auto third = store_->GetPublished(3);
  ASSERT_TRUE(third && *third);
  EXPECT_EQ((*third)->day, a);
  ExpectTotalsEqualRecount(*store_, "after historic runs");
  // Reopened (the totals read back from the store), the days are the same.
  Reopen();
  EXPECT_EQ(store_->GetTotals()->Of(a).statements, 3);
  // Refused whole: nothing of the batch is stored.
  auto refused = [&](Submission bad, const char* what) {
    std::vector<Submission> two;
    two.push_back(historic("好", a));
    two.push_back(std::move(bad));
    std::vector<Committed> none;
    Status s = store_->CommitBatch(two, &none);
    EXPECT_FALSE(s) << what;
    EXPECT_NE(s.message().find("historic day"), std::string::npos) << what << ": " << s.message();
    EXPECT_TRUE(none.empty()) << what;
    EXPECT_EQ(store_->GetTotals()->statements, 6) << what;
    EXPECT_EQ(*store_->LeafCount(), 6u) << what;
  };
  refused(historic("明日", Today() + 1), "a day to come");
  Submission held = historic("押", a);
  held.publish = false;
  refused(std::move(held), "held");
  Submission batched = historic("批", a);
  batched.batched = true;
  refused(std::move(batched), "batched");
  Submission web = historic("网", a);
  web.statement.channel = Channel::kWeb;
  refused(std::move(web), "a web statement");
  std::vector<Submission> after;
  after.push_back(Make("今三", kParty));
  EXPECT_EQ(Commit(std::move(after)).front().number, 7);
}

TEST_P(StoreContract, SearchIsNewestFirstAndPagedByKeyset) {
  Day day = Today() - 2;
  SetToday([&day] { return day; });
  for (int round = 0; round < 3; ++round, ++day) {
    std::vector<Submission> batch;
    for (int i = 0; i < 4; ++i) batch.push_back(Make(i % 2 ? "萬順" : "other", kParty));
    // One statement naming the person twice counts once.
    batch.push_back(Make("万顺", kParty, {{"萬順", false, kLeague}}));
    Commit(std::move(batch));
  }
  auto all = store_->SearchName("万顺", std::nullopt, 0, 100);
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(Numbers(*all), (std::vector<int64_t>{15, 14, 12, 10, 9, 7, 5, 4, 2}));
  EXPECT_EQ(*store_->CountName("万顺", std::nullopt, 100), 9);
  EXPECT_EQ(*store_->CountName("万顺", std::nullopt, 3), 4) << "counts to cap + 1";
  auto page = store_->SearchName("万顺", std::nullopt, 10, 3);
  EXPECT_EQ(Numbers(*page), (std::vector<int64_t>{9, 7, 5}));
  auto one_day = store_->SearchName("万顺", Today() - 1, 0, 100);
  EXPECT_EQ(Numbers(*one_day), (std::vector<int64_t>{10, 9, 7}));
  EXPECT_EQ(*store_->CountName("万顺", Today() - 1, 100), 3);
  EXPECT_TRUE(store_->SearchName("万顺", std::nullopt, 999, 3)->empty());
}

TEST_P(StoreContract, AReceiptComesWithItsLeafsFullLevelZeroTileOnceStored) {
  std::vector<Submission> batch;
  for (int i = 0; i < 2; ++i) batch.push_back(Make("n", kParty));
  const std::string code = batch[1].receipt_code;
  Commit(std::move(batch));
  auto before = store_->FindReceipt(HashReceiptCode(code));
  ASSERT_TRUE(before && before->has_value());
  EXPECT_EQ((*before)->leaf_index, 1u);
  EXPECT_TRUE((*before)->leaf_tile.empty()) << "no tile stored yet";
  // A partial level-0 tile is not the leaf's full tile; a full one of another index neither.
  const std::string partial(2 * 32, 'p');
  std::string full(256 * 32, '\0');
  for (size_t i = 0; i < full.size(); ++i) full[i] = static_cast<char>(i % 251);
  auto saved =
      store_->SaveCheckpoint({{0, 0, 2, partial}, {0, 1, 256, full}}, std::nullopt, 2, "cp 2\n");
  ASSERT_TRUE(saved && *saved) << (saved ? "fenced off" : saved.error());
  auto partial_only = store_->FindReceipt(HashReceiptCode(code));
  ASSERT_TRUE(partial_only && partial_only->has_value());
  EXPECT_TRUE((*partial_only)->leaf_tile.empty()) << "a partial tile is not read with it";
  saved = store_->SaveCheckpoint({{0, 0, 256, full}}, 2, 256, "cp 256\n");
  ASSERT_TRUE(saved && *saved) << (saved ? "fenced off" : saved.error());
  auto after = store_->FindReceipt(HashReceiptCode(code));
  ASSERT_TRUE(after && after->has_value());
  EXPECT_EQ((*after)->leaf_tile, full) << "the full tile, byte for byte";
  EXPECT_EQ((*after)->leaf_entry, (*store_->ReadLeaves(1, 2))[0]);
}

TEST_P(StoreContract, LogKeepsLeavesTilesAndCheckpoints) {
  std::vector<Submission> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(Make("n", kParty));
  Commit(std::move(batch));
  auto leaves = store_->ReadLeaves(0, 3);
  ASSERT_TRUE(leaves) << leaves.error();
  EXPECT_EQ(leaves->size(), 3u);
  EXPECT_FALSE(store_->ReadLeaves(2, 4)) << "leaf 3 is missing";
  EXPECT_FALSE(store_->LatestCheckpoint()->has_value());
  const std::string bytes("\x00\x01'\\x00\xff", 6);
  auto saved = store_->SaveCheckpoint({{0, 0, 2, bytes + "a"}}, std::nullopt, 2, "cp 2\n");
  ASSERT_TRUE(saved && *saved) << (saved ? "fenced off" : saved.error());
  saved = store_->SaveCheckpoint({{0, 0, 3, bytes + "ab"}, {-1, 0, 3, bytes}}, 2, 3, "cp 3\n");
  ASSERT_TRUE(saved && *saved) << (saved ? "fenced off" : saved.error());
  saved = store_->SaveCheckpoint({{0, 0, 1, "narrower"}}, 3, 4, "cp 4\n");
  ASSERT_TRUE(saved && *saved) << (saved ? "fenced off" : saved.error());
  auto tile = store_->ReadHashTile(0, 0);
  ASSERT_TRUE(tile && tile->has_value());
  EXPECT_EQ((*tile)->width, 3) << "the widest version is kept";
  EXPECT_EQ((*tile)->data, bytes + "ab");
  EXPECT_FALSE(store_->ReadHashTile(1, 0)->has_value());
  auto latest = store_->LatestCheckpoint();
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ((*latest)->first, 4u);
  EXPECT_EQ((*latest)->second, "cp 4\n");
  EXPECT_TRUE(*store_->PublishedSizeIn(2, 3));
  EXPECT_FALSE(*store_->PublishedSizeIn(5, 100));
  EXPECT_TRUE(*store_->PublishedSizeIn(0, 1000));
}

// The fence between integrators (log_store.h): a checkpoint that does not extend the latest
// stored one is refused whole, tiles included, and a size never gets a second checkpoint.
TEST_P(StoreContract, CheckpointsExtendOnlyTheLatestOne) {
  std::vector<Submission> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(Make("n", kParty));
  Commit(std::move(batch));
  auto saved = store_->SaveCheckpoint({}, std::nullopt, 0, "cp 0\n");
  ASSERT_TRUE(saved && *saved) << (saved ? "fenced off" : saved.error());
  saved = store_->SaveCheckpoint({}, std::nullopt, 1, "cp 1 of a stale integrator\n");
  ASSERT_TRUE(saved) << saved.error();
  EXPECT_FALSE(*saved) << "no second log start";
  saved = store_->SaveCheckpoint({}, 0, 2, "cp 2\n");
  ASSERT_TRUE(saved && *saved) << (saved ? "fenced off" : saved.error());
  // A stale integrator, still at size 0, with a tile of its own: nothing of it is stored.
  saved = store_->SaveCheckpoint({{1, 0, 1, "stale"}}, 0, 3, "cp 3 stale\n");
  ASSERT_TRUE(saved) << saved.error();
  EXPECT_FALSE(*saved);
  EXPECT_FALSE(store_->ReadHashTile(1, 0)->has_value()) << "the refused tile was not stored";
  EXPECT_FALSE(*store_->PublishedSizeIn(3, 4));
  // A checkpoint that does not grow the tree is a caller's error.
  EXPECT_FALSE(store_->SaveCheckpoint({}, 2, 2, "cp 2 again\n"));
  // Another store on the same database sees the same latest checkpoint and extends it.
  auto other = OpenAnother();
  ASSERT_TRUE(other) << other.error();
  saved = (*other)->SaveCheckpoint({}, 2, 3, "cp 3\n");
  ASSERT_TRUE(saved && *saved) << (saved ? "fenced off" : saved.error());
  saved = store_->SaveCheckpoint({}, 2, 3, "cp 3 of another\n");
  ASSERT_TRUE(saved) << saved.error();
  EXPECT_FALSE(*saved);
  auto latest = store_->LatestCheckpoint();
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ((*latest)->first, 3u);
  EXPECT_EQ((*latest)->second, "cp 3\n");
  // What the site serves: the latest signed one until witnesses' cosigned one is saved,
  // then that one, also when a later signed checkpoint is not cosigned yet.
  auto pub = store_->PublicCheckpoint();
  ASSERT_TRUE(pub && pub->has_value()) << (pub ? "none" : pub.error());
  EXPECT_EQ(**pub, (std::pair<uint64_t, std::string>{3, "cp 3\n"}));
  ASSERT_TRUE(store_->SaveServedCheckpoint(2, "cp 2\n— witness cosigned\n"));
  pub = (*other)->PublicCheckpoint();
  ASSERT_TRUE(pub && pub->has_value()) << (pub ? "none" : pub.error());
  EXPECT_EQ(**pub, (std::pair<uint64_t, std::string>{2, "cp 2\n— witness cosigned\n"}));
  EXPECT_EQ(**store_->ServedCheckpoint(), **pub);
}

TEST_P(StoreContract, OperatorsAndAnAppendOnlyAuditTrail) {
  Operator alice;
  alice.name = "alice";
  alice.role = Role::kModerator;
  alice.totp_secret = std::string("\0\x01\x02secret", 9);
  auto id = store_->AddOperator(alice);
  ASSERT_TRUE(id) << id.error();
  auto dup = store_->AddOperator(alice);
  ASSERT_FALSE(dup) << "names are unique";
  EXPECT_NE(dup.error().find("exists already"), std::string::npos) << dup.error();
  auto found = store_->FindOperator("alice");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->id, *id);
  EXPECT_EQ((*found)->totp_secret, alice.totp_secret);
  Operator changed = **found;
  changed.disabled = true;
  changed.password_hash = "$argon2id$v=19$...";
  ASSERT_TRUE(store_->UpdateOperator(changed));
  auto got = store_->GetOperator(*id);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_TRUE((*got)->disabled);
  EXPECT_EQ((*got)->password_hash, changed.password_hash);
  Operator bob;
  bob.name = "bob";
  auto bob_id = store_->AddOperatorAudited(bob, {0, *id, "", "created", "operator bob"});
  ASSERT_TRUE(bob_id) << bob_id.error();
  EXPECT_FALSE(store_->AddOperatorAudited(bob, {0, *id, "", "created", "operator bob"}));
  ASSERT_TRUE(store_->Audit(*bob_id, "login", ""));
  auto list = store_->ListOperators();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alice");
  auto trail = store_->AuditTrail(10);
  ASSERT_TRUE(trail) << trail.error();
  ASSERT_EQ(trail->size(), 2u) << "the failed AddOperatorAudited wrote no entry";
  EXPECT_EQ((*trail)[0].action, "login");
  EXPECT_EQ((*trail)[0].operator_name, "bob");
  EXPECT_EQ((*trail)[1].object, "operator bob");
  EXPECT_EQ((*trail)[1].day, Today());
}

TEST_P(StoreContract, HeldStatementsAreApprovedRejectedWithdrawnAndPurged) {
  std::vector<Submission> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(Make("h" + std::to_string(i), kParty, {}, false));
    batch.back().sealed.emplace_back("contact", std::string("box\0bytes", 9));
    batch.back().hold_reason = "flood";
    batch.back().hold_group = i < 3 ? "g1" : "g2";
  }
  batch[4].statement.channel = Channel::kPhone;
  auto out = Commit(batch);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(*store_->CountHeld({}, 100), 5);
  EXPECT_EQ(*store_->CountHeld({}, 2), 2);
  HeldFilter phone;
  phone.channel = Channel::kPhone;
  EXPECT_EQ(*store_->CountHeld(phone, 100), 1);
  HeldFilter first;
  first.limit = 2;
  auto page = store_->ListHeld(first);
  ASSERT_TRUE(page) << page.error();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, out[0].id);
  EXPECT_EQ((*page)[0].persons.at(0).name, "h0");
  HeldFilter back;
  back.before = out[4].id;
  back.limit = 2;
  auto earlier = store_->ListHeld(back);
  ASSERT_EQ(earlier->size(), 2u);
  EXPECT_EQ((*earlier)[0].id, out[2].id) << "the last two below, oldest first";
  auto groups = store_->ListHeldGroups();
  ASSERT_TRUE(groups && groups->size() == 2u);
  EXPECT_EQ((*groups)[0].group, "g1");
  EXPECT_EQ((*groups)[0].statements, 3);
  EXPECT_EQ(store_->HeldInGroup("g2")->size(), 2u);
  auto sealed = store_->ReadSealed(out[0].id);
  ASSERT_TRUE(sealed && sealed->size() == 1u);
  EXPECT_EQ((*sealed)[0].second, std::string("box\0bytes", 9));
  EXPECT_EQ(store_->ListSealed(10)->size(), 5u);

  // Approve the first with an audit entry naming its number, in the same transaction.
  auto numbers = store_->Approve({out[0].id, out[0].id + 1000}, [](const std::vector<int64_t>& n) {
    return std::vector<AuditEntry>{{0, 1, "", "approved", "statement " + std::to_string(n.at(0))}};
  });
  ASSERT_TRUE(numbers) << numbers.error();
  EXPECT_EQ(*numbers, std::vector<int64_t>{1});
  EXPECT_EQ(store_->AuditTrail(1)->at(0).object, "statement 1");
  EXPECT_EQ(store_->GetTotals()->statements, 1);
  EXPECT_EQ(store_->SearchName(FoldName("h0"), std::nullopt, 0, 10)->size(), 1u);
  // Correct the second, reject the third, withdraw the fourth by its receipt.
  auto held = store_->FindHeldByReceipt(HashReceiptCode(batch[1].receipt_code));
  ASSERT_TRUE(held && held->has_value());
  Statement corrected = **held;
  corrected.persons = {{"改正", true, kLeague}};
  corrected.text = "更正";
  EXPECT_TRUE(*store_->CorrectHeld(out[1].id, corrected));
  EXPECT_FALSE(*store_->CorrectHeld(out[0].id, corrected)) << "published: not held";
  held = store_->FindHeldByReceipt(HashReceiptCode(batch[1].receipt_code));
  EXPECT_EQ((*held)->persons.at(0).name, "改正");
  EXPECT_EQ((*held)->text, "更正");
  EXPECT_EQ(*store_->Reject({out[2].id, out[0].id}), 1) << "only held ones are rejected";
  EXPECT_TRUE(*store_->WithdrawByReceipt(HashReceiptCode(batch[3].receipt_code)));
  EXPECT_FALSE(*store_->WithdrawByReceipt(HashReceiptCode(batch[3].receipt_code)));
  EXPECT_EQ((*store_->FindReceipt(HashReceiptCode(batch[3].receipt_code)))->status,
            StatementStatus::kWithdrawn);
  EXPECT_EQ(*store_->ForgetSealed(HashReceiptCode(batch[2].receipt_code)), 1);
  // The rest of the flood group g2 (the fifth) is rejected at once.
  EXPECT_EQ(*store_->RejectHeldGroup("g2"), 1);
  EXPECT_EQ(*store_->CountHeld({}, 100), 1) << "the corrected one is left";
  // The published statement is withdrawn by its receipt too: a withdrawal leaf.
  EXPECT_TRUE(*store_->WithdrawByReceipt(HashReceiptCode(batch[0].receipt_code)));
  EXPECT_EQ(store_->GetTotals()->statements, 0);
  EXPECT_EQ(store_->GetTotals()->tree_size, 2u);
  // Purge: the rejected, the withdrawn held and the group-rejected rows go.
  auto purged = store_->PurgeRejected(0);
  ASSERT_TRUE(purged) << purged.error();
  EXPECT_EQ(*purged, 3);
  EXPECT_FALSE(store_->FindReceipt(HashReceiptCode(batch[2].receipt_code))->has_value());
  EXPECT_TRUE(store_->FindReceipt(HashReceiptCode(batch[0].receipt_code))->has_value())
      << "a withdrawn published statement keeps its row";
  EXPECT_EQ(*store_->PurgeRejected(0), 0);
}

TEST_P(StoreContract, PublicationBatchesNumberInTheOrderGiven) {
  std::vector<Submission> batch;
  for (int i = 0; i < 4; ++i) {
    batch.push_back(Make("a" + std::to_string(i), kParty));
    batch.back().batched = true;
  }
  auto out = Commit(batch);
  EXPECT_EQ(out[0].status, StatementStatus::kAccepted);
  EXPECT_FALSE(out[0].number);
  EXPECT_EQ(store_->GetTotals()->statements, 0);
  auto ids = store_->ListAccepted(100);
  ASSERT_TRUE(ids) << ids.error();
  EXPECT_EQ(ids->size(), 4u);
  EXPECT_EQ(store_->ListAccepted(2)->size(), 2u);
  auto numbers = store_->PublishAccepted({out[2].id, out[0].id, out[3].id, out[0].id + 99});
  ASSERT_TRUE(numbers) << numbers.error();
  EXPECT_EQ(*numbers, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ((*store_->GetPublished(1))->persons[0].name, "a2");
  EXPECT_EQ((*store_->GetPublished(2))->persons[0].name, "a0");
  EXPECT_EQ(store_->ListAccepted(100)->size(), 1u);
  EXPECT_EQ(store_->GetTotals()->statements, 3);
  EXPECT_EQ(store_->GetTotals()->tree_size, 3u);
  ExpectTotalsEqualRecount(*store_, "after a publication batch");
}

// Moderation in the open: every act raises its day's counter in its own transaction, by
// reason; a purge lowers none, and a range reads only its days.
TEST_P(StoreContract, ModerationIsCountedPerDayAndReason) {
  Day day = 20000;
  SetToday([&day] { return day; });
  std::vector<Submission> batch;
  for (int i = 0; i < 6; ++i) {
    batch.push_back(Make("m" + std::to_string(i), kParty, {}, false));
    if (i < 3) {
      batch.back().hold_reason = "generated_name";
      batch.back().hold_group = "gen";
    }
  }
  batch.push_back(Make("published", kParty));
  batch.push_back(Make("accepted", kParty));
  batch.back().batched = true;
  auto out = Commit(batch);
  ASSERT_EQ(out.size(), 8u);
  using E = ModerationEvent;
  auto counts = store_->ModerationCounts(day, day);
  ASSERT_TRUE(counts) << counts.error();
  EXPECT_EQ(*counts, (std::vector<ModerationCount>{{day, E::kHeld, "generated_name", 3},
                                                   {day, E::kHeld, "review", 3}}))
      << "held by reason on the day received; published and accepted are not moderation";

  // The next day: one reviewed statement rejected (and one already rejected, not counted
  // twice), the flood group rejected at once, a held statement and an accepted one
  // withdrawn by their declarants before publication, the published one withdrawn as a
  // danger and another approved then withdrawn by its declarant.
  day = 20001;
  EXPECT_EQ(*store_->Reject({out[3].id}), 1);
  EXPECT_EQ(*store_->Reject({out[3].id}), 0);
  EXPECT_EQ(*store_->RejectHeldGroup("gen"), 3);
  EXPECT_TRUE(*store_->WithdrawByReceipt(HashReceiptCode(batch[4].receipt_code)));
  EXPECT_TRUE(*store_->WithdrawByReceipt(HashReceiptCode(batch[7].receipt_code)));
  ASSERT_TRUE(store_->Withdraw(*out[6].number, WithdrawalReason::kDanger));
  auto numbers = store_->Approve({out[5].id});
  ASSERT_TRUE(numbers && numbers->size() == 1u);
  EXPECT_TRUE(*store_->WithdrawByReceipt(HashReceiptCode(batch[5].receipt_code)));
  counts = store_->ModerationCounts(day, day);
  ASSERT_TRUE(counts) << counts.error();
  EXPECT_EQ(*counts, (std::vector<ModerationCount>{{day, E::kRejected, "generated_name", 3},
                                                   {day, E::kRejected, "review", 1},
                                                   {day, E::kWithdrawn, "before-publication", 2},
                                                   {day, E::kWithdrawn, "danger", 1},
                                                   {day, E::kWithdrawn, "declarant-request", 1}}));
  // The purge deletes the rejected rows; the figures stay. A range reads its days only.
  ASSERT_TRUE(store_->PurgeRejected(0));
  counts = store_->ModerationCounts(day - 1, day + 5);
  ASSERT_TRUE(counts) << counts.error();
  EXPECT_EQ(counts->size(), 7u);
  EXPECT_EQ(counts->front().day, day - 1);
  EXPECT_TRUE(store_->ModerationCounts(day + 1, day + 5)->empty());
  Reopen();
  EXPECT_EQ(store_->ModerationCounts(day, day)->size(), 5u) << "kept across a restart";
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace tuidang::test
