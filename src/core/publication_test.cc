#include "core/publication.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "core/leaf.h"

namespace tuidang {
namespace {

Statement Make(std::vector<Person> persons, Region region = Region{1}) {
  Statement s;
  s.persons = std::move(persons);
  s.text = "退";
  s.region = region;
  s.channel = Channel::kWeb;
  return s;
}

TEST(PublicationTest, ConsecutiveNumbersAndLeavesOnTheRunsDay) {
  ASSERT_GE(sodium_init(), 0);
  PublicationRun run(41, 100, 20500);
  Statement a = Make({{"甲", false, kParty}});
  Statement b = Make({{"乙", false, kLeague}, {"丙", true, kPioneers | kParty}});
  Publication pa = run.Assign(&a);
  Publication pb = run.Assign(&b);
  EXPECT_EQ(pa.number, 41);
  EXPECT_EQ(pb.number, 42);
  EXPECT_EQ(*a.number, 41);
  EXPECT_EQ(*b.number, 42);
  EXPECT_EQ(pa.leaf_index, 100u);
  EXPECT_EQ(pb.leaf_index, 101u);
  EXPECT_EQ(a.day, 20500);
  EXPECT_EQ(pb.day, 20500);
  EXPECT_EQ(run.next_number(), 43);
  EXPECT_EQ(run.next_leaf(), 102u);
  EXPECT_EQ(pa.salt.size(), kSaltSize);
  EXPECT_NE(pa.salt, pb.salt) << "a fresh salt per statement";
}

TEST(PublicationTest, SealCommitsToSaltAndRecord) {
  PublicationRun run(1, 0, 20500);
  Statement a = Make({{"甲", false, kParty}});
  Publication p = run.Assign(&a);
  PublicationRun::Seal(a, &p);
  EXPECT_EQ(p.record, CanonicalRecord(a));
  EXPECT_NE(p.record.find("甲"), std::string::npos);
  EXPECT_EQ(p.entry, EncodeLeaf(LeafOf(a, Commit(p.salt, p.record))));
  // Another salt gives another commitment: the leaf reveals nothing of the record.
  Publication q = p;
  q.salt = std::string(kSaltSize, '\0');
  PublicationRun::Seal(a, &q);
  EXPECT_NE(q.entry, p.entry);
}

TEST(PublicationTest, TotalsDeltaCountsPersonsOrganisationsAndCategories) {
  PublicationRun run(1, 0, 20500);
  Statement a = Make({{"甲", false, kParty | kLeague}});
  Statement b = Make({{"乙", false, kLeague}, {"丙", true, kPioneers}}, Region{3});
  run.Assign(&a);
  run.Assign(&b);
  const Totals& d = run.delta();
  EXPECT_EQ(d.statements, 2);
  EXPECT_EQ(d.persons, 3);
  EXPECT_EQ(d.party, 1);
  EXPECT_EQ(d.league, 2);
  EXPECT_EQ(d.pioneers, 1);
  EXPECT_EQ(d.by_channel.at(static_cast<int>(Channel::kWeb)), (CategoryCount{2, 3}));
  EXPECT_EQ(d.by_region.at(static_cast<int>(Region{1})), (CategoryCount{1, 1}));
  EXPECT_EQ(d.by_region.at(static_cast<int>(Region{3})), (CategoryCount{1, 2}));
}

TEST(PublicationTest, TotalsAddKeepsDaysSortedAndDropsEmptyCategories) {
  Totals t;
  PublicationRun first(1, 0, 20502);
  Statement a = Make({{"甲", false, kParty}});
  first.Assign(&a);
  t.Add(first.delta(), 20502);
  PublicationRun earlier(2, 1, 20500);
  Statement b = Make({{"乙", false, kLeague}}, Region{3});
  earlier.Assign(&b);
  t.Add(earlier.delta(), 20500);
  ASSERT_EQ(t.by_day.size(), 2u);
  EXPECT_EQ(t.by_day[0].day, 20500);
  EXPECT_EQ(t.by_day[1].day, 20502);
  EXPECT_EQ(t.Of(20502).statements, 1);
  EXPECT_EQ(t.Of(20501).statements, 0);
  EXPECT_EQ(t.statements, 2);
  // A withdrawal's delta: the category falls back to zero and goes.
  Totals down;
  CountCategories(&down, static_cast<int>(Channel::kWeb), static_cast<int>(Region{3}), 0, 1, -1);
  t.Add(down, 20500);
  EXPECT_FALSE(t.by_region.contains(static_cast<int>(Region{3})));
  EXPECT_TRUE(t.by_region.contains(static_cast<int>(Region{1})));
}

}  // namespace
}  // namespace tuidang
