#include "audit/totals.h"

#include <gtest/gtest.h>

#include "core/leaf.h"

namespace tuidang::audit {
namespace {

constexpr Day kDay = 20780;  // 2026-11-23

std::string Statement(Day day, uint16_t persons, uint16_t party, uint16_t league,
                      uint16_t pioneers) {
  return EncodeLeaf(StatementLeaf{day, Channel::kWeb, persons, party, league, pioneers, {}});
}

std::string Withdrawal(uint64_t cancelled) {
  return EncodeLeaf(WithdrawalLeaf{kDay + 1, WithdrawalReason::kDanger, cancelled});
}

// Entries added to a tally, and read again from here when a withdrawal names one.
struct Entries {
  std::vector<std::string> all;
  EarlierEntry Reader() {
    return [this](uint64_t i) -> Result<std::string> {
      if (i >= all.size()) return Error{"no such entry"};
      return all[i];
    };
  }
  Status Add(Tally& tally, std::string entry) {
    Status s = tally.Add(all.size(), entry);
    if (s) all.push_back(std::move(entry));
    return s;
  }
};

TEST(TallyTest, CountsStatementsAndTakesWithdrawalsBack) {
  Entries log;
  Tally tally(log.Reader(), 3);
  ASSERT_TRUE(log.Add(tally, Statement(kDay, 2, 1, 1, 0)).ok());
  ASSERT_TRUE(log.Add(tally, Statement(kDay, 1, 0, 0, 1)).ok());
  ASSERT_TRUE(log.Add(tally, Statement(kDay + 1, 3, 3, 2, 1)).ok());
  ASSERT_TRUE(log.Add(tally, Withdrawal(2)).ok());
  ASSERT_TRUE(log.Add(tally, Withdrawal(0)).ok());

  Totals want;
  want.statements = 1;
  want.persons = 1;
  want.pioneers = 1;
  want.by_day[kDay] = DayTotals{1, 1};  // the day of leaf 2 is gone: nothing left on it
  EXPECT_EQ(tally.totals(), want);
  EXPECT_EQ(tally.withdrawals(), 2u);
  EXPECT_EQ(tally.entries(), 5u);

  ASSERT_TRUE(tally.Snapshot().has_value());
  EXPECT_EQ(tally.Snapshot()->statements, 3u);
  EXPECT_EQ(tally.Snapshot()->persons, 6u);
  EXPECT_EQ(tally.Snapshot()->by_day.at(kDay + 1), (DayTotals{3, 1}));
}

TEST(TallyTest, SnapshotOfTheEmptyPrefix) {
  Entries log;
  Tally tally(log.Reader(), 0);
  ASSERT_TRUE(tally.Snapshot().has_value());
  EXPECT_EQ(*tally.Snapshot(), Totals{});
  EXPECT_FALSE(Tally(log.Reader()).Snapshot().has_value());
}

TEST(TallyTest, RejectsBadLeavesWithoutCounting) {
  Entries log;
  Tally tally(log.Reader());
  ASSERT_TRUE(log.Add(tally, Statement(kDay, 1, 1, 0, 0)).ok());
  Status s = tally.Add(1, Statement(kDay, 1, 2, 0, 0));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "leaf 1: counts more persons in an organisation than its 1 persons");
  s = tally.Add(1, Withdrawal(1));
  EXPECT_EQ(s.message(), "leaf 1: withdraws leaf 1, which is not an earlier leaf");
  s = tally.Add(1, std::string(48, '\0'));
  EXPECT_EQ(s.message(), "leaf 1: unknown leaf format version");
  EXPECT_EQ(tally.entries(), 1u);
  EXPECT_EQ(tally.totals().persons, 1u);
}

TEST(TallyTest, AWithdrawnLeafThatCannotBeReadAgainFails) {
  Tally tally([](uint64_t) -> Result<std::string> { return Error{"missing file x"}; });
  ASSERT_TRUE(tally.Add(0, Statement(kDay, 1, 1, 0, 0)).ok());
  Status s = tally.Add(1, Withdrawal(0));
  EXPECT_EQ(s.message(), "leaf 1: withdraws leaf 0: missing file x");
  EXPECT_EQ(tally.totals().persons, 1u);
  EXPECT_EQ(tally.withdrawals(), 0u);
}

// StateBytes counts what grows with the days and the withdrawals; the heap itself is watched
// by audit_memory_test.cc, through a whole audit.
TEST(TallyTest, StateBytesFollowTheDaysAndWithdrawalsOnly) {
  Entries log;
  Tally tally(log.Reader());
  for (uint64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(log.Add(tally, Statement(kDay + static_cast<Day>(i % 40), 1, 1, 0, 0)).ok());
  }
  const size_t small = tally.StateBytes();
  for (uint64_t i = 1000; i < 200'000; ++i) {
    ASSERT_TRUE(tally.Add(i, Statement(kDay + static_cast<Day>(i % 40), 1, 1, 0, 0)).ok());
  }
  EXPECT_EQ(tally.StateBytes(), small);
  ASSERT_TRUE(tally.Add(200'000, Withdrawal(7)).ok());
  EXPECT_GT(tally.StateBytes(), small);
}

TEST(StatsTest, ParsesTheDocumentedExample) {
  // docs/api.md, GET /api/v1/stats.
  Result<PublishedStats> stats = ParseStats(
      R"({"total_persons": 5, "total_statements": 3, "today": {"date": "2026-11-23", "persons": 5, "statements": 3},
 "persons_by_organisation": {"party": 2, "league": 4, "pioneers": 1},
 "by_day": [{"date": "2026-11-23", "persons": 5, "statements": 3}]})");
  ASSERT_TRUE(stats.ok()) << stats.error();
  Totals want{3, 5, 2, 4, 1, {{kDay, DayTotals{5, 3}}}};
  EXPECT_EQ(stats->totals, want);
  ASSERT_TRUE(stats->today.has_value());
  EXPECT_EQ(stats->today->first, kDay);
  EXPECT_FALSE(stats->tree_size.has_value());
  EXPECT_TRUE(CompareTotals(want, *stats).ok());
}

TEST(StatsTest, ZeroDaysAreAbsentDays) {
  Result<PublishedStats> stats = ParseStats(
      R"({"total_persons":0,"total_statements":0,"tree_size":7,
          "persons_by_organisation":{"party":0,"league":0,"pioneers":0},
          "by_day":[{"date":"2026-11-24","persons":0,"statements":0}],"extra":[1]})");
  ASSERT_TRUE(stats.ok()) << stats.error();
  EXPECT_TRUE(stats->totals.by_day.empty());
  EXPECT_EQ(stats->tree_size, 7u);
  EXPECT_TRUE(CompareTotals(Totals{}, *stats).ok());
}

TEST(StatsTest, RejectsMalformedStats) {
  const std::string orgs = R"("persons_by_organisation":{"party":0,"league":0,"pioneers":0})";
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "stats: not JSON"},
      {"[]", "stats: not a JSON object"},
      {R"({"total_statements":0})", "stats: no total_persons"},
      {R"({"total_persons":1.5,"total_statements":0})",
       "stats: total_persons is not a non-negative integer"},
      {R"({"total_persons":1,"total_statements":0})", "stats: no persons_by_organisation object"},
      {R"({"total_persons":1,"total_statements":0,"persons_by_organisation":{"party":0,"league":0}})",
       "stats: no persons_by_organisation.pioneers"},
      {R"({"total_persons":1,"total_statements":0,)" + orgs + "}", "stats: no by_day array"},
      {R"({"total_persons":1,"total_statements":0,)" + orgs +
           R"(,"by_day":[{"date":"2026-13-01","persons":1,"statements":1}]})",
       "stats: by_day[0].date \"2026-13-01\" is not a date"},
      {R"({"total_persons":1,"total_statements":0,)" + orgs +
           R"(,"by_day":[{"date":"2026-11-23","persons":1}]})",
       "stats: no by_day[0].statements"},
      {R"({"total_persons":1,"total_statements":0,)" + orgs +
           R"(,"by_day":[{"date":"2026-11-23","persons":1,"statements":1},)"
           R"({"date":"2026-11-23","persons":1,"statements":1}]})",
       "stats: by_day lists 2026-11-23 twice"},
      {R"({"total_persons":1,"total_statements":0,)" + orgs + R"(,"by_day":[],"tree_size":-3})",
       "stats: tree_size is not a non-negative integer"},
  };
  for (const auto& [json, message] : cases) {
    Result<PublishedStats> stats = ParseStats(json);
    ASSERT_FALSE(stats.ok()) << json;
    EXPECT_TRUE(stats.error().starts_with(message)) << json << "\n" << stats.error();
  }
}

TEST(StatsTest, ComparesTodayWithTheLog) {
  Totals log{1, 2, 2, 0, 0, {{kDay, DayTotals{2, 1}}}};
  PublishedStats stats{log, std::nullopt, std::pair{kDay, DayTotals{2, 1}}};
  EXPECT_TRUE(CompareTotals(log, stats).ok());
  stats.today = std::pair{kDay + 1, DayTotals{0, 0}};
  EXPECT_TRUE(CompareTotals(log, stats).ok());
  stats.today = std::pair{kDay, DayTotals{3, 1}};
  EXPECT_EQ(CompareTotals(log, stats).message(),
            "today (2026-11-23) persons: the stats say 3, the log counts 2");
}

}  // namespace
}  // namespace tuidang::audit
